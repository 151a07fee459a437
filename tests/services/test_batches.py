"""Chat messages written in the background (services/batches.py with db/chat.py): in order,
in batches, and kept while the database connection is gone."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg2
import pytest

from onepizza.db import chat as chat_sql
from onepizza.db import create_pool, cursor
from onepizza.services.batches import BatchWriter


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, maxsize=1)  # one connection: the one to break
    yield pool
    pool.close()
    await pool.wait_closed()


def message(meeting_id: str, n: int) -> tuple:
    return (
        uuid.uuid4().hex[:16],
        meeting_id,
        "p1",
        "Ann",
        f"message {n}",
        None,
        None,
        None,
        int(time.time() * 1000),
    )


async def transcript(pool, meeting_id: str) -> list[str]:
    async with cursor(pool) as cur:
        return [row["text"] for row in await chat_sql.transcript(cur, meeting_id)]


async def test_a_burst_is_stored_in_order_in_a_few_round_trips(pool):
    meeting_id = f"batch-{uuid.uuid4().hex[:8]}"
    round_trips = 0

    async def write(cur, rows):
        nonlocal round_trips
        round_trips += 1
        await chat_sql.insert_many(cur, rows)

    writer = BatchWriter(pool, write, "chat-test", batch_rows=100)
    for n in range(300):
        writer.put(message(meeting_id, n))
        if n % 50 == 0:
            await asyncio.sleep(0)  # let the writer start while messages keep coming
    assert await writer.flush()
    assert await transcript(pool, meeting_id) == [f"message {n}" for n in range(300)]
    assert 3 <= round_trips < 20  # batches of at most 100, not one per message
    assert writer.waiting == 0
    await writer.close()


async def test_messages_wait_while_the_connection_is_gone_and_are_stored_after(
    pool, database_url, caplog
):
    meeting_id = f"batch-{uuid.uuid4().hex[:8]}"
    writer = BatchWriter(pool, chat_sql.insert_many, "chat-test", retry_seconds=0.2)
    writer.put(message(meeting_id, 0))
    assert await writer.flush()
    async with cursor(pool) as cur:
        await cur.execute("SELECT pg_backend_pid() AS pid")
        pid = (await cur.fetchone())["pid"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))

    writer.put(message(meeting_id, 1))
    writer.put(message(meeting_id, 2))
    # The first attempt meets the dead connection; the rows wait and are written again.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if writer.waiting == 0 and len(await transcript(pool, meeting_id)) == 3:
            break
        await asyncio.sleep(0.1)
    assert await transcript(pool, meeting_id) == ["message 0", "message 1", "message 2"]
    assert "chat-test: 2 rows wait for the database" in caplog.text
    await writer.close()
