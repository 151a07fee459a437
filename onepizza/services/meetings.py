"""Meeting lifecycle: create, list, settings, end (with its one charge), guest meetings,
scheduled activation and the empty-meeting grace period."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import string
from datetime import UTC, datetime
from typing import Protocol

from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import meetings as meeting_sql
from onepizza.errors import Forbidden, NotFound, PaymentRequired
from onepizza.live.state import DEFAULT_SETTINGS, LiveMeeting, LiveState, Participant
from onepizza.services import webhooks as hooks
from onepizza.services.analytics import NoAnalytics
from onepizza.services.tokens import digest

log = logging.getLogger(__name__)

SCHEDULER_MAX_SLEEP = 60.0  # seconds; also catches meetings scheduled by other processes
SHUTDOWN_CONCURRENCY = 8  # meetings ended at once at shutdown (each holds a connection)
SHUTDOWN_END_SECONDS = 15.0


class MeetingEvents(Protocol):
    """What the realtime layer does when the lifecycle changes."""

    async def meeting_ended(self, meeting_id: str, reason: str) -> None: ...

    async def settings_updated(self, meeting_id: str, settings: dict) -> None: ...

    async def to_socket(self, sid: str, event: str, data: dict) -> None: ...

    async def to_meeting(self, meeting_id: str, event: str, data: dict, skip_sid=None) -> None: ...

    async def remove_socket(self, sid: str, meeting_id: str) -> None: ...


class JoinRefused(Exception):
    """A socket may not join; the message is for the person joining."""


WAITING_ROOM_REQUIRED = (
    "This meeting has a waiting room: use waiting-room:join and wait to be admitted"
)


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_meeting_id() -> str:
    """`abc-defg-hij`: ten random lower-case letters (about 47 bits)."""
    letters = string.ascii_lowercase
    part = lambda n: "".join(secrets.choice(letters) for _ in range(n))  # noqa: E731
    return f"{part(3)}-{part(4)}-{part(3)}"


def new_admin_token() -> str:
    return secrets.token_hex(24)


class MeetingService:
    def __init__(self, pool, live: LiveState, *, grace_seconds: float, mailer=None, analytics=None):
        self._pool = pool
        self._live = live
        self._mailer = mailer
        self._analytics = analytics or NoAnalytics()
        self._ending: set[str] = set()
        self._grace = grace_seconds
        self._events: MeetingEvents | None = None
        self._webhooks: hooks.WebhookService | None = None
        self._wake_scheduler = asyncio.Event()
        self._grace_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()

    def set_events(self, events: MeetingEvents) -> None:
        self._events = events

    def set_webhooks(self, webhooks: hooks.WebhookService) -> None:
        self._webhooks = webhooks

    def _emit(self, event: hooks.WebhookEvent) -> None:
        """Queue webhook deliveries without waiting (guest meetings have no owner, no hooks)."""
        if self._webhooks is not None and event.user_id is not None:
            self._webhooks.emit(event)

    async def _record(self, cur, events: list[hooks.WebhookEvent]) -> bool:
        """Queue webhook deliveries in the caller's transaction; True if any were."""
        if self._webhooks is None or not events:
            return False
        return await self._webhooks.record(cur, events) > 0

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
            self._wake_scheduler.set()
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
        while await self._live.meeting(meeting_id) is not None:
            meeting_id = new_meeting_id()
        meeting = LiveMeeting(
            meeting_id=meeting_id,
            title=title,
            admin_token_hash=digest(token),
            owner_id=None,
            guest=True,
        )
        await self._live.add_meeting(meeting)
        self._analytics.track(
            "meeting.created",
            meeting_id=meeting_id,
            meta=_created_meta(meeting.settings, scheduled=False),
        )
        return meeting, token

    def _live_meeting(self, row: dict) -> LiveMeeting:
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
    ) -> tuple[LiveMeeting, Participant, bool]:
        """Admit a socket to a live meeting as a new participant, or raise JoinRefused.
        Returns the meeting, the participant and whether an invite was spent."""
        meeting = await self._live.meeting(meeting_id)
        if meeting is None:
            raise JoinRefused(await self._why_not_live(meeting_id))
        is_admin = bool(admin_token) and hmac.compare_digest(
            meeting.admin_token_hash, digest(admin_token)
        )
        let_in = is_admin or await self._live.take_admission(meeting_id, sid)
        invited = False
        if not let_in and invite_token:
            invited = await self._live.use_invite(meeting_id, digest(invite_token))
            let_in = invited
        if not let_in and meeting.settings["locked"]:
            raise JoinRefused("This meeting is locked")
        if not let_in and meeting.settings["waitingRoom"]:
            raise JoinRefused(WAITING_ROOM_REQUIRED)
        if len(meeting.participants) >= meeting.settings["maxParticipants"]:
            raise JoinRefused("This meeting is full")
        participant = Participant(
            participant_id=secrets.token_hex(4),
            sid=sid,
            name=name,
            is_admin=is_admin,
            is_muted=meeting.settings["muteOnJoin"],
            is_video_off=meeting.settings["videoOffOnJoin"],
        )
        await self._live.add_participant(meeting_id, participant)
        self.participant_arrived(meeting_id)
        self._emit(
            hooks.participant_event("participant.joined", meeting.owner_id, meeting_id, participant)
        )
        self._analytics.track(
            "meeting.participant_joined",
            user_id=meeting.owner_id,
            company_id=meeting.company_id,
            meeting_id=meeting_id,
            meta={"meetingId": meeting_id, "participantCount": len(meeting.participants)},
        )
        return meeting, participant, invited

    async def _why_not_live(self, meeting_id: str) -> str:
        if await self._live.was_ended(meeting_id):  # a guest meeting, which has no row
            return "This meeting has ended"
        async with cursor(self._pool) as cur:
            row = await meeting_sql.status(cur, meeting_id)
        if row is None:
            return "Meeting not found"
        if row["status"] == "scheduled":
            return f"This meeting is scheduled for {iso_utc(row['scheduled_at'])}"
        return "This meeting has ended"

    async def leave(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        """Take the socket out of its meeting; start the grace period if it was the last."""
        left = await self._live.remove_participant(sid)
        if left is not None:
            meeting, participant = left
            self._emit(
                hooks.participant_event(
                    "participant.left", meeting.owner_id, meeting.meeting_id, participant
                )
            )
        if left is not None and not left[0].participants:
            self.meeting_emptied(left[0].meeting_id)
        return left

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
        await self.leave(target.sid)
        await self._events.remove_socket(target.sid, meeting_id)
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
        settings = await self._live.update_settings(meeting_id, changes)
        if settings is None:
            return await self._update_stored_settings(meeting_id, changes)
        meeting = await self._live.meeting(meeting_id)
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

    async def end(self, meeting_id: str, reason: str) -> dict | None:
        """End a live meeting: one history row and one charge, whoever else races to end
        it; participants are told. Returns the ended row (None for a guest meeting or
        when another caller ended it first)."""
        self._cancel_grace(meeting_id)
        if meeting_id in self._ending:
            return None  # another caller is ending it, with the live peak in hand
        self._ending.add(meeting_id)
        try:
            live = await self._live.remove_meeting(meeting_id)
            if live is not None and self._events:
                await self._events.meeting_ended(meeting_id, reason)
            if live is not None and live.guest:
                await self._live.remember_ended(meeting_id)
                minutes = (datetime.now(UTC).timestamp() - live.started_at) / 60
                self._track_ended(
                    meeting_id, None, None, round(minutes, 2), live.peak_participants, 0
                )
                return None
            row = await self._close_and_charge(
                meeting_id,
                live.peak_participants if live else 0,
                still_in=list(live.participants.values()) if live else [],
            )
            if row is not None:
                self._track_ended(
                    meeting_id,
                    row["owner_id"],
                    row["company_id"],
                    row["duration_minutes"],
                    row["peak_participants"],
                    row["cost_usd"],
                )
            return row
        finally:
            self._ending.discard(meeting_id)

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

    async def _close_and_charge(
        self, meeting_id: str, peak: int, still_in: list[Participant] | None = None
    ) -> dict | None:
        """The end's one transaction: the history row, the charge and its ledger row, and
        the webhook deliveries (participant.left for whoever was still in, meeting.ended)."""
        alert = None
        async with transaction(self._pool) as cur:
            row = await meeting_sql.end(cur, meeting_id, peak=peak)
            if row is None:
                return None
            left = [
                hooks.participant_event("participant.left", row["owner_id"], meeting_id, p)
                for p in still_in or ()
            ]
            hooked = await self._record(cur, [*left, hooks.meeting_ended(row)])
            if row["cost_usd"] > 0:
                minutes = round(row["duration_minutes"])
                balance = await ledger_sql.apply(
                    cur,
                    user_id=row["owner_id"],
                    company_id=row["company_id"],
                    amount=-row["cost_usd"],
                    kind="meeting_charge",
                    meeting_id=meeting_id,
                    description=(
                        f"Meeting {meeting_id} ({minutes}m, {row['peak_participants']} "
                        "participants)"
                    ),
                )
                threshold = await ledger_sql.low_balance_threshold(cur)
                if balance < threshold <= balance + row["cost_usd"]:
                    contact = await ledger_sql.billing_contact(
                        cur, user_id=row["owner_id"], company_id=row["company_id"]
                    )
                    alert = (contact, balance, threshold)
        if hooked:
            self._webhooks.notify()
        if alert and self._mailer and alert[0]:
            contact, balance, threshold = alert
            self._mailer.send_low_balance(
                contact, balance=f"{balance:.2f}", threshold=f"{threshold:.2f}"
            )
        return row

    async def cancel(self, meeting_id: str) -> bool:
        async with cursor(self._pool) as cur:
            cancelled = await meeting_sql.cancel(cur, meeting_id)
        self._wake_scheduler.set()
        return cancelled

    # --- the empty-meeting grace period -----------------------------------------------

    def meeting_emptied(self, meeting_id: str) -> None:
        """The last participant left: end the meeting unless someone rejoins in time."""
        self._cancel_grace(meeting_id)
        loop = asyncio.get_running_loop()
        self._grace_timers[meeting_id] = loop.call_later(
            self._grace, self._grace_expired, meeting_id
        )

    def participant_arrived(self, meeting_id: str) -> None:
        self._cancel_grace(meeting_id)

    def _cancel_grace(self, meeting_id: str) -> None:
        timer = self._grace_timers.pop(meeting_id, None)
        if timer is not None:
            timer.cancel()

    async def _end_if_still_empty(self, meeting_id: str) -> None:
        self._grace_timers.pop(meeting_id, None)
        meeting = await self._live.meeting(meeting_id)
        if meeting is not None and not meeting.participants:
            await self.end(meeting_id, "The meeting ended because everyone left")

    def _grace_expired(self, meeting_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._end_if_still_empty(meeting_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- start, scheduler and shutdown ------------------------------------------------

    async def restore(self) -> None:
        """After a restart: active meetings are live again (empty, so their grace starts)."""
        async with cursor(self._pool) as cur:
            rows = await meeting_sql.all_active(cur)
        for row in rows:
            if await self._live.meeting(row["id"]) is None:  # not already live again
                await self._live.add_meeting(self._live_meeting(row))
                self.meeting_emptied(row["id"])

    async def run_scheduler(self, stop: asyncio.Event) -> None:
        """Restore active meetings, then activate scheduled ones at their time: sleep until
        the next one is due (or a meeting is scheduled or cancelled), never polling every
        second. A database that is away only delays the next round."""
        restored = False
        while not stop.is_set():
            delay = SCHEDULER_MAX_SLEEP
            # Cleared before reading the schedule, so a meeting scheduled meanwhile wakes
            # the next wait instead of being missed.
            self._wake_scheduler.clear()
            try:
                if not restored:
                    await self.restore()
                    restored = True
                async with transaction(self._pool) as cur:
                    activated = await meeting_sql.activate_due(cur)
                    for row in activated:
                        await self._live.add_meeting(self._live_meeting(row))
                        log.info("scheduled meeting %s is now active", row["id"])
                    started = [
                        hooks.meeting_started(r["owner_id"], r["id"], r["title"]) for r in activated
                    ]
                    hooked = await self._record(cur, started)
                if hooked:
                    self._webhooks.notify()
                async with cursor(self._pool) as cur:
                    next_at = await meeting_sql.next_scheduled_at(cur)
                if next_at is not None:
                    delay = min(delay, max(0.0, (next_at - datetime.now(UTC)).total_seconds()))
            except Exception as exc:  # the database may be away; try again later
                log.warning("scheduler round failed: %s", type(exc).__name__)
                delay = 5.0
            waits = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._wake_scheduler.wait()),
            ]
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def shutdown(self) -> None:
        """End every live meeting (participants told, billed once), a few at a time and
        within SHUTDOWN_END_SECONDS; any left stay active in the database and are picked
        up (and ended by their grace period) at the next start."""
        for timer in self._grace_timers.values():
            timer.cancel()
        self._grace_timers.clear()
        gate = asyncio.Semaphore(SHUTDOWN_CONCURRENCY)

        async def end_one(meeting_id: str) -> None:
            async with gate:
                try:
                    await self.end(meeting_id, "The server is shutting down")
                except Exception:
                    log.exception("could not end meeting %s at shutdown", meeting_id)

        endings = [
            asyncio.ensure_future(end_one(m.meeting_id)) for m in await self._live.meetings()
        ]
        if endings:
            _, unfinished = await asyncio.wait(endings, timeout=SHUTDOWN_END_SECONDS)
            for task in unfinished:
                task.cancel()
            if unfinished:
                log.warning("%d meetings left active at shutdown", len(unfinished))
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)


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
