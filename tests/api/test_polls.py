"""Polls over REST (collaboration.md), voted on by SDK Bots over Socket.IO: creation with an
API key or the host token, results, a vote replaced, a closed poll, bad input and access."""

from __future__ import annotations

import aiohttp

from onepizza.app import create_app
from tests.api import collab_helpers
from tests.api.collab_helpers import heard_error, nothing_more
from tests.api.meeting_helpers import API_ENV, assert_error, create_meeting, register

POLL_KEYS = {
    "id",
    "question",
    "kind",
    "options",
    "anonymous",
    "results",
    "totalVotes",
    "closed",
    "createdAt",
    "closedAt",
}

room = collab_helpers.room  # the fixture


async def test_a_rest_poll_voted_on_by_two_bots_then_closed(room, serve, make_settings):
    _host, host_heard, _ = await room.bot("Hana", host=True)
    ann, ann_heard, _ = await room.bot("Ann")
    ben, ben_heard, _ = await room.bot("Ben")
    mark = ann_heard.mark()
    resp = await room.http.post(
        room.path("polls"),
        json={"question": "Lunch?", "kind": "multiple", "options": ["Pizza", "Sushi", "Tacos"]},
        headers=room.owner.headers,
    )
    assert resp.status == 201, await resp.text()
    poll = (await resp.json())["poll"]
    assert set(poll) == POLL_KEYS | {"votes"}
    assert poll["results"] == [0, 0, 0] and poll["totalVotes"] == 0 and not poll["closed"]
    assert poll["closedAt"] is None and poll["anonymous"] is False
    created = await ann_heard.next("poll:created", mark)
    assert created["poll"]["id"] == poll["id"] and "votes" not in created["poll"]
    await host_heard.next("poll:created", mark)

    mark = host_heard.mark()
    await ann.emit("poll:vote", {"pollId": poll["id"], "choice": 0})
    first = await host_heard.next("poll:updated", mark)
    assert first == {"pollId": poll["id"], "results": [1, 0, 0], "totalVotes": 1}
    mark = host_heard.mark()
    await ben.emit("poll:vote", {"pollId": poll["id"], "choice": 2})
    assert (await host_heard.next("poll:updated", mark))["results"] == [1, 0, 1]
    mark, ben_mark = host_heard.mark(), ben_heard.mark()
    await ann.emit("poll:vote", {"pollId": poll["id"], "choice": 1})  # replaces her first
    replaced = await host_heard.next("poll:updated", mark)
    assert replaced == {"pollId": poll["id"], "results": [0, 1, 1], "totalVotes": 2}
    assert await ben_heard.next("poll:updated", ben_mark) == replaced

    resp = await room.http.get(room.path("polls"), headers=room.owner.headers)
    [listed] = (await resp.json())["polls"]
    assert listed["results"] == [0, 1, 1] and listed["totalVotes"] == 2
    assert sorted(listed["votes"], key=lambda v: v["name"]) == [
        {"name": "Ann", "choice": 1},
        {"name": "Ben", "choice": 2},
    ]

    mark = ann_heard.mark()
    resp = await room.http.post(
        room.path(f"polls/{poll['id']}/close"), headers={"x-admin-token": room.token}
    )
    assert resp.status == 200, await resp.text()
    closed = (await resp.json())["poll"]
    assert closed["closed"] is True and closed["closedAt"] and closed["results"] == [0, 1, 1]
    assert (await ann_heard.next("poll:closed", mark))["poll"]["closed"] is True
    mark = ann_heard.mark()
    await ann.emit("poll:vote", {"pollId": poll["id"], "choice": 0})
    assert await heard_error(ann_heard, mark) == "This poll is closed"
    await nothing_more(host_heard, "poll:updated", host_heard.mark())
    resp = await room.http.post(room.path(f"polls/{poll['id']}/close"), headers=room.owner.headers)
    assert (await resp.json())["poll"]["closedAt"] == closed["closedAt"]  # closed once

    # A new server on the same database (a restart) has it all.
    other = await serve(create_app(make_settings(API_ENV)))
    resp = await other.get(room.path("polls"), headers=room.owner.headers)
    [kept] = (await resp.json())["polls"]
    assert kept == {**listed, "closed": True, "closedAt": closed["closedAt"]}


