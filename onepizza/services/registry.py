"""Application keys under which the services live, built once the pool exists."""

from aiohttp import web

from onepizza.services.accounts import AccountService
from onepizza.services.api_keys import ApiKeyService
from onepizza.services.companies import CompanyService
from onepizza.services.email import Mailer

ACCOUNTS = web.AppKey("accounts", AccountService)
API_KEYS = web.AppKey("api_keys", ApiKeyService)
COMPANIES = web.AppKey("companies", CompanyService)
MAILER = web.AppKey("mailer", Mailer)
