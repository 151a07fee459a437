"""The MCP tools for templates and recurring meetings (create_template, list_templates,
create_recurring, list_recurring) and the `meetings://active` resource, through the `mcp`
package's own client over stdio against a live server."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from uuid import uuid4

import psycopg2
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from pydantic import AnyUrl

from onepizza.app import create_app
from onepizza.client import OnepizzaClient
from tests.mcp.test_mcp_server import data_of

SCHEDULE_TOOLS = {"create_template", "list_templates", "create_recurring", "list_recurring"}


@pytest.fixture
async def api(serve, make_settings, database_url):
    http = await serve(create_app(make_settings({"RATE_LIMIT_API": "1000/minute"})))
    url = str(http.make_url("")).rstrip("/")
    client = OnepizzaClient(url)
    email = f"mcp-schedule-{uuid4().hex[:10]}@example.com"
    await client.register(email, "good pass 1")
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    yield url, client
    await client.close()


@contextlib.asynccontextmanager
async def mcp_session(url: str, key: str):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "onepizza", "mcp", "--transport", "stdio"],
        env={**os.environ, "ONEPIZZA_API_URL": url, "ONEPIZZA_API_KEY": key},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments):
    return data_of(await session.call_tool(tool, arguments))


async def test_an_agent_keeps_templates_and_recurring_meetings(api, database_url):
    url, client = api
    async with mcp_session(url, client.api_key) as session:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert tools >= SCHEDULE_TOOLS

        template = await call(
            session,
            "create_template",
            name="Town hall",
            title="Monthly town hall",
            mute_on_join=True,
            max_participants=90,
        )
        assert template["settings"] == {"muteOnJoin": True, "maxParticipants": 90}
        assert [t["id"] for t in await call(session, "list_templates")] == [template["id"]]
        # The REST API sees the same template.
        assert [t["name"] for t in await client.list_templates()] == ["Town hall"]

        meeting = await call(
            session, "create_meeting", template_id=template["id"], waiting_room=True
        )
        assert meeting["title"] == "Monthly town hall"
        assert meeting["settings"]["muteOnJoin"] is True
        assert meeting["settings"]["maxParticipants"] == 90
        assert meeting["settings"]["waitingRoom"] is True

        rule = await call(
            session,
            "create_recurring",
            rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            start_at="2027-03-01T09:00:00",
            timezone="America/New_York",
            template_id=template["id"],
            title="Standup",
        )
        assert rule["title"] == "Standup"
        assert rule["settings"]["muteOnJoin"] is True
        assert rule["nextOccurrences"] == [
            "2027-03-01T14:00:00.000Z",
            "2027-03-08T14:00:00.000Z",
            "2027-03-15T13:00:00.000Z",
            "2027-03-22T13:00:00.000Z",
        ]
        [first] = rule["meetings"]  # months ahead: the next one is made
        assert first["joinUrl"] == f"{url}/join/{first['meetingId']}"
        assert "adminToken" not in first and first["status"] == "scheduled"

        [listed] = await call(session, "list_recurring")
        assert listed["id"] == rule["id"]
        assert [m["meetingId"] for m in listed["meetings"]] == [first["meetingId"]]

        # The server keeps the occurrence's admin token: the host action needs only its id.
        await call(session, "end_meeting", meeting_id=first["meetingId"])
        [listed] = await call(session, "list_recurring")
        assert listed["meetings"][0]["status"] == "cancelled"

        # meetings://active: the active meeting, not the scheduled or cancelled ones.
        resource = await session.read_resource(AnyUrl("meetings://active"))
        active = json.loads(resource.contents[0].text)
        assert [m["meetingId"] for m in active] == [meeting["meetingId"]]

        # A bad rule is the API's own 400 message, as a tool error.
        result = await session.call_tool(
            "create_recurring", {"rrule": "FREQ=SOMETIMES", "start_at": "2027-03-01T09:00:00"}
        )
        assert result.isError
        assert "400" in result.content[0].text and "FREQ" in result.content[0].text
        await call(session, "end_meeting", meeting_id=meeting["meetingId"])
    # The Python SDK's other methods over the same paths.
    [rule] = await client.list_recurring()
    detail = await client.get_recurring(rule["id"])
    assert [m["status"] for m in detail["meetings"]] == ["cancelled"]
    deleted = await client.delete_recurring(rule["id"])
    assert deleted["cancelled"] == []  # its one meeting was cancelled already
    assert await client.list_recurring() == []
    assert (await client.get_template(template["id"]))["name"] == "Town hall"
    await client.delete_template(template["id"])
    assert await client.list_templates() == []
