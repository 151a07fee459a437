"""The LiveState contract: every behaviour, run against MemoryLiveState and RedisLiveState."""

from __future__ import annotations

import asyncio
import time

import pytest

from onepizza.live import redis as redis_live
from onepizza.live import state as live_state
from onepizza.live.state import (
    DEFAULT_SETTINGS,
    ENDING,
    ENDING_STATUS,
    FULL,
    LIVE,
    LOCKED,
    MISSING,
    WAITING_ROOM,
    JoinRequest,
)
from tests.live.helpers import ADMIN_HASH, join, joined, live_meeting, new_meeting, person, pids

# --- meetings -----------------------------------------------------------------------------


async def test_add_meeting_once_and_empty_since_now(store):
    meeting = new_meeting(maxParticipants=12, locked=True)
    meeting.participants = {"ghost": person("Ghost")}  # whatever the caller left in it
    meeting.empty_since = 5.0
    meeting.peak_participants = 4  # a meeting restored after a restart keeps its peak
    meeting.recording_host = "Ann"
    meeting.waiting = {"sid-w": "Wes"}
    meeting.status = ENDING_STATUS
    meeting.ender = "node-x"
    before = time.time()
    assert await store.add_meeting(meeting) is True
    after = time.time()

    again = new_meeting(meeting.meeting_id)
    again.title = "Another title"
    assert await store.add_meeting(again) is False

    got = await store.meeting(meeting.meeting_id)
    assert got.meeting_id == meeting.meeting_id
    assert got.title == "Pizza standup"
    assert got.admin_token_hash == ADMIN_HASH
    assert (got.owner_id, got.company_id, got.guest) == (7, 3, False)
    assert got.settings == {**DEFAULT_SETTINGS, "maxParticipants": 12, "locked": True}
    assert got.created_at == meeting.created_at
    assert got.started_at == pytest.approx(meeting.started_at)
    assert got.participants == {}
    assert got.waiting == {}
    assert got.peak_participants == 4
    assert got.recording_host == "Ann"
    assert (got.status, got.ender) == (LIVE, "")
    assert before - 0.01 <= got.empty_since <= after + 0.01


async def test_guest_meeting_without_owner(store):
    meeting = new_meeting()
    meeting.owner_id = None
    meeting.company_id = None
    meeting.guest = True
    await store.add_meeting(meeting)
    got = await store.meeting(meeting.meeting_id)
    assert (got.owner_id, got.company_id, got.guest) == (None, None, True)


async def test_unknown_meeting_is_none(store):
    assert await store.meeting("nope") is None
    assert await store.meetings() == []


async def test_meetings_lists_every_live_meeting(store):
    first = await live_meeting(store)
    second = await live_meeting(store, maxParticipants=3)
    ann = await joined(store, second)
    listed = {m.meeting_id: m for m in await store.meetings()}
    assert set(listed) == {first, second}
    assert pids(listed[second]) == {ann.participant_id}
    assert listed[second].settings["maxParticipants"] == 3


async def test_snapshots_are_not_the_store(store):
    meeting = new_meeting()
    await store.add_meeting(meeting)
    meeting.title = "Changed by the caller after adding"
    meeting.settings["locked"] = True
    mid = meeting.meeting_id
    ann = await joined(store, mid, person("Ann"))
    await store.add_waiting(mid, "waiter", "Wes")

    outcome = await join(store, mid, person("Bob"))
    for snapshot in (await store.meeting(mid), (await store.meetings())[0], outcome.meeting):
        snapshot.title = "x"
        snapshot.settings["maxParticipants"] = 0
        snapshot.settings["locked"] = True
        snapshot.participants[ann.participant_id].is_muted = True
        snapshot.participants[ann.participant_id].name = "Mallory"
        snapshot.participants.pop(outcome.participant.participant_id)
        snapshot.participants["intruder"] = person("Intruder")
        snapshot.waiting.clear()
        snapshot.peak_participants = 99
    outcome.participant.is_hand_raised = True
    outcome.participant.name = "Changed"
    (await store.participant(mid, ann.participant_id)).is_screen_sharing = True
    _, located = await store.locate(ann.sid)
    located.is_video_off = True
    (await store.update_participant(ann.sid, is_hand_raised=False)).name = "Eve"

    got = await store.meeting(mid)
    assert got.title == "Pizza standup"
    assert got.settings == DEFAULT_SETTINGS
    assert pids(got) == {ann.participant_id, outcome.participant.participant_id}
    stored_ann = got.participants[ann.participant_id]
    assert stored_ann.name == "Ann"
    assert not (stored_ann.is_muted or stored_ann.is_video_off or stored_ann.is_screen_sharing)
    bob = got.participants[outcome.participant.participant_id]
    assert (bob.name, bob.is_hand_raised) == ("Bob", False)
    assert got.waiting == {"waiter": "Wes"}
    assert got.peak_participants == 2
    assert (await join(store, mid)).refused is None  # still unlocked, room for more


