"""Breakout rooms (§10, collaboration.md) over real Socket.IO clients: the exact payloads of
create/assign/join/leave/broadcast/close, who hears what (a room's chat, reactions, captions,
media state and signals stay in it; the main room is a room too), and every refusal."""

from __future__ import annotations

import asyncio

import pytest

from tests.realtime.bots import Bot
from tests.realtime.test_meeting_events import quiet, world  # noqa: F401 (the fixture)

ISOLATED = ("chat:message", "react", "captions:update", "participant:updated", "signal:offer")


async def error_after(bot: Bot, event: str, data=None) -> str:
    before = len(bot.events["error"])
    await bot.emit(event, data)
    return (await bot.expect("error", before + 1))["message"]


@pytest.fixture
async def room(world):  # noqa: F811
    """A meeting with a host (Hal) and three guests (Ann, Bob, Carl), all joined."""
    meeting = meeting_body = await world.meeting(title="Breakout")
    mid = meeting["meetingId"]
    host, ann, bob, carl = [await world.bot() for _ in range(4)]
    joined = {"host": await host.join(mid, "Hal", adminToken=meeting["adminToken"])}
    for bot, name in ((ann, "Ann"), (bob, "Bob"), (carl, "Carl")):
        joined[name] = await bot.join(mid, name)
    await host.expect("participant:joined", 3)

    class Room:
        meeting_id = mid
        meeting = meeting_body
        bots = {"host": host, "ann": ann, "bob": bob, "carl": carl}
        ids = {
            "host": joined["host"]["participantId"],
            "ann": joined["Ann"]["participantId"],
            "bob": joined["Bob"]["participantId"],
            "carl": joined["Carl"]["participantId"],
        }

        async def create(self, names):
            await host.emit("breakout:create", {"rooms": names})
            return (
                await host.expect("breakout:created", len(host.events["breakout:created"]) + 1)
            )["rooms"]

    return Room()


async def test_create_assign_join_leave_with_the_exact_payloads(room, world):  # noqa: F811
    host, ann, bob, carl = (room.bots[k] for k in ("host", "ann", "bob", "carl"))
    ids = room.ids
    assert room.bots["ann"].events["joined"][0]["breakout"] is None

    rooms = await room.create(["Room A", "  Room B 🍕 "])
    assert [{k: r[k] for k in ("name", "participantCount")} for r in rooms] == [
        {"name": "Room A", "participantCount": 0},
        {"name": "Room B 🍕", "participantCount": 0},
    ]
    assert all(set(r) == {"id", "name", "participantCount"} for r in rooms)
    a, b = rooms[0]["id"], rooms[1]["id"]
    assert a != b
    for guest in (ann, bob, carl):
        await quiet(guest, "breakout:created")
        assert guest.events["breakout:updated"] == []

    await host.emit(
        "breakout:assign",
        {
            "assignments": [
                {"participantId": ids["ann"], "roomId": a},
                {"participantId": ids["bob"], "roomId": a},
            ]
        },
    )
    assert await ann.expect("breakout:assigned") == {"roomId": a, "roomName": "Room A"}
    assert await bob.expect("breakout:assigned") == {"roomId": a, "roomName": "Room A"}
    updated = await host.expect("breakout:updated")
    assert updated["rooms"][1] == {
        "id": b,
        "name": "Room B 🍕",
        "participantCount": 0,
        "participants": [],
        "assigned": [],
    }
    assert updated["rooms"][0]["assigned"] == sorted([ids["ann"], ids["bob"]])
    assert updated["rooms"][0]["participantCount"] == 0
    await quiet(carl, "breakout:assigned")

    await ann.emit("breakout:join", {"roomId": a})
    assert await ann.expect("breakout:participant-joined") == {
        "participantId": ids["ann"],
        "roomId": a,
    }
    updated = await host.expect("breakout:updated", 2)
    assert updated["rooms"][0]["participants"] == [ids["ann"]]
    assert updated["rooms"][0]["participantCount"] == 1
    await bob.emit("breakout:join", {"roomId": a})
    joined_b = {"participantId": ids["bob"], "roomId": a}
    assert await ann.expect("breakout:participant-joined", 2) == joined_b
    assert await bob.expect("breakout:participant-joined") == joined_b
    await host.expect("breakout:updated", 3)
    # Carl (main room) hears of neither; the host is in the main room too
    await quiet(carl, "breakout:participant-joined")
    assert host.events["breakout:participant-joined"] == []

    # Carl was not assigned; the host may visit any room
    assert (
        await error_after(carl, "breakout:join", {"roomId": a})
        == "You were not assigned to that room"
    )
    assert await error_after(carl, "breakout:join", {"roomId": "r-nope"}) == "No such breakout room"
    assert await error_after(carl, "breakout:leave") == "You are already in the main room"
    await host.emit("breakout:join", {"roomId": b})
    assert await host.expect("breakout:participant-joined") == {
        "participantId": ids["host"],
        "roomId": b,
    }

    # Bob goes back: Ann hears he left; the main room (Carl) hears he is back
    await bob.emit("breakout:leave")
    assert await ann.expect("breakout:participant-left") == {"participantId": ids["bob"]}
    back = {"participantId": ids["bob"], "roomId": None}
    assert await carl.expect("breakout:participant-joined") == back
    assert await bob.expect("breakout:participant-joined", 2) == back
    updated = await host.expect("breakout:updated", 5)
    assert [r["participants"] for r in updated["rooms"]] == [[ids["ann"]], [ids["host"]]]

    # A late joiner learns the rooms (and who is in them) from `joined`
    late = await world.bot()
    payload = await late.join(room.meeting_id, "Dee")
    assert payload["breakout"] == {
        "rooms": [
            {"id": a, "name": "Room A", "participantCount": 1, "participants": [ids["ann"]]},
            {"id": b, "name": "Room B 🍕", "participantCount": 1, "participants": [ids["host"]]},
        ]
    }


