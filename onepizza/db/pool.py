"""The aiopg connection pool and the transaction helper every query module uses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiopg
import psycopg2
import psycopg2.extras
from aiohttp import web

log = logging.getLogger(__name__)

DB_POOL = web.AppKey("db_pool", aiopg.Pool)

# Seconds a connection attempt or a statement may take before aiopg gives up; the
# health probe uses its own, much shorter, bound on top of this.
OPERATION_TIMEOUT = 30.0
DICT_ROWS = psycopg2.extras.RealDictCursor


async def create_pool(dsn: str, *, maxsize: int = 20) -> aiopg.Pool:
    """A pool that connects lazily, so the server starts (and answers probes) with the
    database down and recovers when it comes back."""
    return await aiopg.create_pool(
        dsn,
        minsize=0,
        maxsize=maxsize,
        timeout=OPERATION_TIMEOUT,
        pool_recycle=600,
        enable_hstore=False,
    )


@asynccontextmanager
async def transaction(pool: aiopg.Pool) -> AsyncIterator[aiopg.Cursor]:
    """A dict-row cursor inside BEGIN ... COMMIT; rolled back on any exception or
    cancellation."""
    async with pool.acquire() as conn, conn.cursor(cursor_factory=DICT_ROWS) as cur:
        await cur.execute("BEGIN")
        try:
            yield cur
        except BaseException:
            if not conn.closed:
                await asyncio.shield(cur.execute("ROLLBACK"))
            raise
        else:
            await cur.execute("COMMIT")


@asynccontextmanager
async def cursor(pool: aiopg.Pool) -> AsyncIterator[aiopg.Cursor]:
    """A dict-row cursor in autocommit mode, for work that is one statement at a time."""
    async with pool.acquire() as conn, conn.cursor(cursor_factory=DICT_ROWS) as cur:
        yield cur


async def ping(pool: aiopg.Pool, timeout: float) -> bool:  # noqa: ASYNC109
    """True when the database answers `SELECT 1` within `timeout` seconds."""

    async def probe() -> None:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute("SELECT 1")
            await cur.fetchone()

    try:
        await asyncio.wait_for(probe(), timeout)
    except (TimeoutError, psycopg2.Error, OSError) as exc:
        log.warning("database ping failed: %s", type(exc).__name__)
        return False
    return True


def pool_stats(pool: aiopg.Pool) -> dict[str, int]:
    return {"total": pool.size, "idle": pool.freesize, "max": pool.maxsize}