async def test_update_settings_and_title(store):
    mid = await live_meeting(store)
    updated = await store.update_settings(
        mid, {"locked": True, "maxParticipants": 4, "title": "Renamed", "bogus": 1}
    )
    expected = {**DEFAULT_SETTINGS, "locked": True, "maxParticipants": 4}
    assert updated.settings == expected
    assert updated.title == "Renamed"
    got = await store.meeting(mid)
    assert (got.settings, got.title) == (expected, "Renamed")

    title_only = await store.update_settings(mid, {"title": "Again"})
    assert (title_only.settings, title_only.title) == (expected, "Again")
    settings_only = await store.update_settings(mid, {"muteOnJoin": True})
    assert settings_only.title == "Again"
    assert settings_only.settings == {**expected, "muteOnJoin": True}
    host = await joined(store, mid, is_admin=True)
    assert pids(await store.update_settings(mid, {})) == {host.participant_id}


async def test_update_settings_not_live_is_none(store):
    assert await store.update_settings("nope", {"locked": True}) is None
    mid = await live_meeting(store)
    await store.begin_end(mid, "node-a")
    assert await store.update_settings(mid, {"locked": True, "title": "x"}) is None
    got = await store.meeting(mid)
    assert (got.settings["locked"], got.title) == (False, "Pizza standup")


# --- joining ------------------------------------------------------------------------------


async def test_join_into_an_open_meeting(store):
    mid = await live_meeting(store)
    ann = person("Zoë 🍕")
    outcome = await join(store, mid, ann)
    assert outcome.refused is None
    assert (outcome.invited, outcome.replaced, outcome.announced) == (False, None, False)
    me = outcome.participant
    assert (me.participant_id, me.sid, me.name, me.node) == (
        ann.participant_id,
        ann.sid,
        "Zoë 🍕",
        "node-a",
    )
    assert me.is_admin is False
    assert me.joined_at == ann.joined_at
    assert outcome.meeting.participants == {me.participant_id: me}
    assert outcome.meeting.empty_since is None
    assert outcome.meeting.peak_participants == 1
    assert await store.participant(mid, me.participant_id) == me


async def test_host_gets_past_lock_and_waiting_room(store):
    mid = await live_meeting(store, locked=True, waitingRoom=True)
    outcome = await join(store, mid, is_admin=True)
    assert outcome.refused is None
    assert outcome.participant.is_admin is True
    assert (await join(store, mid)).refused == LOCKED


async def test_store_sets_is_admin_from_the_verdict(store):
    mid = await live_meeting(store)
    claims = person()
    claims.is_admin = True
    assert (await joined(store, mid, claims)).is_admin is False


async def test_the_meetings_admin_token_digest_makes_a_host(store):
    mid = await live_meeting(store, locked=True)
    host = await store.join(mid, JoinRequest(participant=person("Hal"), admin_hash=ADMIN_HASH))
    assert host.refused is None and host.participant.is_admin is True
    other = bytes(32)
    wrong = await store.join(mid, JoinRequest(participant=person("Eve"), admin_hash=other))
    assert wrong.refused == LOCKED  # a wrong digest is no pass
    assert [p.is_admin for p in (await store.meeting(mid)).participants.values()] == [True]