async def open_rooms(room):
    """Ann and Bob in room A, the host in room B, Carl in the main room."""
    host, ann, bob = room.bots["host"], room.bots["ann"], room.bots["bob"]
    a, b = (r["id"] for r in await room.create(["A", "B"]))
    pairs = [{"participantId": room.ids[k], "roomId": a} for k in ("ann", "bob")]
    await host.emit("breakout:assign", {"assignments": pairs})
    await bob.expect("breakout:assigned")
    for bot, room_id in ((ann, a), (bob, a), (host, b)):
        count = len(bot.events["breakout:participant-joined"])
        await bot.emit("breakout:join", {"roomId": room_id})
        await bot.expect("breakout:participant-joined", count + 1)
    return a, b


async def send_everything(bot: Bot, to: str, text: str):
    await bot.emit("chat:message", {"text": text})
    await bot.emit("react", {"emoji": "🎉"})
    await bot.emit("captions:update", {"pid": "x", "text": text, "final": True})
    await bot.emit("media:toggle-audio", {"isMuted": True})
    await bot.emit("signal:offer", {"to": to, "offer": {"sdp": text}})


async def test_a_room_hears_only_itself(room):
    host, ann, bob, carl = (room.bots[k] for k in ("host", "ann", "bob", "carl"))
    await open_rooms(room)
    counts = {bot: {e: len(bot.events[e]) for e in ISOLATED} for bot in room.bots.values()}

    # Ann (room A) to Bob (room A): Bob hears everything, nobody else anything
    await send_everything(ann, room.ids["bob"], "in room A")
    message = await bob.expect("chat:message", counts[bob]["chat:message"] + 1)
    assert (message["text"], message["from"]) == ("in room A", room.ids["ann"])
    assert (await bob.expect("signal:offer", counts[bob]["signal:offer"] + 1))["offer"] == {
        "sdp": "in room A"
    }
    await bob.expect("react", counts[bob]["react"] + 1)
    await bob.expect("captions:update", counts[bob]["captions:update"] + 1)
    await bob.expect("participant:updated", counts[bob]["participant:updated"] + 1)
    # Carl (main room) to Ann (room A): refused; to the host (room B) too
    assert await error_after(carl, "signal:offer", {"to": room.ids["ann"], "offer": {}}) == (
        "That participant is in another room"
    )
    assert await error_after(ann, "signal:answer", {"to": room.ids["host"], "answer": {}}) == (
        "That participant is in another room"
    )
    assert ann.events["error"][-1]["code"] == "other_room"  # what the page goes by
    # Carl (main room) chats: only the main room (himself) hears it
    await carl.emit("chat:message", {"text": "in the main room"})
    await carl.expect("chat:message", counts[carl]["chat:message"] + 1)
    await asyncio.sleep(0.3)
    for bot in (host, carl):
        for event in ISOLATED:
            got = [e for e in bot.events[event][counts[bot][event] :] if "in room A" in str(e)]
            assert got == [], (event, got)
        assert bot.events["signal:offer"][counts[bot]["signal:offer"] :] == []
    assert host.events["chat:message"][counts[host]["chat:message"] :] == []
    assert [m["text"] for m in ann.events["chat:message"][counts[ann]["chat:message"] :]] == [
        "in room A"
    ]
    assert host.events["react"][counts[host]["react"] :] == []
    assert carl.events["react"][counts[carl]["react"] :] == []
    assert host.events["captions:update"][counts[host]["captions:update"] :] == []
    assert host.events["participant:updated"][counts[host]["participant:updated"] :] == []


