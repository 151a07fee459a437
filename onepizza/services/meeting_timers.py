"""The meeting timers, none of them a timer one process alone remembers: each process
beats (a heartbeat row) and finishes the ends it began; the process holding the
`meeting-timers` lease ends meetings empty for the grace period and takes the participants
of dead processes out; the one holding `meeting-scheduler` activates scheduled meetings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from datetime import UTC, datetime

from onepizza.db import attendance as attendance_sql
from onepizza.db import cursor
from onepizza.services.charging import NODE_TTL
from onepizza.services.meetings import ENDED_BY_GRACE, MeetingService

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
SCHEDULER_MAX_SLEEP = 5.0  # also catches meetings scheduled through other processes
HOST = socket.gethostname()


def new_node_id() -> str:
    """`host:pid:random`: a process on this host whose pid is gone is known dead at once."""
    return f"{HOST}:{os.getpid()}:{os.urandom(3).hex()}"


def node_is_dead(node_id: str, heartbeat_age: float | None) -> bool:
    if heartbeat_age is not None and heartbeat_age > NODE_TTL:
        return True
    host, _, rest = node_id.partition(":")
    pid = rest.partition(":")[0]
    if host == HOST and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return heartbeat_age is None  # open rows of a node that never beat, on another host


class MeetingTimers:
    def __init__(self, pool, service: MeetingService, *, grace_seconds: float):
        self._pool = pool
        self._service = service
        self._grace = grace_seconds
        self._restored = False
        self.wake_scheduler = asyncio.Event()
        service.on_scheduled = self.wake_scheduler.set

    @property
    def node_id(self) -> str:
        return self._service.node_id

    # --- every process ------------------------------------------------------------------
    async def run_heartbeat(self, stop: asyncio.Event) -> None:
        """Beat, write what the attendance log holds back, finish this process's ends."""
        while not stop.is_set():
            try:
                async with cursor(self._pool) as cur:
                    await attendance_sql.heartbeat(cur, self.node_id)
                await self._service.attendance.flush()
                await self._service.retry_endings(self.node_id)
            except Exception as exc:  # the database may be away for a while
                log.warning("heartbeat failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)

    async def leave_deployment(self) -> None:
        """At shutdown, after the sockets closed: this process's participants are out (their
        clients reconnect elsewhere), its attendance rows closed, its heartbeat gone."""
        with contextlib.suppress(Exception):
            await self._service.attendance.flush()
        try:
            await self._service.reap_node(self.node_id)
            async with cursor(self._pool) as cur:
                await attendance_sql.close_node(cur, self.node_id)
                await attendance_sql.forget_node(cur, self.node_id)
        except Exception as exc:
            log.warning("could not close this process's attendance at shutdown: %s", exc)

    async def restore(self) -> None:
        """Active meetings no live state holds are live again (once: at start, or in the
        lease holder's first round when the database was away at start)."""
        if self._restored:
            return
        try:
            await self._service.restore()
            self._restored = True
        except Exception as exc:
            log.warning("could not restore active meetings yet: %s", exc)

    # --- the lease holder -----------------------------------------------------------------
    def _tick(self) -> float:
        return max(0.05, min(1.0, self._grace / 5))

    async def run_timers(self, stop: asyncio.Event) -> None:
        """Restore meetings no live state holds, then: end the meetings empty for the grace
        period, and take dead processes' participants out."""
        next_reap = 0.0
        while not stop.is_set():
            await self.restore()
            try:  # this needs the database; the next round retries
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + 1.0
                    await self.reap_dead_nodes()
            except Exception as exc:
                log.warning("meeting timers: %s", exc)
            try:  # this one does not: an end begun now is finished when the database is back
                await self.end_expired()
            except Exception as exc:
                log.warning("meeting timers: ending empty meetings failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._tick())

    async def end_expired(self) -> None:
        cutoff = time.time() - self._grace
        for meeting_id in await self._service.live_state.empty_before(cutoff):
            await self._service.end(meeting_id, ENDED_BY_GRACE, empty_since_before=cutoff)

    async def reap_dead_nodes(self) -> list[str]:
        async with cursor(self._pool) as cur:
            others = await attendance_sql.other_nodes(cur, self.node_id)
        dead = [row["id"] for row in others if node_is_dead(row["id"], row["age"])]
        for node in dead:
            log.info("process %s is gone: its participants leave their meetings", node)
            async with cursor(self._pool) as cur:
                await attendance_sql.close_node(cur, node)
            await self._service.reap_node(node)
            if await self._service.retry_endings(node) == 0:
                async with cursor(self._pool) as cur:
                    await attendance_sql.forget_node(cur, node)
        return dead

    async def run_scheduler(self, stop: asyncio.Event) -> None:
        """Activate scheduled meetings at their time: sleep until the next one is due (or
        one is scheduled here, or SCHEDULER_MAX_SLEEP passes). A database that is away only
        delays the next round."""
        while not stop.is_set():
            delay = SCHEDULER_MAX_SLEEP
            self.wake_scheduler.clear()  # before reading: a meeting scheduled meanwhile wakes
            try:
                await self._service.activate_due()
                next_at = await self._service.next_scheduled_at()
                if next_at is not None:
                    delay = min(delay, max(0.0, (next_at - datetime.now(UTC)).total_seconds()))
            except Exception as exc:
                log.warning("scheduler round failed: %s", exc)
            waits = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self.wake_scheduler.wait()),
            ]
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()
