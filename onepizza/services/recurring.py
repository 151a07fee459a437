"""Recurring meetings: RFC 5545 rules (python-dateutil) in an IANA time zone (zoneinfo),
and the job that makes each occurrence an ordinary scheduled meeting ahead of time.

Occurrences are computed on the zone's wall clock (09:00 in America/New_York stays 09:00
across daylight-saving changes) and stored in UTC. The job runs where the
`recurring-occurrences` lease is held; it works rule by rule, each in one transaction that
holds the rule's row, and a (rule, occurrence) pair has one meeting at most (the primary key
of recurring_occurrences), so running it twice, or in two processes, makes nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import types
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateutil.rrule as du

from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import meetings as meeting_sql
from onepizza.db import recurring as recurring_sql
from onepizza.errors import BadRequest, NotFound, PaymentRequired
from onepizza.live.state import DEFAULT_SETTINGS
from onepizza.services.analytics import NoAnalytics
from onepizza.services.meetings import _created_meta, new_meeting_id
from onepizza.services.tokens import digest

log = logging.getLogger(__name__)

AHEAD = timedelta(days=14)  # meetings are made this far ahead (and always the next one)
MAX_AHEAD = 50  # scheduled meetings one rule may have waiting at most
NEXT_SHOWN = 5  # nextOccurrences
HORIZON_YEARS = 10  # an occurrence further away than this is treated as none
DUE_BATCH = 100  # rules looked at per transaction batch
MAX_SLEEP = 60.0  # the job looks for rules at least this often
NO_CREDIT_RETRY = timedelta(minutes=1)
BROKEN_RULE_RETRY = timedelta(hours=1)
DEFAULT_TITLE = "Untitled Meeting"
RULE_NOT_FOUND = "Recurring meeting not found"

PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "WKST",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
}
# Sub-daily frequencies rebuild their times on every step of the walk (an impossible HOURLY
# rule with long BYMINUTE lists takes minutes to find out): several meetings a day are
# FREQ=DAILY with BYHOUR (and BYMINUTE), at most MAX_PER_DAY of them.
TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
MAX_PER_DAY = 24


class RuleError(ValueError):
    """The rule is not one we can schedule; the message says why."""


class _TooFar(Exception):
    pass


class _BoundedInfo(du._iterinfo):
    """dateutil walks a rule with no occurrence left up to the year 9999 (tens of seconds):
    stop the walk past the rule's last year."""

    def rebuild(self, year, month):
        if year > self.rrule._last_year:
            raise _TooFar
        super().rebuild(year, month)


class _BoundedRule(du.rrule):
    """dateutil's rrule whose walk stops after `_last_year` (its own _iter, with the
    bounded _iterinfo)."""

    _last_year = datetime.now(UTC).year + HORIZON_YEARS
    _iter = types.FunctionType(
        du.rrule._iter.__code__, {**vars(du), "_iterinfo": _BoundedInfo}, "_iter"
    )