async def test_broadcast_close_and_everyone_meets_again(room, world):  # noqa: F811
    host, ann, bob, carl = (room.bots[k] for k in ("host", "ann", "bob", "carl"))
    a, _ = await open_rooms(room)
    await host.emit("breakout:broadcast", {"message": "  Five minutes left  "})
    for bot in room.bots.values():
        message = await bot.expect("breakout:message")
        assert set(message) == {"from", "text", "timestamp"}
        assert (message["from"], message["text"]) == ("Hal", "Five minutes left")
        assert isinstance(message["timestamp"], int)

    await ann.emit("chat:message", {"text": "stored in room A"})
    await bob.expect("chat:message")

    await host.emit("breakout:close")
    for bot in (ann, bob, host):  # the members of each room
        assert await bot.expect("breakout:closed") == {}
    for bot in room.bots.values():
        assert await bot.expect("breakout:all-closed") == {}
    assert carl.events["breakout:closed"] == []
    assert await error_after(host, "breakout:close") == "No breakout rooms are open"
    assert await error_after(ann, "breakout:join", {"roomId": a}) == "No breakout rooms are open"

    # all in one room again: signals and chat reach everyone
    count = len(carl.events["signal:offer"])
    await ann.emit("signal:offer", {"to": room.ids["carl"], "offer": {"sdp": "again"}})
    assert (await carl.expect("signal:offer", count + 1))["from"] == room.ids["ann"]
    await carl.emit("chat:message", {"text": "all together"})
    for bot in room.bots.values():
        await bot.expect("chat:message", len(bot.events["chat:message"]) or 1)
        assert bot.events["chat:message"][-1]["text"] == "all together"

    # the transcript marks the message sent in room A with its name
    resp = await world.http.get(
        f"/api/meetings/{room.meeting_id}/transcript", headers={"x-api-key": world.key}
    )
    assert resp.status == 200, await resp.text()
    messages = [(m["text"], m["room"]) for m in (await resp.json())["messages"]]
    assert messages == [("stored in room A", "A"), ("all together", None)]
    resp = await world.http.get(
        f"/api/meetings/{room.meeting_id}/transcript/download", headers={"x-api-key": world.key}
    )
    lines = (await resp.text()).splitlines()
    assert lines[0].endswith("] [A] Ann: stored in room A")
    assert lines[1].endswith("] Carl: all together")


