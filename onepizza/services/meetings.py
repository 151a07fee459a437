"""Meeting lifecycle: create, list, join and leave, host controls, settings, and the end
(charged once by services.charging). The timers that end meetings (grace, dead processes)
and activate scheduled ones live in services.meeting_timers."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import meetings as meeting_sql
from onepizza.errors import Forbidden, NotFound, PaymentRequired
from onepizza.live import state as live_state
from onepizza.live.state import (
    DEFAULT_SETTINGS,
    Announcement,
    JoinRequest,
    LiveMeeting,
    LiveState,
    Participant,
)
from onepizza.services import webhooks as hooks
from onepizza.services.analytics import NoAnalytics
from onepizza.services.charging import AttendanceLog, MeetingCharges
from onepizza.services.tokens import digest

log = logging.getLogger(__name__)

ENDED_BY_GRACE = "The meeting ended because everyone left"
ENDED_BY_HOST = "The host ended the meeting"
ENDED_AT_SHUTDOWN = "The server is shutting down"


class MeetingEvents(Protocol):
    """What the realtime layer does when the lifecycle changes."""

    async def meeting_ended(self, meeting_id: str, reason: str) -> None: ...

    async def settings_updated(self, meeting_id: str, settings: dict) -> None: ...

    async def to_socket(self, sid: str, event: str, data: dict) -> None: ...

    async def to_meeting(self, meeting_id: str, event: str, data: dict, skip_sid=None) -> None: ...

    async def remove_socket(self, sid: str, meeting_id: str, room: str = "") -> None: ...

    async def participant_left(self, meeting_id: str, participant: Participant) -> None: ...


class JoinRefused(Exception):
    """A socket may not join; the message is for the person joining, the code (the `error`
    event's `code`) for its client."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


WAITING_ROOM_REQUIRED = (
    "This meeting has a waiting room: use waiting-room:join and wait to be admitted"
)
ENDED = ("meeting_ended", "This meeting has ended")
REFUSALS = {
    live_state.ENDING: ENDED,
    live_state.LOCKED: ("meeting_locked", "This meeting is locked"),
    live_state.WAITING_ROOM: ("waiting_room", WAITING_ROOM_REQUIRED),
    live_state.FULL: ("meeting_full", "This meeting is full"),
}


@dataclass
class Joined:
    meeting: LiveMeeting  # after the join, the joiner included
    participant: Participant
    invited: bool
    resume_token: str  # lets this client replace its entry when it reconnects
    replaced: Participant | None  # the entry a resume token replaced
    announced: bool  # the live store already sent `joined` and `participant:joined`


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_meeting_id() -> str:
    """`abc-defg-hij`: ten random lower-case letters (about 47 bits)."""
    letters = string.ascii_lowercase
    part = lambda n: "".join(secrets.choice(letters) for _ in range(n))  # noqa: E731
    return f"{part(3)}-{part(4)}-{part(3)}"


def new_admin_token() -> str:
    return secrets.token_hex(24)


def resume_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MeetingService:
    def __init__(
        self,
        pool,
        live: LiveState,
        *,
        node_id: str,
        mailer=None,
        analytics=None,
    ):
        self._pool = pool
        self._live = live
        self.node_id = node_id
        self._analytics = analytics or NoAnalytics()
        self.attendance = AttendanceLog(pool, node_id)
        self.charges = MeetingCharges(pool, mailer=mailer)
        self._events: MeetingEvents | None = None
        self._webhooks: hooks.WebhookService | None = None
        self.on_scheduled: Callable[[], None] = lambda: None  # wakes the scheduler

    @property
    def live_state(self) -> LiveState:
        return self._live

    def set_events(self, events: MeetingEvents) -> None:
        self._events = events

    def set_webhooks(self, webhooks: hooks.WebhookService) -> None:
        self._webhooks = webhooks
        self.charges.webhooks = webhooks

    def _emit(self, event: hooks.WebhookEvent) -> None:
        """Queue webhook deliveries without waiting (guest meetings have no owner, no hooks)."""
        if self._webhooks is not None and event.user_id is not None:
            self._webhooks.emit(event)

    # --- creating and reading ---------------------------------------------------------

    async def create(
        self, owner: dict, *, title: str, scheduled_at: datetime | None, settings: dict
    ) -> tuple[dict, str]:
        """A new meeting of the owner (their company's, for a member); 402 without credit.
        Returns its row and the admin token, which is shown only now."""
        settings = {**DEFAULT_SETTINGS, **settings}
        status = "scheduled" if scheduled_at else "active"
        token = new_admin_token()
        row = None
        async with cursor(self._pool) as cur:
            while row is None:
                row = await meeting_sql.insert(
                    cur,
                    meeting_id=new_meeting_id(),
                    owner_id=owner["id"],
                    company_id=owner["company_id"],
                    title=title,
                    admin_token_hash=digest(token),
                    status=status,
                    settings=settings,
                    scheduled_at=scheduled_at,
                )
                if row is None:  # no credit, or (rarely) the id was taken: draw again
                    payer = {"user_id": owner["id"], "company_id": owner["company_id"]}
                    if await ledger_sql.balance(cur, **payer) <= 0:
                        raise PaymentRequired(
                            "Insufficient credits: top up your balance to create meetings"
                        )
        if status == "active":
            await self._live.add_meeting(self._live_meeting(row))
            self._emit(hooks.meeting_started(row["owner_id"], row["id"], row["title"]))
        else:
            self.on_scheduled()
        self._analytics.track(
            "meeting.created",
            user_id=owner["id"],
            company_id=owner["company_id"],
            meeting_id=row["id"],
            meta=_created_meta(settings, scheduled=status == "scheduled"),
        )
        return row, token

    async def create_guest(self, title: str) -> tuple[LiveMeeting, str]:
        token = new_admin_token()
        meeting_id = new_meeting_id()
        meeting = LiveMeeting(
            meeting_id=meeting_id,
            title=title,
            admin_token_hash=digest(token),
            owner_id=None,
            guest=True,
        )
        while not await self._live.add_meeting(meeting):  # the id was taken: draw again
            meeting.meeting_id = meeting_id = new_meeting_id()
        self._analytics.track(
            "meeting.created",
            meeting_id=meeting_id,
            meta=_created_meta(meeting.settings, scheduled=False),
        )
        return meeting, token

    @staticmethod
    def _live_meeting(row: dict) -> LiveMeeting:
        started = row.get("started_at")
        return LiveMeeting(
            meeting_id=row["id"],
            title=row["title"],
            admin_token_hash=bytes(row["admin_token_hash"]),
            owner_id=row["owner_id"],
            company_id=row["company_id"],
            settings={**DEFAULT_SETTINGS, **row["settings"]},
            created_at=int(row["created_at"].timestamp() * 1000),
            started_at=started.timestamp() if started else datetime.now(UTC).timestamp(),
            peak_participants=row.get("peak_participants") or 0,
        )

    async def owned(self, user: dict, meeting_id: str) -> dict:
        """A scheduled or active meeting the user may manage; 404 otherwise."""
        async with cursor(self._pool) as cur:
            row = await meeting_sql.get_live(cur, meeting_id)
        if row is None or not _visible_to(row, user):
            raise NotFound("Meeting not found")
        return row

    async def list(self, user: dict, *, scheduled_only: bool = False) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await meeting_sql.list_live(
                cur,
                owner_id=user["id"],
                company_id=user["company_id"],
                status="scheduled" if scheduled_only else None,
            )

    async def live(self, meeting_id: str) -> LiveMeeting | None:
        return await self._live.meeting(meeting_id)

    async def history(self, user: dict, *, limit: int, offset: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await meeting_sql.history(
                cur,
                owner_id=user["id"],
                company_id=user["company_id"],
                limit=limit,
                offset=offset,
            )

    # --- joining and leaving --------------------------------------------------------

    async def join(
        self,
        meeting_id: str,
        *,
        sid: str,
        name: str,
        admin_token: str | None,
        invite_token: str | None,
        resume_token: str | None = None,
        announce: Callable[[str, str], Announcement] | None = None,
        admitted: Callable[[Joined], Awaitable[None]] | None = None,
    ) -> Joined:
        """Admit a socket to a live meeting as a new participant, or raise JoinRefused.
        The rules are one atomic step of the live store; the join is then written to the
        attendance rows (and the meeting's peak) before it is acknowledged. `announce`
        (participant id, resume token) describes the messages a store that
        can publish sends with the join itself; `admitted` runs right after the join's
        atomic step, before anything else is awaited (a store without publishing: the
        caller announces it there)."""
        token = secrets.token_urlsafe(18)
        participant = Participant(
            participant_id=secrets.token_hex(4),
            sid=sid,
            name=name,
            is_admin=False,  # the store decides, from the admin token's digest
            node=self.node_id,
            resume_hash=resume_digest(token),
        )
        request = JoinRequest(
            participant,
            invite_hash=digest(invite_token) if invite_token else None,
            resume_hash=resume_digest(resume_token) if resume_token else None,
            admin_hash=digest(admin_token) if admin_token else None,
        )
        announcement = announce(participant.participant_id, token) if announce else None
        outcome = await self._live.join(meeting_id, request, admit_sid=sid, announce=announcement)
        if outcome.refused == live_state.MISSING:
            await self._revive(meeting_id)  # the meeting is live again, or JoinRefused
            outcome = await self._live.join(
                meeting_id, request, admit_sid=sid, announce=announcement
            )
        if outcome.refused == live_state.MISSING:
            raise JoinRefused(*await self._why_not_live(meeting_id))
        if outcome.refused:
            raise JoinRefused(*REFUSALS[outcome.refused])
        meeting, me = outcome.meeting, outcome.participant
        joined = Joined(meeting, me, outcome.invited, token, outcome.replaced, outcome.announced)
        # Recorded before anyone can hear of the join (which may be at once: see `announce`
        # and `admitted`), so they come before whatever the participant does next.
        if outcome.replaced is not None:
            self._emit(
                hooks.participant_event(
                    "participant.left", meeting.owner_id, meeting_id, outcome.replaced
                )
            )
        self._emit(hooks.participant_event("participant.joined", meeting.owner_id, meeting_id, me))
        self._analytics.track(
            "meeting.participant_joined",
            user_id=meeting.owner_id,
            company_id=meeting.company_id,
            meeting_id=meeting_id,
            meta={"meetingId": meeting_id, "participantCount": len(meeting.participants)},
        )
        if admitted is not None:
            await admitted(joined)
        if not meeting.guest:
            if outcome.replaced is not None:
                await self.attendance.left(meeting_id, outcome.replaced.participant_id)
            await self.attendance.joined(meeting_id, me, peak=len(meeting.participants))
        return joined

    async def _revive(self, meeting_id: str) -> None:
        """A meeting no live state holds: an active row (the state was lost, or this process
        has only just started and not restored yet) is live again; otherwise JoinRefused."""
        async with cursor(self._pool) as cur:
            row = await meeting_sql.get_live(cur, meeting_id)
        if row is not None and row["status"] == "active":
            await self._live.add_meeting(self._live_meeting(row))
            return
        raise JoinRefused(*await self._why_not_live(meeting_id))

    async def _why_not_live(self, meeting_id: str) -> tuple[str, str]:
        """The refusal's code and message."""
        if await self._live.was_ended(meeting_id):  # a guest meeting, which has no row
            return ENDED
        async with cursor(self._pool) as cur:
            row = await meeting_sql.status(cur, meeting_id)
        if row is None:
            return "meeting_not_found", "Meeting not found"
        if row["status"] == "scheduled":
            when = iso_utc(row["scheduled_at"])
            return "meeting_scheduled", f"This meeting is scheduled for {when}"
        if row["status"] == "active":
            return "meeting_restarting", "This meeting is starting up again: try again in a moment"
        return ENDED

    async def leave(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        """Take the socket out of its meeting (an emptied meeting's grace starts in the
        store: services.meeting_timers ends it if nobody comes back)."""
        left = await self._live.leave(sid)
        if left is not None:
            await self._left(*left)
        return left

    async def _left(self, meeting: LiveMeeting, participant: Participant) -> None:
        if not meeting.guest:
            await self.attendance.left(meeting.meeting_id, participant.participant_id)
        self._emit(
            hooks.participant_event(
                "participant.left", meeting.owner_id, meeting.meeting_id, participant
            )
        )

    async def reap_node(self, node: str) -> list[tuple[LiveMeeting, Participant]]:
        """Take a dead process's participants out of their meetings; everyone else is told."""
        reaped = await self._live.reap_node(node)
        for meeting, participant in reaped:
            self._emit(
                hooks.participant_event(
                    "participant.left", meeting.owner_id, meeting.meeting_id, participant
                )
            )
            if self._events:
                await self._events.participant_left(meeting.meeting_id, participant)
        return reaped

    # --- host controls ----------------------------------------------------------------

    async def _target(self, meeting_id: str, participant_id: str) -> Participant:
        participant = await self._live.participant(meeting_id, participant_id)
        if participant is None:
            raise NotFound("Participant not found")
        return participant

    async def mute(self, meeting_id: str, participant_id: str) -> None:
        target = await self._target(meeting_id, participant_id)
        await self._live.update_participant(target.sid, is_muted=True)
        await self._events.to_socket(target.sid, "admin:mute", {})
        await self._events.to_meeting(
            meeting_id, "participant:updated", {"participantId": participant_id, "isMuted": True}
        )

    async def request_unmute(self, meeting_id: str, participant_id: str) -> None:
        target = await self._target(meeting_id, participant_id)
        await self._events.to_socket(target.sid, "admin:unmute", {})

    async def kick(self, meeting_id: str, participant_id: str, reason: str | None) -> None:
        """Remove a participant at once: out of the rooms, told why, told nothing more."""
        target = await self._target(meeting_id, participant_id)
        if await self.leave(target.sid) is None:
            raise NotFound("Participant not found")
        await self._events.remove_socket(target.sid, meeting_id, target.room)
        await self._events.to_socket(
            target.sid, "admin:kick", {"reason": reason or "You were removed by the host"}
        )
        await self._events.to_meeting(
            meeting_id, "participant:left", {"participantId": participant_id, "name": target.name}
        )

    async def mute_all(self, meeting_id: str) -> int:
        meeting = await self._live.meeting(meeting_id)
        if meeting is None:
            raise NotFound("Meeting not found")
        for participant in list(meeting.participants.values()):
            await self._live.update_participant(participant.sid, is_muted=True)
        await self._events.to_meeting(meeting_id, "meeting:all-muted", {})
        return len(meeting.participants)

    # --- admin token ------------------------------------------------------------------

    @staticmethod
    def check_admin_token(expected: bytes, token: str | None) -> None:
        if not token or not hmac.compare_digest(expected, digest(token)):
            raise Forbidden("Missing or invalid x-admin-token")

    # --- settings ---------------------------------------------------------------------

    async def update_settings(self, meeting_id: str, changes: dict) -> dict:
        """Apply validated changes to a live meeting (and its stored row) and broadcast
        them; a scheduled meeting has only its stored row changed."""
        meeting = await self._live.update_settings(meeting_id, changes)
        if meeting is None:
            return await self._update_stored_settings(meeting_id, changes)
        settings = meeting.settings
        if not meeting.guest:
            async with cursor(self._pool) as cur:
                await meeting_sql.update_settings(cur, meeting_id, settings, meeting.title)
        if self._events:
            await self._events.settings_updated(meeting_id, settings)
        return settings

    async def _update_stored_settings(self, meeting_id: str, changes: dict) -> dict:
        async with transaction(self._pool) as cur:
            row = await meeting_sql.get_live(cur, meeting_id)
            if row is None:
                raise NotFound("Meeting not found")
            settings = {**DEFAULT_SETTINGS, **row["settings"]}
            settings.update({k: v for k, v in changes.items() if k in DEFAULT_SETTINGS})
            title = changes.get("title", row["title"])
            await meeting_sql.update_settings(cur, meeting_id, settings, title)
        return settings

    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool:
        return await self._live.add_invite(meeting_id, token_hash, name)

    # --- ending -----------------------------------------------------------------------

    async def end(
        self, meeting_id: str, reason: str, *, empty_since_before: float | None = None
    ) -> dict | None:
        """End a live meeting: participants are told, then one history row and one charge,
        whoever else races to end it (the live store lets exactly one caller begin the end,
        and the database ends an active row once). A database that is away leaves the
        meeting ending (rejoins refused) until a retry succeeds. Returns the ended row
        (None for a guest meeting, or when another caller ended it). With
        `empty_since_before` (the grace period), only a meeting still empty since then."""
        live = await self._live.begin_end(
            meeting_id, self.node_id, empty_since_before=empty_since_before
        )
        if live is None and empty_since_before is not None:
            return None
        if live is None:
            if await self._live.meeting(meeting_id) is not None:
                return None  # another caller is ending it
            # Active in the database but in no live state (lost with a process): end it.
            row = await self.charges.close(meeting_id, peak=0)
            if row is not None:
                self._track_row(row)
            return row
        if self._events:
            await self._events.meeting_ended(meeting_id, reason)
        if live.guest:
            await self._live.finish_end(meeting_id)
            await self._live.remember_ended(meeting_id)
            minutes = (datetime.now(UTC).timestamp() - live.started_at) / 60
            self._track_ended(meeting_id, None, None, round(minutes, 2), live.peak_participants, 0)
            return None
        return await self.finish_end(live)

    async def finish_end(self, live: LiveMeeting) -> dict | None:
        """The durable half of an end (begun by begin_end): charge, then forget the live
        state. Raises if the database is away; the meeting stays ending for a retry."""
        if not await self.attendance.flush():
            return None  # every join and leave must be written first: retried later
        try:
            row = await self.charges.close(
                live.meeting_id,
                live.peak_participants,
                still_in=list(live.participants.values()),
                streaming=live.stream_host is not None,
            )
        except Exception as exc:
            log.warning("ending meeting %s failed, will retry: %s", live.meeting_id, exc)
            return None
        await self._live.finish_end(live.meeting_id)
        if row is not None:
            self._track_row(row)
        return row

    async def retry_endings(self, node: str) -> int:
        """Finish the ends that `node` began and could not finish (the database was away,
        or the process died): returns how many are still unfinished."""
        unfinished = 0
        for meeting_id in await self._live.endings_of(node):
            live = await self._live.meeting(meeting_id)
            if live is None:
                continue
            if live.guest:
                await self._live.finish_end(meeting_id)
                await self._live.remember_ended(meeting_id)
                continue
            await self.finish_end(live)
            if await self._live.meeting(meeting_id) is not None:
                unfinished += 1
        return unfinished

    def _track_row(self, row: dict) -> None:
        self._track_ended(
            row["id"],
            row["owner_id"],
            row["company_id"],
            row["duration_minutes"],
            row["peak_participants"],
            row["cost_usd"],
        )

    def _track_ended(self, meeting_id, owner_id, company_id, minutes, peak, cost) -> None:
        self._analytics.track(
            "meeting.ended",
            user_id=owner_id,
            company_id=company_id,
            meeting_id=meeting_id,
            meta={
                "durationMinutes": float(minutes),
                "peakParticipants": peak,
                "costUsd": f"{cost:.4f}",
            },
        )

    async def cancel(self, meeting_id: str) -> bool:
        async with cursor(self._pool) as cur:
            cancelled = await meeting_sql.cancel(cur, meeting_id)
        self.on_scheduled()
        return cancelled

    # --- restarts -----------------------------------------------------------------------

    async def restore(self) -> int:
        """Active meetings of the database that no live state holds (after a restart of a
        memory-state process, or a lost Redis) are live again, empty, so their grace runs."""
        async with cursor(self._pool) as cur:
            rows = await meeting_sql.all_active(cur)
        restored = 0
        for row in rows:
            restored += await self._live.add_meeting(self._live_meeting(row))
        return restored

    async def activate_due(self) -> list[dict]:
        """Scheduled meetings whose time has come become active and live."""
        async with transaction(self._pool) as cur:
            activated = await meeting_sql.activate_due(cur)
            started = [hooks.meeting_started(r["owner_id"], r["id"], r["title"]) for r in activated]
            hooked = await self.charges.record(cur, started)
        for row in activated:
            await self._live.add_meeting(self._live_meeting(row))
            log.info("scheduled meeting %s is now active", row["id"])
        if hooked:
            self._webhooks.notify()
        return activated

    async def next_scheduled_at(self):
        async with cursor(self._pool) as cur:
            return await meeting_sql.next_scheduled_at(cur)

    async def end_guest_meetings(self, reason: str) -> None:
        """At the shutdown of a memory-state process: guest meetings (which have no row to
        come back from) end, and their participants are told before the sockets close."""
        for meeting in await self._live.meetings():
            if meeting.guest:
                try:
                    await self.end(meeting.meeting_id, reason)
                except Exception:
                    log.exception("could not end guest meeting %s", meeting.meeting_id)


def _created_meta(settings: dict, *, scheduled: bool) -> dict:
    return {
        "scheduled": scheduled,
        "muteOnJoin": settings["muteOnJoin"],
        "waitingRoom": settings["waitingRoom"],
    }


def _visible_to(row: dict, user: dict) -> bool:
    if row["owner_id"] == user["id"]:
        return True
    return row["company_id"] is not None and row["company_id"] == user.get("company_id")
