"""Issue 14 finding 4: per-socket limits on Socket.IO events, by group, each configurable; an
`error` with code rate_limited naming the limit; a socket that keeps flooding is disconnected."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg2
import pytest

from onepizza.api.keys import SETTINGS
from onepizza.app import create_app
from onepizza.config import DEFAULT_SOCKET_LIMITS, ConfigError, Settings
from onepizza.realtime.limits import group_of
from onepizza.realtime.meetings import handler_for
from onepizza.realtime.server import SIO
from tests.conftest import TEST_ENV
from tests.live.conftest import redis_url
from tests.realtime.bots import Bot

QUIET = 0.3


@pytest.fixture
async def make_world(serve, make_settings, database_url):
    """make_world(env): a server with that environment, an account with credit, and ways to
    make meetings and bots."""
    bots: list[Bot] = []

    async def make(env: dict[str, str] | None = None):
        app = create_app(make_settings({"RATE_LIMIT_API": "1000/minute", **(env or {})}))
        client = await serve(app)
        email = f"limits-{uuid4().hex[:10]}@example.com"
        resp = await client.post(
            "/api/auth/register", json={"email": email, "password": "a good password"}
        )
        api_key = (await resp.json())["apiKey"]
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))

        class World:
            http = client
            key = api_key
            url = str(client.make_url("/"))

            async def meeting(self, **body):
                resp = await client.post("/api/meetings", json=body, headers={"x-api-key": api_key})
                assert resp.status == 201, await resp.text()
                return await resp.json()

            async def bot(self) -> Bot:
                bot = await Bot(self.url).connect()
                bots.append(bot)
                return bot

            async def pair(self, **body):
                """A meeting with two participants: (meeting, host, guest)."""
                meeting = await self.meeting(**body)
                host, guest = await self.bot(), await self.bot()
                await host.join(meeting["meetingId"], "Host", adminToken=meeting["adminToken"])
                await guest.join(meeting["meetingId"], "Guest")
                return meeting, host, guest

        World.app = app
        return World()

    yield make
    await asyncio.gather(*(bot.close() for bot in bots))


def chat_rows(database_url: str, meeting_id: str) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM chat_messages WHERE meeting_id = %s", (meeting_id,))
        return cur.fetchone()[0]


async def test_chat_is_limited_per_socket_by_default(make_world, database_url):
    world = await make_world()
    meeting, host, guest = await world.pair()
    for n in range(15):
        await guest.emit("chat:message", {"text": f"message {n}"})
    refusal = await guest.expect("error")
    assert refusal["code"] == "rate_limited" and refusal["limit"] == "chat"
    assert "10/10 seconds" in refusal["message"]
    await host.expect("chat:message", 10)
    await asyncio.sleep(QUIET)
    assert len(host.events["chat:message"]) == 10  # the rest neither broadcast...
    assert len(guest.events["error"]) == 5
    assert chat_rows(database_url, meeting["meetingId"]) == 10  # ...nor stored
    # The limit is the socket's: the host still chats.
    await host.emit("chat:message", {"text": "still here"})
    assert (await guest.expect("chat:message", 11))["text"] == "still here"


@pytest.mark.parametrize(
    ("event", "payload", "group"),
    [
        ("chat:react", {"msgId": "x", "emoji": "👍"}, "chat_reaction"),
        ("react", {"emoji": "👍"}, "reaction"),
        ("captions:update", {"text": "hello", "final": False}, "captions"),
        ("raise-hand", {"isHandRaised": True}, "hand"),
        ("media:toggle-audio", {"isMuted": True}, "media"),
        ("media:toggle-video", {"isVideoOff": True}, "media"),
        ("media:screen-share", {"isScreenSharing": False}, "media"),
        ("signal:ice-candidate", {"to": "nobody", "candidate": {}}, "signaling"),
        ("waiting-room:join", {"meetingId": "none"}, "waiting_room"),
        ("recording:broadcast-started", {}, "events"),
    ],
)
async def test_each_group_has_its_own_configurable_limit(make_world, event, payload, group):
    env = {f"SOCKET_LIMIT_{name.upper()}": "3/minute" for name in DEFAULT_SOCKET_LIMITS}
    env["SOCKET_LIMIT_FLOOD"] = "100/minute"
    world = await make_world(env)
    _, _host, guest = await world.pair()
    for _ in range(5):
        await guest.emit(event, payload)
    assert [e["limit"] for e in await limited(guest, 2)] == [group, group]
    # Another group's limit is untouched by these.
    other = "hand" if group != "hand" else "reaction"
    await guest.emit(*sample(other))
    await asyncio.sleep(QUIET)
    assert len(await limited(guest, 2)) == 2


async def limited(bot: Bot, count: int) -> list:
    """Wait for `count` rate_limited errors, then a moment more: no other may come."""

    def refusals():
        return [e for e in bot.events["error"] if e.get("code") == "rate_limited"]

    for _ in range(60):  # bounded: 3 s
        if len(refusals()) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(QUIET)
    assert len(refusals()) == count, bot.events["error"]
    return refusals()


def sample(group: str) -> tuple[str, dict]:
    return {
        "hand": ("raise-hand", {"isHandRaised": True}),
        "reaction": ("react", {"emoji": "👍"}),
    }[group]


async def settled(bot: Bot, event: str, count: int) -> list:
    """Wait for `count` events, then a moment more: no other may come."""
    await bot.expect(event, count)
    await asyncio.sleep(QUIET)
    assert len(bot.events[event]) == count, bot.events[event]
    return bot.events[event]


async def test_a_socket_that_keeps_flooding_is_disconnected(make_world):
    world = await make_world({"SOCKET_LIMIT_CHAT": "2/minute", "SOCKET_LIMIT_FLOOD": "5/minute"})
    meeting, host, guest = await world.pair()
    for n in range(12):
        if not guest.sio.connected:
            break
        await guest.emit("chat:message", {"text": f"flood {n}"})
    for _ in range(100):  # bounded: 5 s
        if not guest.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not guest.sio.connected
    left = await host.expect("participant:left", timeout=5)
    assert left["name"] == "Guest"
    assert len(host.events["chat:message"]) == 2
    assert all(e["code"] == "rate_limited" for e in guest.events["error"])
    # The others go on, and the flooder may come back (a new socket, a new count).
    again = await world.bot()
    await again.join(meeting["meetingId"], "Guest again")
    await again.emit("chat:message", {"text": "sorry"})
    assert (await host.expect("chat:message", 3))["text"] == "sorry"


async def test_a_burst_of_ice_candidates_goes_through(make_world):
    """The defaults leave room for a real call: 600 candidates and 60 offers in one burst
    (a newcomer connecting to 60 others) all arrive."""
    world = await make_world()
    _, host, guest = await world.pair()
    target = host.events["joined"][0]["participantId"]
    for n in range(60):
        await guest.emit("signal:offer", {"to": target, "offer": {"type": "offer", "sdp": n}})
        for m in range(10):
            candidate = {"candidate": f"candidate:{n}:{m}", "sdpMid": "0"}
            await guest.emit("signal:ice-candidate", {"to": target, "candidate": candidate})
    await host.expect("signal:ice-candidate", 600, timeout=15)
    assert len(host.events["signal:offer"]) == 60
    assert guest.events["error"] == []


async def test_waiting_room_joins_are_limited(make_world):
    world = await make_world()
    meeting = await world.meeting(waitingRoom=True)
    host = await world.bot()
    await host.join(meeting["meetingId"], "Host", adminToken=meeting["adminToken"])
    guest = await world.bot()
    for _ in range(30):
        await guest.emit("waiting-room:join", {"meetingId": meeting["meetingId"], "name": "G"})
    await guest.expect("error", 10)
    assert {e.get("limit") for e in guest.events["error"]} == {"waiting_room"}, guest.events[
        "error"
    ]
    await asyncio.sleep(QUIET)
    assert len(host.events["waiting-room:participant-waiting"]) == 20


async def test_a_host_admits_a_crowd_at_once(make_world):
    """Asking to come in is limited per socket; letting people in is not limited like it."""
    world = await make_world()
    meeting = await world.meeting(waitingRoom=True)
    host = await world.bot()
    await host.join(meeting["meetingId"], "Host", adminToken=meeting["adminToken"])
    guests = [await world.bot() for _ in range(25)]
    for guest in guests:
        await guest.emit("waiting-room:join", {"meetingId": meeting["meetingId"], "name": "G"})
    await host.expect("waiting-room:participant-waiting", 25, timeout=10)
    for waiting in list(host.events["waiting-room:participant-waiting"]):
        await host.emit("waiting-room:admit", {"meetingId": meeting["meetingId"], **waiting})
    for guest in guests:
        await guest.expect("waiting-room:admitted", timeout=10)
    assert host.events["error"] == []


async def test_events_added_by_any_module_get_the_default_bucket(make_world):
    """The limit lives in the one guard (handler_for): an event registered later, by any
    feature, is limited by its group or the default one."""
    world = await make_world({"SOCKET_LIMIT_EVENTS": "4/minute"})
    sio = world.app[SIO]
    heard = []

    @handler_for(sio)("test:feature-event")
    async def feature_event(sid, data):
        heard.append(data)
        await sio.emit("error", {"code": "test", "message": "heard"}, to=sid)

    assert group_of("test:feature-event") == group_of("poll:vote") == "events"
    assert group_of("breakout:join") == group_of("stream:start") == "events"
    assert group_of("signal:offer") == "signaling"
    bot = await world.bot()
    for n in range(6):
        await bot.emit("test:feature-event", {"n": n})
    errors = await settled(bot, "error", 6)
    assert [e["code"] for e in errors].count("rate_limited") == 2
    assert heard == [{"n": n} for n in range(4)]


async def test_limits_hold_with_redis_configured(make_world, database_url):
    """With REDIS_URL too (the counts stay in the socket's process, which serves it for
    its whole life)."""
    url = redis_url()
    world = await make_world({"REDIS_URL": url, "SOCKET_LIMIT_CHAT": "3/minute"})
    meeting, _host, guest = await world.pair()
    for n in range(5):
        await guest.emit("chat:message", {"text": f"m{n}"})
    errors = await settled(guest, "error", 2)
    assert {e["limit"] for e in errors} == {"chat"}
    assert chat_rows(database_url, meeting["meetingId"]) == 3
    assert world.app[SETTINGS].redis_url == url


@pytest.mark.parametrize("value", ["lots", "10 per second per socket", "0/minute"])
def test_a_malformed_limit_is_a_configuration_error(value):
    with pytest.raises(ConfigError, match="SOCKET_LIMIT_CHAT"):
        Settings.from_env({**TEST_ENV, "SOCKET_LIMIT_CHAT": value})
