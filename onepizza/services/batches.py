"""Rows written in the background, in order and in batches, off the path of the request
or event that produced them (chat messages: the broadcast does not wait for the database)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable

import psycopg2

from onepizza.db import cursor

log = logging.getLogger(__name__)

# Errors that say the database is away (or the write did not finish): the rows are kept and
# written again. Any other error is a bug in the rows or the SQL: logged, and the batch dropped
# so that it cannot hold back every later row.
_AWAY = (psycopg2.OperationalError, psycopg2.InterfaceError, OSError, asyncio.TimeoutError)


class BatchWriter:
    """`put(row)` returns at once; a background task writes what is waiting with
    `write(cur, rows)`, up to `batch_rows` per round trip, the rows that arrive meanwhile in
    the next one. While the database is away the rows wait (in order) and the writer retries
    every `retry_seconds`; `flush()` writes everything waiting, `close()` at shutdown."""

    def __init__(
        self,
        pool,
        write: Callable[[object, list[tuple]], Awaitable[None]],
        name: str,
        *,
        batch_rows: int = 500,
        retry_seconds: float = 1.0,
    ):
        self._pool = pool
        self._write = write
        self._name = name
        self._batch_rows = batch_rows
        self._retry_seconds = retry_seconds
        self._queue: collections.deque[tuple] = collections.deque()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def put(self, row: tuple) -> None:
        self._queue.append(row)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=f"{self._name}-writer")

    async def _drain(self) -> None:
        for _attempt in itertools.count():
            if await self.flush():
                return
            await asyncio.sleep(self._retry_seconds)

    async def flush(self) -> bool:
        """Write everything waiting, in order; False if the database is away."""
        async with self._lock:
            while self._queue:
                batch = list(itertools.islice(self._queue, self._batch_rows))
                try:
                    async with cursor(self._pool) as cur:
                        await self._write(cur, batch)
                except _AWAY as exc:
                    log.warning(
                        "%s: %d rows wait for the database (%s)", self._name, len(self._queue), exc
                    )
                    return False
                except Exception:
                    log.exception("%s: dropping a batch of %d rows", self._name, len(batch))
                for _ in batch:
                    self._queue.popleft()
        return True

    async def close(self) -> None:
        """At shutdown: one last attempt at what is waiting."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if not await self.flush():
            log.error("%s: %d rows not written at shutdown", self._name, len(self._queue))