async def test_a_participant_kicked_from_a_room_hears_no_more_of_it(room, world):  # noqa: F811
    ann, bob = room.bots["ann"], room.bots["bob"]
    await open_rooms(room)
    meeting = room.meeting
    resp = await world.admin(
        "POST",
        f"/api/meetings/{room.meeting_id}/participants/{room.ids['ann']}/kick",
        meeting["adminToken"],
    )
    assert resp.status == 200, await resp.text()
    await ann.expect("admin:kick")
    await bob.emit("chat:message", {"text": "after the kick"})
    assert (await bob.expect("chat:message"))["text"] == "after the kick"
    await quiet(ann, "chat:message")


async def test_creating_again_replaces_the_rooms(room):
    host, ann, bob, carl = (room.bots[k] for k in ("host", "ann", "bob", "carl"))
    a, _ = await open_rooms(room)
    [c] = await room.create(["C"])
    for bot in (ann, bob, host):
        await bot.expect("breakout:closed")
    for bot in room.bots.values():
        await bot.expect("breakout:all-closed")
    # the old rooms are gone: their ids are refused, and Ann is back in the main room
    assert await error_after(ann, "breakout:join", {"roomId": a}) == "No such breakout room"
    await carl.emit("chat:message", {"text": "main again"})
    assert (await ann.expect("chat:message"))["text"] == "main again"
    assert c["participantCount"] == 0


async def test_a_host_joining_late_learns_the_assignments(room, world):  # noqa: F811
    a, b = await open_rooms(room)
    second_host = await world.bot()
    joined = await second_host.join(room.meeting_id, "Hana", adminToken=room.meeting["adminToken"])
    assert [r["id"] for r in joined["breakout"]["rooms"]] == [a, b]
    updated = await second_host.expect("breakout:updated")
    assert updated["rooms"][0]["assigned"] == sorted([room.ids["ann"], room.ids["bob"]])
    assert updated["rooms"][1]["participants"] == [room.ids["host"]]
    late_guest = await world.bot()
    await late_guest.join(room.meeting_id, "Gil")
    await quiet(late_guest, "breakout:updated")


async def test_refusals_change_nothing(room, world):  # noqa: F811
    host, ann = room.bots["host"], room.bots["ann"]
    # a guest may do none of the host's steps
    for event, data in (
        ("breakout:create", {"rooms": ["X"]}),
        ("breakout:assign", {"assignments": []}),
        ("breakout:broadcast", {"message": "hi"}),
        ("breakout:close", None),
    ):
        assert await error_after(ann, event, data) == "Only a host can do that"
        assert ann.events["error"][-1]["code"] == "not_allowed"
    # before any rooms
    assert await error_after(ann, "breakout:join", {"roomId": "r1"}) == "No breakout rooms are open"
    assert (
        await error_after(host, "breakout:broadcast", {"message": "hi"})
        == "No breakout rooms are open"
    )
    assert await error_after(host, "breakout:close") == "No breakout rooms are open"
    pairs = {"assignments": [{"participantId": room.ids["ann"], "roomId": "r1"}]}
    assert await error_after(host, "breakout:assign", pairs) == "No breakout rooms are open"
    # bad creates: 21 rooms, none, a name too long or empty, not a list
    assert await error_after(host, "breakout:create", {"rooms": [f"R{i}" for i in range(21)]}) == (
        "At most 20 breakout rooms"
    )
    for bad in ([], "Room", None, [""], ["x" * 61], [42]):
        await error_after(host, "breakout:create", {"rooms": bad})
    assert host.events["breakout:created"] == []
    assert host.events["breakout:updated"] == []
    # 20 is fine, names of 60 characters too
    rooms = await room.create([f"{i:02d}" + "x" * 58 for i in range(20)])
    assert len(rooms) == 20
    first = rooms[0]["id"]
    # bad assignments: unknown room, unknown participant, not a list: none applied
    for bad in (
        [
            {"participantId": room.ids["ann"], "roomId": first},
            {"participantId": room.ids["bob"], "roomId": "r-x"},
        ],
        [
            {"participantId": room.ids["ann"], "roomId": first},
            {"participantId": "ghost", "roomId": first},
        ],
        [{"participantId": 7, "roomId": first}],
        "everyone",
    ):
        await error_after(host, "breakout:assign", {"assignments": bad})
    await quiet(ann, "breakout:assigned")
    assert (
        await error_after(ann, "breakout:join", {"roomId": first})
        == "You were not assigned to that room"
    )
    assert await error_after(host, "breakout:broadcast", {"message": "x" * 501}) == (
        "Messages are at most 500 characters"
    )
    assert await error_after(ann, "breakout:join", {}) == "roomId is required"
    # a socket that has not joined
    stranger = await world.bot()
    assert await error_after(stranger, "breakout:join", {"roomId": first}) == "Join a meeting first"
    assert stranger.events["error"][-1]["code"] == "not_joined"
    assert (
        await error_after(stranger, "breakout:create", {"rooms": ["X"]}) == "Join a meeting first"
    )
    # unassigning with a null roomId
    await host.emit(
        "breakout:assign", {"assignments": [{"participantId": room.ids["ann"], "roomId": first}]}
    )
    await ann.expect("breakout:assigned")
    await host.emit(
        "breakout:assign", {"assignments": [{"participantId": room.ids["ann"], "roomId": None}]}
    )
    assert await ann.expect("breakout:assigned", 2) == {"roomId": None, "roomName": None}
    assert (
        await error_after(ann, "breakout:join", {"roomId": first})
        == "You were not assigned to that room"
    )


