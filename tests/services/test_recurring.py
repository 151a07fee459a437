"""The recurring-meetings job (services/recurring.py), driven directly with a given `now`:
occurrences keep their wall-clock time across daylight-saving changes when they are made
weeks later; making them again, or in two processes at once, makes none twice; a restarted
server's job makes what is missing; at most MAX_AHEAD wait; no credit makes nothing until
the balance is topped up; a bounded rule finishes; a rule that can never occur is found out
without walking to the year 9999."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onepizza.app import create_app
from onepizza.services import recurring
from onepizza.services.registry import ANALYTICS, RECURRING
from tests.api.meeting_helpers import API_ENV, db_one, db_rows, in_future, register

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
async def api(serve, make_settings):
    return await serve(create_app(make_settings(API_ENV)))


async def create_rule(api, user, **body) -> dict:
    resp = await api.post("/api/recurring", json=body, headers=user.headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


def made(database_url, rule_id: int) -> list[tuple]:
    """(occurs_at, scheduled_at, status) of the rule's meetings, in order."""
    return db_rows(
        database_url,
        """
        SELECT o.occurs_at, m.scheduled_at, m.status
        FROM recurring_occurrences o JOIN meetings m ON m.id = o.meeting_id
        WHERE o.recurring_id = %s ORDER BY o.occurs_at
        """,
        (rule_id,),
    )


def forget_meetings(database_url, rule_id: int) -> None:
    """As if the rule's meetings had never been made (a server that died first)."""
    db_rows(
        database_url,
        """
        WITH gone AS (DELETE FROM recurring_occurrences WHERE recurring_id = %s
                      RETURNING meeting_id)
        DELETE FROM meetings WHERE id IN (SELECT meeting_id FROM gone)
        """,
        (rule_id,),
    )
    db_rows(
        database_url,
        """
        UPDATE recurring_meetings
        SET made_until = start_at - interval '1 second', check_at = now() - interval '1 second'
        WHERE id = %s
        """,
        (rule_id,),
    )


async def test_meetings_made_later_keep_the_wall_clock_time(api, database_url):
    user = await register(api, database_url, balance=10)
    rule = await create_rule(
        api,
        user,
        title="Standup",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        startAt="2027-03-01T09:00:00",
        timezone="America/New_York",
    )
    service = api.app[RECURRING]
    # Months ahead: only the next one is made now.
    assert [row[0] for row in made(database_url, rule["id"])] == [
        datetime(2027, 3, 1, 14, tzinfo=UTC)
    ]
    # On 2 March the next two weeks are made: 8 March (EST) and 15 March (EDT).
    assert await service.generate(rule["id"], now=datetime(2027, 3, 2, tzinfo=UTC)) == 2
    assert await service.generate(rule["id"], now=datetime(2027, 3, 2, tzinfo=UTC)) == 0
    assert await service.generate(rule["id"], now=datetime(2027, 3, 20, tzinfo=UTC)) == 2
    rows = made(database_url, rule["id"])
    assert [row[1].astimezone(UTC).hour for row in rows] == [14, 14, 13, 13, 13]
    assert {row[1].astimezone(NEW_YORK).strftime("%a %H:%M") for row in rows} == {"Mon 09:00"}
    assert [row[1].astimezone(NEW_YORK).day for row in rows] == [1, 8, 15, 22, 29]
    assert all(row[0] == row[1] for row in rows)
    assert {row[2] for row in rows} == {"scheduled"}


async def test_two_processes_make_each_occurrence_once(serve, make_settings, database_url):
    settings = make_settings(API_ENV)
    first = await serve(create_app(settings))
    second = await serve(create_app(settings))
    user = await register(first, database_url, balance=10)
    rule = await create_rule(
        first, user, title="Daily", rrule="FREQ=DAILY", startAt=in_future(3600)
    )
    before = made(database_url, rule["id"])
    assert len(before) == 14
    forget_meetings(database_url, rule["id"])

    await asyncio.gather(
        first.app[RECURRING].generate(rule["id"]),
        second.app[RECURRING].generate(rule["id"]),
        first.app[RECURRING].generate_due(),
        second.app[RECURRING].generate_due(),
    )
    after = made(database_url, rule["id"])
    assert [row[0] for row in after] == [row[0] for row in before]
    (count,) = db_one(database_url, "SELECT count(*) FROM meetings WHERE owner_id = %s", (user.id,))
    assert count == 14


async def test_a_restarted_server_makes_what_is_missing(serve, make_settings, database_url):
    settings = make_settings(API_ENV)
    first = await serve(create_app(settings))
    user = await register(first, database_url, balance=10)
    rule = await create_rule(
        first, user, title="Daily", rrule="FREQ=DAILY", startAt=in_future(3600)
    )
    expected = [row[0] for row in made(database_url, rule["id"])]
    await first.close()
    forget_meetings(database_url, rule["id"])
    assert made(database_url, rule["id"]) == []

    await serve(create_app(settings))  # its lease job finds the rule due
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(made(database_url, rule["id"])) < len(expected):
        await asyncio.sleep(0.2)
    assert [row[0] for row in made(database_url, rule["id"])] == expected


