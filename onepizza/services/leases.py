"""Leases: jobs that must run once for the whole deployment run in the process that holds
that job's PostgreSQL advisory lock; when that process dies, its session ends, the lock is
released and another process takes the job over within LEASE_RETRY_SECONDS.

When this process loses its connection to the database, its jobs keep running (every job
is safe to run twice: each step is atomic in the database or the live store, and a
database outage is when the meeting timers matter most); once the database answers again
the process takes its locks back, and stops a job whose lock another process took."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import aiopg

log = logging.getLogger(__name__)

LEASE_RETRY_SECONDS = 2.0  # how often a process without a lease tries to take it
JOB_STOP_SECONDS = 10.0  # how long a job gets to finish its round when the lease is lost

Job = Callable[[asyncio.Event], Awaitable[None]]


class Leases:
    """Holds one connection of its own (session advisory locks live as long as it does)
    and runs each job while it holds that job's lock."""

    def __init__(self, dsn: str, jobs: dict[str, Job]):
        self._dsn = dsn
        self._jobs = jobs
        self._running: dict[str, tuple[asyncio.Task, asyncio.Event]] = {}
        self._conn: aiopg.Connection | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._round()
            except Exception as exc:  # the database is away: try again, jobs go on
                log.warning("leases: database unavailable (%s)", exc)
                await self._drop_connection()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LEASE_RETRY_SECONDS)
        await self._release_all()

    async def _round(self) -> None:
        reconnected = self._conn is None or self._conn.closed
        if reconnected:
            self._conn = await aiopg.connect(self._dsn, timeout=5)
        async with self._conn.cursor() as cur:
            await cur.execute("SELECT 1")  # the session (and so every lock) is still there
            for name, job in self._jobs.items():
                task = self._running.get(name)
                if task is not None and task[0].done():  # it stopped: let another try
                    self._running.pop(name)
                    await cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (_key(name),))
                    task = None
                if task is not None and not reconnected:
                    continue
                await cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (_key(name),))
                (taken,) = await cur.fetchone()
                if task is not None:  # held before the connection was lost
                    if not taken:
                        log.warning("lease lost to another process: %s", name)
                        await self._stop(name)
                    continue
                if taken:
                    log.info("lease taken: %s", name)
                    job_stop = asyncio.Event()
                    self._running[name] = (
                        asyncio.create_task(_guarded(name, job, job_stop), name=f"lease:{name}"),
                        job_stop,
                    )

    async def _stop(self, name: str) -> None:
        task, job_stop = self._running.pop(name)
        job_stop.set()
        _, late = await asyncio.wait([task], timeout=JOB_STOP_SECONDS)
        for job in late:
            job.cancel()

    async def _drop_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()

    async def _release_all(self) -> None:
        running, self._running = self._running, {}
        for _, job_stop in running.values():
            job_stop.set()
        tasks = [task for task, _ in running.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=JOB_STOP_SECONDS)
            for task in late:
                task.cancel()
        await self._drop_connection()  # closing the session releases its locks


def _key(name: str) -> str:
    return f"onepizza:{name}"


async def _guarded(name: str, job: Job, stop: asyncio.Event) -> None:
    try:
        await job(stop)
    except Exception:
        log.exception("job %s failed; its lease will be taken again", name)
