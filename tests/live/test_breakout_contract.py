"""The LiveState contract for breakout rooms and the live stream, on both stores."""

from __future__ import annotations

import asyncio

from onepizza.live.state import (
    ELSEWHERE,
    MAIN_ROOM,
    NO_BREAKOUT,
    NOT_ASSIGNED,
    NOT_IN_ROOM,
    NOT_JOINED,
    UNKNOWN_PARTICIPANT,
    UNKNOWN_ROOM,
)
from tests.live.helpers import joined, live_meeting, person

ROOMS = [{"id": "ra", "name": "Room A 🍕"}, {"id": "rb", "name": "Room B"}]


async def open_rooms(store, mid):
    return await store.create_breakout(mid, ROOMS)


async def test_create_replaces_and_brings_everyone_back(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    before, after = await open_rooms(store, mid)
    assert before.breakout is None
    assert after.breakout == {"rooms": ROOMS, "assigned": {}}
    assert (await store.meeting(mid)).breakout == {"rooms": ROOMS, "assigned": {}}
    assert (await store.assign_breakout(mid, [(ann.participant_id, "ra")])).refused is None
    assert (await store.move_breakout(ann.sid, "ra")).refused is None

    again = [{"id": "rc", "name": "Room C"}]
    before, after = await store.create_breakout(mid, again)
    assert before.breakout == {"rooms": ROOMS, "assigned": {ann.participant_id: "ra"}}
    assert before.participants[ann.participant_id].room == "ra"
    assert after.breakout == {"rooms": again, "assigned": {}}
    assert after.participants[ann.participant_id].room == MAIN_ROOM
    assert (await store.participant(mid, ann.participant_id)).room == MAIN_ROOM
    assert await store.create_breakout("nope", ROOMS) is None


async def test_assign_all_or_nothing(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    bob = await joined(store, mid, person("Bob"))
    assert (await store.assign_breakout(mid, [(ann.participant_id, "ra")])).refused == NO_BREAKOUT
    await open_rooms(store, mid)
    unknown_room = [(ann.participant_id, "ra"), (bob.participant_id, "zz")]
    assert (await store.assign_breakout(mid, unknown_room)).refused == UNKNOWN_ROOM
    stranger = [(ann.participant_id, "ra"), ("ghost", "rb")]
    assert (await store.assign_breakout(mid, stranger)).refused == UNKNOWN_PARTICIPANT
    assert (await store.meeting(mid)).breakout["assigned"] == {}

    step = await store.assign_breakout(
        mid, [(ann.participant_id, "ra"), (bob.participant_id, "rb")]
    )
    assert step.refused is None
    assigned = {ann.participant_id: "ra", bob.participant_id: "rb"}
    assert step.meeting.breakout["assigned"] == assigned
    assert set(step.meeting.participants) == {ann.participant_id, bob.participant_id}
    step = await store.assign_breakout(mid, [(bob.participant_id, MAIN_ROOM)])  # unassign
    assert step.meeting.breakout["assigned"] == {ann.participant_id: "ra"}
    assert (await store.meeting(mid)).breakout["assigned"] == {ann.participant_id: "ra"}


async def test_move_only_into_ones_own_room_a_host_anywhere(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    host = await joined(store, mid, person("Hal"), is_admin=True)
    assert (await store.move_breakout(ann.sid, "ra")).refused == NO_BREAKOUT
    assert (await store.move_breakout("no-socket", "ra")).refused == NOT_JOINED
    await open_rooms(store, mid)
    await store.assign_breakout(mid, [(ann.participant_id, "ra")])
    assert (await store.move_breakout(ann.sid, "rb")).refused == NOT_ASSIGNED
    assert (await store.move_breakout(ann.sid, "zz")).refused == UNKNOWN_ROOM
    assert (await store.move_breakout(ann.sid, MAIN_ROOM)).refused == NOT_IN_ROOM

    step = await store.move_breakout(ann.sid, "ra")
    assert step.refused is None
    assert (step.previous, step.participant.room) == (MAIN_ROOM, "ra")
    assert step.meeting.participants[ann.participant_id].room == "ra"
    _, located = await store.locate(ann.sid)
    assert located.room == "ra"

    visit = await store.move_breakout(host.sid, "rb")  # unassigned, but a host
    assert (visit.refused, visit.participant.room) == (None, "rb")
    visit = await store.move_breakout(host.sid, "ra")
    assert (visit.previous, visit.participant.room) == ("rb", "ra")

    back = await store.move_breakout(ann.sid, MAIN_ROOM)
    assert (back.previous, back.participant.room) == ("ra", MAIN_ROOM)
    # a state change keeps the room; only the store's breakout steps move anyone
    await store.move_breakout(ann.sid, "ra")
    assert (await store.update_participant(ann.sid, is_muted=True)).room == "ra"


async def test_routes_only_within_a_room(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    bob = await joined(store, mid, person("Bob"))
    carl = await joined(store, mid, person("Carl"))
    assert await store.route(ann.sid, bob.participant_id) == (ann.participant_id, bob.sid)
    await open_rooms(store, mid)
    pairs = [(ann.participant_id, "ra"), (bob.participant_id, "ra")]
    await store.assign_breakout(mid, pairs)
    await store.move_breakout(ann.sid, "ra")
    # Ann in room A, Bob still in the main room with Carl
    assert await store.route(ann.sid, bob.participant_id) == (ann.participant_id, ELSEWHERE)
    assert await store.route(bob.sid, ann.participant_id) == (bob.participant_id, ELSEWHERE)
    assert await store.route(bob.sid, carl.participant_id) == (bob.participant_id, carl.sid)
    await store.move_breakout(bob.sid, "ra")
    assert await store.route(ann.sid, bob.participant_id) == (ann.participant_id, bob.sid)
    assert await store.route(carl.sid, bob.participant_id) == (carl.participant_id, ELSEWHERE)
    assert await store.route(ann.sid, "ghost") == (ann.participant_id, None)
    relayed = await store.relay(
        carl.sid, ann.participant_id, event="signal:offer", field="offer", body=b"{}", node="x"
    )
    assert relayed[:2] == (carl.participant_id, ELSEWHERE)

    before = await store.close_breakout(mid)
    assert {p.participant_id: p.room for p in before.participants.values()} == {
        ann.participant_id: "ra",
        bob.participant_id: "ra",
        carl.participant_id: MAIN_ROOM,
    }
    assert await store.route(carl.sid, bob.participant_id) == (carl.participant_id, bob.sid)
    assert (await store.meeting(mid)).breakout is None
    assert all(p.room == MAIN_ROOM for p in (await store.meeting(mid)).participants.values())
    assert await store.close_breakout(mid) is None
    assert (await store.move_breakout(ann.sid, "ra")).refused == NO_BREAKOUT


async def test_a_participant_leaving_takes_its_room_with_it(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    await open_rooms(store, mid)
    await store.assign_breakout(mid, [(ann.participant_id, "ra")])
    await store.move_breakout(ann.sid, "ra")
    meeting, left = await store.leave(ann.sid)
    assert left.room == "ra"
    assert meeting.participants == {}
    assert (await store.move_breakout(ann.sid, MAIN_ROOM)).refused == NOT_JOINED


async def test_racing_moves_and_a_close_end_with_everyone_in_the_main_room(store):
    mid = await live_meeting(store)
    people = [await joined(store, mid, person(f"P{i}")) for i in range(6)]
    await open_rooms(store, mid)
    await store.assign_breakout(mid, [(p.participant_id, "ra") for p in people])
    results = await asyncio.gather(
        *(store.move_breakout(p.sid, "ra") for p in people[:3]),
        store.close_breakout(mid),
        *(store.move_breakout(p.sid, "ra") for p in people[3:]),
    )
    closed = results[3]
    moved_before = {pid for pid, p in closed.participants.items() if p.room == "ra"}
    assert moved_before == {p.participant_id for p in people[:3]}
    assert all(r.refused == NO_BREAKOUT for r in results[4:])
    assert all(p.room == MAIN_ROOM for p in (await store.meeting(mid)).participants.values())


async def test_stream_starts_and_stops_once(store):
    mid = await live_meeting(store)
    assert (await store.meeting(mid)).stream_host is None
    assert await store.set_stream(mid, "Hal") is True
    assert await store.set_stream(mid, "Eve") is False  # one stream at a time
    assert (await store.meeting(mid)).stream_host == "Hal"
    (_,) = [m.stream_host for m in await store.meetings()]
    assert await store.set_stream(mid, None) is True
    assert await store.set_stream(mid, None) is False
    assert (await store.meeting(mid)).stream_host is None
    assert await store.set_stream("nope", "Hal") is False
    await store.begin_end(mid, "node-a")
    assert await store.set_stream(mid, "Hal") is False


async def test_racing_stream_starts_one_wins(store):
    mid = await live_meeting(store)
    started = await asyncio.gather(*(store.set_stream(mid, f"H{i}") for i in range(8)))
    assert started.count(True) == 1
    winner = f"H{started.index(True)}"
    assert (await store.meeting(mid)).stream_host == winner


async def test_breakout_state_is_copied_out(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    _, after = await open_rooms(store, mid)
    after.breakout["rooms"].append({"id": "x", "name": "x"})
    after.breakout["assigned"]["x"] = "y"
    snapshot = await store.meeting(mid)
    snapshot.breakout["rooms"].clear()
    assert (await store.meeting(mid)).breakout == {"rooms": ROOMS, "assigned": {}}
    assert (await store.move_breakout(ann.sid, "x")).refused == UNKNOWN_ROOM


async def test_a_join_script_announces_breakout_and_stream_as_joined_payload_does(redis_space):
    """RedisLiveState's `joined` (built in its join script) says what joined_fields says."""
    from onepizza.services.breakout import joined_fields
    from tests.live.test_redis import Channel, announced_join

    store = redis_space.store(announce=True)
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    bob = await joined(store, mid, person("Bob"))
    async with Channel(redis_space) as channel:
        await announced_join(store, mid, person("Dee"))
        joined_msg, *_ = await channel.take(3)
    [body] = joined_msg["data"]
    assert (body["breakout"], body["isStreaming"], body["streamHostName"]) == (None, False, None)

    await store.create_breakout(mid, ROOMS)
    await store.assign_breakout(mid, [(ann.participant_id, "ra"), (bob.participant_id, "ra")])
    await store.move_breakout(ann.sid, "ra")
    await store.move_breakout(bob.sid, "ra")
    await store.set_stream(mid, "Hål 🍕")
    carl = person("Carl")
    async with Channel(redis_space) as channel:
        outcome = await announced_join(store, mid, carl)
        joined_msg, *_ = await channel.take(3)
    [body] = joined_msg["data"]
    expected = joined_fields(outcome.meeting)
    assert {key: body[key] for key in expected} == expected
    ids = sorted([ann.participant_id, bob.participant_id])
    assert body["breakout"] == {
        "rooms": [
            {"id": "ra", "name": "Room A 🍕", "participantCount": 2, "participants": ids},
            {"id": "rb", "name": "Room B", "participantCount": 0, "participants": []},
        ]
    }
    assert (body["isStreaming"], body["streamHostName"]) == (True, "Hål 🍕")
