"""Charging a meeting at its end: the history row, the charge and its ledger row, and the
webhook deliveries, in one transaction; and the attendance rows it is computed from."""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging

from onepizza.db import attendance as attendance_sql
from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import meetings as meeting_sql
from onepizza.live.state import Participant
from onepizza.services import webhooks as hooks

log = logging.getLogger(__name__)

NODE_TTL = 10.0  # seconds without a heartbeat after which a process is taken for dead
MAX_PENDING_WRITES = 100_000
BATCH_ROWS = 500  # rows of one attendance write


class AttendanceLog:
    """Writes every join and leave as it happens. The writes waiting while one is under way
    go together in the next (group commit: one round trip for a burst of joins, none of
    them waiting longer than one write). A write the database refuses (it is away) is kept,
    in order, and retried by `flush` until it succeeds."""

    def __init__(self, pool, node_id: str):
        self._pool = pool
        self.node_id = node_id
        # ("join", row) / ("leave", row), each with the future its caller awaits
        self._queue: collections.deque[tuple[str, tuple, asyncio.Future]] = collections.deque()
        self._lock = asyncio.Lock()
        self._writer: asyncio.Task | None = None

    async def joined(self, meeting_id: str, participant: Participant, *, peak: int) -> None:
        row = (
            meeting_id,
            participant.participant_id,
            participant.name,
            participant.is_admin,
            participant.node or self.node_id,
            peak,
        )
        await self._write("join", row)

    async def left(self, meeting_id: str, participant_id: str) -> None:
        await self._write("leave", (meeting_id, participant_id))

    async def _write(self, kind: str, row: tuple) -> None:
        """Queue the row and wait for the write that takes it (or finds the database away)."""
        if len(self._queue) >= MAX_PENDING_WRITES:
            log.error("attendance: %d writes waiting for the database", len(self._queue))
        done = asyncio.get_running_loop().create_future()
        self._queue.append((kind, row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self.flush(), name="attendance-writer")
        await asyncio.shield(done)  # a cancelled caller's row is written all the same

    async def flush(self) -> bool:
        """Write what is waiting, in order, in batches; False if the database is away."""
        async with self._lock:
            while self._queue:
                batch = list(itertools.islice(self._queue, BATCH_ROWS))
                joins = [row for kind, row, _ in batch if kind == "join"]
                leaves = [row for kind, row, _ in batch if kind == "leave"]
                try:
                    async with cursor(self._pool) as cur:
                        await attendance_sql.write(cur, joins, leaves)
                except Exception as exc:
                    log.warning(
                        "attendance: %d writes wait for the database (%s)", len(self._queue), exc
                    )
                    for _, _, done in self._queue:  # their callers go on; the rows stay
                        if not done.done():
                            done.set_result(False)
                    return False
                for _ in batch:
                    _, _, done = self._queue.popleft()
                    if not done.done():
                        done.set_result(True)
        return True

    @property
    def pending(self) -> int:
        return len(self._queue)


class MeetingCharges:
    """The end's one transaction, and the low-balance e-mail it may trigger."""

    def __init__(self, pool, *, webhooks=None, mailer=None):
        self._pool = pool
        self.webhooks = webhooks
        self._mailer = mailer

    async def close(
        self,
        meeting_id: str,
        peak: int,
        still_in: list[Participant] | None = None,
        *,
        streaming: bool = False,
    ) -> dict | None:
        """End an active meeting and charge it once: None if it was not active. Its
        webhooks: participant.left for those still in, stream.stopped for a stream still
        running, then meeting.ended."""
        alert = None
        async with transaction(self._pool) as cur:
            row = await meeting_sql.end(cur, meeting_id, peak=peak, node_ttl=NODE_TTL)
            if row is None:
                return None
            left = [
                hooks.participant_event("participant.left", row["owner_id"], meeting_id, p)
                for p in still_in or ()
            ]
            if streaming:
                left.append(hooks.stream_stopped(row["owner_id"], meeting_id))
            hooked = await self.record(cur, [*left, hooks.meeting_ended(row)])
            if row["cost_usd"] > 0:
                alert = await self._charge(cur, row)
        if hooked:
            self.webhooks.notify()
        if alert and self._mailer and alert[0]:
            contact, balance, threshold = alert
            self._mailer.send_low_balance(
                contact, balance=f"{balance:.2f}", threshold=f"{threshold:.2f}"
            )
        return row

    async def _charge(self, cur, row: dict):
        minutes = round(row["duration_minutes"])
        balance = await ledger_sql.apply(
            cur,
            user_id=row["owner_id"],
            company_id=row["company_id"],
            amount=-row["cost_usd"],
            kind="meeting_charge",
            meeting_id=row["id"],
            description=(
                f"Meeting {row['id']} ({minutes}m, {row['peak_participants']} participants)"
            ),
        )
        threshold = await ledger_sql.low_balance_threshold(cur)
        if balance < threshold <= balance + row["cost_usd"]:
            contact = await ledger_sql.billing_contact(
                cur, user_id=row["owner_id"], company_id=row["company_id"]
            )
            return contact, balance, threshold
        return None

    async def record(self, cur, events: list[hooks.WebhookEvent]) -> bool:
        """Queue webhook deliveries in the caller's transaction; True if any were."""
        if self.webhooks is None or not events:
            return False
        return await self.webhooks.record(cur, events) > 0
