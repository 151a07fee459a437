"""The attendance report: one row per stay (a participant who left and came back has two),
from the rows the meeting service writes at every join and leave."""

from __future__ import annotations

import csv
import io

from onepizza.db import attendance as attendance_sql
from onepizza.db import cursor
from onepizza.errors import NotFound
from onepizza.services.meeting_access import MeetingRef
from onepizza.services.meetings import iso_utc

CSV_COLUMNS = ("participantId", "name", "isAdmin", "joinedAt", "leftAt", "durationSeconds")


def _iso(value) -> str | None:
    return iso_utc(value) if value is not None else None


class AttendanceReports:
    def __init__(self, pool):
        self._pool = pool

    async def report(self, meeting: MeetingRef) -> dict:
        if meeting.guest:
            raise NotFound("Guest meetings keep no attendance")
        async with cursor(self._pool) as cur:
            rows = await attendance_sql.stays(cur, meeting.meeting_id)
        return {
            "meetingId": meeting.meeting_id,
            "title": meeting.title,
            "startedAt": _iso(meeting.started_at),
            "endedAt": _iso(meeting.ended_at),
            "peakParticipants": meeting.peak_participants,
            "attendees": [
                {
                    "participantId": row["participant_id"],
                    "name": row["name"],
                    "isAdmin": row["is_host"],
                    "joinedAt": _iso(row["joined_at"]),
                    "leftAt": _iso(row["left_at"]),
                    "durationSeconds": row["duration_seconds"],
                }
                for row in rows
            ],
        }


def as_csv(report: dict) -> str:
    """The report's rows as CSV with a header line (a cell starting with = + - @ is quoted
    with a leading ' so a spreadsheet does not run it as a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for attendee in report["attendees"]:
        writer.writerow([_cell(attendee[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
