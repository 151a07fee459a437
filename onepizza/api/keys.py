"""Typed application keys shared by the HTTP layer."""

from aiohttp import web

from onepizza.config import Settings
from onepizza.services.ratelimit import RateLimiter

SETTINGS = web.AppKey("settings", Settings)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
