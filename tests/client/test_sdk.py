"""The Python SDK against a live server: REST methods, errors, and the Socket.IO Bot."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app
from onepizza.client import Bot, OnepizzaClient, OnepizzaError


@pytest.fixture
async def api(serve, make_settings, database_url):
    http = await serve(create_app(make_settings({"RATE_LIMIT_API": "1000/minute"})))
    url = str(http.make_url("")).rstrip("/")
    client = OnepizzaClient(url)
    email = f"sdk-{uuid4().hex[:10]}@example.com"
    registered = await client.register(email, "a good password")
    assert client.api_key == registered["apiKey"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    yield client, url
    await client.close()


async def test_rest_methods(api):
    client, _ = api
    me = await client.me()
    assert me["balance"] == "10.0000"
    meeting = await client.create_meeting("SDK sync", max_participants=5)
    mid = meeting["meetingId"]
    assert client.admin_tokens[mid] == meeting["adminToken"]
    assert [m["meetingId"] for m in await client.list_meetings()] == [mid]
    settings = await client.update_settings(mid, title="Renamed", waitingRoom=False)
    assert settings["settings"]["maxParticipants"] == 5
    assert (await client.get_meeting(mid))["title"] == "Renamed"
    assert (await client.lock(mid))["locked"] is True
    invite = await client.invite(mid, name="Bob")
    assert invite["joinUrl"].endswith("&name=Bob")
    keys = await client.list_keys()
    assert keys and keys[0]["key"].startswith("mk_")
    assert (await client.ice_servers())[0]["urls"].startswith("stun:")
    await client.end_meeting(mid)
    assert [m["meeting_id"] for m in await client.history()] == [mid]


async def test_errors_carry_status_and_message(api):
    client, _ = api
    with pytest.raises(OnepizzaError) as err:
        await client.get_meeting("zzz-zzzz-zzz")
    assert err.value.status == 404 and err.value.message == "Meeting not found"
    with pytest.raises(OnepizzaError) as err:
        await client.create_meeting("x", max_participants=500)
    assert err.value.status == 400 and "maxParticipants" in err.value.details
    with pytest.raises(OnepizzaError) as err:
        await client.end_meeting("abc-defg-hij")  # no token known for it
    assert err.value.status == 403


async def test_bot_joins_chats_and_iterates_events(api):
    client, url = api
    meeting = await client.create_meeting("Bots")
    mid = meeting["meetingId"]
    host, guest = Bot(url, "Host"), Bot(url, "Guest")
    try:
        joined = await host.join(mid, admin_token=meeting["adminToken"])
        assert joined["isAdmin"] is True
        heard = []
        host.on("chat:message", lambda message: heard.append(message["text"]))
        await guest.join(mid)
        await guest.raise_hand()
        await guest.chat("hello from the SDK")
        seen = []
        async for name, data in host.events():
            seen.append(name)
            if name == "chat:message":
                assert data["text"] == "hello from the SDK"
                break
        assert "participant:joined" in seen and "participant:updated" in seen
        assert heard == ["hello from the SDK"]

        with pytest.raises(OnepizzaError, match="Meeting not found"):
            await Bot(url).join("zzz-zzzz-zzz", timeout=5)
        await client.end_meeting(mid)
        for _ in range(50):
            if any(name == "meeting:ended" for name, _ in guest.drain()):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the guest bot never heard meeting:ended")
    finally:
        await host.leave()
        await guest.leave()
