"""Graceful shutdown: in-flight requests finish, then cleanup contexts close the pool."""

import asyncio

import aiohttp
from aiohttp import web

from onepizza.app import create_app
from onepizza.db import DB_POOL
from tests.conftest import free_port


async def test_in_flight_request_finishes_before_cleanup(settings):
    app = create_app(settings)
    entered = asyncio.Event()

    async def slow(request):
        entered.set()
        await asyncio.sleep(1.0)
        return web.json_response({"done": True})

    app.router.add_get("/_test/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=10)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    pool = app[DB_POOL]

    async with aiohttp.ClientSession() as http:
        request = asyncio.create_task(http.get(f"http://127.0.0.1:{port}/_test/slow"))
        await entered.wait()
        await runner.cleanup()  # what run_app does on SIGTERM
        resp = await request
        assert resp.status == 200
        assert await resp.json() == {"done": True}
    assert pool.closed


async def test_shutdown_ends_live_meetings_once_with_their_charge(settings, database_url):
    import psycopg2

    from onepizza.live.state import Participant
    from onepizza.services.registry import LIVE

    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        email = f"shutdown-{port}@example.com"
        resp = await http.post(
            f"{base}/api/auth/register", json={"email": email, "password": "a good password"}
        )
        key = (await resp.json())["apiKey"]
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
        resp = await http.post(f"{base}/api/meetings", json={}, headers={"x-api-key": key})
        meeting_id = (await resp.json())["meetingId"]
    await app[LIVE].add_participant(
        meeting_id, Participant(participant_id="p1", sid="s1", name="A", is_admin=False)
    )
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE meetings SET started_at = now() - interval '10 minutes' WHERE id = %s",
            (meeting_id,),
        )
    await runner.cleanup()

    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, peak_participants, cost_usd FROM meetings WHERE id = %s", (meeting_id,)
        )
        status, peak, cost = cur.fetchone()
        cur.execute("SELECT count(*) FROM credit_transactions WHERE meeting_id = %s", (meeting_id,))
        charges = cur.fetchone()[0]
    assert (status, peak, str(cost)) == ("ended", 1, "0.0400")  # 10 min x 1 x 0.004
    assert charges == 1
