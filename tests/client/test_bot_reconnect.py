"""The SDK Bot across server restarts: it reconnects, rejoins the same meeting with the same
host role, fails over to another server URL, and says so when its meeting did not survive."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from uuid import uuid4

import pytest
import redis

from onepizza.client import Bot, OnepizzaClient
from onepizza.client.bot import DISCONNECTED, REJOIN_FAILED
from tests.browser.restart_helpers import RestartableServer, fund
from tests.client.heard import Heard, until

BACK_WITHIN = 15.0  # seconds from the restart's end to both bots being in the meeting again


@pytest.fixture
def node(database_url, tmp_path):
    server = RestartableServer(database_url, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()
    server.close()


@pytest.fixture
async def account(node, database_url):
    """A registered, funded account on `node`, through the SDK's REST client."""
    client = OnepizzaClient(node.url)
    email = f"restart-{uuid4().hex[:10]}@example.com"
    await client.register(email, "a good password")
    fund(database_url, email)
    yield client
    await client.close()


async def test_host_and_guest_bots_rejoin_a_registered_meeting_after_a_restart(node, account):
    meeting = await account.create_meeting("Restart drill")
    mid = meeting["meetingId"]
    host, guest = Bot(node.url, "Host"), Bot(node.url, "Guest")
    heard_host, heard_guest = Heard(host), Heard(guest)
    try:
        first_host = await host.join(mid, admin_token=meeting["adminToken"])
        first_guest = await guest.join(mid)
        assert first_host["isAdmin"] is True and first_guest["isAdmin"] is False
        assert first_host.get("resumeToken"), "joined carries no resumeToken"
        first_ids = {first_guest["participantId"]}
        await until(lambda: heard_host.present() == first_ids, "host sees guest")
        host_mark, guest_mark = heard_host.mark(), heard_guest.mark()

        await asyncio.to_thread(node.restart, signal.SIGTERM)

        again_host = await heard_host.next("joined", host_mark, BACK_WITHIN)
        again_guest = await heard_guest.next("joined", guest_mark, BACK_WITHIN)
        for heard, mark in ((heard_host, host_mark), (heard_guest, guest_mark)):
            assert "meeting:ended" not in heard.names(mark), heard.names(mark)
            names = heard.names(mark)
            assert names.index(DISCONNECTED) < names.index("joined")  # told before it rejoined
        # Same meeting, same role, a new participant each (the old entries are gone).
        assert host.meeting_id == guest.meeting_id == mid
        assert again_host["isAdmin"] is True and again_guest["isAdmin"] is False
        assert host.participant_id == again_host["participantId"] != first_host["participantId"]
        assert guest.participant_id == again_guest["participantId"]
        assert guest.participant_id != first_guest["participantId"]
        assert host.connected and guest.connected and not host.reconnecting

        # They see each other, by their new ids only.
        await until(lambda: heard_host.present() == {guest.participant_id}, "host sees guest")
        await until(lambda: heard_guest.present() == {host.participant_id}, "guest sees host")

        # Host powers survived: the host's recording notice reaches the guest; the guest's
        # own attempt is refused.
        mark = heard_guest.mark()
        await host.emit("recording:broadcast-started", {"hostName": "Host"})
        assert (await heard_guest.next("recording:started", mark))["hostName"] == "Host"
        mark = heard_guest.mark()
        await guest.emit("recording:broadcast-started", {"hostName": "Guest"})
        assert "host" in (await heard_guest.next("error", mark))["message"].lower()

        # Chat flows between the rejoined bots, and the meeting is still active.
        mark = heard_host.mark()
        await guest.chat("still here")
        assert (await heard_host.next("chat:message", mark))["text"] == "still here"
        assert (await account.get_meeting(mid))["status"] == "active"

        # The rejoin also went through the event queue: disconnected, then joined again.
        names = [name for name, _ in host.drain()]
        assert names.count("joined") == 2
        last_joined = max(i for i, name in enumerate(names) if name == "joined")
        assert names.index(DISCONNECTED) < last_joined
    finally:
        await host.leave()
        await guest.leave()
    assert not host.reconnecting and not host.connected


