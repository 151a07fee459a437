"""Creates the python-socketio AsyncServer and attaches it to the aiohttp app."""

from __future__ import annotations

import logging

import orjson
import socketio
from aiohttp import web

from onepizza.config import Settings

log = logging.getLogger(__name__)

SIO = web.AppKey("sio", socketio.AsyncServer)


class OrjsonForSocketIO:
    """The `json` module interface python-socketio expects, backed by orjson."""

    @staticmethod
    def dumps(obj, **_kwargs) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(data, **_kwargs):
        return orjson.loads(data)


def origin_check(settings: Settings):
    """Socket.IO accepts its own origin (the page served by this server, under whatever host
    name it was reached) and the configured ALLOWED_ORIGINS."""
    allowed = frozenset(settings.allowed_origins)

    def check(origin: str | None, environ: dict) -> bool:
        if origin is None or origin in allowed:
            return True
        own = {f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"}
        if settings.trust_proxy and "HTTP_X_FORWARDED_HOST" in environ:
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "https").split(",")[0].strip()
            host = environ["HTTP_X_FORWARDED_HOST"].split(",")[0].strip()
            own.add(f"{proto}://{host}")
        return origin in own

    return check


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(settings.redis_url, channel="onepizza-socketio")
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origin_check(settings),
        json=OrjsonForSocketIO,
        max_http_buffer_size=1_000_000,
        ping_interval=25,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )


def attach(app: web.Application, settings: Settings) -> socketio.AsyncServer:
    from onepizza.realtime import chat, meetings, signaling, waiting_room

    sio = create_sio(settings)
    sio.attach(app, socketio_path="socket.io")
    app[SIO] = sio
    for module in (meetings, signaling, chat, waiting_room):
        module.register(sio, app)

    async def shutdown(_app: web.Application) -> None:
        # Tell clients to reconnect elsewhere instead of waiting out a dead socket. The close
        # packet is queued, not awaited: a long-polling client that has gone away would
        # otherwise hold the shutdown until it polled again.
        for socket in list(sio.eio.sockets.values()):
            await socket.close(wait=False)
        await sio.shutdown()

    app.on_shutdown.append(shutdown)
    return sio
