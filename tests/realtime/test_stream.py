"""Live stream events (§10): host only, rtmp:// or rtmps:// only, everyone hears of it but
never the URL, late joiners learn it from `joined`, and webhooks stream.started/stopped."""

from __future__ import annotations

import orjson

from tests.api.meeting_helpers import create_meeting
from tests.api.test_webhooks import accounts, add_webhook, fast, receiver  # noqa: F401
from tests.realtime.bots import Bot
from tests.realtime.test_breakout import error_after
from tests.realtime.test_meeting_events import quiet, world  # noqa: F401 (the fixture)

SECRET_URL = "rtmps://live.example.com/app/sk_live_secret-key-123"


async def test_a_host_streams_everyone_hears_of_it_never_the_url(world):  # noqa: F811
    meeting = await world.meeting(title="Streamed")
    mid = meeting["meetingId"]
    host, guest = await world.bot(), await world.bot()
    first = await host.join(mid, "Hal", adminToken=meeting["adminToken"])
    assert (first["isStreaming"], first["streamHostName"]) == (False, None)
    await guest.join(mid, "Gus")

    assert (
        await error_after(guest, "stream:start", {"url": SECRET_URL}) == "Only a host can do that"
    )
    for bad in (
        {"url": "http://example.com/live"},
        {"url": "rtmp://"},
        {"url": "rtmp://example.com/" + "k" * 490},
        {"url": "rtmp://exa mple.com/live"},
        {"url": 42},
        {},
    ):
        await error_after(host, "stream:start", bad)
    await quiet(guest, "stream:started")
    assert await error_after(host, "stream:stop") == "No live stream is running"

    await host.emit("stream:start", {"url": SECRET_URL})
    for bot in (host, guest):
        assert await bot.expect("stream:started") == {"hostName": "Hal"}
    assert await error_after(host, "stream:start", {"url": "rtmp://x.example/a"}) == (
        "A live stream is already running"
    )
    late = await world.bot()
    joined = await late.join(mid, "Lia")
    assert (joined["isStreaming"], joined["streamHostName"]) == (True, "Hal")
    assert await error_after(guest, "stream:stop") == "Only a host can do that"

    await host.emit("stream:stop")
    for bot in (host, guest, late):
        assert await bot.expect("stream:stopped") == {}
    again = await (await world.bot()).join(mid, "Max")
    assert (again["isStreaming"], again["streamHostName"]) == (False, None)
    # the URL went to no one, in no event
    for bot in (host, guest, late):
        assert "sk_live_secret" not in orjson.dumps(dict(bot.events)).decode()


async def test_stream_webhooks(fast, receiver, accounts):  # noqa: F811
    user = await accounts(fast)
    await add_webhook(fast, user, receiver.url(), ["stream.started", "stream.stopped"])
    meeting = await create_meeting(fast, user, title="Webhooked")
    host = await Bot(str(fast.make_url("/"))).connect()
    try:
        await host.join(meeting["meetingId"], "Hana", adminToken=meeting["adminToken"])
        await host.emit("stream:start", {"url": SECRET_URL})
        await host.expect("stream:started")
        await host.emit("stream:stop")
        await host.expect("stream:stopped")
    finally:
        await host.close()
    received = await receiver.wait(2)
    payloads = sorted((r.payload for r in received), key=lambda p: p["timestamp"])
    assert [(p["event"], p["meetingId"], p["data"]) for p in payloads] == [
        ("stream.started", meeting["meetingId"], {"hostName": "Hana"}),
        ("stream.stopped", meeting["meetingId"], {}),
    ]
    assert all(b"sk_live_secret" not in r.body for r in received)


async def test_a_meeting_that_ends_while_streaming_sends_stream_stopped(fast, receiver, accounts):  # noqa: F811
    user = await accounts(fast)
    await add_webhook(
        fast, user, receiver.url(), ["stream.started", "stream.stopped", "meeting.ended"]
    )
    meeting = await create_meeting(fast, user, title="Ends live")
    host = await Bot(str(fast.make_url("/"))).connect()
    try:
        await host.join(meeting["meetingId"], "Hana", adminToken=meeting["adminToken"])
        await host.emit("stream:start", {"url": SECRET_URL})
        await host.expect("stream:started")
        resp = await fast.delete(
            f"/api/meetings/{meeting['meetingId']}", headers=user.admin(meeting["adminToken"])
        )
        assert resp.status == 200, await resp.text()
        await host.expect("meeting:ended")
    finally:
        await host.close()
    received = await receiver.wait(3)
    events = {p["event"]: p for p in (r.payload for r in received)}
    assert sorted(events) == ["meeting.ended", "stream.started", "stream.stopped"]
    assert events["stream.stopped"]["data"] == {}
    assert events["stream.stopped"]["timestamp"] >= events["stream.started"]["timestamp"]