async def test_a_bot_whose_guest_meeting_did_not_survive_a_restart_is_told_it_ended(node):
    rest = OnepizzaClient(node.url)
    meeting = await rest.create_guest_meeting("Gone with the process")
    await rest.close()
    bot = Bot(node.url, "Solo")
    heard = Heard(bot)
    try:
        await bot.join(meeting["meetingId"], admin_token=meeting["adminToken"])
        mark = heard.mark()

        await asyncio.to_thread(node.restart, signal.SIGTERM)

        ended = await heard.next("meeting:ended", mark, BACK_WITHIN)
        assert ended["reason"]
        await asyncio.sleep(1.5)  # time for attempts it should not make
        assert not bot.reconnecting and not bot.connected
        assert "joined" not in heard.names(mark)
        assert REJOIN_FAILED not in heard.names(mark)
        assert ("meeting:ended", ended) in bot.drain()
    finally:
        await bot.leave()


async def test_a_bot_fails_over_to_the_next_server_url(database_url, account, node, tmp_path):
    """The process a bot is on is SIGKILLed; another one (same database) takes over, and the
    bot, given both URLs, is back in the meeting through it."""
    spare = RestartableServer(database_url, tmp_path / "spare.log")
    meeting = await account.create_meeting("Failover")
    mid = meeting["meetingId"]
    bot = Bot([node.url, spare.url], "Roamer")
    heard = Heard(bot)
    try:
        first = await bot.join(mid, admin_token=meeting["adminToken"])
        assert bot.url == node.url
        mark = heard.mark()
        await asyncio.to_thread(node.stop, signal.SIGKILL)
        await asyncio.to_thread(spare.start)
        spare_up = time.monotonic()

        again = await heard.next("joined", mark, BACK_WITHIN)
        assert time.monotonic() - spare_up < 5.0, "not back within 5 s of the spare answering"
        assert bot.url == spare.url and bot.meeting_id == mid
        assert again["isAdmin"] is True
        assert bot.participant_id == again["participantId"] != first["participantId"]

        # A new Bot skips a dead URL at its first join too.
        late = Bot([node.url, spare.url], "Late")
        try:
            await late.join(mid)
            assert late.url == spare.url
            await until(lambda: late.participant_id in heard.present(), "the roamer sees Late")
        finally:
            await late.leave()
    finally:
        await bot.leave()
        spare.stop()
        spare.close()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        if os.environ.get("ONEPIZZA_REQUIRE_REDIS") == "1":
            pytest.fail(f"no Redis answers at {url}: {exc}")
        pytest.skip(f"no Redis answers at {url} ({exc}); scripts/test starts one")
    finally:
        client.close()
    return url


async def test_a_bot_on_a_killed_node_is_back_through_the_other_within_5_s(
    database_url, redis_url, tmp_path
):
    """Two nodes on one database and one Redis; the host's node is SIGKILLed mid-meeting."""
    nodes = [
        RestartableServer(database_url, tmp_path / f"node{i}.log", REDIS_URL=redis_url)
        for i in (1, 2)
    ]
    first, second = nodes
    await asyncio.gather(*(asyncio.to_thread(node.start) for node in nodes))
    rest = OnepizzaClient(second.url)
    email = f"failover-{uuid4().hex[:10]}@example.com"
    await rest.register(email, "a good password")
    fund(database_url, email)
    host = Bot([first.url, second.url], "Host")
    guest = Bot([second.url, first.url], "Guest")
    heard_host, heard_guest = Heard(host), Heard(guest)
    try:
        meeting = await rest.create_meeting("Two nodes")
        old = await host.join(meeting["meetingId"], admin_token=meeting["adminToken"])
        await guest.join(meeting["meetingId"])
        assert (host.url, guest.url) == (first.url, second.url)
        await until(lambda: heard_guest.present() == {old["participantId"]}, "guest sees host")
        mark = heard_host.mark()

        await asyncio.to_thread(first.stop, signal.SIGKILL)
        killed = time.monotonic()

        again = await heard_host.next("joined", mark, timeout=5.0)
        assert time.monotonic() - killed < 5.0
        assert host.url == second.url and again["isAdmin"] is True
        assert {p["participantId"] for p in again["participants"]} == {guest.participant_id}
        # The guest, on the surviving node, sees the host's new entry and not the dead one.
        new_id = again["participantId"]
        await until(lambda: heard_guest.present() == {new_id}, "guest sees only the new host")
        assert "meeting:ended" not in heard_guest.names()
    finally:
        await host.leave()
        await guest.leave()
        await rest.close()
        for node in nodes:
            node.stop()
            node.close()
