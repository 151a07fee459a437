"""Graceful shutdown: in-flight requests finish, then cleanup contexts close the pool."""

import asyncio

import aiohttp
from aiohttp import web

from onepizza.app import create_app
from onepizza.db import DB_POOL
from tests.conftest import free_port


async def started(app: web.Application, **runner_options) -> tuple[web.AppRunner, str]:
    """The app served on a free loopback port, as run_app serves it; its runner and URL."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_in_flight_request_finishes_before_cleanup(settings):
    app = create_app(settings)
    entered = asyncio.Event()

    async def slow(request):
        entered.set()
        await asyncio.sleep(1.0)
        return web.json_response({"done": True})

    app.router.add_get("/_test/slow", slow)
    runner, base = await started(app, shutdown_timeout=10)
    pool = app[DB_POOL]

    async with aiohttp.ClientSession() as http:
        request = asyncio.create_task(http.get(f"{base}/_test/slow"))
        await entered.wait()
        await runner.cleanup()  # what run_app does on SIGTERM
        resp = await request
        assert resp.status == 200
        assert await resp.json() == {"done": True}
    assert pool.closed


async def test_shutdown_keeps_meetings_going_and_closes_this_process_attendance(
    settings, database_url
):
    import psycopg2

    from onepizza.services.registry import MEETINGS

    app = create_app(settings)
    runner, base = await started(app)
    async with aiohttp.ClientSession() as http:
        email = f"shutdown-{base.rsplit(':', 1)[1]}@example.com"
        resp = await http.post(
            f"{base}/api/auth/register", json={"email": email, "password": "a good password"}
        )
        key = (await resp.json())["apiKey"]
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
        resp = await http.post(f"{base}/api/meetings", json={}, headers={"x-api-key": key})
        meeting_id = (await resp.json())["meetingId"]
    await app[MEETINGS].join(meeting_id, sid="s1", name="A", admin_token=None, invite_token=None)
    await runner.cleanup()

    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, peak_participants, cost_usd FROM meetings WHERE id = %s", (meeting_id,)
        )
        meeting = cur.fetchone()
        cur.execute(
            "SELECT name, left_at IS NOT NULL FROM attendance WHERE meeting_id = %s", (meeting_id,)
        )
        attendance = cur.fetchall()
        cur.execute("SELECT count(*) FROM credit_transactions WHERE meeting_id = %s", (meeting_id,))
        charges = cur.fetchone()[0]
    assert meeting == ("active", 1, None)  # it goes on: the next start picks it up
    assert attendance == [("A", True)]  # this process's participants left at its shutdown
    assert charges == 0


async def test_shutdown_tells_guest_meetings_they_ended_before_closing_sockets(settings):
    """A memory-state guest meeting cannot outlive the process: `meeting:ended` first."""
    import socketio

    app = create_app(settings)
    runner, base = await started(app)
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/api/meetings/guest", json={"title": "Quick"})
        meeting_id = (await resp.json())["meetingId"]
    client = socketio.AsyncClient(reconnection=False)
    events: list[str] = []
    joined = asyncio.Event()
    client.on("joined", lambda data: joined.set())
    client.on("meeting:ended", lambda data: events.append(f"ended: {data['reason']}"))
    client.on("disconnect", lambda *args: events.append("disconnect"))
    await client.connect(base, transports=["websocket"])
    await client.emit("join-meeting", {"meetingId": meeting_id, "name": "A"})
    await asyncio.wait_for(joined.wait(), 5)
    await runner.cleanup()
    for _ in range(50):
        if "disconnect" in events:
            break
        await asyncio.sleep(0.1)
    await client.disconnect()
    assert events[:2] == ["ended: The server is shutting down", "disconnect"]
