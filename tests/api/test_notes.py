"""Shared notes (collaboration.md): versions, a stale write refused (notes:conflict over
Socket.IO, 409 with the current pad over REST), readable after the meeting ends."""

from __future__ import annotations

import asyncio

from tests.api import collab_helpers
from tests.api.collab_helpers import heard_error
from tests.api.meeting_helpers import assert_error

EMPTY = {"text": "", "version": 0, "updatedBy": None, "updatedAt": None}

room = collab_helpers.room  # the fixture


async def notes(room, headers=None) -> dict:
    resp = await room.http.get(room.path("notes"), headers=headers or room.owner.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_two_edits_on_one_version_one_wins_the_other_hears_the_conflict(room):
    ann, ann_heard, joined = await room.bot("Ann")
    ben, ben_heard, _ = await room.bot("Ben")
    assert joined["notesVersion"] == 0
    assert await notes(room) == EMPTY
    ann_mark, ben_mark = ann_heard.mark(), ben_heard.mark()
    await asyncio.gather(
        ann.emit("notes:update", {"text": "Ann's agenda", "baseVersion": 0}),
        ben.emit("notes:update", {"text": "Ben's agenda", "baseVersion": 0}),
    )
    updated = await ann_heard.next("notes:updated", ann_mark)
    assert updated["version"] == 1 and updated["text"] in ("Ann's agenda", "Ben's agenda")
    assert updated["updatedAt"]
    winner, loser_heard, loser_mark = (
        ("Ann", ben_heard, ben_mark)
        if updated["updatedBy"] == "Ann"
        else ("Ben", ann_heard, ann_mark)
    )
    assert updated["text"] == f"{winner}'s agenda"
    conflict = await loser_heard.next("notes:conflict", loser_mark)
    assert conflict == {"text": updated["text"], "version": 1}
    assert await loser_heard.next("notes:updated", loser_mark) == updated  # everyone hears it
    await asyncio.sleep(0.3)
    assert ann_heard.names(ann_mark).count("notes:updated") == 1  # one write won
    assert await notes(room) == updated

    # The loser merges onto version 1 and wins this time; the pad is at version 2.
    mark = ann_heard.mark()
    await ben.emit("notes:update", {"text": "Merged agenda\n- item", "baseVersion": 1})
    merged = await ann_heard.next("notes:updated", mark)
    assert merged["version"] == 2 and merged["text"] == "Merged agenda\n- item"
    late_bot, late_heard, late = await room.bot("Late")
    assert late["notesVersion"] == 2
    mark = late_heard.mark()
    await late_bot.emit("notes:get", {})  # ours: the pad's text for a page that joined late
    assert await late_heard.next("notes:current", mark) == merged


async def test_rest_writes_409_on_a_stale_version_and_notes_outlive_the_meeting(room):
    listener, heard, _ = await room.bot("Ann")
    headers = {"x-admin-token": room.token}
    mark = heard.mark()
    resp = await room.http.put(
        room.path("notes"), json={"text": "Minutes", "baseVersion": 0}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    first = await resp.json()
    assert first["version"] == 1 and first["updatedBy"] == "API"
    assert await heard.next("notes:updated", mark) == first
    resp = await room.http.put(
        room.path("notes"), json={"text": "Stale", "baseVersion": 0}, headers=headers
    )
    body = await assert_error(resp, 409)
    assert {k: body[k] for k in first} == first  # the current pad, to merge with
    resp = await room.http.put(room.path("notes"), json={"text": "Forced"}, headers=headers)
    assert (await resp.json())["version"] == 2  # no baseVersion: the write applies

    await listener.leave()
    resp = await room.http.delete(f"/api/meetings/{room.id}", headers=room.owner.admin(room.token))
    assert resp.status == 200, await resp.text()
    after = await notes(room)
    assert after["text"] == "Forced" and after["version"] == 2
    assert (await notes(room, headers))["version"] == 2


async def test_bad_notes_are_refused_and_change_nothing(room):
    writer, heard, _ = await room.bot("Ann")
    for payload, message in [
        ({"text": "x"}, "baseVersion: Missing data for required field."),
        ({"text": "x", "baseVersion": "0"}, "baseVersion: Must be a whole number"),
        ({"text": "x", "baseVersion": -1}, "baseVersion: Must be greater than or equal to 0"),
        ({"baseVersion": 0}, "text: Missing data for required field."),
        ({"text": "x" * 50_001, "baseVersion": 0}, "text: At most 50000 characters"),
        ({"text": "a\x00b", "baseVersion": 0}, "text: Must not contain NUL characters"),
    ]:
        mark = heard.mark()
        await writer.emit("notes:update", payload)
        assert (await heard_error(heard, mark)).startswith(message[:40]), payload
    headers = room.owner.headers
    for body in ({}, {"text": 5}, {"text": "x" * 50_001}, {"text": "x", "baseVersion": 1.5}):
        await assert_error(await room.http.put(room.path("notes"), json=body, headers=headers), 400)
    assert await notes(room) == EMPTY
    resp = await room.http.put(
        room.path("notes"), json={"text": "x" * 50_000, "baseVersion": 0}, headers=headers
    )
    assert resp.status == 200  # exactly the limit
