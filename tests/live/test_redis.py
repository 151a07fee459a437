"""RedisLiveState across processes: two stores (two connection pools) sharing one Redis, and
the Socket.IO messages a join publishes for python-socketio's Redis manager."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter

from onepizza.live.redis import HOST_ID
from onepizza.live.state import (
    FULL,
    LOCKED,
    Announcement,
    JoinRequest,
    participant_state,
    public_settings,
)
from tests.live.helpers import join, joined, live_meeting, new_meeting, person

SENTINEL = "sentinel-" + secrets.token_hex(4)


async def test_two_stores_see_one_state(redis_space):
    a, b = redis_space.store(), redis_space.store()
    meeting = new_meeting()
    assert await a.add_meeting(meeting) is True
    assert await b.add_meeting(new_meeting(meeting.meeting_id)) is False
    ann = await joined(a, meeting.meeting_id)
    assert (await b.locate(ann.sid))[1] == ann
    meeting_after, left = await b.leave(ann.sid)
    assert (left, meeting_after.participants) == (ann, {})
    assert await a.locate(ann.sid) is None


async def test_joins_racing_across_two_stores_fill_exactly_the_seats(redis_space):
    a, b = redis_space.store(), redis_space.store()
    mid = await live_meeting(a, maxParticipants=10)
    outcomes = await asyncio.gather(*(join(a if i % 2 else b, mid) for i in range(30)))
    accepted = [o for o in outcomes if o.refused is None]
    assert len(accepted) == 10
    assert {o.refused for o in outcomes if o.refused} == {FULL}
    got = await b.meeting(mid)
    assert set(got.participants) == {o.participant.participant_id for o in accepted}
    assert got.peak_participants == 10


async def test_an_invite_is_used_once_across_two_stores(redis_space):
    a, b = redis_space.store(), redis_space.store()
    mid = await live_meeting(a, locked=True)
    await a.add_invite(mid, b"inv", "Ivy")
    outcomes = await asyncio.gather(
        *(join(a if i % 2 else b, mid, invite=b"inv") for i in range(10))
    )
    assert sorted(o.refused or "in" for o in outcomes) == ["in"] + [LOCKED] * 9


async def test_begin_end_goes_to_one_of_two_stores(redis_space):
    a, b = redis_space.store(), redis_space.store()
    mid = await live_meeting(a)
    results = await asyncio.gather(
        *(store.begin_end(mid, f"node-{i}") for i, store in enumerate([a, b] * 10))
    )
    assert len([r for r in results if r is not None]) == 1


# --- the announcement ---------------------------------------------------------------------


class Channel:
    """A subscriber to the store's python-socketio channel and every process's own channel
    (`<channel>:node:<id>`), in the one order Redis publishes them."""

    def __init__(self, space):
        self._space = space
        self._pubsub = space.client.pubsub()

    async def __aenter__(self):
        await self._pubsub.psubscribe(self._space.channel + "*")
        return self

    async def __aexit__(self, *exc):
        await self._pubsub.punsubscribe()
        await self._pubsub.aclose()

    async def take(self, count: int, timeout: float = 5.0) -> list:
        """The next `count` messages, decoded as python-socketio's manager decodes them."""
        messages = []
        async with asyncio.timeout(timeout):
            while len(messages) < count:
                got = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if got is not None:
                    messages.append(got["data"])
        return [m if m == SENTINEL else json.loads(m) for m in messages]

    async def nothing_more(self) -> None:
        """Nothing was published since the last take: the next message is our sentinel."""
        await self._space.client.publish(self._space.channel, SENTINEL)
        assert await self.take(1) == [SENTINEL]


def announcing(sid_room: str, *, is_admin: bool, pid: str) -> Announcement:
    rooms = (sid_room, sid_room + ":hosts") if is_admin else (sid_room,)
    return Announcement(
        room=sid_room,
        rooms=rooms,
        joined={"participantId": pid, "isAdmin": is_admin, "resumeToken": "tok-" + pid},
    )


async def announced_join(store, mid, who, *, is_admin=False, room="room-1", **request):
    announce = announcing(room, is_admin=is_admin, pid=who.participant_id)
    return await store.join(
        mid, JoinRequest(participant=who, **request), is_admin=is_admin, announce=announce
    )


def check_envelope(message: dict, method: str) -> None:
    assert message["method"] == method
    assert message["namespace"] == "/"
    assert message["host_id"] == HOST_ID
    if method == "emit":
        assert message["binary"] is False
        assert message.get("callback") is None


