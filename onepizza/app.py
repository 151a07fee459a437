"""create_app(settings): routes, middlewares, Socket.IO and the loop tasks, in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from onepizza.api.keys import RATE_LIMITER, SETTINGS
from onepizza.api.middlewares import (
    compression_middleware,
    error_middleware,
    make_headers_middleware,
)
from onepizza.api.routes import setup_routes
from onepizza.config import Settings
from onepizza.db import DB_POOL, create_pool
from onepizza.realtime.server import attach as attach_socketio
from onepizza.services.ratelimit import RateLimiter

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    """The application for `settings`, which must name a database (see cli.serve)."""
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url; start the embedded server first")
    app = web.Application(
        middlewares=[
            make_headers_middleware(settings),
            compression_middleware,
            error_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_rate_limiter)
    setup_routes(app)
    attach_socketio(app, settings)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(settings.database_url, maxsize=settings.db_pool_max)
    app[DB_POOL] = pool
    yield
    pool.close()
    await pool.wait_closed()


async def _rate_limiter(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    limiter = RateLimiter(settings.rate_limits, settings.redis_url)
    app[RATE_LIMITER] = limiter
    yield
    await limiter.close()
