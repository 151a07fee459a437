"""Analytics (§18): the buffered recorder of tracked events, and the admin reports."""

from __future__ import annotations

import asyncio
import logging
import resource
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Hashable
from datetime import UTC, datetime

import orjson
import psycopg2

from onepizza.db import analytics as analytics_sql
from onepizza.db import cursor
from onepizza.db.pool import pool_stats
from onepizza.live.state import LIVE as LIVE_STATUS
from onepizza.live.state import LiveMeeting, LiveState

log = logging.getLogger(__name__)

BUFFER_CAPACITY = 10_000  # events held in memory, written or not; beyond it new ones are dropped
BATCH_SIZE = 500  # events per INSERT; a full batch wakes the writer before its interval
FLUSH_INTERVAL = 1.0  # seconds between writes
CLOSE_TIMEOUT = 5.0  # seconds the last write at shutdown may take
ONCE_CAPACITY = 10_000  # keys remembered by track_once
RETENTION_WEEKS = 12
ERRORS_LIMIT = 200  # error groups listed by /errors
# Failures worth another try: the database is away or slow. Anything else (a value the
# database refuses) would fail again, so that batch is dropped instead of blocking the rest.
TRANSIENT = (psycopg2.OperationalError, psycopg2.InterfaceError, OSError, TimeoutError)


def _text(value: str | None, limit: int) -> str | None:
    """PostgreSQL text holds no NUL; and nothing stored here needs to be long."""
    if value is None:
        return None
    return str(value).replace("\x00", "")[:limit]


def _meta(meta: dict | None) -> str:
    encoded = orjson.dumps(meta or {}, default=str).decode()
    return encoded.replace("\\u0000", "")  # jsonb refuses \u0000 too


class Analytics:
    """Records tracked events without waiting on the database: `track` appends to a bounded
    buffer that a loop task writes every FLUSH_INTERVAL (or as soon as BATCH_SIZE are
    waiting), one multi-row INSERT per batch. A full buffer drops new events, counted and
    logged; a batch that fails because the database is away goes back to the buffer for
    the next round."""

    def __init__(
        self,
        pool,
        *,
        capacity: int = BUFFER_CAPACITY,
        batch_size: int = BATCH_SIZE,
        interval: float = FLUSH_INTERVAL,
    ):
        self._pool = pool
        self._capacity = capacity
        self._batch_size = batch_size
        self._interval = interval
        self._buffer: deque[tuple] = deque()
        self._in_flight = 0
        self._write_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._writer: asyncio.Task | None = None
        self._once: OrderedDict[Hashable, None] = OrderedDict()
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Events tracked and not yet written."""
        return len(self._buffer) + self._in_flight

    # --- recording --------------------------------------------------------------------

    def track(
        self,
        event_type: str,
        *,
        user_id: int | None = None,
        company_id: int | None = None,
        meeting_id: str | None = None,
        meta: dict | None = None,
        route: str | None = None,
        message: str | None = None,
    ) -> None:
        """Buffer one event; never waits and never raises."""
        if self.pending >= self._capacity:
            self._drop(1, "the buffer is full")
            return
        try:
            row = (
                _text(event_type, 64),
                user_id,
                company_id,
                _text(meeting_id, 64),
                _text(route, 200),
                _text(message, 1000),
                _meta(meta),
                datetime.now(UTC),
            )
        except (TypeError, ValueError):
            log.warning("analytics: %s not recorded: its meta is not JSON", event_type)
            return
        self._buffer.append(row)
        if len(self._buffer) >= self._batch_size:
            self._wake.set()

    def track_once(self, key: Hashable, event_type: str, **fields) -> None:
        """`track`, but only the first time `key` is seen (of the last ONCE_CAPACITY keys)."""
        if key in self._once:
            self._once.move_to_end(key)
            return
        self._once[key] = None
        if len(self._once) > ONCE_CAPACITY:
            self._once.popitem(last=False)
        self.track(event_type, **fields)

    def track_feature(
        self, meeting: LiveMeeting, feature: str, meta: dict | None = None, *, once_for=None
    ) -> None:
        """A `feature.<feature>` use in a meeting, attributed to the meeting's account (people
        in a meeting are anonymous); with `once_for`, counted once per that key and meeting."""
        fields = {
            "user_id": meeting.owner_id,
            "company_id": meeting.company_id,
            "meeting_id": meeting.meeting_id,
            "meta": meta,
        }
        event_type = f"feature.{feature}"
        if once_for is None:
            self.track(event_type, **fields)
        else:
            self.track_once((event_type, meeting.meeting_id, once_for), event_type, **fields)

    def _drop(self, count: int, why: str) -> None:
        before = self.dropped
        self.dropped += count
        # The first drop, then one line per thousand: a flood of drops is not a flood of logs.
        if before == 0 or before // 1000 != self.dropped // 1000:
            log.warning("analytics: %d events dropped so far (%s)", self.dropped, why)

    # --- writing ----------------------------------------------------------------------

    async def flush(self) -> int:
        """Write everything buffered, a batch at a time; return how many were written.
        Stops at a transient failure, the batch kept for the next round."""
        written = 0
        async with self._write_lock:
            while self._buffer:
                size = min(self._batch_size, len(self._buffer))
                batch = [self._buffer.popleft() for _ in range(size)]
                self._in_flight = size
                try:
                    async with cursor(self._pool) as cur:
                        await analytics_sql.insert_events(cur, batch)
                except TRANSIENT as exc:
                    self._buffer.extendleft(reversed(batch))
                    log.warning(
                        "analytics: %d events kept for the next write: %s",
                        self.pending,
                        type(exc).__name__,
                    )
                    break
                except Exception:
                    log.exception("analytics: the database refused a batch")
                    self._drop(size, "refused by the database")
                    continue
                finally:
                    self._in_flight = 0
                written += size
        return written

    async def _run(self) -> None:
        while not self._stop.is_set():
            waits = [
                asyncio.ensure_future(self._stop.wait()),
                asyncio.ensure_future(self._wake.wait()),
            ]
            await asyncio.wait(waits, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()
            self._wake.clear()
            await self.flush()
        await self.flush()  # what was tracked while the last write ran

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._run(), name="analytics-writer")

    # Its own timeout: a database that hangs at shutdown must not hold the exit.
    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Write what is left (events tracked while meetings ended included), within
        `timeout` seconds, then stop the writer."""
        self._stop.set()
        if self._writer is not None:
            done, _ = await asyncio.wait([self._writer], timeout=timeout)
            if not done:
                self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self.pending:
            log.warning("analytics: %d events not written at shutdown", self.pending)


