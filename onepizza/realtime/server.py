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


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(settings.redis_url, channel="onepizza-socketio")
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=list(settings.allowed_origins),
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
