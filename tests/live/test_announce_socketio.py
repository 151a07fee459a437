"""A join's announcement as python-socketio itself handles it: a real AsyncServer with the
AsyncRedisManager on the store's channel, and real clients over TCP."""

from __future__ import annotations

import asyncio
import contextlib

import socketio
from aiohttp import web

from onepizza.live.state import JoinRequest, participant_state
from onepizza.realtime.server import LocalFirstRedisManager
from tests.live.helpers import live_meeting, person
from tests.live.test_redis import announcing

ROOM = "room-1"


class Server:
    """A Socket.IO server whose manager listens on the store's Redis channel and on the own
    channel of the process the test's participants are on (`node-a`)."""

    def __init__(self, space):
        self.space = space
        self.manager = LocalFirstRedisManager(space.url, channel=space.channel, node_id="node-a")
        self.sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=self.manager)
        self.app = web.Application()
        self.sio.attach(self.app)
        self.connected: asyncio.Queue[str] = asyncio.Queue()

        @self.sio.event
        async def connect(sid, environ):
            await self.connected.put(sid)

    async def listening(self) -> None:
        """Wait until the manager has subscribed, so nothing published is missed."""
        async with asyncio.timeout(5):
            while True:
                [(_, count)] = await self.space.client.pubsub_numsub(self.space.channel)
                if count:
                    return
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        thread = getattr(self.manager, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await thread
        if self.manager.redis is not None:
            await self.manager.redis.aclose()


class Client:
    """A socket that records every event it receives."""

    def __init__(self):
        self.sio = socketio.AsyncClient()
        self.events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

        @self.sio.on("*")
        async def any_event(event, data):
            await self.events.put((event, data))

    async def next(self, timeout: float = 5.0) -> tuple[str, object]:
        async with asyncio.timeout(timeout):
            return await self.events.get()

    async def nothing(self, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        assert self.events.empty(), self.events.get_nowait()


async def test_python_socketio_delivers_the_announcement(redis_space, aiohttp_server):
    server = Server(redis_space)
    http = await aiohttp_server(server.app)
    url = str(http.make_url("/"))
    store = redis_space.store(announce=True)
    mid = await live_meeting(store)
    clients = []
    try:
        people = []
        for name in ("Ann", "Bob"):
            client = Client()
            await client.sio.connect(url, transports=["websocket"])
            clients.append(client)
            sid = await asyncio.wait_for(server.connected.get(), 5)
            who = person(name)
            who.sid = sid
            people.append(who)
        await server.listening()
        ann_client, bob_client = clients
        ann, bob = people

        outcome = await store.join(
            mid,
            JoinRequest(participant=ann),
            is_admin=True,
            announce=announcing(ROOM, is_admin=True, pid=ann.participant_id),
        )
        event, body = await ann_client.next()
        assert event == "joined"
        assert (body["participants"], body["isAdmin"]) == ([], True)

        await store.join(
            mid,
            JoinRequest(participant=bob),
            is_admin=False,
            announce=announcing(ROOM, is_admin=False, pid=bob.participant_id),
        )
        event, body = await bob_client.next()
        assert event == "joined"
        assert body["participants"] == [participant_state(outcome.participant)]
        event, body = await ann_client.next()
        assert (event, body["participantId"]) == ("participant:joined", bob.participant_id)
        await bob_client.nothing()  # skip_sid: no announcement of itself

        # enter_room took effect: both are in the room, only the host in the hosts' room
        await server.sio.emit("to-room", {"n": 1}, room=ROOM)
        await server.sio.emit("to-hosts", {"n": 2}, room=ROOM + ":hosts")
        assert await ann_client.next() == ("to-room", {"n": 1})
        assert await ann_client.next() == ("to-hosts", {"n": 2})
        assert await bob_client.next() == ("to-room", {"n": 1})
        await bob_client.nothing()
    finally:
        for client in clients:
            await client.sio.disconnect()
        await server.close()
