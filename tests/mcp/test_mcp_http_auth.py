"""Issue 14 finding 9: over HTTP, each remote agent sends its own onepizza API key as a
Bearer token and acts as that account; the server's environment key serves stdio only."""

from __future__ import annotations

import json
from uuid import uuid4

import aiohttp
import psycopg2
import pytest
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamablehttp_client

from onepizza.app import create_app
from tests.mcp.test_mcp_server import data_of, mcp_over_http


@pytest.fixture
async def accounts(serve, make_settings, database_url):
    """The API, and three accounts: the MCP server's own (its environment key) and two
    agents'."""
    http = await serve(create_app(make_settings({"RATE_LIMIT_API": "1000/minute"})))
    keys = {}
    for who in ("server", "alice", "bob"):
        email = f"mcp-{who}-{uuid4().hex[:8]}@example.com"
        resp = await http.post(
            "/api/auth/register", json={"email": email, "password": "good pass 1"}
        )
        keys[who] = (await resp.json())["apiKey"]
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    return http, str(http.make_url("")).rstrip("/"), keys


@pytest.fixture
def mcp_http(accounts):
    _, url, keys = accounts
    with mcp_over_http(url, keys["server"]) as base:
        yield base


def agent(base: str, key: str):
    return streamablehttp_client(f"{base}/mcp", headers={"Authorization": f"Bearer {key}"})


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-03-26",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer mk_not_a_key", "Bearer ", "Basic dXNlcjpwYXNz"]
)
async def test_no_valid_key_no_service(mcp_http, authorization):
    """Without an agent's own key nothing answers: the server's environment key is not lent
    to whoever reaches the port."""
    headers = {"Accept": "application/json, text/event-stream"}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with aiohttp.ClientSession() as http:
        for method, path, body in (("POST", "/mcp", INITIALIZE), ("GET", "/sse", None)):
            async with http.request(method, mcp_http + path, json=body, headers=headers) as resp:
                assert resp.status == 401, (path, await resp.text())
                assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_each_agent_acts_as_its_own_account(mcp_http, accounts):
    http, _, keys = accounts
    async with (
        agent(mcp_http, keys["alice"]) as (read, write, _),
        ClientSession(read, write) as alice,
    ):
        await alice.initialize()
        made = data_of(await alice.call_tool("create_meeting", {"title": "Alice's"}))
        mid = made["meetingId"]
        listed = data_of(await alice.call_tool("list_meetings", {}))
        assert [m["meetingId"] for m in listed] == [mid]

    # The meeting is Alice's account's, not the server's.
    resp = await http.get(f"/api/meetings/{mid}", headers={"x-api-key": keys["alice"]})
    assert resp.status == 200
    resp = await http.get("/api/meetings", headers={"x-api-key": keys["server"]})
    assert mid not in await resp.text()

    async with agent(mcp_http, keys["bob"]) as (read, write, _), ClientSession(read, write) as bob:
        await bob.initialize()
        assert data_of(await bob.call_tool("list_meetings", {})) == []
        for tool in ("get_meeting", "end_meeting", "mute_all", "get_transcript"):
            result = await bob.call_tool(tool, {"meeting_id": mid})
            assert result.isError, (tool, result.content)
            assert "Alice's" not in json.dumps([c.model_dump() for c in result.content])
        assert await bob.call_tool("leave_meeting", {"meeting_id": mid}) is not None

    # Untouched by Bob; Alice ends it with the admin token the server kept for her.
    resp = await http.get(f"/api/meetings/{mid}", headers={"x-api-key": keys["alice"]})
    assert (await resp.json())["status"] == "active", await resp.text()
    async with (
        agent(mcp_http, keys["alice"]) as (read, write, _),
        ClientSession(read, write) as alice,
    ):
        await alice.initialize()
        data_of(await alice.call_tool("end_meeting", {"meeting_id": mid}))
    resp = await http.get(f"/api/meetings/{mid}", headers={"x-api-key": keys["alice"]})
    assert resp.status == 404  # ended: no longer among the live ones


async def test_sse_agents_act_as_their_own_account_too(mcp_http, accounts):
    _, _, keys = accounts
    bearer = {"Authorization": f"Bearer {keys['bob']}"}
    async with (
        sse_client(f"{mcp_http}/sse", headers=bearer) as (read, write),
        ClientSession(read, write) as bob,
    ):
        await bob.initialize()
        made = data_of(await bob.call_tool("create_meeting", {"title": "Bob's"}))
        listed = data_of(await bob.call_tool("list_meetings", {}))
        assert [m["meetingId"] for m in listed] == [made["meetingId"]]
        data_of(await bob.call_tool("end_meeting", {"meeting_id": made["meetingId"]}))


async def test_a_session_belongs_to_the_key_that_opened_it(mcp_http, accounts):
    _, _, keys = accounts
    async with (
        agent(mcp_http, keys["alice"]) as (read, write, session_id),
        ClientSession(read, write) as alice,
    ):
        await alice.initialize()
        sid = session_id()
        assert sid
        probe = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        headers = {
            "Authorization": f"Bearer {keys['bob']}",
            "Mcp-Session-Id": sid,
            "Accept": "application/json, text/event-stream",
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{mcp_http}/mcp", json=probe, headers=headers) as resp,
        ):
            assert resp.status == 404