async def test_kinds_anonymity_and_the_late_joiners_open_polls(room):
    headers = {"x-admin-token": room.token}
    yes_no = await room.http.post(
        room.path("polls"), json={"question": "Ship it?", "kind": "yesno"}, headers=headers
    )
    assert yes_no.status == 201, await yes_no.text()
    yes_no = (await yes_no.json())["poll"]
    assert yes_no["options"] == ["Yes", "No"]
    rating = await room.http.post(
        room.path("polls"),
        json={"question": "How was it?", "kind": "rating", "anonymous": True},
        headers=headers,
    )
    rating = (await rating.json())["poll"]
    assert rating["options"] == ["1", "2", "3", "4", "5"] and rating["anonymous"] is True
    await room.http.post(room.path(f"polls/{yes_no['id']}/close"), headers=headers)

    voter, heard, joined = await room.bot("Late")
    assert [p["id"] for p in joined["polls"]] == [rating["id"]]  # the open ones
    assert joined["notesVersion"] == 0
    mark = heard.mark()
    await voter.emit("poll:vote", {"pollId": rating["id"], "choice": 4})
    await heard.next("poll:updated", mark)
    resp = await room.http.get(room.path("polls"), headers=room.owner.headers)
    polls = (await resp.json())["polls"]
    assert [p["id"] for p in polls] == [yes_no["id"], rating["id"]]  # creation order
    assert "votes" not in polls[1] and polls[1]["results"] == [0, 0, 0, 0, 1]


async def test_bad_polls_are_refused_and_change_nothing(room):
    headers = room.owner.headers
    bad = [
        ({}, "question"),
        ({"question": "  "}, "question"),
        ({"question": "Q", "options": ["only one"]}, "options"),
        ({"question": "Q", "options": [str(n) for n in range(11)]}, "options"),
        ({"question": "Q", "options": ["A", "a"]}, "options"),
        ({"question": "Q", "options": ["A", ""]}, "options"),
        ({"question": "Q", "kind": "ranked", "options": ["A", "B"]}, "kind"),
        ({"question": "Q", "kind": "yesno", "options": ["Maybe", "No"]}, "options"),
        ({"question": "x" * 301, "options": ["A", "B"]}, "question"),
        ({"question": "Q", "options": ["A", "B"], "anonymous": "yes"}, "anonymous"),
    ]
    for body, field in bad:
        resp = await room.http.post(room.path("polls"), json=body, headers=headers)
        error = await assert_error(resp, 400)
        assert field in error["details"], (body, error)
    resp = await room.http.get(room.path("polls"), headers=headers)
    assert (await resp.json())["polls"] == []
    for path in ("polls/999999/close", "polls/abc/close", "polls/0/close"):
        await assert_error(await room.http.post(room.path(path), headers=headers), 404)


async def test_who_may_reach_a_meetings_polls(room, database_url):
    body = {"question": "Q", "options": ["A", "B"]}
    async with aiohttp.ClientSession(room.url) as anonymous:  # no session cookie
        await assert_error(await anonymous.post(room.path("polls"), json=body), 401)
        await assert_error(await anonymous.get(room.path("polls")), 401)
    wrong = {"x-admin-token": "not-the-token"}
    await assert_error(await room.http.post(room.path("polls"), json=body, headers=wrong), 403)
    stranger = await register(room.http, database_url, balance=10)
    resp = await room.http.post(room.path("polls"), json=body, headers=stranger.headers)
    await assert_error(resp, 404)
    await assert_error(await room.http.get(room.path("polls"), headers=stranger.headers), 404)
    resp = await room.http.get("/api/meetings/zzz-zzzz-zzz/polls", headers=room.owner.headers)
    await assert_error(resp, 404)
    # A poll of another meeting is not this meeting's.
    theirs = await create_meeting(room.http, stranger, title="Theirs")
    resp = await room.http.post(
        f"/api/meetings/{theirs['meetingId']}/polls", json=body, headers=stranger.headers
    )
    poll_id = (await resp.json())["poll"]["id"]
    resp = await room.http.post(room.path(f"polls/{poll_id}/close"), headers=room.owner.headers)
    await assert_error(resp, 404)