async def test_a_join_publishes_joined_participant_joined_and_enter_room(redis_space):
    store = redis_space.store(announce=True)
    mid = await live_meeting(store, muteOnJoin=True, maxParticipants=7)
    host = person("Hôst 🍕")
    async with Channel(redis_space) as channel:
        outcome = await announced_join(store, mid, host, is_admin=True)
        assert outcome.refused is None
        assert outcome.announced is True
        joined_msg, arrival, enter, enter_hosts = await channel.take(4)
        await channel.nothing_more()

    check_envelope(joined_msg, "emit")
    assert (joined_msg["event"], joined_msg["room"]) == ("joined", host.sid)
    assert joined_msg["skip_sid"] is None
    [body] = joined_msg["data"]
    assert set(body) == {  # what realtime.meetings.joined_payload sends without Redis
        "participantId",
        "participants",
        "settings",
        "title",
        "isAdmin",
        "muteOnJoin",
        "videoOffOnJoin",
        "isRecording",
        "recordingHostName",
        "resumeToken",
        "breakout",
        "isStreaming",
        "streamHostName",
    }
    assert body["participants"] == []  # a list, even when alone
    assert body["participantId"] == host.participant_id
    assert body["isAdmin"] is True
    assert body["resumeToken"] == "tok-" + host.participant_id
    assert body["settings"] == public_settings(outcome.meeting.settings)
    assert set(body["settings"]) == {
        "muteOnJoin",
        "videoOffOnJoin",
        "maxParticipants",
        "locked",
        "waitingRoom",
    }
    assert body["settings"]["maxParticipants"] == 7
    assert (body["muteOnJoin"], body["videoOffOnJoin"]) == (True, False)
    assert body["title"] == "Pizza standup"
    assert (body["isRecording"], body["recordingHostName"]) == (False, None)

    check_envelope(arrival, "emit")
    assert arrival["event"] == "participant:joined"
    assert (arrival["room"], arrival["skip_sid"]) == ("room-1", host.sid)
    assert arrival["data"] == [
        {
            "participantId": host.participant_id,
            "name": "Hôst 🍕",
            "isMuted": True,
            "isVideoOff": False,
            "isAdmin": True,
        }
    ]

    for message, room in ((enter, "room-1"), (enter_hosts, "room-1:hosts")):
        check_envelope(message, "enter_room")
        assert (message["sid"], message["room"]) == (host.sid, room)


async def test_joined_lists_the_others_as_participant_state(redis_space):
    store = redis_space.store(announce=True)
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    bob = await joined(store, mid, person("Bob"))
    await store.update_participant(ann.sid, is_hand_raised=True, is_screen_sharing=True)
    await store.set_recording(mid, "Ann")
    carl = person("Carl")
    async with Channel(redis_space) as channel:
        outcome = await announced_join(store, mid, carl)
        joined_msg, arrival, enter = await channel.take(3)
        await channel.nothing_more()
    [body] = joined_msg["data"]
    others = [p for pid, p in outcome.meeting.participants.items() if pid != carl.participant_id]
    expected = sorted((participant_state(p) for p in others), key=lambda s: s["name"])
    assert sorted(body["participants"], key=lambda s: s["name"]) == expected
    assert {s["participantId"] for s in expected} == {ann.participant_id, bob.participant_id}
    assert expected[0]["isHandRaised"] is True
    assert (body["isRecording"], body["recordingHostName"]) == (True, "Ann")
    assert body["isAdmin"] is False
    assert (arrival["event"], arrival["skip_sid"]) == ("participant:joined", carl.sid)
    assert (enter["method"], enter["sid"], enter["room"]) == ("enter_room", carl.sid, "room-1")


async def test_a_resumed_join_lists_the_others_but_not_its_old_self(redis_space):
    store = redis_space.store(announce=True)
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann", resume="r-ann"))
    bob = await joined(store, mid, person("Bob"))
    back = person("Ann", resume="r-ann-2")
    async with Channel(redis_space) as channel:
        outcome = await announced_join(store, mid, back, resume_hash="r-ann")
        joined_msg, _, _ = await channel.take(3)
    assert outcome.replaced.participant_id == ann.participant_id
    assert [p["participantId"] for p in joined_msg["data"][0]["participants"]] == [
        bob.participant_id
    ]


async def test_a_refused_join_publishes_nothing(redis_space):
    store = redis_space.store(announce=True)
    mid = await live_meeting(store, locked=True)
    async with Channel(redis_space) as channel:
        outcome = await announced_join(store, mid, person())
        assert (outcome.refused, outcome.announced) == (LOCKED, False)
        outcome = await announced_join(store, "nope", person())
        assert outcome.announced is False
        await channel.nothing_more()


