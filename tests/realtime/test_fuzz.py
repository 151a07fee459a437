"""Issue 14 findings 5 and 11, and the Socket.IO fuzz suite: every event the server
registers (read from sio.handlers, so a new one cannot be left out) with every kind of bad
input, before joining and from another meeting; malformed frames; the `error` event's codes.
Each gets an `error` with a code (or silence where listed), changes nothing, leaves the
server answering, and puts no traceback in the log."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import orjson
import psycopg2
import pytest

from onepizza.client.bot import Bot as ClientBot
from onepizza.client.rest import OnepizzaError
from onepizza.config import DEFAULT_SOCKET_LIMITS
from onepizza.realtime.payloads import BAD_FRAME_EVENT, MAX_NESTING
from onepizza.realtime.server import SIO
from tests.realtime import test_event_limits
from tests.realtime.bots import Bot

make_world = test_event_limits.make_world  # the fixture
QUIET = 0.3
CODES = {
    "bad_payload",
    "not_allowed",
    "not_joined",
    "not_found",
    "rate_limited",
    "meeting_not_found",
    "meeting_ended",
    "meeting_locked",
    "meeting_full",
    "meeting_scheduled",
    "waiting_room",
}
UNLIMITED = {f"SOCKET_LIMIT_{group.upper()}": "100000/minute" for group in DEFAULT_SOCKET_LIMITS}


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# Each kind of bad input, as the arguments of the event (an empty tuple: no payload at all).
VARIANTS = {
    "missing": (),
    "null": (None,),
    "number": (42,),
    "list": ([1, "two", None],),
    "1 MB string": ("x" * 1_000_000,),
    "nesting past the limit": ({"text": nested(MAX_NESTING + 8)},),
    "extra arguments": ({"text": "one"}, {"text": "two"}),
}
# Where the contract answers nothing: leaving when in no meeting is a no-op whatever came
# with it (a payload it does not read).
SILENT_BEFORE_JOINING = {
    ("leave-meeting", variant) for variant in ("missing", "null", "number", "list", "1 MB string")
}
# Asking to come into meeting A is what anyone may do, from wherever.
ASKING_IN = {"join-meeting", "waiting-room:join"}
NOT_FUZZED = {"connect", "disconnect", "leave-meeting"}  # leave-meeting: see the joined case


def server_events(app) -> list[str]:
    return sorted(set(app[SIO].handlers["/"]) - {"connect", "disconnect"})


@pytest.fixture
def tracebacks(caplog):
    """Log records with a traceback, or at ERROR and above, from any logger."""
    caplog.set_level(logging.WARNING)
    return lambda: [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR
    ]


async def answer(bot: Bot, event: str, args: tuple, *, silent: bool | None = False):
    """Send one event with these arguments; return the `error` it brings. Silent: checked
    that none comes; None: whatever comes (a well-formed payload)."""
    before = len(bot.events["error"])
    if args:
        await bot.sio.emit(event, args)  # a tuple: one argument each
    else:
        await bot.sio.emit(event)
    if silent is not False:
        await asyncio.sleep(QUIET if silent else 0.05)
        if silent:
            assert len(bot.events["error"]) == before, (event, bot.events["error"][before:])
        return None
    error = await bot.expect("error", before + 1)
    assert error.get("code") in CODES, (event, error)
    assert isinstance(error.get("message"), str) and error["message"], (event, error)
    return error


async def test_every_event_with_every_bad_input(make_world, database_url, tracebacks):
    world = await make_world(UNLIMITED)
    events = server_events(world.app)
    assert {"join-meeting", "chat:message", "signal:offer", "waiting-room:join"} <= set(events)

    # Meeting A: a host, a member, a guest in its waiting room; nobody there may hear a thing.
    a = await world.meeting(waitingRoom=True)
    a_host, a_member, a_waiting = await world.bot(), await world.bot(), await world.bot()
    await a_host.join(a["meetingId"], "A host", adminToken=a["adminToken"])
    await a_member.emit("waiting-room:join", {"meetingId": a["meetingId"], "name": "A member"})
    asking = await a_host.expect("waiting-room:participant-waiting")
    await a_host.emit("waiting-room:admit", {"meetingId": a["meetingId"], **asking})
    await a_member.expect("waiting-room:admitted")
    await a_member.join(a["meetingId"], "A member")
    await a_waiting.emit("waiting-room:join", {"meetingId": a["meetingId"], "name": "Waits"})
    queued = await a_host.expect("waiting-room:participant-waiting", 3)
    a_pid = a_host.events["joined"][0]["participantId"]
    listeners = (a_host, a_member, a_waiting)
    await asyncio.sleep(QUIET)
    heard_before = {id(b): {e: len(v) for e, v in b.events.items()} for b in listeners}

    # Meeting B: the fuzzer, a participant who is not a host.
    b = await world.meeting()
    b_host = await world.bot()
    await b_host.join(b["meetingId"], "B host", adminToken=b["adminToken"])

    stranger = await world.bot()  # in no meeting
    for event in events:
        for variant, args in VARIANTS.items():
            silent = (event, variant) in SILENT_BEFORE_JOINING
            await answer(stranger, event, args, silent=silent)

    fuzzer = await world.bot()
    await fuzzer.join(b["meetingId"], "Fuzzer")
    other_meeting = {
        "meetingId": a["meetingId"],
        "socketId": queued["socketId"],
        "to": a_pid,
        "participantId": a_pid,
        "offer": {"type": "offer", "sdp": "v=0"},
        "candidate": {"candidate": "c"},
    }
    for event in events:
        if event in NOT_FUZZED:
            continue
        for args in VARIANTS.values():
            await answer(fuzzer, event, args)
        if event not in ASKING_IN:
            await answer(fuzzer, event, (other_meeting,), silent=None)

    # Nothing reached meeting A; its waiting guest still waits; B saw no chat.
    await asyncio.sleep(QUIET)
    for bot in listeners:
        now = {e: len(v) for e, v in bot.events.items()}
        assert {e: n for e, n in now.items() if n} == {
            e: n for e, n in heard_before[id(bot)].items() if n
        }, now
    assert a_waiting.events["waiting-room:admitted"] == []
    resp = await world.http.get(
        f"/api/meetings/{a['meetingId']}", headers={"x-admin-token": a["adminToken"]}
    )
    detail = await resp.json()
    assert sorted(p["name"] for p in detail["participants"]) == ["A host", "A member"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM chat_messages WHERE meeting_id IN (%s, %s)",
            (a["meetingId"], b["meetingId"]),
        )
        assert cur.fetchone()[0] == 0

    # The server still answers, and the log holds no traceback.
    assert fuzzer.sio.connected and stranger.sio.connected
    await fuzzer.emit("chat:message", {"text": "still answering"})
    assert (await b_host.expect("chat:message"))["text"] == "still answering"
    assert tracebacks() == []


async def raw_socket(http: aiohttp.ClientSession, url: str):
    """An engine.io websocket with its Socket.IO connection made, spoken to by hand."""
    ws = await http.ws_connect(f"{url}socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=3)).startswith("0{")
    await ws.send_str("40")
    assert (await ws.receive_str(timeout=3)).startswith("40{")
    return ws


async def next_event(ws) -> list:
    for _ in range(10):  # skip engine.io pings
        text = await ws.receive_str(timeout=3)
        if text.startswith("42"):
            return orjson.loads(text[2:])
    raise AssertionError("no event")


MALFORMED_FRAMES = {
    "invalid JSON": '42["chat:message", {"text": ',
    "nesting past 1,024": "42" + "[" * 1100 + "]" * 1100,
    "nesting past the limit": '42["chat:message",' + "[" * 40 + "]" * 40 + "]",
    "no event name": "42[]",
    "a name that is not a string": '42[{"a": 1}]',
    "a name too long for an id": "4" + "2" * 200,
    "binary attachments announced": '451-["chat:message",{"_placeholder":true,"num":0}]',
    "unexpected binary": b"\x00\x01\x02",
    "a connect error from a client": '44{"message": "x"}',
    "an unknown packet type": "49",
    "two arguments": '42["chat:message",{"text":"a"},{"text":"b"}]',
}


@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES.keys())
async def test_a_malformed_frame_gets_bad_payload_and_no_traceback(make_world, frame, tracebacks):
    world = await make_world()
    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, world.url)
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        name, error = await next_event(ws)
        assert name == "error" and error["code"] == "bad_payload", error
        if frame.startswith("451-") if isinstance(frame, str) else False:
            await ws.send_bytes(b"attachment")
            name, error = await next_event(ws)
            assert error["code"] == "bad_payload"
        # The same socket still answers.
        await ws.send_str('42["chat:message",{"text":"hi"}]')
        name, error = await next_event(ws)
        assert (name, error["code"]) == ("error", "not_joined")
        await ws.close()
    assert tracebacks() == []


async def test_an_engine_io_ping_with_a_payload_is_ignored(make_world, tracebacks):
    world = await make_world()
    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, world.url)
        await ws.send_str("2[]")
        await ws.send_str('42["chat:message",{"text":"hi"}]')
        name, error = await next_event(ws)
        assert (name, error["code"]) == ("error", "not_joined")
        await ws.close()
    assert tracebacks() == []


async def test_the_bad_frame_event_itself_is_only_an_error(make_world):
    world = await make_world()
    bot = await world.bot()
    await bot.emit(BAD_FRAME_EVENT, "x" * 1000)
    error = await bot.expect("error")
    assert error["code"] == "bad_payload" and len(error["message"]) <= 100


async def test_join_refusals_have_codes(make_world):
    world = await make_world()
    bot = await world.bot()

    async def code(meeting_id: str, **extra) -> str:
        before = len(bot.events["error"])
        await bot.emit("join-meeting", {"meetingId": meeting_id, "name": "X", **extra})
        return (await bot.expect("error", before + 1))["code"]

    assert await code("zzz-zzzz-zzz") == "meeting_not_found"
    assert await code("") == "bad_payload"

    locked = await world.meeting()
    headers = {"x-api-key": world.key, "x-admin-token": locked["adminToken"]}
    await world.http.post(f"/api/meetings/{locked['meetingId']}/lock", headers=headers)
    assert await code(locked["meetingId"]) == "meeting_locked"

    small = await world.meeting(maxParticipants=1)
    await (await world.bot()).join(small["meetingId"], "First")
    assert await code(small["meetingId"]) == "meeting_full"

    at = datetime.now(UTC) + timedelta(hours=2)
    scheduled = await world.meeting(scheduledAt=at.isoformat())
    assert await code(scheduled["meetingId"]) == "meeting_scheduled"

    ended = await world.meeting()
    headers = {"x-api-key": world.key, "x-admin-token": ended["adminToken"]}
    await world.http.delete(f"/api/meetings/{ended['meetingId']}", headers=headers)
    assert await code(ended["meetingId"]) == "meeting_ended"

    waiting = await world.meeting(waitingRoom=True)
    assert await code(waiting["meetingId"]) == "waiting_room"


async def test_other_refusals_have_codes(make_world):
    world = await make_world()
    meeting, host, guest = await world.pair()
    stranger = await world.bot()
    await stranger.emit("chat:message", {"text": "hi"})
    assert (await stranger.expect("error"))["code"] == "not_joined"
    await guest.emit("recording:broadcast-started", {})
    assert (await guest.expect("error"))["code"] == "not_allowed"
    await guest.emit(
        "waiting-room:admit", {"meetingId": meeting["meetingId"], "socketId": "nobody"}
    )
    assert (await guest.expect("error", 2))["code"] == "not_allowed"
    await host.emit("waiting-room:admit", {"meetingId": meeting["meetingId"], "socketId": "x"})
    assert (await host.expect("error"))["code"] == "not_found"
    await guest.emit("signal:offer", {"to": "nobody", "offer": {}})
    assert (await guest.expect("error", 3))["code"] == "not_found"
    await guest.emit("react", {"emoji": "not an emoji"})
    assert (await guest.expect("error", 4))["code"] == "bad_payload"


async def test_the_python_bot_exposes_the_code(make_world):
    world = await make_world()
    locked = await world.meeting()
    headers = {"x-api-key": world.key, "x-admin-token": locked["adminToken"]}
    await world.http.post(f"/api/meetings/{locked['meetingId']}/lock", headers=headers)
    for meeting_id, code in (
        ("zzz-zzzz-zzz", "meeting_not_found"),
        (locked["meetingId"], "meeting_locked"),
    ):
        bot = ClientBot(world.url, "Refused", reconnect=False)
        try:
            with pytest.raises(OnepizzaError) as refused:
                await bot.join(meeting_id)
            assert refused.value.code == code and refused.value.message
        finally:
            await bot.leave()


ENGINE_IO_GARBAGE = ["x", "9", "", "²4", "b!!not base64"]


async def test_frames_that_are_no_engine_io_packet_leave_no_traceback(make_world, tracebacks):
    world = await make_world()
    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, world.url)
        for frame in ENGINE_IO_GARBAGE:
            await ws.send_str(frame)
        await ws.send_str('42["chat:message",{"text":"hi"}]')
        name, error = await next_event(ws)
        assert (name, error["code"]) == ("error", "not_joined")  # the same socket answers
        await ws.close()
    assert tracebacks() == []


async def test_long_polling_bodies_that_are_no_engine_io_packets(make_world, tracebacks):
    world = await make_world()
    base = f"{world.url}socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as resp:
            sid = orjson.loads((await resp.text())[1:])["sid"]
        url = f"{base}&sid={sid}"
        async with http.post(url, data="40") as resp:
            assert resp.status == 200
        async with http.get(url) as resp:
            assert (await resp.text()).startswith("40")
        bodies = [*ENGINE_IO_GARBAGE, b"\xff\xfe", "\x1e".join(['42["x"]'] * 17)]
        for body in bodies:
            async with http.post(url, data=body) as resp:
                assert resp.status < 500
        async with http.post(url, data='42["chat:message",{"text":"hi"}]') as resp:
            assert resp.status == 200
        async with http.get(url) as resp:
            text = await resp.text()
        assert '"not_joined"' in text, text  # the session still answers
    assert tracebacks() == []
