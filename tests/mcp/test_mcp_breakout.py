"""The MCP tools create_breakout_rooms and end_breakout, through the `mcp` package's own
client over stdio: the agent's joined bot opens rooms as host, assigns people (by name or
evenly), and closes them; two people hear what those steps mean for them."""

from __future__ import annotations

import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.mcp.test_mcp_server import api, data_of  # noqa: F401 (the fixture)
from tests.realtime.bots import Bot


async def test_breakout_tools_over_stdio(api):  # noqa: F811
    url, key = api
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "onepizza", "mcp", "--transport", "stdio"],
        env={**os.environ, "ONEPIZZA_API_URL": url, "ONEPIZZA_API_KEY": key},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert {"create_breakout_rooms", "end_breakout"} <= tools

        mid = data_of(await session.call_tool("create_meeting", {"title": "Workshop"}))["meetingId"]
        ann, bob = await Bot(url).connect(), await Bot(url).connect()
        try:
            ann_id = (await ann.join(mid, "Ann"))["participantId"]
            bob_id = (await bob.join(mid, "Bob"))["participantId"]
            # without a joined bot: a tool error, not a traceback
            early = await session.call_tool(
                "create_breakout_rooms", {"meeting_id": mid, "rooms": ["A"]}
            )
            assert early.isError and "join_meeting" in early.content[0].text
            await session.call_tool("join_meeting", {"meeting_id": mid})

            made = data_of(
                await session.call_tool(
                    "create_breakout_rooms",
                    {"meeting_id": mid, "rooms": ["Red", "Blue"], "assignments": {ann_id: "Blue"}},
                )
            )
            red, blue = made["rooms"]
            assert (red["name"], blue["name"]) == ("Red", "Blue")
            assert blue["assigned"] == [ann_id] and red["assigned"] == []
            assert await ann.expect("breakout:assigned") == {
                "roomId": blue["id"],
                "roomName": "Blue",
            }

            # auto_assign: everyone but the hosts, evenly; creating again replaced the rooms
            made = data_of(
                await session.call_tool(
                    "create_breakout_rooms",
                    {"meeting_id": mid, "rooms": ["One", "Two"], "auto_assign": True},
                )
            )
            assigned = sorted(len(room["assigned"]) for room in made["rooms"])
            assert assigned == [1, 1]
            assert {pid for room in made["rooms"] for pid in room["assigned"]} == {ann_id, bob_id}
            await ann.expect("breakout:all-closed")
            room_of_bob = (await bob.expect("breakout:assigned"))["roomId"]
            await bob.emit("breakout:join", {"roomId": room_of_bob})
            await bob.expect("breakout:participant-joined")

            bad = await session.call_tool(
                "create_breakout_rooms",
                {"meeting_id": mid, "rooms": [f"R{i}" for i in range(21)]},
            )
            assert bad.isError and "At most 20 breakout rooms" in bad.content[0].text

            assert data_of(await session.call_tool("end_breakout", {"meeting_id": mid})) == {
                "closed": True
            }
            assert await bob.expect("breakout:closed") == {}
            await ann.expect("breakout:all-closed", 2)
            again = await session.call_tool("end_breakout", {"meeting_id": mid})
            assert again.isError and "No breakout rooms are open" in again.content[0].text
            await session.call_tool("leave_meeting", {"meeting_id": mid})
        finally:
            await ann.close()
            await bob.close()
