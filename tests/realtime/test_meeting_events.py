"""§10 to §12 over real Socket.IO clients: join rules, who hears what, signaling, chat,
waiting room, host controls, leaving and ending."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app
from tests.realtime.bots import Bot

QUIET = 0.3  # seconds to listen for an event that must not come


@pytest.fixture
async def world(serve, make_settings, database_url):
    """A server, an account with credit, and a way to make meetings and bots."""
    client = await serve(create_app(make_settings({"RATE_LIMIT_API": "1000/minute"})))
    email = f"host-{uuid4().hex[:10]}@example.com"
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": "a good password"}
    )
    api_key = (await resp.json())["apiKey"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    bots: list[Bot] = []

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

        async def admin(self, method, path, token, **kwargs):
            headers = {"x-api-key": api_key, "x-admin-token": token}
            return await client.request(method, path, headers=headers, **kwargs)

    yield World()
    await asyncio.gather(*(bot.close() for bot in bots))


async def quiet(bot: Bot, event: str, count: int = 0):
    await asyncio.sleep(QUIET)
    assert len(bot.events[event]) == count, bot.events[event]


async def test_join_payloads_and_who_hears_them(world):
    meeting = await world.meeting(title="Standup", muteOnJoin=True)
    host, guest = await world.bot(), await world.bot()
    joined = await host.join(
        meeting["meetingId"], "Hana", isAdmin=True, adminToken=meeting["adminToken"]
    )
    assert set(joined) == {
        "participantId",
        "participants",
        "settings",
        "title",
        "isAdmin",
        "muteOnJoin",
        "videoOffOnJoin",
        "isRecording",
        "recordingHostName",
        "resumeToken",  # ours: lets a reconnecting client take its own place back
        "breakout",  # collaboration.md: breakout rooms and the live stream
        "isStreaming",
        "streamHostName",
        "polls",  # collaboration.md: the open polls and the notes' version
        "notesVersion",
    }
    assert joined["isAdmin"] is True and joined["participants"] == []
    assert joined["title"] == "Standup" and joined["muteOnJoin"] is True
    assert joined["settings"]["muteOnJoin"] is True and joined["isRecording"] is False

    second = await guest.join(meeting["meetingId"], "Gus", adminToken="wrong")
    assert second["isAdmin"] is False
    assert [p["name"] for p in second["participants"]] == ["Hana"]
    announced = await host.expect("participant:joined")
    assert announced == {
        "participantId": second["participantId"],
        "name": "Gus",
        "isMuted": True,
        "isVideoOff": False,
        "isAdmin": False,
    }
    await quiet(guest, "participant:joined")  # nobody is told about themself

    resp = await world.http.get(
        f"/api/meetings/{meeting['meetingId']}", headers={"x-api-key": world.key}
    )
    detail = await resp.json()
    assert detail["participantCount"] == 2
    assert {p["name"] for p in detail["participants"]} == {"Hana", "Gus"}


async def test_join_refusals(world, database_url):
    bot = await world.bot()
    assert await bot.refused("zzz-zzzz-zzz") == "Meeting not found"
    assert "meetingId" in await bot.refused("")

    locked = await world.meeting()
    await world.admin("POST", f"/api/meetings/{locked['meetingId']}/lock", locked["adminToken"])
    assert await bot.refused(locked["meetingId"]) == "This meeting is locked"

    small = await world.meeting(maxParticipants=1)
    await (await world.bot()).join(small["meetingId"], "First")
    assert await bot.refused(small["meetingId"]) == "This meeting is full"

    at = datetime.now(UTC) + timedelta(hours=2)
    scheduled = await world.meeting(scheduledAt=at.isoformat())
    message = await bot.refused(scheduled["meetingId"])
    assert message == f"This meeting is scheduled for {at.strftime('%Y-%m-%dT%H:%M:%SZ')}"

    ended = await world.meeting()
    await world.admin("DELETE", f"/api/meetings/{ended['meetingId']}", ended["adminToken"])
    assert await bot.refused(ended["meetingId"]) == "This meeting has ended"

    waiting = await world.meeting(waitingRoom=True)
    assert "waiting-room:join" in await bot.refused(waiting["meetingId"])
    await quiet(bot, "joined")


async def test_invite_admits_to_a_locked_meeting_once(world):
    meeting = await world.meeting()
    mid, token = meeting["meetingId"], meeting["adminToken"]
    resp = await world.admin("POST", f"/api/meetings/{mid}/invite", token, json={"name": "Bob"})
    invite = (await resp.json())["inviteToken"]
    await world.admin("POST", f"/api/meetings/{mid}/lock", token)
    bob = await world.bot()
    await bob.join(mid, "Bob", inviteToken=invite)
    eve = await world.bot()
    assert await eve.refused(mid, inviteToken=invite) == "This meeting is locked"


async def test_signaling_reaches_only_the_named_participant(world):
    meeting = await world.meeting()
    other = await world.meeting()
    a, b, c, outsider = [await world.bot() for _ in range(4)]
    ja = await a.join(meeting["meetingId"], "A")
    jb = await b.join(meeting["meetingId"], "B")
    await c.join(meeting["meetingId"], "C")
    jo = await outsider.join(other["meetingId"], "O")

    offer = {"type": "offer", "sdp": "v=0 fake"}
    await a.emit("signal:offer", {"to": jb["participantId"], "offer": offer, "from": "forged"})
    assert await b.expect("signal:offer") == {"from": ja["participantId"], "offer": offer}
    await b.emit("signal:answer", {"to": ja["participantId"], "answer": {"type": "answer"}})
    assert (await a.expect("signal:answer"))["from"] == jb["participantId"]
    await a.emit("signal:ice-candidate", {"to": jb["participantId"], "candidate": {"c": 1}})
    assert (await b.expect("signal:ice-candidate"))["candidate"] == {"c": 1}
    await quiet(c, "signal:offer")

    # Across meetings, a participant id names nobody.
    await outsider.emit("signal:offer", {"to": ja["participantId"], "offer": offer})
    assert "No such participant" in (await outsider.expect("error"))["message"]
    await a.emit("signal:offer", {"to": jo["participantId"], "offer": offer})
    await quiet(outsider, "signal:offer")
    # Oversized payloads are refused.
    await a.emit("signal:offer", {"to": jb["participantId"], "offer": "x" * 70_000})
    assert "larger than" in (await a.expect("error", 2))["message"]
    assert len(b.events["signal:offer"]) == 1


async def test_no_signal_reaches_a_kicked_participant_or_crosses_an_ended_meeting(world):
    """Both sockets on this process: a relay between them is decided here without the
    store, and must stop when either leaves the meeting however it leaves."""
    meeting = await world.meeting()
    mid, token = meeting["meetingId"], meeting["adminToken"]
    host, a, b = await world.bot(), await world.bot(), await world.bot()
    jh = await host.join(mid, "Host", adminToken=token)
    ja = await a.join(mid, "A")
    jb = await b.join(mid, "B")
    offer = {"type": "offer", "sdp": "v=0"}
    await a.emit("signal:offer", {"to": jb["participantId"], "offer": offer})
    assert (await b.expect("signal:offer"))["from"] == ja["participantId"]

    resp = await world.admin(
        "POST", f"/api/meetings/{mid}/participants/{jb['participantId']}/kick", token
    )
    assert resp.status == 200
    await b.expect("admin:kick")
    await a.emit("signal:offer", {"to": jb["participantId"], "offer": offer})
    assert (await a.expect("error"))["message"] == "No such participant in this meeting"
    await b.emit("signal:offer", {"to": ja["participantId"], "offer": offer})
    assert (await b.expect("error"))["message"] == "Join a meeting first"
    await quiet(a, "signal:offer")

    resp = await world.admin("DELETE", f"/api/meetings/{mid}", token)
    assert resp.status == 200
    await a.expect("meeting:ended")
    await a.emit("signal:offer", {"to": jh["participantId"], "offer": offer})
    assert (await a.expect("error", 2))["message"] == "Join a meeting first"
    await quiet(host, "signal:offer")


async def test_state_events(world):
    meeting = await world.meeting()
    host, guest = await world.bot(), await world.bot()
    jh = await host.join(meeting["meetingId"], "Host", adminToken=meeting["adminToken"])
    jg = await guest.join(meeting["meetingId"], "Guest")

    await guest.emit("media:toggle-audio", {"isMuted": True})
    assert await host.expect("participant:updated") == {
        "participantId": jg["participantId"],
        "isMuted": True,
    }
    await guest.emit("raise-hand", {"isHandRaised": True})
    assert (await host.expect("participant:updated", 2))["isHandRaised"] is True
    await guest.emit("media:toggle-video", {"isVideoOff": "yes"})
    assert "isVideoOff" in (await guest.expect("error"))["message"]

    await guest.emit("react", {"emoji": "🎉"})
    assert await host.expect("react") == {"participantId": jg["participantId"], "emoji": "🎉"}
    await guest.emit("react", {"emoji": "💩"})
    assert (await guest.expect("error", 2))["message"] == "Unsupported reaction"

    await guest.emit("recording:broadcast-started", {"hostName": "Guest"})
    assert "host" in (await guest.expect("error", 3))["message"]
    await host.emit("recording:broadcast-started", {"hostName": "Host"})
    assert await guest.expect("recording:started") == {"hostName": "Host"}
    late = await world.bot()
    joined = await late.join(meeting["meetingId"], "Late")
    assert joined["isRecording"] is True and joined["recordingHostName"] == "Host"
    await host.emit("recording:broadcast-stopped", {})
    assert await guest.expect("recording:stopped") == {}

    await guest.emit("captions:update", {"pid": "forged", "text": "hello", "final": True})
    caption = await host.expect("captions:update")
    assert caption == {"pid": jg["participantId"], "text": "hello", "final": True}
    assert jh["participantId"] != jg["participantId"]


async def test_chat(world, database_url):
    meeting = await world.meeting()
    other = await world.meeting()
    a, b, outsider = await world.bot(), await world.bot(), await world.bot()
    ja = await a.join(meeting["meetingId"], "Alice")
    await b.join(meeting["meetingId"], "Bob")
    await outsider.join(other["meetingId"], "Olga")

    await a.emit("chat:message", {"text": "  Hello **everyone**  "})
    first = await b.expect("chat:message")
    assert await a.expect("chat:message") == first  # the sender learns the id too
    assert first["text"] == "Hello **everyone**" and first["from"] == ja["participantId"]
    assert first["name"] == "Alice" and first["replyTo"] is None and first["id"]

    await b.emit("chat:message", {"text": "Hi!", "replyTo": first["id"]})
    assert (await a.expect("chat:message", 2))["replyTo"] == first["id"]
    await b.emit("chat:message", {"text": "x", "replyTo": "not-a-message"})
    await b.emit("chat:message", {"text": "y" * 2001})
    await b.emit("chat:message", {"text": "   "})
    await quiet(b, "error", 3)  # each refused, and nobody else hears of them
    assert len(a.events["chat:message"]) == 2
    await a.emit("chat:react", {"msgId": first["id"], "emoji": "👍"})
    reaction = await b.expect("chat:react")
    assert reaction == {"msgId": first["id"], "participantId": ja["participantId"], "emoji": "👍"}
    await quiet(outsider, "chat:message")
    await quiet(outsider, "chat:react")

    resp = await world.http.get(
        f"/api/meetings/{meeting['meetingId']}/transcript", headers={"x-api-key": world.key}
    )
    messages = (await resp.json())["messages"]
    assert [(m["participant_name"], m["text"]) for m in messages] == [
        ("Alice", "Hello **everyone**"),
        ("Bob", "Hi!"),
    ]
    resp = await world.http.get(
        f"/api/meetings/{meeting['meetingId']}/transcript/download",
        headers={"x-api-key": world.key},
    )
    assert resp.headers["Content-Disposition"].startswith("attachment")
    lines = (await resp.text()).splitlines()
    assert len(lines) == 2 and lines[0].endswith("] Alice: Hello **everyone**")
    assert lines[0][0] == "[" and lines[0][9] == "]"


async def test_waiting_room(world):
    meeting = await world.meeting(waitingRoom=True)
    mid = meeting["meetingId"]
    host, ann, ben = await world.bot(), await world.bot(), await world.bot()
    await host.join(mid, "Host", adminToken=meeting["adminToken"])

    await ann.emit("waiting-room:join", {"meetingId": mid, "name": "Ann"})
    assert "message" in await ann.expect("waiting-room:waiting")
    seen = await host.expect("waiting-room:participant-waiting")
    assert seen["name"] == "Ann" and seen["count"] == 1
    await ben.emit("waiting-room:join", {"meetingId": mid, "name": "Ben"})
    ben_seen = await host.expect("waiting-room:participant-waiting", 2)
    assert ben_seen["count"] == 2

    # Only a host decides.
    await ann.emit("waiting-room:admit", {"meetingId": mid, "socketId": seen["socketId"]})
    assert (await ann.expect("error"))["message"]

    await host.emit("waiting-room:admit", {"meetingId": mid, "socketId": seen["socketId"]})
    assert await ann.expect("waiting-room:admitted") == {}
    update = await host.expect("waiting-room:participant-waiting", 3)
    assert update["removed"] is True and update["count"] == 1
    await ann.join(mid, "Ann")  # admitted: the waiting room lets her through once

    await host.emit("waiting-room:deny", {"meetingId": mid, "socketId": ben_seen["socketId"]})
    assert "message" in await ben.expect("waiting-room:denied")
    assert "waiting-room:join" in await ben.refused(mid, "Ben")


async def test_host_controls_over_rest(world):
    meeting = await world.meeting()
    mid, token = meeting["meetingId"], meeting["adminToken"]
    host, a, b = await world.bot(), await world.bot(), await world.bot()
    await host.join(mid, "Host", adminToken=token)
    ja = await a.join(mid, "A")
    await b.join(mid, "B")
    base = f"/api/meetings/{mid}/participants"

    resp = await world.admin("POST", f"{base}/{ja['participantId']}/mute", token)
    assert resp.status == 200
    assert await a.expect("admin:mute") == {}
    await quiet(b, "admin:mute")
    assert (await b.expect("participant:updated"))["isMuted"] is True

    resp = await world.admin("POST", f"{base}/{ja['participantId']}/unmute", token)
    assert resp.status == 200 and await a.expect("admin:unmute") == {}
    resp = await world.admin("POST", f"{base}/nobody/mute", token)
    assert resp.status == 404
    resp = await world.http.post(
        f"{base}/{ja['participantId']}/mute",
        headers={"x-api-key": world.key, "x-admin-token": "bad"},
    )
    assert resp.status == 403

    resp = await world.admin("POST", f"/api/meetings/{mid}/mute-all", token)
    assert resp.status == 200 and await b.expect("meeting:all-muted") == {}

    resp = await world.admin(
        "PATCH", f"/api/meetings/{mid}/settings", token, json={"maxParticipants": 10}
    )
    assert resp.status == 200
    assert (await b.expect("meeting:settings-updated"))["maxParticipants"] == 10

    resp = await world.admin(
        "POST", f"{base}/{ja['participantId']}/kick", token, json={"reason": "Off topic"}
    )
    assert resp.status == 200
    assert await a.expect("admin:kick") == {"reason": "Off topic"}
    left = await b.expect("participant:left")
    assert left == {"participantId": ja["participantId"], "name": "A"}
    # The kicked socket hears nothing more from the meeting.
    await b.emit("chat:message", {"text": "after the kick"})
    await b.expect("chat:message")
    await quiet(a, "chat:message")
    await a.emit("chat:message", {"text": "still here?"})
    assert (await a.expect("error"))["message"] == "Join a meeting first"


async def test_leaving_and_ending(world):
    meeting = await world.meeting()
    mid = meeting["meetingId"]
    a, b = await world.bot(), await world.bot()
    ja = await a.join(mid, "A")
    await b.join(mid, "B")
    await a.close()
    assert await b.expect("participant:left") == {"participantId": ja["participantId"], "name": "A"}

    # A socket is in one meeting at a time.
    other = await world.meeting()
    c = await world.bot()
    await c.join(mid, "C")
    await c.join(other["meetingId"], "C")
    assert (await b.expect("participant:left", 2))["name"] == "C"

    resp = await world.admin("DELETE", f"/api/meetings/{mid}", meeting["adminToken"])
    assert resp.status == 200
    assert await b.expect("meeting:ended") == {"reason": "The host ended the meeting"}
    await quiet(c, "meeting:ended")


@pytest.mark.parametrize("bad", [None, "text", 42, [], {"meetingId": 5}])
async def test_bad_payloads_get_an_error_and_change_nothing(world, bad):
    bot = await world.bot()
    await bot.emit("join-meeting", bad)
    assert (await bot.expect("error"))["message"]
    for event in ("chat:message", "signal:offer", "media:toggle-audio", "waiting-room:admit"):
        await bot.emit(event, bad)
    await asyncio.sleep(QUIET)
    assert len(bot.events["error"]) == 5
    assert bot.sio.connected


async def test_an_ended_guest_meeting_says_so(world):
    resp = await world.http.post("/api/meetings/guest", json={})
    guest = await resp.json()
    resp = await world.http.delete(
        f"/api/meetings/{guest['meetingId']}", headers={"x-admin-token": guest["adminToken"]}
    )
    assert resp.status == 200
    bot = await world.bot()
    assert await bot.refused(guest["meetingId"]) == "This meeting has ended"
