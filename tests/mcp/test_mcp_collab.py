"""The MCP tools for polls, Q&A, shared notes and attendance (collaboration.md), through the
`mcp` package's own client over stdio, against a live server with SDK Bots in the meeting."""

from __future__ import annotations

from onepizza.client import Bot
from tests.client.heard import Heard
from tests.mcp import test_mcp_schedule
from tests.mcp.test_mcp_schedule import call, mcp_session

COLLAB_TOOLS = {
    "create_poll",
    "get_poll_results",
    "get_questions",
    "get_meeting_notes",
    "update_meeting_notes",
    "get_attendance",
}


api = test_mcp_schedule.api  # the fixture: a server, and a client with a funded key


async def test_an_agent_runs_a_poll_reads_questions_notes_and_attendance(api):
    url, client = api
    async with mcp_session(url, client.api_key) as session:
        await agent_runs_a_meeting(session, url, client)


async def agent_runs_a_meeting(session, url, client):
    tools = {tool.name for tool in (await session.list_tools()).tools}
    assert tools >= COLLAB_TOOLS
    meeting = await client.create_meeting("Agent-run retro")
    mid = meeting["meetingId"]
    ann, ben = Bot(url, "Ann", reconnect=False), Bot(url, "Ben", reconnect=False)
    ann_heard, ben_heard = Heard(ann), Heard(ben)
    try:
        await ann.join(mid)
        await ben.join(mid)
        poll = await call(
            session,
            "create_poll",
            meeting_id=mid,
            question="Best part?",
            options=["Demos", "Planning", "Cake"],
        )
        assert poll["options"] == ["Demos", "Planning", "Cake"] and poll["totalVotes"] == 0
        assert (await ann_heard.next("poll:created", 0))["poll"]["id"] == poll["id"]
        await ann.vote(poll["id"], 2)
        await ann_heard.next("poll:updated", 0)
        mark = ben_heard.mark()
        await ben.vote(poll["id"], 0)
        assert (await ben_heard.next("poll:updated", mark))["totalVotes"] == 2
        await ben.vote(poll["id"], 2)  # replaces Ben's first vote
        await ben_heard.next("poll:updated", mark + 1)

        one = await call(session, "get_poll_results", meeting_id=mid, poll_id=poll["id"])
        assert one["poll"]["results"] == [0, 0, 2] and one["poll"]["totalVotes"] == 2
        assert sorted(v["name"] for v in one["poll"]["votes"]) == ["Ann", "Ben"]
        every = await call(session, "get_poll_results", meeting_id=mid)
        assert [p["id"] for p in every["polls"]] == [poll["id"]]
        assert (await client.list_polls(mid))[0]["results"] == [0, 0, 2]  # REST agrees
        missing = await session.call_tool(
            "get_poll_results", {"meeting_id": mid, "poll_id": poll["id"] + 1000}
        )
        assert missing.isError and "No poll" in missing.content[0].text

        await ann.ask("Can we keep the cake?")
        question = (await ann_heard.next("qa:asked", 0))["question"]
        await ben.upvote(question["id"])
        await ben_heard.next("qa:updated", 0)
        questions = await call(session, "get_questions", meeting_id=mid)
        assert [(q["text"], q["upvotes"]) for q in questions] == [("Can we keep the cake?", 1)]

        notes = await call(session, "get_meeting_notes", meeting_id=mid)
        assert notes["version"] == 0 and notes["text"] == ""
        mark = ann_heard.mark()
        written = await call(
            session, "update_meeting_notes", meeting_id=mid, text="Decisions: cake", base_version=0
        )
        assert written["version"] == 1 and written["updatedBy"] == "API"
        assert (await ann_heard.next("notes:updated", mark))["text"] == "Decisions: cake"
        stale = await call(
            session, "update_meeting_notes", meeting_id=mid, text="Other", base_version=0
        )
        assert stale["conflict"] is True and stale["current"]["text"] == "Decisions: cake"
        assert (await client.get_notes(mid))["version"] == 1

        report = await call(session, "get_attendance", meeting_id=mid)
        assert report["meetingId"] == mid and report["title"] == "Agent-run retro"
        assert sorted(a["name"] for a in report["attendees"]) == ["Ann", "Ben"]
        table = await call(session, "get_attendance", meeting_id=mid, as_csv=True)
        assert table["csv"].splitlines()[0].startswith("participantId,name,isAdmin")
    finally:
        await ann.leave()
        await ben.leave()

    failed = await session.call_tool("get_meeting_notes", {"meeting_id": "zzz-zzzz-zzz"})
    assert failed.isError and "404" in failed.content[0].text


async def test_a_poll_a_bot_voted_on_is_closed_and_refuses_more_votes(api):
    url, client = api
    async with mcp_session(url, client.api_key) as session:
        await closed_poll(session, url, client)


async def closed_poll(session, url, client):
    mid = (await client.create_meeting("Close it"))["meetingId"]
    poll = await call(session, "create_poll", meeting_id=mid, question="Ok?", kind="yesno")
    voter = Bot(url, "Vic", reconnect=False)
    heard = Heard(voter)
    try:
        await voter.join(mid)
        await voter.vote(poll["id"], 0)
        await heard.next("poll:updated", 0)
        closed = await client.close_poll(mid, poll["id"])
        assert closed["closed"] is True and closed["results"] == [1, 0]
        mark = heard.mark()
        await voter.vote(poll["id"], 1)
        assert (await heard.next("error", mark))["message"] == "This poll is closed"
    finally:
        await voter.leave()
    result = await call(session, "get_poll_results", meeting_id=mid, poll_id=poll["id"])
    assert result["poll"]["closed"] is True and result["poll"]["results"] == [1, 0]
    bad = await session.call_tool(
        "create_poll", {"meeting_id": mid, "question": "Q", "options": ["only"]}
    )
    assert bad.isError and "400" in bad.content[0].text