async def test_locked_refuses_unless_invited_or_admitted(store):
    mid = await live_meeting(store, locked=True)
    assert (await join(store, mid)).refused == LOCKED
    assert (await join(store, mid, invite=b"not-an-invite")).refused == LOCKED

    assert await store.add_invite(mid, b"invite-1", "Ivy") is True
    outcome = await join(store, mid, invite=b"invite-1")
    assert outcome.refused is None
    assert outcome.invited is True

    await store.admit(mid, "admitted-sid")
    assert (await join(store, mid, admit_sid="someone-else")).refused == LOCKED
    outcome = await join(store, mid, admit_sid="admitted-sid")
    assert outcome.refused is None
    assert outcome.invited is False
    assert len((await store.meeting(mid)).participants) == 2


async def test_waiting_room_refuses_unless_admitted_invited_or_host(store):
    mid = await live_meeting(store, waitingRoom=True)
    assert (await join(store, mid)).refused == WAITING_ROOM
    await store.add_invite(mid, b"inv", None)
    assert (await join(store, mid, invite=b"inv")).invited is True
    await store.admit(mid, "sid-w")
    assert (await join(store, mid, admit_sid="sid-w")).refused is None
    assert (await join(store, mid, is_admin=True)).refused is None
    assert len((await store.meeting(mid)).participants) == 3


async def test_locked_wins_over_waiting_room(store):
    mid = await live_meeting(store, locked=True, waitingRoom=True)
    assert (await join(store, mid)).refused == LOCKED


async def test_full_refuses_everyone(store):
    mid = await live_meeting(store, maxParticipants=2)
    await joined(store, mid)
    await joined(store, mid)
    assert (await join(store, mid)).refused == FULL
    assert (await join(store, mid, is_admin=True)).refused == FULL
    assert len((await store.meeting(mid)).participants) == 2


async def test_ending_and_missing_meetings_refuse(store):
    assert (await join(store, "nope")).refused == MISSING
    mid = await live_meeting(store)
    await store.begin_end(mid, "node-a")
    assert (await join(store, mid)).refused == ENDING
    assert (await join(store, mid, is_admin=True)).refused == ENDING
    await store.finish_end(mid)
    assert (await join(store, mid)).refused == MISSING


async def test_refused_outcome_carries_nothing(store):
    outcome = await join(store, "nope")
    assert outcome.meeting is None
    assert outcome.participant is None
    assert outcome.invited is False


async def test_join_applies_mute_and_video_off_on_join(store):
    mid = await live_meeting(store, muteOnJoin=True, videoOffOnJoin=True)
    me = await joined(store, mid)
    assert (me.is_muted, me.is_video_off) == (True, True)
    await store.update_settings(mid, {"muteOnJoin": False, "videoOffOnJoin": False})
    loud = person()
    loud.is_muted = loud.is_video_off = True  # the store decides, not the request
    me = await joined(store, mid, loud)
    assert (me.is_muted, me.is_video_off) == (False, False)
    got = await store.participant(mid, me.participant_id)
    assert (got.is_muted, got.is_video_off) == (False, False)


async def test_peak_rises_and_empty_period_ends(store):
    mid = await live_meeting(store)
    people = [await joined(store, mid) for _ in range(3)]
    got = await store.meeting(mid)
    assert (got.peak_participants, got.empty_since) == (3, None)
    for p in people[:2]:
        await store.leave(p.sid)
    await joined(store, mid)
    assert (await store.meeting(mid)).peak_participants == 3
    await joined(store, mid)
    await joined(store, mid)
    assert (await store.meeting(mid)).peak_participants == 4


async def test_refused_join_spends_neither_invite_nor_admission(store):
    mid = await live_meeting(store, locked=True, maxParticipants=1)
    host = await joined(store, mid, is_admin=True)
    await store.add_invite(mid, b"inv", "Ivy")
    await store.admit(mid, "sid-a")
    assert (await join(store, mid, invite=b"inv")).refused == FULL
    assert (await join(store, mid, admit_sid="sid-a")).refused == FULL
    await store.leave(host.sid)
    outcome = await join(store, mid, invite=b"inv")
    assert (outcome.refused, outcome.invited) == (None, True)
    await store.leave(outcome.participant.sid)
    assert (await join(store, mid, admit_sid="sid-a")).refused is None


