"""Every HTTP route of the application, in one place."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.health import HealthHandlers
from onepizza.api.pages import WEB_DIR, PageHandlers


def setup_routes(app: web.Application) -> None:
    health = HealthHandlers()
    pages = PageHandlers()

    app.router.add_get("/health", health.health, name="health")
    app.router.add_get("/health/liveness", health.liveness, name="health-liveness")
    app.router.add_get("/health/readiness", health.readiness, name="health-readiness")

    app.router.add_get("/", pages.page("index.html"), name="home")
    app.router.add_static("/static/", WEB_DIR, name="static", follow_symlinks=False)
