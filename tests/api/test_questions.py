"""Q&A (collaboration.md): asked and upvoted by Bots over Socket.IO, answered and dismissed
by the host, listed over REST most upvoted first; the rules and their refusals."""

from __future__ import annotations

import aiohttp

from tests.api import collab_helpers
from tests.api.collab_helpers import heard_error, nothing_more
from tests.api.meeting_helpers import assert_error

QUESTION_KEYS = {
    "id",
    "text",
    "name",
    "participantId",
    "upvotes",
    "answered",
    "dismissed",
    "createdAt",
}

room = collab_helpers.room  # the fixture


async def ask(bot, heard, text: str) -> dict:
    mark = heard.mark()
    await bot.emit("qa:ask", {"text": text})
    return (await heard.next("qa:asked", mark))["question"]


async def upvote(bot, heard, question_id: int) -> dict:
    mark = heard.mark()
    await bot.emit("qa:upvote", {"questionId": question_id})
    return (await heard.next("qa:updated", mark))["question"]


async def listed(room, query: str = "") -> list[dict]:
    resp = await room.http.get(room.path("questions" + query), headers=room.owner.headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["questions"]


async def test_order_by_upvotes_toggles_and_host_marks(room):
    host, host_heard, _ = await room.bot("Hana", host=True)
    ann, ann_heard, ann_joined = await room.bot("Ann")
    ben, ben_heard, _ = await room.bot("Ben")
    first = await ask(ann, ann_heard, "  What is the budget?  ")
    assert set(first) == QUESTION_KEYS
    assert first["text"] == "What is the budget?" and first["name"] == "Ann"
    assert first["participantId"] == ann_joined["participantId"] and first["upvotes"] == 0
    second = await ask(ben, ben_heard, "When do we ship?")
    await host_heard.next("qa:asked", 0)

    # Ann's own question: no upvote from her; Ben's upvote toggles on, off and on again.
    mark = ann_heard.mark()
    await ann.emit("qa:upvote", {"questionId": first["id"]})
    assert await heard_error(ann_heard, mark) == "You cannot upvote your own question"
    assert (await upvote(ann, ann_heard, second["id"]))["upvotes"] == 1
    assert [q["id"] for q in await listed(room)] == [second["id"], first["id"]]
    assert (await upvote(ann, ann_heard, second["id"]))["upvotes"] == 0  # taken back
    assert [q["id"] for q in await listed(room)] == [first["id"], second["id"]]  # oldest first
    assert (await upvote(ben, ben_heard, first["id"]))["upvotes"] == 1
    assert (await upvote(host, host_heard, first["id"]))["upvotes"] == 2
    assert [(q["id"], q["upvotes"]) for q in await listed(room)] == [
        (first["id"], 2),
        (second["id"], 0),
    ]

    # Only a host answers or dismisses.
    mark = ben_heard.mark()
    await ben.emit("qa:answer", {"questionId": first["id"]})
    assert await heard_error(ben_heard, mark) == "Only a host can do that"
    await ben.emit("qa:dismiss", {"questionId": second["id"]})
    await nothing_more(ann_heard, "qa:updated", ann_heard.mark())
    mark = ann_heard.mark()
    await host.emit("qa:answer", {"questionId": first["id"]})
    answered = (await ann_heard.next("qa:updated", mark))["question"]
    assert answered["answered"] is True and answered["upvotes"] == 2
    mark = ann_heard.mark()
    await host.emit("qa:dismiss", {"questionId": second["id"]})
    assert (await ann_heard.next("qa:updated", mark))["question"]["dismissed"] is True
    assert [q["id"] for q in await listed(room)] == [first["id"]]
    everything = await listed(room, "?include=dismissed")
    assert [(q["id"], q["dismissed"]) for q in everything] == [
        (first["id"], False),
        (second["id"], True),
    ]
    mark = ann_heard.mark()
    await ann.emit("qa:upvote", {"questionId": second["id"]})
    assert await heard_error(ann_heard, mark) == "This question was dismissed"
    _, late_heard, _ = await room.bot("Late")
    mark = late_heard.mark()
    await room.bots[-1].emit("qa:list", {})  # ours: what was asked before a page joined
    shown = await late_heard.next("qa:questions", mark)
    assert shown == {"questions": await listed(room)}


async def test_bad_questions_and_strangers_are_refused(room, database_url):
    asker, heard, _ = await room.bot("Ann")
    for payload, message in [
        ({"text": ""}, "text: Must not be empty"),
        ({"text": "   "}, "text: Must not be empty"),
        ({"text": "x" * 501}, "text: At most 500 characters"),
        ({"text": 5}, "text: Not a valid string."),
        ("hello", "Payload must be an object"),
    ]:
        mark = heard.mark()
        await asker.emit("qa:ask", payload)
        assert await heard_error(heard, mark) == message
    for payload in ({}, {"questionId": "1"}, {"questionId": True}, {"questionId": 0}):
        mark = heard.mark()
        await asker.emit("qa:upvote", payload)
        assert (await heard_error(heard, mark)).startswith("questionId: ")
    mark = heard.mark()
    await asker.emit("qa:upvote", {"questionId": 987654321})
    assert await heard_error(heard, mark) == "Question not found"
    assert await listed(room, "?include=dismissed") == []
    await assert_error(
        await room.http.get(room.path("questions?include=everything"), headers=room.owner.headers),
        400,
    )
    async with aiohttp.ClientSession(room.url) as anonymous:
        await assert_error(await anonymous.get(room.path("questions")), 401)
    resp = await room.http.get(room.path("questions"), headers={"x-admin-token": room.token})
    assert resp.status == 200