async def test_host_does_not_spend_an_invite(store):
    mid = await live_meeting(store, locked=True)
    await store.add_invite(mid, b"inv", None)
    outcome = await join(store, mid, invite=b"inv", is_admin=True)
    assert outcome.invited is False
    assert (await join(store, mid, invite=b"inv")).invited is True


async def test_admitted_does_not_spend_an_invite(store):
    mid = await live_meeting(store, waitingRoom=True)
    await store.add_invite(mid, b"inv", None)
    await store.admit(mid, "sid-a")
    outcome = await join(store, mid, invite=b"inv", admit_sid="sid-a")
    assert (outcome.refused, outcome.invited) == (None, False)
    assert (await join(store, mid, invite=b"inv")).invited is True


async def test_invite_is_used_once(store):
    mid = await live_meeting(store, locked=True)
    await store.add_invite(mid, b"inv", "Ivy")
    assert (await join(store, mid, invite=b"inv")).refused is None
    assert (await join(store, mid, invite=b"inv")).refused == LOCKED


async def test_invite_is_used_once_by_racing_joins(store):
    mid = await live_meeting(store, locked=True)
    await store.add_invite(mid, b"inv", None)
    outcomes = await asyncio.gather(*(join(store, mid, invite=b"inv") for _ in range(10)))
    assert sorted(o.refused or "in" for o in outcomes) == ["in"] + [LOCKED] * 9


async def test_admission_is_used_once(store):
    mid = await live_meeting(store, waitingRoom=True)
    await store.admit(mid, "sid-a")
    me = await joined(store, mid, admit_sid="sid-a")
    await store.leave(me.sid)
    assert (await join(store, mid, admit_sid="sid-a")).refused == WAITING_ROOM


async def test_admission_is_for_its_meeting(store):
    mid = await live_meeting(store, waitingRoom=True)
    other = await live_meeting(store, waitingRoom=True)
    await store.admit(other, "sid-a")
    assert (await join(store, mid, admit_sid="sid-a")).refused == WAITING_ROOM
    assert await store.add_invite(other, b"inv", None)
    assert (await join(store, mid, invite=b"inv")).refused == WAITING_ROOM


async def test_resume_replaces_the_listed_participant(store):
    mid = await live_meeting(store, maxParticipants=2)
    ann = await joined(store, mid, person("Ann", node="node-a", resume="r-ann"))
    bob = await joined(store, mid, person("Bob", node="node-c"))
    back = person("Ann", node="node-b", resume="r-ann-2")
    outcome = await join(store, mid, back, resume="r-ann")  # a full meeting lets her back
    assert outcome.refused is None
    assert outcome.replaced == ann
    assert pids(outcome.meeting) == {bob.participant_id, back.participant_id}
    assert outcome.meeting.peak_participants == 2
    got = await store.meeting(mid)
    assert (len(got.participants), got.peak_participants) == (2, 2)
    assert await store.locate(ann.sid) is None
    assert await store.leave(ann.sid) is None
    assert await store.participant(mid, ann.participant_id) is None
    assert (await store.locate(back.sid))[1].participant_id == back.participant_id
    assert await store.reap_node("node-a") == []  # the old socket is no longer listed there
    assert [p.participant_id for _, p in await store.reap_node("node-b")] == [back.participant_id]


async def test_resume_with_an_unknown_token_is_a_plain_join(store):
    mid = await live_meeting(store, maxParticipants=1)
    await joined(store, mid, person(resume="r-1"))
    outcome = await join(store, mid, resume="r-other")
    assert (outcome.refused, outcome.replaced) == (FULL, None)
    other = await live_meeting(store)
    outcome = await join(store, other, resume="r-1")  # a token of another meeting
    assert (outcome.refused, outcome.replaced) == (None, None)


