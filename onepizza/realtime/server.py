"""Creates the python-socketio AsyncServer and attaches it to the aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import weakref

import orjson
import redis.asyncio
import socketio
from aiohttp import WSCloseCode, web

from onepizza.config import Settings
from onepizza.live.local import LocalRoutes
from onepizza.live.redis import connection_pool
from onepizza.live.state import LiveMeeting
from onepizza.realtime import limits as event_limits
from onepizza.realtime import payloads
from onepizza.realtime.notifier import meeting_room
from onepizza.services.registry import NODE_ID

log = logging.getLogger(__name__)

SIO = web.AppKey("sio", socketio.AsyncServer)
ROUTES = web.AppKey("local_routes", LocalRoutes)
SOCKETIO_CHANNEL = "onepizza-socketio"  # the Redis channel of Socket.IO fan-out


def node_channel(channel: str, node_id: str) -> str:
    """The channel of one process: what is for its sockets alone (a relayed signal, a
    joiner's `joined`). RedisLiveState's scripts name it the same way."""
    return f"{channel}:node:{node_id}"


# Shutdown waits this long for the engine.io CLOSE packets (and what was queued before them,
# such as `meeting:ended`) to leave, and then for clients to answer the websocket close.
SESSION_FLUSH_SECONDS = 2.0
WEBSOCKET_CLOSE_SECONDS = 2.0


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


class LocalFirstRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, except that an event for one socket connected to
    this process (a relayed signal, an error, an acknowledgement) is delivered here at
    once instead of going through Redis to every process. Rooms still go through Redis.

    It is subscribed before the server serves (`listening`): python-socketio subscribes at
    the first connection, and Redis drops what is published before, such as the `joined`
    a join script publishes for that very connection."""

    PROBE_INTERVAL = 0.05
    LISTEN_TIMEOUT = 15.0

    def __init__(self, *args, node_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.node_id = node_id
        self.node_channel = node_channel(self.channel, node_id)
        self._probe = f"onepizza-probe:{secrets.token_hex(8)}"
        self._probe_sent = self.json.dumps(self._probe)  # as _publish sends it
        self._subscribed = asyncio.Event()

    def _redis_connect(self):
        # A blocking pool: a burst of broadcasts waits for a connection instead of failing.
        self.redis = redis.asyncio.Redis(connection_pool=connection_pool(self.redis_url))
        # The push handler returns each message as it is: redis-py's default one formats
        # every message into a debug log line (str() of the whole payload) even when debug
        # logging is off, which cost ~6 % of a process's CPU relaying 2-6 kB signals.
        self.pubsub = self.redis.pubsub(
            ignore_subscribe_messages=True, push_handler_func=_message_as_is
        )
        self.connected = True

    async def _redis_listen_with_retries(self):
        # python-socketio's loop, subscribed to this process's own channel too: one
        # connection, so messages of both arrive in the order Redis received them.
        retry_sleep = 1
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel, self.node_channel)
                    subscribed = True
                    retry_sleep = 1
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                log.error("Cannot receive from Redis (retrying in %s s): %s", retry_sleep, exc)
                subscribed = False
                await asyncio.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 60)

    async def _listen(self):
        channels = (self.channel.encode(), self.node_channel.encode())
        async for message in self._redis_listen_with_retries():
            if message["type"] != "message" or message["channel"] not in channels:
                continue
            data = message.get("data")
            if data in (self._probe_sent, self._probe_sent.encode()):
                self._subscribed.set()
                continue
            yield data

    async def listening(self, sio: socketio.AsyncServer) -> None:
        """Start the subscription now and return once it receives (our own probe)."""
        if not sio.manager_initialized:
            sio.manager_initialized = True
            self.initialize()
        deadline = asyncio.get_running_loop().time() + self.LISTEN_TIMEOUT
        while not self._subscribed.is_set():
            await self._publish(self._probe)  # logs and gives up quietly while Redis is away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), self.PROBE_INTERVAL)
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Redis did not deliver on {self.channel!r}; is it up?")

    async def leave_room(self, sid, namespace, room):
        # A socket of this process whose disconnect handler is running: python-socketio
        # leaves it here (not through Redis, which would tell every process of a socket
        # none of them has); it leaves all its rooms when the handler returns anyway.
        if sid in self.pending_disconnect.get(namespace or "/", ()):
            return await socketio.AsyncManager.leave_room(self, sid, namespace, room)
        return await super().leave_room(sid, namespace, room)

    async def emit(
        self,
        event,
        data,
        namespace=None,
        room=None,
        skip_sid=None,
        callback=None,
        to=None,
        **kwargs,
    ):
        target = to or room
        if (
            target is not None
            and callback is None
            and not kwargs.get("ignore_queue")
            and isinstance(target, str)
            and self.is_connected(target, namespace or "/")
        ):
            return await super().emit(
                event,
                data,
                namespace=namespace,
                room=target,
                skip_sid=skip_sid,
                ignore_queue=True,
            )
        return await super().emit(
            event,
            data,
            namespace=namespace,
            room=room,
            skip_sid=skip_sid,
            callback=callback,
            to=to,
            **kwargs,
        )


WEBSOCKET_EXTENSIONS = "Sec-WebSocket-Extensions"


async def _message_as_is(message):
    return message