def parse_rule(text: str, start: datetime) -> du.rrule:
    """The rule `text` (one RRULE, with or without the "RRULE:" prefix) starting at
    `start`, an aware time in the rule's zone. RuleError says what is wrong."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise RuleError("rrule is empty: e.g. FREQ=WEEKLY;BYDAY=MO")
    seen = {}
    for part in body.split(";"):
        name, eq, value = part.partition("=")
        name = name.strip().upper()
        if not eq or not name or not value.strip():
            raise RuleError(f"rrule part {part[:40]!r} is not NAME=VALUE")
        if name not in PARTS:
            raise RuleError(f"rrule part {name[:40]!r} is not an RFC 5545 RRULE part")
        if name in seen:
            raise RuleError(f"rrule gives {name} twice")
        seen[name] = value.strip().upper()
    if "FREQ" not in seen:
        raise RuleError("rrule needs FREQ (DAILY, WEEKLY, MONTHLY, YEARLY or HOURLY)")
    if seen["FREQ"] in TOO_FREQUENT:
        raise RuleError(
            f"FREQ={seen['FREQ']} is too frequent for meetings: use DAILY (with BYHOUR for "
            "several a day), WEEKLY, MONTHLY or YEARLY"
        )
    if "BYSECOND" in seen:
        raise RuleError("rrule BYSECOND is not supported: meetings start on the minute")
    per_day = len(seen.get("BYHOUR", "0").split(",")) * len(seen.get("BYMINUTE", "0").split(","))
    if per_day > MAX_PER_DAY:
        raise RuleError(f"rrule gives {per_day} times a day: at most {MAX_PER_DAY}")
    for name, low, high in (("INTERVAL", 1, 1000), ("COUNT", 1, 10_000)):
        if name in seen and not (seen[name].isdigit() and low <= int(seen[name]) <= high):
            raise RuleError(f"rrule {name} must be a whole number from {low} to {high}")
    try:
        rule = du.rrulestr(body, dtstart=start, forceset=False, unfold=False)
    except (ValueError, TypeError, OverflowError) as exc:
        raise RuleError(f"rrule: {str(exc)[:200]}") from None
    if not isinstance(rule, du.rrule):
        raise RuleError("rrule must be a single RRULE")
    rule.__class__ = _BoundedRule
    rule._last_year = max(start.year, datetime.now(UTC).year) + HORIZON_YEARS
    return rule


def occurrences(rule: du.rrule, after: datetime, *, limit: int) -> list[datetime]:
    """Up to `limit` occurrences strictly after `after`, in UTC."""
    found: list[datetime] = []
    if limit <= 0:
        return found
    try:
        for at in rule.xafter(after, count=limit, inc=False):
            found.append(at.astimezone(UTC))
    except _TooFar:
        pass
    return found


def _checked_rule(text: str, start: datetime) -> tuple[du.rrule | None, str | None]:
    """The rule, or what is wrong with it."""
    try:
        rule = parse_rule(text, start)
    except RuleError as exc:
        return None, str(exc)
    if not occurrences(rule, start - timedelta(seconds=1), limit=1):
        return None, f"rrule has no occurrence from startAt on (within {HORIZON_YEARS} years)"
    return rule, None


def rule_of(row: dict) -> du.rrule:
    """A stored rule; RuleError if it no longer reads (an edited row, a zone gone from the
    time zone data)."""
    try:
        zone = ZoneInfo(row["timezone"])
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise RuleError(f"unknown time zone {row['timezone']!r}") from exc
    return parse_rule(row["rrule"], row["start_at"].astimezone(zone))


def admin_token(token_key: bytes, meeting_id: str) -> str:
    """A meeting's admin token, derived from its rule's key (48 hex digits, as
    services.meetings.new_admin_token draws)."""
    return hmac.new(bytes(token_key), meeting_id.encode(), hashlib.sha256).hexdigest()[:48]


class RecurringService:
    def __init__(self, pool, templates, meetings, *, analytics=None):
        self._pool = pool
        self._templates = templates
        self._meetings = meetings  # wakes the meeting scheduler when meetings are made
        self._analytics = analytics or NoAnalytics()

    def _made(self, row: dict, payer_company_id, made: list) -> None:
        """After the transaction that made them: wake the scheduler, and count each meeting
        as created (as services.meetings does for one made through the API)."""
        if not made:
            return
        self._meetings.on_scheduled()
        meta = _created_meta({**DEFAULT_SETTINGS, **row["settings"]}, scheduled=True)
        for _, meeting_id in made:
            self._analytics.track(
                "meeting.created",
                user_id=row["owner_id"],
                company_id=payer_company_id,
                meeting_id=meeting_id,
                meta={**meta, "recurring": True},
            )

    # --- the API ------------------------------------------------------------------------

    async def create(self, user: dict, body: dict) -> dict:
        """A new rule, with its first meetings made now; 400 for a rule with no occurrence,
        402 without credit for its first meeting, 404 for a template the user cannot see."""
        title, settings = await self._templates.apply(
            user, body["templateId"], title=body["title"], settings=body["settings"]
        )
        start = body["startAt"]
        # In a thread: finding out that a rule never occurs walks up to HORIZON_YEARS of
        # days (a fraction of a second), which the event loop should not wait for.
        rule, problem = await asyncio.to_thread(_checked_rule, body["rrule"], start)
        if problem:
            raise BadRequest(problem, details={"rrule": [problem]})
        now = datetime.now(UTC)
        fields = {
            "title": title or DEFAULT_TITLE,
            "rrule": body["rrule"].strip(),
            "start_at": start,
            "timezone": body["timezone"],
            "duration_minutes": body["durationMinutes"],
            "template_id": body["templateId"],
            "settings": {**DEFAULT_SETTINGS, **settings},
            "token_key": secrets.token_bytes(32),
            "made_until": start - timedelta(seconds=1),
            "check_at": now,
        }
        async with transaction(self._pool) as cur:
            row = await recurring_sql.insert(cur, user, fields)
            made, no_credit = await self._generate(cur, row, user["company_id"], now, rule)
            if not made and no_credit:
                raise PaymentRequired(
                    "Insufficient credits: top up your balance to create meetings"
                )
        self._made(row, user["company_id"], made)
        return row

    async def list(self, user: dict) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await recurring_sql.list_visible(cur, user)

    async def get(self, user: dict, rule_id: int) -> tuple[dict, list[dict]]:
        """The rule and the meetings it made; 404 unless the user sees it."""
        async with cursor(self._pool) as cur:
            row = await recurring_sql.get_visible(cur, user, rule_id)
            if row is None:
                raise NotFound(RULE_NOT_FOUND)
            return row, await recurring_sql.meetings_of(cur, rule_id)

    async def delete(self, user: dict, rule_id: int) -> list[str]:
        """Delete the rule and cancel its meetings that have not started (those running
        go on; past ones stay in the history). Returns the cancelled meetings' ids."""
        async with transaction(self._pool) as cur:
            if await recurring_sql.get_visible(cur, user, rule_id, lock=True) is None:
                raise NotFound(RULE_NOT_FOUND)
            cancelled = await recurring_sql.cancel_scheduled(cur, rule_id)
            await recurring_sql.delete(cur, rule_id)
        self._meetings.on_scheduled()
        return cancelled

    @staticmethod
    def next_occurrences(row: dict, now: datetime | None = None) -> list[datetime]:
        try:
            rule = rule_of(row)
        except RuleError:
            return []
        return occurrences(rule, now or datetime.now(UTC), limit=NEXT_SHOWN)

    # --- the job ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Make the meetings of rules whose check time has come, then sleep until the next
        check (at most MAX_SLEEP). A database that is away only delays the next round."""
        while not stop.is_set():
            delay = MAX_SLEEP
            try:
                _, full = await self.generate_due()
                async with cursor(self._pool) as cur:
                    next_at = await recurring_sql.next_check_at(cur)
                if full:
                    delay = 0.0
                elif next_at is not None:
                    delay = min(delay, max(0.0, (next_at - datetime.now(UTC)).total_seconds()))
            except Exception as exc:
                log.warning("recurring meetings round failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(delay, 0.05))

    async def generate_due(self) -> tuple[int, bool]:
        """One round: (meetings made, whether more rules may be due than one batch held)."""
        async with cursor(self._pool) as cur:
            due = await recurring_sql.due(cur, limit=DUE_BATCH)
        made = 0
        for rule_id in due:
            try:
                made += await self.generate(rule_id)
            except Exception:  # one rule's failure must not hold back the others
                log.exception("recurring meeting %s: making its meetings failed", rule_id)
        return made, len(due) == DUE_BATCH

    async def generate(self, rule_id: int, *, now: datetime | None = None) -> int:
        """Make the rule's meetings due by `now` (default: the present); how many."""
        now = now or datetime.now(UTC)
        async with transaction(self._pool) as cur:
            row = await recurring_sql.lock_for_generation(cur, rule_id)
            if row is None:  # deleted, or finished, meanwhile
                return 0
            try:
                rule = rule_of(row)
            except RuleError as exc:
                log.warning("recurring meeting %s: its rule no longer parses: %s", rule_id, exc)
                await recurring_sql.set_progress(
                    cur,
                    rule_id,
                    made_until=row["made_until"],
                    check_at=now + BROKEN_RULE_RETRY,
                    finished=False,
                )
                return 0
            made, _ = await self._generate(cur, row, row["payer_company_id"], now, rule)
        self._made(row, row["payer_company_id"], made)
        return len(made)

    async def _generate(self, cur, row: dict, payer_company_id, now: datetime, rule):
        """Within the transaction holding the rule: make the occurrences after
        max(made_until, now) that fall within AHEAD (and at least the next one), at most
        MAX_AHEAD waiting; record how far it got and when to look again.
        Returns (made [(occurs_at, meeting_id)], stopped for want of credit)."""
        rule_id = row["id"]
        after = max(row["made_until"], now)
        waiting = await recurring_sql.future_occurrences(cur, rule_id, now)
        room = MAX_AHEAD - len(waiting)
        candidates = occurrences(rule, after, limit=max(room, 0))
        to_make = [at for at in candidates if at <= now + AHEAD]
        if not to_make and not waiting and candidates:
            to_make = candidates[:1]  # at least the next one
        made: list[tuple[datetime, str]] = []
        no_credit = False
        for at in to_make:
            meeting_id = await self._insert_meeting(cur, row, payer_company_id, at)
            if meeting_id is None:
                no_credit = True
                break
            await recurring_sql.add_occurrence(cur, rule_id, at, meeting_id)
            made.append((at, meeting_id))
        made_until = made[-1][0] if made else after
        if not no_credit and len(to_make) < len(candidates):
            # The rest lie beyond the window: everything up to its end is done.
            made_until = max(made_until, now + AHEAD)
        following = occurrences(rule, made_until, limit=1)
        upcoming = sorted([*waiting, *(at for at, _ in made)])
        if no_credit:
            check_at = now + NO_CREDIT_RETRY
        elif not following:
            check_at = now  # finished: not looked at again
        else:
            check_at = following[0] - AHEAD  # when the next one enters the window
            if upcoming:  # when one passes: room again, or the next one is needed
                check_at = min(check_at, upcoming[0])
            check_at = max(check_at, now)
        await recurring_sql.set_progress(
            cur,
            rule_id,
            made_until=made_until,
            check_at=check_at,
            finished=not following and not no_credit,
        )
        return made, no_credit

    async def _insert_meeting(self, cur, row: dict, payer_company_id, at: datetime) -> str | None:
        """A scheduled meeting for one occurrence, paid like any (the owner's, or their
        company's, balance must be positive); its id, or None for want of credit."""
        for _ in range(5):  # a taken id (rare): draw again
            meeting_id = new_meeting_id()
            created = await meeting_sql.insert(
                cur,
                meeting_id=meeting_id,
                owner_id=row["owner_id"],
                company_id=payer_company_id,
                title=row["title"],
                admin_token_hash=digest(admin_token(row["token_key"], meeting_id)),
                status="scheduled",
                settings=row["settings"],
                scheduled_at=at,
            )
            if created is not None:
                return meeting_id
            balance = await ledger_sql.balance(
                cur, user_id=row["owner_id"], company_id=payer_company_id
            )
            if balance <= 0:
                log.info("recurring meeting %s: no credit for its next meeting", row["id"])
                return None
        raise RuntimeError("could not draw a free meeting id")
