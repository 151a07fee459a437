"""The MCP server, through the `mcp` package's own client over stdio and over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from uuid import uuid4

import psycopg2
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from onepizza.app import create_app
from tests.conftest import free_port
from tests.realtime.bots import Bot

TOOLS = {
    "create_meeting",
    "list_meetings",
    "get_meeting",
    "end_meeting",
    "update_meeting_settings",
    "mute_participant",
    "unmute_participant",
    "kick_participant",
    "mute_all",
    "join_meeting",
    "leave_meeting",
    "send_chat_message",
    "send_reaction",
    "get_transcript",
    "list_recordings",
}


@pytest.fixture
async def api(serve, make_settings, database_url):
    http = await serve(create_app(make_settings({"RATE_LIMIT_API": "1000/minute"})))
    email = f"mcp-{uuid4().hex[:10]}@example.com"
    resp = await http.post("/api/auth/register", json={"email": email, "password": "good pass 1"})
    key = (await resp.json())["apiKey"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    return str(http.make_url("")).rstrip("/"), key


def data_of(result):
    assert not result.isError, result.content
    if result.structuredContent is not None:
        content = result.structuredContent
        return content.get("result", content)
    return json.loads(result.content[0].text)


async def agent_session(session: ClientSession, url: str):
    """What an agent does: create, inspect, join and chat, read the transcript, end."""
    tools = {tool.name for tool in (await session.list_tools()).tools}
    assert tools >= TOOLS

    created = data_of(await session.call_tool("create_meeting", {"title": "Agent standup"}))
    assert "adminToken" not in created  # the server keeps it
    mid = created["meetingId"]
    assert created["joinUrl"] == f"{url}/join/{mid}"

    human = await Bot(url).connect()
    try:
        await human.join(mid, "Human")
        joined = data_of(await session.call_tool("join_meeting", {"meeting_id": mid}))
        assert joined["isAdmin"] is True and joined["participants"][0]["name"] == "Human"
        await session.call_tool(
            "send_chat_message", {"meeting_id": mid, "text": "Hi, I am the bot"}
        )
        assert (await human.expect("chat:message"))["text"] == "Hi, I am the bot"
        await human.emit("chat:message", {"text": "Welcome!"})
        await human.expect("chat:message", 2)

        meeting = data_of(await session.call_tool("get_meeting", {"meeting_id": mid}))
        assert meeting["participantCount"] == 2
        resource = await session.read_resource("meetings://active")
        assert mid in [m["meetingId"] for m in json.loads(resource.contents[0].text)]

        muted = await session.call_tool(
            "mute_participant", {"meeting_id": mid, "participant_id": joined["participantId"]}
        )
        data_of(muted)
        assert (await human.expect("participant:updated"))["isMuted"] is True

        transcript = data_of(await session.call_tool("get_transcript", {"meeting_id": mid}))
        assert [m["text"] for m in transcript] == ["Hi, I am the bot", "Welcome!"]
        left = data_of(await session.call_tool("leave_meeting", {"meeting_id": mid}))
        texts = [e["data"]["text"] for e in left["events"] if e["event"] == "chat:message"]
        assert "Welcome!" in texts
        assert "admin:mute" in [e["event"] for e in left["events"]]  # the bot was muted

        data_of(await session.call_tool("end_meeting", {"meeting_id": mid}))
        assert (await human.expect("meeting:ended"))["reason"]
    finally:
        await human.close()

    failed = await session.call_tool("get_meeting", {"meeting_id": mid})
    assert failed.isError
    message = failed.content[0].text
    assert "404" in message and "Meeting not found" in message and "Traceback" not in message


async def test_stdio(api):
    url, key = api
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "onepizza", "mcp", "--transport", "stdio"],
        env={**os.environ, "ONEPIZZA_API_URL": url, "ONEPIZZA_API_KEY": key},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await agent_session(session, url)


@contextlib.contextmanager
def mcp_over_http(url: str, key: str):
    """`onepizza mcp --transport http` on a free port, ONEPIZZA_API_KEY set to `key`; yields
    its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "onepizza", "mcp", "--transport", "http", "--port", str(port)],
        env={**os.environ, "ONEPIZZA_API_URL": url, "ONEPIZZA_API_KEY": key},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def http_mcp(api):
    url, key = api
    with mcp_over_http(url, key) as base:
        yield base, url


async def test_streamable_http(http_mcp, api):
    base, url = http_mcp
    bearer = {"Authorization": f"Bearer {api[1]}"}  # each agent sends its own API key
    async with (
        streamablehttp_client(f"{base}/mcp", headers=bearer) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await agent_session(session, url)


async def test_sse(http_mcp, api):
    base, _ = http_mcp
    bearer = {"Authorization": f"Bearer {api[1]}"}
    async with (
        sse_client(f"{base}/sse", headers=bearer) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert tools >= TOOLS
        created = data_of(await session.call_tool("create_meeting", {"title": "Over SSE"}))
        data_of(await session.call_tool("end_meeting", {"meeting_id": created["meetingId"]}))
    await asyncio.sleep(0)
