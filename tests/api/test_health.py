"""Health probes of §21, with the database up, refused, and hung."""

import asyncio
import time

import pytest

from onepizza.app import create_app


async def test_health_with_database_up(client):
    resp = await client.get("/health")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "db": "connected"}

    resp = await client.get("/health/readiness")
    assert resp.status == 200
    assert await resp.json() == {"status": "ready", "db": "connected"}

    resp = await client.get("/health/liveness")
    assert resp.status == 200
    assert await resp.json() == {"status": "alive"}


async def _unreachable(aiohttp_client, make_settings, dsn):
    settings = make_settings(health_db_timeout=1.0)
    settings = settings.with_database(dsn)
    client = await aiohttp_client(create_app(settings))

    started = time.monotonic()
    resp = await client.get("/health")
    assert resp.status == 503
    assert await resp.json() == {"status": "error", "db": "unavailable"}
    resp = await client.get("/health/readiness")
    assert resp.status == 503
    assert await resp.json() == {"status": "not ready", "db": "unavailable"}
    assert time.monotonic() - started < 3.0

    resp = await client.get("/health/liveness")
    assert resp.status == 200
    assert await resp.json() == {"status": "alive"}


async def test_health_with_database_refusing(aiohttp_client, make_settings, unused_tcp_port):
    # Nothing listens on this port: connections are refused at once.
    dsn = f"postgresql://postgres@127.0.0.1:{unused_tcp_port}/onepizza?connect_timeout=30"
    await _unreachable(aiohttp_client, make_settings, dsn)


@pytest.fixture
async def hung_database():
    """A TCP server that accepts connections and never says a word, like a hung database."""
    writers = []

    async def swallow(reader, writer):
        writers.append(writer)
        await reader.read()  # until the client goes away

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"postgresql://postgres@127.0.0.1:{port}/onepizza?connect_timeout=60"
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_health_probe_is_bounded_when_database_hangs(
    aiohttp_client, make_settings, hung_database
):
    await _unreachable(aiohttp_client, make_settings, hung_database)


async def test_many_probes_against_hung_database_stay_bounded(
    aiohttp_client, make_settings, hung_database
):
    settings = make_settings(health_db_timeout=0.5, db_pool_max=2).with_database(hung_database)
    client = await aiohttp_client(create_app(settings))
    started = time.monotonic()
    statuses = await asyncio.gather(*(client.get("/health") for _ in range(10)))
    assert [r.status for r in statuses] == [503] * 10
    assert time.monotonic() - started < 3.0
