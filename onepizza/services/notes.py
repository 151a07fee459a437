"""The meeting's shared notes: one plain-text pad, each write naming the version it was
made on; a write on an older version changes nothing and gets the current pad back."""

from __future__ import annotations

from onepizza.db import cursor
from onepizza.db import notes as notes_sql
from onepizza.errors import Conflict
from onepizza.services.meeting_access import MeetingNotifier
from onepizza.services.meetings import iso_utc

EMPTY = {"text": "", "version": 0, "updatedBy": None, "updatedAt": None}


def notes_view(row: dict | None) -> dict:
    if row is None:
        return dict(EMPTY)
    return {
        "text": row["text"],
        "version": row["version"],
        "updatedBy": row["updated_by"],
        "updatedAt": iso_utc(row["updated_at"]),
    }


class NotesConflict(Conflict):
    """The write was made on an older version: `current` is the pad as it is."""

    def __init__(self, current: dict):
        super().__init__("The notes changed since your version: merge with the current text")
        self.current = current


class NotesService(MeetingNotifier):
    def __init__(self, pool):
        super().__init__()
        self._pool = pool

    async def get(self, meeting_id: str) -> dict:
        async with cursor(self._pool) as cur:
            return notes_view(await notes_sql.get(cur, meeting_id))

    async def version(self, meeting_id: str) -> int:
        async with cursor(self._pool) as cur:
            return await notes_sql.version(cur, meeting_id)

    async def write(self, meeting_id: str, text: str, by: str, base_version: int | None) -> dict:
        """The new pad (`notes:updated` to the meeting), or NotesConflict."""
        async with cursor(self._pool) as cur:
            row = await notes_sql.write(cur, meeting_id, text, by, base_version)
            if row is None:
                raise NotesConflict(notes_view(await notes_sql.get(cur, meeting_id)))
        notes = notes_view(row)
        await self.tell(meeting_id, "notes:updated", notes)
        return notes