def without_websocket_compression(socketio_path: str):
    """A middleware that hides a client's offer of permessage-deflate from the websocket
    handshake of Socket.IO's path, so aiohttp answers without it (and keeps no zlib context
    per connection, nor deflates every frame): python-engineio gives no option for it."""
    prefix = f"/{socketio_path.strip('/')}/"

    @web.middleware
    async def middleware(request: web.Request, handler):
        if WEBSOCKET_EXTENSIONS in request.headers and request.path.startswith(prefix):
            headers = request.headers.copy()
            del headers[WEBSOCKET_EXTENSIONS]
            request = request.clone(headers=headers)
        return await handler(request)

    return middleware


def only_here(sio: socketio.AsyncServer, meeting: LiveMeeting) -> bool:
    """Whether every participant of `meeting` (a snapshot from the store) has its socket on
    this process, so that a broadcast to the meeting's rooms need not go through Redis: no
    other process has a member to deliver it to. (One joining elsewhere after the snapshot
    was taken joined after the message, as far as its order goes.) Always so in memory."""
    node = getattr(sio.manager, "node_id", None)
    if node is None:
        return True
    if meeting.participants:
        return all(p.node == node for p in meeting.participants.values())
    return meeting.nodes is not None and meeting.nodes <= {node}


def in_meeting_room(sio: socketio.AsyncServer, sid: str, meeting_id: str) -> bool:
    """Whether a socket of this process is in the meeting's Socket.IO room here
    (python-socketio's room table: rooms[namespace][room] maps sid -> engine.io sid)."""
    return sid in sio.manager.rooms.get("/", {}).get(meeting_room(meeting_id), ())


def create_sio(settings: Settings, node_id: str) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        manager = LocalFirstRedisManager(
            settings.redis_url, channel=SOCKETIO_CHANNEL, node_id=node_id
        )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origin_check(settings),
        json=OrjsonForSocketIO,
        # Frames it cannot use become an event the guard answers (bad_payload), not a traceback.
        serializer=payloads.CheckedPacket,
        # Room for a 1 MB string in an event (refused by the handler, with an `error`); a
        # larger frame closes the websocket.
        max_http_buffer_size=1_100_000,
        ping_interval=25,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )
    payloads.check_engineio_frames(sio.eio)
    event_limits.install(sio, settings)
    return sio


def attach(app: web.Application, settings: Settings) -> socketio.AsyncServer:
    from onepizza.realtime import (
        breakout,
        chat,
        meetings,
        notes,
        polls,
        qa,
        signaling,
        stream,
        waiting_room,
    )

    sio = create_sio(settings, app[NODE_ID])
    sio.attach(app, socketio_path="socket.io")
    if not settings.websocket_compression:
        app.middlewares.append(without_websocket_compression("socket.io"))
    app[SIO] = sio
    app[ROUTES] = LocalRoutes(functools.partial(in_meeting_room, sio))
    if isinstance(sio.manager, LocalFirstRedisManager):

        async def subscribe(_app: web.Application) -> None:
            await sio.manager.listening(sio)

        app.on_startup.append(subscribe)
    for module in (meetings, signaling, chat, waiting_room, breakout, stream, polls, qa, notes):
        module.register(sio, app)

    websockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    async def track_websocket(_request: web.BaseRequest, response: web.StreamResponse) -> None:
        if isinstance(response, web.WebSocketResponse):
            websockets.add(response)

    async def shutdown(_app: web.Application) -> None:
        # Runs after the listening sockets closed, before aiohttp waits for the handlers.
        await close_sessions(sio)
        await close_websockets(websockets)
        await sio.shutdown()
        await event_limits.of(sio).close()

    app.on_response_prepare.append(track_websocket)
    app.on_shutdown.append(shutdown)
    return sio


async def close_sessions(sio: socketio.AsyncServer) -> None:
    """Close every engine.io session: its disconnect handlers run and a CLOSE packet is queued
    after what was already queued for it. A long-polling client receives it on its pending
    request and reconnects; one whose last response has left finds the port closed at its
    next poll, and reconnects too. Waits a bounded time for the handlers and for the queues to
    drain, since such a client never collects its packets. (Not `sio.disconnect`: a socket.io
    DISCONNECT packet means "io server disconnect", after which a browser does not reconnect.)"""
    closing = [asyncio.create_task(socket.close()) for socket in list(sio.eio.sockets.values())]
    if closing:
        await asyncio.wait(closing, timeout=SESSION_FLUSH_SECONDS)


async def close_websockets(websockets: weakref.WeakSet[web.WebSocketResponse]) -> None:
    """Close the websockets with 1001 (going away). engine.io-client ignores a CLOSE packet on
    a websocket: only the websocket closing ends the transport, and until it does, its handler
    runs on, and aiohttp waits for it (SHUTDOWN_TIMEOUT) and then cancels it (as long again)."""

    async def close(ws: web.WebSocketResponse) -> None:
        # A client that does not answer the close frame has its connection dropped.
        with contextlib.suppress(TimeoutError, RuntimeError, ConnectionError):
            await asyncio.wait_for(
                ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down"),
                WEBSOCKET_CLOSE_SECONDS,
            )

    await asyncio.gather(*(close(ws) for ws in list(websockets) if not ws.closed))
