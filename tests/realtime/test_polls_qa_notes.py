"""Poll, Q&A and notes events over Socket.IO (collaboration.md): the host-only rules, sockets
that have not joined or belong to another meeting, bad payloads; and two `onepizza serve`
processes sharing Redis, whose participants hear each other's polls, questions and notes,
all of it still there after a process restarts."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from onepizza.app import create_app
from onepizza.client import Bot
from tests.api import collab_helpers
from tests.api.collab_helpers import heard_error, nothing_more, until
from tests.api.meeting_helpers import API_ENV, create_meeting, register
from tests.client.heard import Heard
from tests.cluster.conftest import cluster, funded_user, redis_url  # noqa: F401
from tests.realtime.bots import Bot as SocketBot
from tests.services.test_database_outage import partition  # noqa: F401

REDIS_DB = 9  # keys of this module's own, apart from other deployments on the same Redis

room = collab_helpers.room  # the fixture


async def test_only_a_host_creates_and_closes_polls(room):
    host, host_heard, _ = await room.bot("Hana", host=True)
    guest, guest_heard, _ = await room.bot("Gus")
    mark = guest_heard.mark()
    await guest.emit("poll:create", {"question": "Mine?", "options": ["A", "B"]})
    refusal = await guest_heard.next("error", mark)
    assert refusal == {"code": "not_allowed", "message": "Only a host can do that"}
    await nothing_more(host_heard, "poll:created", host_heard.mark())

    mark = guest_heard.mark()
    await host.emit("poll:create", {"question": "Ready?", "kind": "yesno"})
    poll = (await guest_heard.next("poll:created", mark))["poll"]
    assert poll["options"] == ["Yes", "No"] and poll["closed"] is False
    mark, guest_mark = host_heard.mark(), guest_heard.mark()
    await guest.emit("poll:close", {"pollId": poll["id"]})
    assert await heard_error(guest_heard, guest_mark) == "Only a host can do that"
    await nothing_more(host_heard, "poll:closed", mark)
    mark = guest_heard.mark()
    await host.emit("poll:close", {"pollId": poll["id"]})
    assert (await guest_heard.next("poll:closed", mark))["poll"]["closed"] is True


async def test_bad_poll_payloads_get_an_error_and_change_nothing(room):
    host, heard, _ = await room.bot("Hana", host=True)
    cases = [
        ("poll:create", None, "Payload must be an object"),
        ("poll:create", {"question": "Q"}, "options: A multiple-choice poll has 2 to 10 options"),
        ("poll:create", {"question": "Q", "kind": "x", "options": ["A", "B"]}, "kind: "),
        ("poll:vote", {"pollId": 1}, "choice: Missing data"),
        ("poll:vote", {"pollId": "1", "choice": 0}, "pollId: Must be a whole number"),
        ("poll:vote", {"pollId": 1, "choice": 1.0}, "choice: Must be a whole number"),
        ("poll:vote", {"pollId": 1, "choice": -1}, "choice: "),
        ("poll:vote", {"pollId": 123456789, "choice": 0}, "Poll not found"),
        ("poll:close", {"pollId": 123456789}, "Poll not found"),
    ]
    for event, payload, message in cases:
        mark = heard.mark()
        await host.emit(event, payload)
        assert (await heard_error(heard, mark)).startswith(message), (event, payload)
    mark = heard.mark()
    await host.emit("poll:create", {"question": "Q", "options": ["A", "B"]})
    poll = (await heard.next("poll:created", mark))["poll"]
    mark = heard.mark()
    await host.emit("poll:vote", {"pollId": poll["id"], "choice": 2})
    assert await heard_error(heard, mark) == "choice must be an option's index, 0 to 1"
    resp = await room.http.get(room.path("polls"), headers=room.owner.headers)
    assert [p["totalVotes"] for p in (await resp.json())["polls"]] == [0]


async def test_a_socket_not_joined_and_another_meetings_participant_are_refused(room):
    host, host_heard, _ = await room.bot("Hana", host=True)
    mark = host_heard.mark()
    await host.emit("poll:create", {"question": "Ours", "options": ["A", "B"]})
    poll = (await host_heard.next("poll:created", mark))["poll"]
    await host.emit("qa:ask", {"text": "Our question"})
    question = (await host_heard.next("qa:asked", mark))["question"]

    other = await create_meeting(room.http, room.owner, title="Other room")
    outsider, out_heard, _ = await room.bot("Otto", meeting=other["meetingId"])
    for event, payload, message in [
        ("poll:vote", {"pollId": poll["id"], "choice": 0}, "Poll not found"),
        ("qa:upvote", {"questionId": question["id"]}, "Question not found"),
    ]:
        mark = out_heard.mark()
        await outsider.emit(event, payload)
        assert await out_heard.next("error", mark) == {"code": "not_found", "message": message}
    mark = out_heard.mark()
    await outsider.emit("notes:update", {"text": "Theirs", "baseVersion": 0})
    await out_heard.next("notes:updated", mark)  # their own meeting's pad
    await nothing_more(host_heard, "poll:updated", host_heard.mark())
    assert "notes:updated" not in host_heard.names()

    stray = await SocketBot(room.url).connect()  # connected, never joined
    try:
        for count, (event, payload) in enumerate(
            [
                ("poll:vote", {"pollId": poll["id"], "choice": 0}),
                ("poll:create", {"question": "Q", "options": ["A", "B"]}),
                ("qa:ask", {"text": "Hello?"}),
                ("notes:update", {"text": "x", "baseVersion": 0}),
            ],
            start=1,
        ):
            await stray.emit(event, payload)
            refusal = await stray.expect("error", count)
            assert refusal == {"code": "not_joined", "message": "Join a meeting first"}
    finally:
        await stray.close()
    resp = await room.http.get(room.path("polls"), headers=room.owner.headers)
    assert (await resp.json())["polls"][0]["totalVotes"] == 0
    resp = await room.http.get(room.path("notes"), headers=room.owner.headers)
    assert (await resp.json())["version"] == 0


def _redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


async def test_two_processes_on_redis_share_polls_questions_notes_and_keep_them(
    cluster,  # noqa: F811
    funded_user,  # noqa: F811
    redis_url,  # noqa: F811
):
    node1, node2 = await cluster.start(
        2, redis=True, env={"REDIS_URL": _redis_db(redis_url, REDIS_DB)}
    )
    owner = await funded_user(node1)
    async with aiohttp.ClientSession(node1.url) as http:
        meeting = await create_meeting(http, owner, title="Across")
    mid, token = meeting["meetingId"], meeting["adminToken"]
    host, ann = Bot(node1.url, "Hana", reconnect=False), Bot(node2.url, "Ann", reconnect=False)
    host_heard, ann_heard = Heard(host), Heard(ann)
    try:
        await host.join(mid, admin_token=token)
        joined = await ann.join(mid)
        assert joined["polls"] == [] and joined["notesVersion"] == 0

        # A poll made over REST on node 2 reaches the host on node 1; Ann's vote on node 2 too.
        mark = host_heard.mark()
        async with aiohttp.ClientSession(node2.url) as http:
            resp = await http.post(
                f"/api/meetings/{mid}/polls",
                json={"question": "Go?", "kind": "yesno"},
                headers=owner.headers,
            )
            assert resp.status == 201, await resp.text()
        poll = (await host_heard.next("poll:created", mark))["poll"]
        await ann_heard.next("poll:created", 0)
        await ann.emit("poll:vote", {"pollId": poll["id"], "choice": 0})
        update = await host_heard.next("poll:updated", mark)
        assert update == {"pollId": poll["id"], "results": [1, 0], "totalVotes": 1}

        await ann.emit("qa:ask", {"text": "Across processes?"})
        question = (await host_heard.next("qa:asked", mark))["question"]
        await host.emit("qa:upvote", {"questionId": question["id"]})
        assert (await ann_heard.next("qa:updated", 0))["question"]["upvotes"] == 1

        await host.emit("notes:update", {"text": "Shared", "baseVersion": 0})
        assert (await ann_heard.next("notes:updated", 0))["version"] == 1
        mark = ann_heard.mark()
        await ann.emit("notes:update", {"text": "Stale", "baseVersion": 0})
        assert await ann_heard.next("notes:conflict", mark) == {"text": "Shared", "version": 1}

        late = Bot(node1.url, "Late", reconnect=False)
        try:
            late_joined = await late.join(mid)
        finally:
            await late.leave()
        assert [p["id"] for p in late_joined["polls"]] == [poll["id"]]
        assert late_joined["polls"][0]["results"] == [1, 0]
        assert late_joined["notesVersion"] == 1
    finally:
        await asyncio.gather(host.leave(), ann.leave(), return_exceptions=True)

    await node1.restart()
    async with aiohttp.ClientSession(node1.url) as http:
        headers = {"x-admin-token": token}
        polls = await (await http.get(f"/api/meetings/{mid}/polls", headers=headers)).json()
        assert polls["polls"][0]["results"] == [1, 0]
        assert polls["polls"][0]["votes"] == [{"name": "Ann", "choice": 0}]
        questions = await (await http.get(f"/api/meetings/{mid}/questions", headers=headers)).json()
        assert [(q["text"], q["upvotes"]) for q in questions["questions"]] == [
            ("Across processes?", 1)
        ]
        notes = await (await http.get(f"/api/meetings/{mid}/notes", headers=headers)).json()
        assert notes["text"] == "Shared" and notes["version"] == 1 and notes["updatedBy"] == "Hana"


async def test_a_join_goes_on_without_polls_while_the_database_is_away(
    serve,
    make_settings,
    database_url,
    partition,  # noqa: F811
):
    http = await serve(create_app(make_settings(API_ENV, database_url=partition.url)))
    owner = await register(http, database_url, balance=10)
    meeting = await create_meeting(http, owner, title="Outage")
    resp = await http.post(
        f"/api/meetings/{meeting['meetingId']}/polls",
        json={"question": "Up?", "kind": "yesno"},
        headers=owner.headers,
    )
    assert resp.status == 201
    url = str(http.make_url("")).rstrip("/")
    first, second = Bot(url, "Ann", reconnect=False), Bot(url, "Ben", reconnect=False)
    try:
        assert len((await first.join(meeting["meetingId"]))["polls"]) == 1
        await partition.cut()
        joined = await second.join(meeting["meetingId"])  # the join itself needs no database
        assert joined["polls"] == [] and joined["notesVersion"] == 0
        await partition.restore()
    finally:
        await asyncio.gather(first.leave(), second.leave(), return_exceptions=True)


async def test_a_participant_back_with_its_resume_token_keeps_its_vote_and_upvotes(room):
    host, host_heard, _ = await room.bot("Hana", host=True)
    mark = host_heard.mark()
    await host.emit("poll:create", {"question": "Tea?", "kind": "yesno"})
    poll = (await host_heard.next("poll:created", mark))["poll"]
    await host.emit("qa:ask", {"text": "The host's question"})
    hosts_question = (await host_heard.next("qa:asked", mark))["question"]

    before = await SocketBot(room.url).connect()
    after = await SocketBot(room.url).connect()
    try:
        joined = await before.join(room.id, "Ann")
        await before.emit("poll:vote", {"pollId": poll["id"], "choice": 0})
        await before.expect("poll:updated")
        await before.emit("qa:upvote", {"questionId": hosts_question["id"]})
        assert (await before.expect("qa:updated"))["question"]["upvotes"] == 1
        await before.emit("qa:ask", {"text": "Ann's question"})
        anns_question = (await before.expect("qa:asked"))["question"]

        # The same person on a new connection, with the resume token: a new participant id.
        again = await after.join(room.id, "Ann", resumeToken=joined["resumeToken"])
        assert again["participantId"] != joined["participantId"]

        async def carried():
            resp = await room.http.get(room.path("questions"), headers=room.owner.headers)
            mine = [q for q in (await resp.json())["questions"] if q["text"] == "Ann's question"]
            return mine and mine[0]["participantId"] == again["participantId"]

        await until(carried)
        await after.emit("poll:vote", {"pollId": poll["id"], "choice": 1})  # replaces, not adds
        assert await after.expect("poll:updated") == {
            "pollId": poll["id"],
            "results": [0, 1],
            "totalVotes": 1,
        }
        await after.emit("qa:upvote", {"questionId": hosts_question["id"]})  # takes it back
        assert (await after.expect("qa:updated"))["question"]["upvotes"] == 0
        await after.emit("qa:upvote", {"questionId": anns_question["id"]})  # still her own
        refusal = await after.expect("error")
        assert refusal["message"] == "You cannot upvote your own question"
    finally:
        await before.close()
        await after.close()
