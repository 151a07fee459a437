"""What `joined` carries of polls and notes (collaboration.md: the open polls and the notes
version), read for many joins at once: a burst of joins is a few round trips, not three each."""

from __future__ import annotations

import asyncio
import logging

from onepizza.db import cursor
from onepizza.db import notes as notes_sql
from onepizza.db import polls as poll_sql
from onepizza.services.polls import by_poll, poll_view

log = logging.getLogger(__name__)

MAX_MEETINGS_PER_READ = 500


class JoinedCollab:
    """`fields(meeting_id)` -> {"polls": [...], "notesVersion": n}. The meetings asked for
    while a read is under way are read together in the next one; joins of one meeting that
    wait for the same read share its answer."""

    def __init__(self, pool):
        self._pool = pool
        self._waiting: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    async def fields(self, meeting_id: str) -> dict:
        future = self._waiting.get(meeting_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[meeting_id] = future
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(), name="joined-collab")
        return await asyncio.shield(future)

    async def _read_all(self) -> None:
        while self._waiting:
            ids = list(self._waiting)[:MAX_MEETINGS_PER_READ]
            batch = {meeting_id: self._waiting.pop(meeting_id) for meeting_id in ids}
            try:
                found = await self._read(ids)
            except Exception as exc:  # each join decides what to do without them
                for future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved here: a join that gave up may not
                continue
            for meeting_id, future in batch.items():
                if not future.done():
                    future.set_result(found[meeting_id])

    async def _read(self, meeting_ids: list[str]) -> dict[str, dict]:
        async with cursor(self._pool) as cur:
            polls = await poll_sql.open_in(cur, meeting_ids)
            votes = by_poll(await poll_sql.votes(cur, [row["id"] for row in polls]))
            versions = await notes_sql.versions(cur, meeting_ids)
        found = {m: {"polls": [], "notesVersion": versions.get(m, 0)} for m in meeting_ids}
        for row in polls:
            found[row["meeting_id"]]["polls"].append(poll_view(row, votes.get(row["id"], [])))
        return found