async def test_another_meetings_host_cannot_touch_these_rooms(room, world):  # noqa: F811
    other = await world.meeting(title="Elsewhere")
    intruder = await world.bot()
    await intruder.join(other["meetingId"], "Ivy", adminToken=other["adminToken"])
    [a] = await room.create(["Mine"])
    pairs = {"assignments": [{"participantId": room.ids["ann"], "roomId": a["id"]}]}
    assert await error_after(intruder, "breakout:assign", pairs) == "No breakout rooms are open"
    assert await error_after(intruder, "breakout:join", {"roomId": a["id"]}) == (
        "No breakout rooms are open"
    )
    await quiet(room.bots["ann"], "breakout:assigned")


async def test_the_python_sdk_bot_drives_rooms_and_the_stream(world):  # noqa: F811
    from onepizza.client import Bot as SdkBot
    from onepizza.client import OnepizzaError

    meeting = await world.meeting(title="SDK")
    mid = meeting["meetingId"]
    host, guest = SdkBot(world.url, "Hal", reconnect=False), SdkBot(world.url, "Gus")
    try:
        await host.join(mid, admin_token=meeting["adminToken"])
        await guest.join(mid)
        for _ in range(50):  # the host's bot learns of the guest from participant:joined
            if guest.participant_id in host.participants:
                break
            await asyncio.sleep(0.05)
        assert host.participants[guest.participant_id]["name"] == "Gus"
        rooms = await host.create_breakout_rooms(["One", "Two"])
        assert [r["name"] for r in rooms] == ["One", "Two"]
        one = rooms[0]["id"]
        updated = await host.assign_breakout({guest.participant_id: one})
        assert updated[0]["assigned"] == [guest.participant_id]
        with pytest.raises(OnepizzaError, match="not assigned"):
            await guest.join_breakout(rooms[1]["id"])
        assert await guest.join_breakout(one) == {
            "participantId": guest.participant_id,
            "roomId": one,
        }
        message = await host.broadcast_to_breakouts("Wrap up")
        assert (message["from"], message["text"]) == ("Hal", "Wrap up")
        assert (await guest.leave_breakout())["roomId"] is None
        await host.close_breakout_rooms()
        assert await host.start_stream("rtmp://live.example.com/app/key") == {"hostName": "Hal"}
        with pytest.raises(OnepizzaError, match="rtmp"):
            await host.start_stream("https://example.com")
        await host.stop_stream()
        with pytest.raises(OnepizzaError, match="Only a host"):
            await guest.start_stream("rtmp://live.example.com/app/key")
        heard = [name for name, _ in guest.drain()]
        for event in ("breakout:assigned", "breakout:message", "breakout:all-closed"):
            assert event in heard
        assert "stream:started" in heard and "stream:stopped" in heard
    finally:
        await host.leave()
        await guest.leave()
