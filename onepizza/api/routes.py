"""Every HTTP route of the application, in one place."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.accounts import AccountHandlers
from onepizza.api.api_keys import ApiKeyHandlers
from onepizza.api.companies import CompanyHandlers
from onepizza.api.health import HealthHandlers
from onepizza.api.pages import WEB_DIR, PageHandlers


def setup_routes(app: web.Application) -> None:
    health = HealthHandlers()
    pages = PageHandlers()
    accounts = AccountHandlers()
    keys = ApiKeyHandlers()
    companies = CompanyHandlers()

    app.router.add_post("/api/auth/register", accounts.register, name="auth-register")
    app.router.add_post("/api/auth/login", accounts.login, name="auth-login")
    app.router.add_post("/api/auth/logout", accounts.logout, name="auth-logout")
    app.router.add_get("/api/auth/me", accounts.me, name="auth-me")
    app.router.add_post("/api/auth/forgot-password", accounts.forgot_password, name="auth-forgot")
    app.router.add_get(
        "/api/auth/reset-password", accounts.check_reset_token, name="auth-reset-check"
    )
    app.router.add_post("/api/auth/reset-password", accounts.reset_password, name="auth-reset")
    app.router.add_post("/api/auth/change-password", accounts.change_password, name="auth-change")

    app.router.add_get("/api/user/keys", keys.list, name="keys-list")
    app.router.add_post("/api/user/keys", keys.create, name="keys-create")
    app.router.add_delete("/api/user/keys/{id}", keys.revoke, name="keys-revoke")

    app.router.add_post("/api/company/join", companies.join, name="company-join")
    app.router.add_get("/api/company/members", companies.members, name="company-members")
    app.router.add_delete(
        "/api/company/members/{id}", companies.remove_member, name="company-member-remove"
    )

    app.router.add_get("/health", health.health, name="health")
    app.router.add_get("/health/liveness", health.liveness, name="health-liveness")
    app.router.add_get("/health/readiness", health.readiness, name="health-readiness")

    app.router.add_get("/", pages.page("index.html"), name="home")
    app.router.add_static("/static/", WEB_DIR, name="static", follow_symlinks=False)