class NoAnalytics:
    """Records nothing: for a service built without a recorder."""

    def track(self, event_type: str, **fields) -> None:
        pass


# --- reports ----------------------------------------------------------------------------


def process_memory() -> dict[str, float]:
    """Megabytes: RSS, and a heap estimate. Python has no V8-style heap; on Linux the
    heap in use is the anonymous resident memory (RssAnon: objects, interpreter and C
    allocations, without code and mapped files) and the heap total the private writable
    memory mapped for it (VmData). Elsewhere all three are the peak RSS."""
    try:
        # procfs is served from kernel memory: this read never waits on a disk.
        with open("/proc/self/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        kb = {key: int(fields[key].split()[0]) for key in ("VmRSS", "RssAnon", "VmData")}
        rss, used, total = kb["VmRSS"], kb["RssAnon"], max(kb["VmData"], kb["RssAnon"])
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss = used = total = peak / 1024 if sys.platform == "darwin" else peak
    return {
        "memoryMB": round(rss / 1024, 1),
        "heapUsedMB": round(used / 1024, 1),
        "heapTotalMB": round(total / 1024, 1),
    }


def pool_waiting(pool) -> int:
    """Requests waiting for a connection. aiopg keeps its waiters on a private condition;
    read defensively so an aiopg upgrade costs this number, not the endpoint."""
    waiters = getattr(getattr(pool, "_cond", None), "_waiters", None)
    return len(waiters) if waiters is not None else 0


class AnalyticsReports:
    """What /admin/api/analytics/* show: reports over the events, meetings and ledger, and
    live figures from LiveState."""

    def __init__(self, pool, live: LiveState):
        self._pool = pool
        self._live = live
        self._started = time.monotonic()

    async def features(self, days: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.feature_usage(cur, days)

    async def errors(self, days: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.errors(cur, days, limit=ERRORS_LIMIT)

    async def retention(self) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.retention(cur, RETENTION_WEEKS)

    async def peak_hours(self, days: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.peak_hours(cur, days)

    async def overview(self) -> dict:
        async with cursor(self._pool) as cur:
            return await analytics_sql.overview(cur)

    async def users(self, *, limit: int, offset: int) -> tuple[int, list[dict]]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.users(cur, limit=limit, offset=offset)

    async def trends(self, days: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await analytics_sql.trends(cur, days)

    async def realtime(self) -> dict:
        """Live meetings from LiveState alone: no database query."""
        meetings = [m for m in await self._live.meetings() if m.status == LIVE_STATUS]
        now = time.time()
        return {
            "activeMeetings": len(meetings),
            "totalParticipants": sum(len(m.participants) for m in meetings),
            "activeRecordings": sum(m.recording_host is not None for m in meetings),
            "activeScreenShares": sum(
                p.is_screen_sharing for m in meetings for p in m.participants.values()
            ),
            "meetingList": [
                {
                    "id": m.meeting_id,
                    "title": m.title,
                    "participantCount": len(m.participants),
                    "duration": max(0, int(now - m.started_at)),
                    "isRecording": m.recording_host is not None,
                }
                for m in meetings
            ],
        }

    async def health(self) -> dict:
        """This process: uptime, memory and pool; live meetings from LiveState, scheduled
        ones (in no process's memory yet) from the database."""
        async with cursor(self._pool) as cur:
            scheduled = await analytics_sql.scheduled_count(cur)
        stats = pool_stats(self._pool)  # after the query: its connection is back, idle
        return {
            "uptimeSeconds": int(time.monotonic() - self._started),
            **process_memory(),
            "dbPoolTotal": stats["total"],
            "dbPoolIdle": stats["idle"],
            "dbPoolWaiting": pool_waiting(self._pool),
            "activeMeetings": sum(m.status == LIVE_STATUS for m in await self._live.meetings()),
            "scheduledMeetings": scheduled,
        }
