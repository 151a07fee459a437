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