async def test_a_store_without_a_channel_announces_nothing(redis_space):
    silent = redis_space.store()
    mid = await live_meeting(silent)
    async with Channel(redis_space) as channel:
        outcome = await announced_join(silent, mid, person())
        assert (outcome.refused, outcome.announced) == (None, False)
        await channel.nothing_more()


async def test_racing_joins_learn_of_each_other_exactly_once(redis_space):
    """Replays the channel as every python-socketio manager handles it, in one order: each
    participant learns of each other one once, in its `joined` list or by
    `participant:joined`, never both and never neither."""
    a, b = redis_space.store(announce=True), redis_space.store(announce=True)
    mid = await live_meeting(a)
    people = [person(f"P{i}") for i in range(12)]
    async with Channel(redis_space) as channel:
        outcomes = await asyncio.gather(
            *(announced_join(a if i % 2 else b, mid, p) for i, p in enumerate(people))
        )
        assert all(o.refused is None and o.announced for o in outcomes)
        messages = await channel.take(3 * len(people))
        await channel.nothing_more()

    pid_of = {p.sid: p.participant_id for p in people}
    in_room: set[str] = set()
    learned = Counter()
    for message in messages:
        if message["method"] == "enter_room":
            in_room.add(message["sid"])
        elif message["event"] == "joined":
            for other in message["data"][0]["participants"]:
                learned[pid_of[message["room"]], other["participantId"]] += 1
        else:
            for sid in in_room - {message["skip_sid"]}:
                learned[pid_of[sid], message["data"][0]["participantId"]] += 1
    everyone = [p.participant_id for p in people]
    expected = Counter({(i, j): 1 for i in everyone for j in everyone if i != j})
    assert learned == expected


# --- expiry -------------------------------------------------------------------------------

INDEXES = ("meetings", "empty", "ending")


async def test_every_key_of_a_meeting_expires(redis_space):
    store = redis_space.store()
    client = redis_space.client

    async def everything_expires():
        lasting = [k for k in await redis_space.keys() if await client.ttl(k) < 0]
        assert set(lasting) <= {redis_space.prefix + name for name in INDEXES}

    mid = await live_meeting(store, waitingRoom=True)
    other = await live_meeting(store)
    steps = [
        store.add_invite(other, b"inv", None),  # keys made after the meeting's last join
        store.add_waiting(other, "sid-x", "Xi"),
        store.admit(other, "sid-y"),
        store.add_invite(mid, b"inv", "Ivy"),
        store.add_waiting(mid, "sid-w", "Wes"),
        store.admit(mid, "sid-a"),
        store.join(mid, JoinRequest(participant=person()), is_admin=True),
        store.update_settings(mid, {"locked": True, "title": "T"}),
        store.set_recording(mid, "Ann"),
        store.remember_message(mid, "msg-1"),
        store.remember_ended("m-gone"),
        store.begin_end(other, "node-z"),
    ]
    for step in steps:
        await step
        await everything_expires()
    assert len(await redis_space.keys()) > 10


async def test_indexes_forget_meetings_whose_keys_expired(redis_space):
    store = redis_space.store()
    gone_empty = await live_meeting(store)
    gone_ending = await live_meeting(store)
    await store.begin_end(gone_ending, "node-a")
    kept = await live_meeting(store)
    for key in await redis_space.keys():  # what expiry does when every process is dead
        if gone_empty in key or gone_ending in key:
            await redis_space.client.delete(key)
    assert await store.empty_before(time.time() + 1) == [kept]
    assert await store.endings_of("node-a") == []
    assert [m.meeting_id for m in await store.meetings()] == [kept]
    for index in INDEXES:
        key = redis_space.prefix + index
        members = (
            await redis_space.client.zrange(key, 0, -1)
            if index == "empty"
            else (await redis_space.client.smembers(key))
        )
        assert gone_empty not in members and gone_ending not in members


async def test_pipelined_scripts_run_again_once_redis_has_forgotten_them(redis_space):
    """Scripts called together go in one pipeline by digest; after SCRIPT FLUSH (a Redis
    restart) each is loaded and run again, and every caller gets its own answer."""
    store = redis_space.store()
    mid = await live_meeting(store, maxParticipants=3)
    await redis_space.client.script_flush()
    outcomes = await asyncio.gather(*(join(store, mid) for _ in range(5)))
    assert sorted(o.refused or "in" for o in outcomes) == [FULL] * 2 + ["in"] * 3
    assert len((await store.meeting(mid)).participants) == 3
