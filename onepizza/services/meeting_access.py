"""Who may reach a meeting's polls, questions, notes and attendance over REST (its owner's
account or company, or its host token, whatever the meeting's status), and the base of the
services that tell the meeting's sockets about a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onepizza.db import attendance as attendance_sql
from onepizza.db import cursor
from onepizza.errors import Forbidden, NotFound
from onepizza.live.state import LiveState, Participant
from onepizza.services.meetings import MeetingEvents, MeetingService, _visible_to

HOST_ONLY = "Only a host can do that"


@dataclass(frozen=True)
class MeetingRef:
    """A meeting a caller reached: what the reports need of it."""

    meeting_id: str
    title: str
    guest: bool
    started_at: datetime | None = None
    ended_at: datetime | None = None
    peak_participants: int = 0


def require_host(actor: Participant | None) -> None:
    """`actor` is the participant acting over Socket.IO, or None for a REST caller (whose
    key or host token MeetingAccess already checked)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden(HOST_ONLY)


class MeetingAccess:
    def __init__(self, pool, live: LiveState):
        self._pool = pool
        self._live = live

    async def reach(
        self, meeting_id: str, *, user: dict | None, admin_token: str | None
    ) -> MeetingRef:
        """The meeting for `user` (an x-api-key's or the session's: the owner or their
        company) or, with no user, for the holder of its host token; 404 / 403 otherwise."""
        live = await self._live.meeting(meeting_id)
        if live is not None and live.guest:  # no row: only its host token reaches it
            MeetingService.check_admin_token(live.admin_token_hash, admin_token)
            return MeetingRef(meeting_id, live.title, guest=True)
        async with cursor(self._pool) as cur:
            row = await attendance_sql.meeting(cur, meeting_id)
        if row is None:
            raise NotFound("Meeting not found")
        if user is not None:
            if not _visible_to(row, user):
                raise NotFound("Meeting not found")
        else:
            MeetingService.check_admin_token(bytes(row["admin_token_hash"]), admin_token)
        return MeetingRef(
            meeting_id,
            live.title if live is not None else row["title"],
            guest=False,
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            peak_participants=row["peak_participants"],
        )


class MeetingNotifier:
    """A service whose changes the meeting's sockets hear (through every process)."""

    def __init__(self) -> None:
        self._events: MeetingEvents | None = None

    def set_events(self, events: MeetingEvents) -> None:
        self._events = events

    async def tell(self, meeting_id: str, event: str, data: dict) -> None:
        if self._events is not None:
            await self._events.to_meeting(meeting_id, event, data)