async def test_each_meeting_made_is_counted_as_created(api, database_url):
    user = await register(api, database_url, balance=10)
    rule = await create_rule(
        api,
        user,
        title="Counted",
        rrule="FREQ=WEEKLY;COUNT=2",
        startAt=in_future(600),
        settings={"waitingRoom": True},
    )
    await api.app[ANALYTICS].flush()
    rows = db_rows(
        database_url,
        """
        SELECT e.meeting_id, e.user_id, e.meta FROM analytics_events e
        JOIN recurring_occurrences o ON o.meeting_id = e.meeting_id
        WHERE o.recurring_id = %s AND e.event_type = 'meeting.created' ORDER BY o.occurs_at
        """,
        (rule["id"],),
    )
    assert len(rows) == 2
    for _, user_id, meta in rows:
        assert user_id == user.id
        assert meta == {
            "scheduled": True,
            "muteOnJoin": False,
            "waitingRoom": True,
            "recurring": True,
        }


async def test_at_most_max_ahead_meetings_wait(api, database_url):
    user = await register(api, database_url, balance=10)
    every_hour = "FREQ=DAILY;BYHOUR=" + ",".join(str(hour) for hour in range(24))
    rule = await create_rule(api, user, title="Hourly", rrule=every_hour, startAt=in_future(600))
    assert len(made(database_url, rule["id"])) == recurring.MAX_AHEAD
    assert await api.app[RECURRING].generate(rule["id"]) == 0
    # Once the first ten have passed, ten more are made.
    later = datetime.now(UTC) + timedelta(hours=10, minutes=5)
    assert await api.app[RECURRING].generate(rule["id"], now=later) == 10


async def test_no_credit_makes_nothing_until_topped_up(api, database_url):
    user = await register(api, database_url, balance=10)
    rule = await create_rule(api, user, title="Daily", rrule="FREQ=DAILY", startAt=in_future(3600))
    assert len(made(database_url, rule["id"])) == 14
    db_rows(database_url, "UPDATE users SET balance = 0 WHERE id = %s", (user.id,))
    two_days_on = datetime.now(UTC) + timedelta(days=2)
    assert await api.app[RECURRING].generate(rule["id"], now=two_days_on) == 0
    (check_at, finished) = db_one(
        database_url,
        "SELECT check_at, finished FROM recurring_meetings WHERE id = %s",
        (rule["id"],),
    )
    assert check_at == two_days_on + recurring.NO_CREDIT_RETRY and not finished
    db_rows(database_url, "UPDATE users SET balance = 5 WHERE id = %s", (user.id,))
    assert await api.app[RECURRING].generate(rule["id"], now=two_days_on) == 2
    assert len(made(database_url, rule["id"])) == 16


async def test_a_bounded_rule_finishes(api, database_url):
    user = await register(api, database_url, balance=10)
    rule = await create_rule(
        api, user, title="Twice", rrule="FREQ=WEEKLY;COUNT=2", startAt=in_future(600)
    )
    assert len(made(database_url, rule["id"])) == 2
    (finished,) = db_one(
        database_url, "SELECT finished FROM recurring_meetings WHERE id = %s", (rule["id"],)
    )
    assert finished is True
    assert await api.app[RECURRING].generate(rule["id"]) == 0


async def test_a_rule_that_no_longer_reads_holds_back_no_other(api, database_url):
    """A stored rule edited into nonsense (or whose zone left the time zone data) is shown
    with no next occurrences and skipped by the job, which goes on with the others."""
    user = await register(api, database_url, balance=10)
    broken = await create_rule(
        api, user, title="Broken", rrule="FREQ=DAILY", startAt=in_future(600)
    )
    zoneless = await create_rule(
        api, user, title="Zoneless", rrule="FREQ=DAILY", startAt=in_future(600)
    )
    healthy = await create_rule(api, user, title="Fine", rrule="FREQ=DAILY", startAt=in_future(600))
    db_rows(
        database_url,
        "UPDATE recurring_meetings SET rrule = 'FREQ=NEVER' WHERE id = %s",
        (broken["id"],),
    )
    db_rows(
        database_url,
        "UPDATE recurring_meetings SET timezone = 'Mars/Olympus' WHERE id = %s",
        (zoneless["id"],),
    )
    for rule in (broken, zoneless, healthy):
        forget_meetings(database_url, rule["id"])

    made_count, _ = await api.app[RECURRING].generate_due()
    assert made_count >= 14  # (other tests' rules may be due too)
    assert len(made(database_url, healthy["id"])) == 14
    assert made(database_url, broken["id"]) == made(database_url, zoneless["id"]) == []
    resp = await api.get("/api/recurring", headers=user.headers)
    assert resp.status == 200
    shown = {r["title"]: r["nextOccurrences"] for r in (await resp.json())["recurring"]}
    assert shown["Broken"] == shown["Zoneless"] == [] and len(shown["Fine"]) == 5


def test_a_rule_that_never_occurs_is_found_out():
    start = datetime(2027, 1, 1, 9, tzinfo=NEW_YORK)
    for text in (
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=DAILY;BYHOUR=9,10;BYMONTH=4;BYMONTHDAY=31",
    ):
        rule = recurring.parse_rule(text, start)
        assert recurring.occurrences(rule, start, limit=5) == []
    rule = recurring.parse_rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start)
    assert [at.year for at in recurring.occurrences(rule, start, limit=2)] == [2028, 2032]