# --- leaving ------------------------------------------------------------------------------


async def test_leave_returns_the_meeting_after_it(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    bob = await joined(store, mid, person("Bob"))
    meeting, left = await store.leave(ann.sid)
    assert left == ann
    assert pids(meeting) == {bob.participant_id}
    assert meeting.empty_since is None
    assert await store.leave(ann.sid) is None
    assert await store.leave("never-joined") is None

    before = time.time()
    meeting, left = await store.leave(bob.sid)
    after = time.time()
    assert left.participant_id == bob.participant_id
    assert meeting.participants == {}
    assert before - 0.01 <= meeting.empty_since <= after + 0.01
    got = await store.meeting(mid)
    assert got.empty_since == pytest.approx(meeting.empty_since)
    assert got.peak_participants == 2


async def test_reap_node_takes_only_that_nodes_participants(store):
    first = await live_meeting(store)
    second = await live_meeting(store)
    a1 = await joined(store, first, person(node="node-a"))
    b1 = await joined(store, first, person(node="node-b"))
    a2 = await joined(store, second, person(node="node-a"))
    a3 = await joined(store, second, person(node="node-a"))
    reaped = await store.reap_node("node-a")
    assert sorted(p.participant_id for _, p in reaped) == sorted(
        p.participant_id for p in (a1, a2, a3)
    )
    by_meeting = {}
    for meeting, p in reaped:
        by_meeting.setdefault(meeting.meeting_id, []).append(p)
    assert sorted(by_meeting) == sorted([first, second])
    assert pids(await store.meeting(first)) == {b1.participant_id}
    second_now = await store.meeting(second)
    assert second_now.participants == {}
    assert second_now.empty_since is not None
    assert await store.locate(a1.sid) is None
    assert await store.reap_node("node-a") == []
    assert (await store.locate(b1.sid))[1].participant_id == b1.participant_id


# --- ending -------------------------------------------------------------------------------


async def test_begin_end_goes_to_exactly_one_caller(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid)
    results = await asyncio.gather(*(store.begin_end(mid, f"node-{i}") for i in range(20)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    ending = winners[0]
    assert ending.status == ENDING_STATUS
    assert ending.ender.startswith("node-")
    assert pids(ending) == {ann.participant_id}  # who was still in, for the charge
    got = await store.meeting(mid)
    assert (got.status, got.ender) == (ENDING_STATUS, ending.ender)
    assert await store.begin_end(mid, "node-x") is None
    assert await store.begin_end("nope", "node-x") is None


async def test_an_ending_meeting_takes_nobody_and_changes_nothing(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid)
    await store.begin_end(mid, "node-a")
    assert (await join(store, mid)).refused == ENDING
    assert await store.locate(ann.sid) is None
    assert await store.route(ann.sid, ann.participant_id) is None
    assert await store.update_participant(ann.sid, is_muted=True) is None
    assert await store.leave(ann.sid) is None
    assert await store.add_invite(mid, b"inv", None) is False
    assert await store.set_recording(mid, "Ann") is False
    assert await store.add_waiting(mid, "sid-w", "Wes") is None
    await store.admit(mid, "sid-w")
    assert await store.empty_before(time.time() + 60) == []
    got = await store.meeting(mid)
    assert (got.recording_host, got.waiting, pids(got)) == (None, {}, {ann.participant_id})


async def test_endings_of_lists_what_a_node_left_ending(store):
    first = await live_meeting(store)
    second = await live_meeting(store)
    third = await live_meeting(store)
    await store.begin_end(first, "node-a")
    await store.begin_end(second, "node-a")
    await store.begin_end(third, "node-b")
    assert sorted(await store.endings_of("node-a")) == sorted([first, second])
    assert await store.endings_of("node-b") == [third]
    assert await store.endings_of("node-c") == []
    await store.finish_end(first)
    assert await store.endings_of("node-a") == [second]


async def test_finish_end_forgets_the_meeting(store):
    mid = await live_meeting(store, waitingRoom=True)
    keep = await live_meeting(store)
    ann = await joined(store, mid, is_admin=True)
    kept = await joined(store, keep)
    await store.add_invite(mid, b"inv", "Ivy")
    await store.add_waiting(mid, "sid-w", "Wes")
    await store.add_waiting(keep, "sid-w", "Wes")
    await store.admit(mid, "sid-adm")
    await store.set_recording(mid, "Ann")
    await store.remember_message(mid, "msg-1")
    await store.begin_end(mid, "node-a")
    await store.finish_end(mid)

    if hasattr(store, "space"):  # Redis: no key names it, no set or index still holds it
        assert await keys_mentioning(store.space, mid) == []
    assert await store.meeting(mid) is None
    assert [m.meeting_id for m in await store.meetings()] == [keep]
    assert await store.endings_of("node-a") == []
    assert await store.empty_before(time.time() + 60) == []
    assert await store.has_message(mid, "msg-1") is False
    assert await store.participant(mid, ann.participant_id) is None
    assert await store.locate(ann.sid) is None
    assert await store.leave_waiting_rooms("sid-w") == [(keep, 0)]
    assert await store.leave_waiting_rooms("sid-adm") == []
    assert (await join(store, mid)).refused == MISSING
    assert (await store.locate(kept.sid))[1] == kept
    await store.finish_end(mid)  # twice, or for an unknown meeting: nothing happens
    await store.finish_end("nope")
    assert await store.add_meeting(new_meeting(mid)) is True  # the id is free again
    assert (await store.meeting(mid)).participants == {}


async def keys_mentioning(space, meeting_id: str) -> list[str]:
    """Keys under the space's prefix whose name or content names the meeting."""
    found = []
    for key in await space.keys():
        kind = await space.client.type(key)
        if kind == "set":
            content = await space.client.smembers(key)
        elif kind == "zset":
            content = await space.client.zrange(key, 0, -1)
        elif kind == "hash":
            content = await space.client.hkeys(key)
        else:
            content = [await space.client.get(key)]
        if meeting_id in key or any(meeting_id in (item or "") for item in content):
            found.append(key)
    return found


async def test_finish_end_without_begin_end_forgets_sockets(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid)
    await store.finish_end(mid)
    assert await store.locate(ann.sid) is None
    assert await store.leave(ann.sid) is None
    assert await store.reap_node("node-a") == []


async def test_empty_before(store):
    before_any = time.time() - 1
    empty = await live_meeting(store)
    busy = await live_meeting(store)
    ann = await joined(store, busy)
    now = time.time()
    assert await store.empty_before(now) == [empty]
    assert await store.empty_before(before_any) == []
    await store.leave(ann.sid)
    assert sorted(await store.empty_before(time.time() + 0.01)) == sorted([empty, busy])
    assert await store.empty_before(now) == [empty]


# --- finding participants -----------------------------------------------------------------


async def test_locate(store):
    mid = await live_meeting(store, maxParticipants=9)
    ann = await joined(store, mid, person("Ann"))
    await joined(store, mid, person("Bob"))
    await store.set_recording(mid, "Ann")
    await store.add_waiting(mid, "sid-w", "Wes")
    meeting, me = await store.locate(ann.sid)
    assert me == ann
    assert meeting.meeting_id == mid
    assert (meeting.participants, meeting.waiting) == ({}, {})
    assert (meeting.title, meeting.settings["maxParticipants"]) == ("Pizza standup", 9)
    assert (meeting.owner_id, meeting.recording_host, meeting.status) == (7, "Ann", LIVE)
    assert await store.locate("unknown") is None


async def test_route(store):
    mid = await live_meeting(store)
    other = await live_meeting(store)
    ann = await joined(store, mid)
    bob = await joined(store, mid)
    carl = await joined(store, other)
    assert await store.route(ann.sid, bob.participant_id) == (ann.participant_id, bob.sid)
    assert await store.route(bob.sid, ann.participant_id) == (bob.participant_id, ann.sid)
    assert await store.route(ann.sid, "nobody") == (ann.participant_id, None)
    assert await store.route(ann.sid, carl.participant_id) == (ann.participant_id, None)
    assert await store.route("unknown", bob.participant_id) is None
    await store.leave(bob.sid)
    assert await store.route(ann.sid, bob.participant_id) == (ann.participant_id, None)
    assert await store.route(bob.sid, ann.participant_id) is None


async def test_update_participant(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid, person("Ann"))
    updated = await store.update_participant(
        ann.sid, is_muted=True, is_video_off=True, is_hand_raised=True
    )
    assert (updated.is_muted, updated.is_video_off, updated.is_hand_raised) == (True, True, True)
    assert updated.is_screen_sharing is False
    assert (updated.participant_id, updated.sid, updated.name) == (
        ann.participant_id,
        ann.sid,
        "Ann",
    )
    updated = await store.update_participant(ann.sid, is_screen_sharing=True, name="Annie")
    assert (updated.is_screen_sharing, updated.name, updated.is_muted) == (True, "Annie", True)
    assert await store.participant(mid, ann.participant_id) == updated
    assert (await store.meeting(mid)).participants[ann.participant_id] == updated
    assert (await store.locate(ann.sid))[1] == updated
    assert await store.update_participant("unknown", is_muted=True) is None


async def test_participant(store):
    mid = await live_meeting(store)
    other = await live_meeting(store)
    ann = await joined(store, mid)
    assert await store.participant(mid, ann.participant_id) == ann
    assert await store.participant(other, ann.participant_id) is None
    assert await store.participant("nope", ann.participant_id) is None
    assert await store.participant(mid, "nobody") is None


# --- invites, recording, waiting room -----------------------------------------------------


async def test_add_invite_and_set_recording_need_a_live_meeting(store):
    assert await store.add_invite("nope", b"inv", "Ivy") is False
    assert await store.set_recording("nope", "Ann") is False
    assert await store.meeting("nope") is None
    mid = await live_meeting(store, locked=True)
    assert await store.add_invite(mid, b"inv", None) is True
    assert await store.set_recording(mid, "Ann") is True
    assert (await store.meeting(mid)).recording_host == "Ann"
    assert await store.set_recording(mid, None) is True
    assert (await store.meeting(mid)).recording_host is None


async def test_waiting_room_queue(store):
    mid = await live_meeting(store, waitingRoom=True)
    other = await live_meeting(store, waitingRoom=True)
    assert await store.add_waiting("nope", "sid-1", "Wes") is None
    assert await store.add_waiting(mid, "sid-1", "Wes") == 1
    assert await store.add_waiting(mid, "sid-2", "Xi") == 2
    assert await store.add_waiting(other, "sid-1", "Wes") == 1
    assert (await store.meeting(mid)).waiting == {"sid-1": "Wes", "sid-2": "Xi"}

    assert await store.remove_waiting(mid, "sid-2") == ("Xi", 1)
    assert await store.remove_waiting(mid, "sid-2") is None
    assert await store.remove_waiting("nope", "sid-1") is None
    assert (await store.meeting(mid)).waiting == {"sid-1": "Wes"}

    assert sorted(await store.leave_waiting_rooms("sid-1")) == sorted([(mid, 0), (other, 0)])
    assert await store.leave_waiting_rooms("sid-1") == []
    assert (await store.meeting(mid)).waiting == {}
    assert (await store.meeting(other)).waiting == {}


async def test_leave_waiting_rooms_reports_remaining_counts(store):
    mid = await live_meeting(store, waitingRoom=True)
    await store.add_waiting(mid, "sid-1", "Wes")
    await store.add_waiting(mid, "sid-2", "Xi")
    assert await store.leave_waiting_rooms("sid-1") == [(mid, 1)]
    assert (await store.meeting(mid)).waiting == {"sid-2": "Xi"}


async def test_admit_from_the_waiting_room(store):
    mid = await live_meeting(store, waitingRoom=True)
    await store.add_waiting(mid, "sid-1", "Wes")
    await store.admit(mid, "sid-1")
    assert await store.remove_waiting(mid, "sid-1") == ("Wes", 0)
    outcome = await join(store, mid, admit_sid="sid-1")
    assert outcome.refused is None
    await store.admit("nope", "sid-1")  # no such meeting: nothing happens


async def test_leaving_the_waiting_rooms_withdraws_an_admission(store):
    mid = await live_meeting(store, waitingRoom=True)
    await store.add_waiting(mid, "sid-1", "Wes")
    await store.admit(mid, "sid-1")
    assert await store.leave_waiting_rooms("sid-1") == [(mid, 0)]
    assert (await join(store, mid, admit_sid="sid-1")).refused == WAITING_ROOM
    await store.admit(mid, "sid-2")  # admitted without having waited
    assert await store.leave_waiting_rooms("sid-2") == []
    assert (await join(store, mid, admit_sid="sid-2")).refused == WAITING_ROOM


# --- memory of endings and chat -----------------------------------------------------------


async def test_remember_ended(store):
    assert await store.was_ended("m1") is False
    await store.remember_ended("m1")
    assert await store.was_ended("m1") is True
    assert await store.was_ended("m2") is False
    await store.remember_ended("m1")
    assert await store.was_ended("m1") is True


async def test_remember_message(store):
    mid = await live_meeting(store)
    other = await live_meeting(store)
    assert await store.has_message(mid, "msg-1") is False
    await store.remember_message(mid, "msg-1")
    assert await store.has_message(mid, "msg-1") is True
    assert await store.has_message(other, "msg-1") is False
    await store.remember_message("nope", "msg-1")
    assert await store.has_message("nope", "msg-1") is False


async def test_remembered_messages_are_bounded(store, monkeypatch):
    monkeypatch.setattr(live_state, "MAX_REMEMBERED_MESSAGES", 5)
    monkeypatch.setattr(redis_live, "MAX_REMEMBERED_MESSAGES", 5)
    mid = await live_meeting(store)
    for i in range(8):
        await store.remember_message(mid, f"msg-{i}")
    known = [i for i in range(8) if await store.has_message(mid, f"msg-{i}")]
    assert known == [3, 4, 5, 6, 7]


async def test_remembered_messages_keep_their_order_under_a_burst(store, monkeypatch):
    monkeypatch.setattr(live_state, "MAX_REMEMBERED_MESSAGES", 50)
    monkeypatch.setattr(redis_live, "MAX_REMEMBERED_MESSAGES", 50)
    mid = await live_meeting(store)
    # ids that sort the other way round from their order, remembered as fast as possible
    for i in range(60):
        await store.remember_message(mid, f"msg-{99 - i:02d}")
    known = [i for i in range(60) if await store.has_message(mid, f"msg-{99 - i:02d}")]
    assert known == list(range(10, 60))


# --- concurrency --------------------------------------------------------------------------


async def test_racing_joins_fill_exactly_the_seats(store):
    mid = await live_meeting(store, maxParticipants=10)
    outcomes = await asyncio.gather(*(join(store, mid) for _ in range(30)))
    accepted = [o for o in outcomes if o.refused is None]
    assert len(accepted) == 10
    assert {o.refused for o in outcomes if o.refused} == {FULL}
    got = await store.meeting(mid)
    assert pids(got) == {o.participant.participant_id for o in accepted}
    assert got.peak_participants == 10
    assert sorted(len(o.meeting.participants) for o in accepted) == list(range(1, 11))


async def test_missing_settings_take_their_defaults(store):
    meeting = new_meeting()
    meeting.settings = {"locked": True}
    await store.add_meeting(meeting)
    got = await store.meeting(meeting.meeting_id)
    assert got.settings == {**DEFAULT_SETTINGS, "locked": True}
    assert (await join(store, meeting.meeting_id, is_admin=True)).refused is None


async def test_update_participant_changes_only_what_may_change(store):
    mid = await live_meeting(store)
    ann = await joined(store, mid)
    for fixed in ("participant_id", "is_admin", "node", "resume_hash", "joined_at"):
        with pytest.raises(ValueError, match=fixed):
            await store.update_participant(ann.sid, **{fixed: "x"})
    assert await store.participant(mid, ann.participant_id) == ann
