"""Recurring meetings over REST (collaboration.md, Recurring meetings): an RFC 5545 rule in
an IANA time zone whose occurrences keep their wall-clock time across daylight-saving
changes; each occurrence an ordinary scheduled meeting (own id, admin token, join URL) that
activates like any; deleting the rule cancels its meetings not yet started; another account
sees nothing (404); bad input is a 400 that says what is wrong."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from onepizza.app import create_app
from onepizza.services.registry import LIVE, RECURRING

from .meeting_helpers import (
    API_ENV,
    DEFAULT_SETTINGS,
    MEETING_ID,
    add_participants,
    assert_error,
    db_one,
    db_rows,
    in_future,
    register,
)

RULE_KEYS = {
    "id",
    "title",
    "rrule",
    "startAt",
    "timezone",
    "durationMinutes",
    "templateId",
    "settings",
    "nextOccurrences",
    "createdAt",
}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def api(serve, make_settings):
    return await serve(create_app(make_settings(API_ENV)))


@pytest.fixture
async def user(api, database_url):
    return await register(api, database_url, balance=10)


async def create_rule(api, user, **body) -> dict:
    resp = await api.post("/api/recurring", json=body, headers=user.headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def get_rule(api, user, rule_id: int) -> dict:
    resp = await api.get(f"/api/recurring/{rule_id}", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def statuses(database_url, meeting_ids) -> dict[str, str]:
    rows = db_rows(
        database_url, "SELECT id, status FROM meetings WHERE id = ANY(%s)", (list(meeting_ids),)
    )
    return dict(rows)


async def test_a_weekly_rule_keeps_its_wall_clock_time_across_daylight_saving(api, user):
    """09:00 in New York is 14:00 UTC before the second Sunday of March 2027 and 13:00 UTC
    after it; in November it is 14:00 UTC again."""
    rule = await create_rule(
        api,
        user,
        title="Standup",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        startAt="2027-03-01T09:00:00",  # no offset: a wall-clock time in `timezone`
        timezone="America/New_York",
        durationMinutes=30,
    )
    assert set(rule) == RULE_KEYS
    assert rule["startAt"] == "2027-03-01T14:00:00.000Z"
    assert rule["nextOccurrences"] == [
        "2027-03-01T14:00:00.000Z",
        "2027-03-08T14:00:00.000Z",
        "2027-03-15T13:00:00.000Z",  # after 14 March: EDT
        "2027-03-22T13:00:00.000Z",
        "2027-03-29T13:00:00.000Z",
    ]
    assert (rule["timezone"], rule["durationMinutes"], rule["title"]) == (
        "America/New_York",
        30,
        "Standup",
    )
    assert rule["settings"] == DEFAULT_SETTINGS and rule["templateId"] is None

    autumn = await create_rule(
        api,
        user,
        title="Autumn",
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        startAt="2027-10-25T13:00:00Z",  # with an offset: that instant (09:00 EDT)
        timezone="America/New_York",
    )
    assert autumn["nextOccurrences"] == [
        "2027-10-25T13:00:00.000Z",
        "2027-11-01T13:00:00.000Z",
        "2027-11-08T14:00:00.000Z",  # after 7 November: EST; COUNT=3 ends it
    ]
    assert autumn["durationMinutes"] == 60  # the default


async def test_each_occurrence_is_an_ordinary_scheduled_meeting(api, user, database_url):
    rule = await create_rule(
        api,
        user,
        title="Daily sync",
        rrule="FREQ=DAILY",  # unbounded
        startAt=in_future(3600),
        waitingRoom=True,  # not a rule field: ignored
        settings={"waitingRoom": True},
    )
    body = await get_rule(api, user, rule["id"])
    meetings = body["meetings"]
    # Made ahead: every occurrence within the next 14 days (the first is an hour away).
    assert len(meetings) == 14
    assert [m["occurrenceAt"] for m in meetings[:5]] == rule["nextOccurrences"]
    assert len({m["meetingId"] for m in meetings}) == 14
    assert len({m["adminToken"] for m in meetings}) == 14
    first = meetings[0]
    assert MEETING_ID.match(first["meetingId"])
    assert first["joinUrl"] == f"/join/{first['meetingId']}"
    assert (first["status"], first["title"]) == ("scheduled", "Daily sync")
    assert first["scheduledAt"] == first["occurrenceAt"]

    # §5 applies: listed with the scheduled meetings, readable, settings changeable and
    # cancellable with its own admin token.
    resp = await api.get("/api/meetings/scheduled/list", headers=user.headers)
    listed = {m["meetingId"] for m in (await resp.json())["meetings"]}
    assert listed == {m["meetingId"] for m in meetings}
    resp = await api.get(f"/api/meetings/{first['meetingId']}", headers=user.headers)
    got = await resp.json()
    assert (got["status"], got["settings"]) == (
        "scheduled",
        {**DEFAULT_SETTINGS, "waitingRoom": True},
    )
    admin = {**user.headers, "x-admin-token": first["adminToken"]}
    resp = await api.patch(
        f"/api/meetings/{first['meetingId']}/settings", json={"muteOnJoin": True}, headers=admin
    )
    assert resp.status == 200, await resp.text()
    wrong = {**user.headers, "x-admin-token": meetings[1]["adminToken"]}
    await assert_error(await api.delete(f"/api/meetings/{first['meetingId']}", headers=wrong), 403)
    resp = await api.delete(f"/api/meetings/{first['meetingId']}", headers=admin)
    assert resp.status == 200, await resp.text()
    # A cancelled occurrence stays cancelled (it is not made again) and shows so.
    body = await get_rule(api, user, rule["id"])
    assert body["meetings"][0]["status"] == "cancelled"
    assert "adminToken" not in body["meetings"][0]
    assert len(body["meetings"]) == 14

    resp = await api.get("/api/recurring", headers=user.headers)
    [listed_rule] = (await resp.json())["recurring"]
    assert listed_rule["id"] == rule["id"] and "meetings" not in listed_rule


async def test_a_rule_far_apart_makes_at_least_its_next_meeting(api, user):
    rule = await create_rule(
        api, user, title="Quarterly", rrule="FREQ=MONTHLY;INTERVAL=3", startAt=in_future(86400 * 40)
    )
    meetings = (await get_rule(api, user, rule["id"]))["meetings"]
    assert [m["occurrenceAt"] for m in meetings] == rule["nextOccurrences"][:1]


async def test_occurrences_activate_like_any_scheduled_meeting(api, user, database_url):
    rule = await create_rule(
        api, user, title="Soon", rrule="FREQ=DAILY;COUNT=3", startAt=in_future(2)
    )
    first = (await get_rule(api, user, rule["id"]))["meetings"][0]
    deadline = time.monotonic() + 10
    live = None
    while time.monotonic() < deadline:
        live = await api.app[LIVE].meeting(first["meetingId"])
        if live is not None:
            break
        await asyncio.sleep(0.1)
    assert live is not None, "the first occurrence did not become active"
    (status,) = db_one(
        database_url, "SELECT status FROM meetings WHERE id = %s", (first["meetingId"],)
    )
    assert status == "active"
    # Its host joins with the admin token the rule shows.
    await add_participants(api.app, first["meetingId"], 1, admin_token=first["adminToken"])
    live = await api.app[LIVE].meeting(first["meetingId"])
    [host] = live.participants.values()
    assert host.is_admin
    body = await get_rule(api, user, rule["id"])
    assert [m["status"] for m in body["meetings"]] == ["active", "scheduled", "scheduled"]
    await end_meeting(api, user, first)


async def end_meeting(api, user, meeting: dict) -> None:
    """End an active meeting (later tests' servers would restore it)."""
    admin = {**user.headers, "x-admin-token": meeting["adminToken"]}
    resp = await api.delete(f"/api/meetings/{meeting['meetingId']}", headers=admin)
    assert resp.status == 200, await resp.text()


async def test_deleting_a_rule_cancels_its_future_meetings(api, user, database_url):
    rule = await create_rule(api, user, title="Weekly", rrule="FREQ=DAILY", startAt=in_future(2))
    meetings = (await get_rule(api, user, rule["id"]))["meetings"]
    running = meetings[0]["meetingId"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and statuses(database_url, [running])[running] != "active":
        await asyncio.sleep(0.1)
    assert statuses(database_url, [running])[running] == "active"
    await add_participants(api.app, running, 1)  # not empty: its grace period does not end it

    resp = await api.delete(f"/api/recurring/{rule['id']}", headers=user.headers)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    future = [m["meetingId"] for m in meetings[1:]]
    assert sorted(body["cancelled"]) == sorted(future)
    after = statuses(database_url, [m["meetingId"] for m in meetings])
    assert after[running] == "active", after  # the one running goes on
    assert {after[m] for m in future} == {"cancelled"}
    resp = await api.get("/api/meetings/scheduled/list", headers=user.headers)
    assert (await resp.json())["meetings"] == []

    await assert_error(await api.get(f"/api/recurring/{rule['id']}", headers=user.headers), 404)
    await assert_error(await api.delete(f"/api/recurring/{rule['id']}", headers=user.headers), 404)
    resp = await api.get("/api/recurring", headers=user.headers)
    assert (await resp.json())["recurring"] == []
    # Nothing is made for it again.
    await api.app[RECURRING].generate_due()
    (count,) = db_one(database_url, "SELECT count(*) FROM meetings WHERE owner_id = %s", (user.id,))
    assert count == len(meetings)
    await end_meeting(api, user, meetings[0])


async def test_another_account_cannot_see_or_delete_a_rule(api, user, database_url):
    rule = await create_rule(api, user, title="Mine", rrule="FREQ=WEEKLY", startAt=in_future(600))
    other = await register(api, database_url, balance=10)
    path = f"/api/recurring/{rule['id']}"
    await assert_error(await api.get(path, headers=other.headers), 404)
    await assert_error(await api.delete(path, headers=other.headers), 404)
    resp = await api.get("/api/recurring", headers=other.headers)
    assert (await resp.json())["recurring"] == []
    # Untouched for its owner.
    body = await get_rule(api, user, rule["id"])
    assert {m["status"] for m in body["meetings"]} == {"scheduled"}


async def test_a_template_applies_to_a_rule_and_explicit_fields_win(api, user, database_url):
    resp = await api.post(
        "/api/templates",
        json={
            "name": "Review",
            "title": "Design review",
            "settings": {"muteOnJoin": True, "locked": True, "maxParticipants": 8},
        },
        headers=user.headers,
    )
    template = await resp.json()
    rule = await create_rule(
        api,
        user,
        rrule="FREQ=WEEKLY",
        startAt=in_future(600),
        templateId=template["id"],
        settings={"locked": False},
    )
    assert rule["title"] == "Design review"
    assert rule["templateId"] == template["id"]
    expected = {**DEFAULT_SETTINGS, "muteOnJoin": True, "locked": False, "maxParticipants": 8}
    assert rule["settings"] == expected
    [meeting] = (await get_rule(api, user, rule["id"]))["meetings"][:1]
    resp = await api.get(f"/api/meetings/{meeting['meetingId']}", headers=user.headers)
    assert (await resp.json())["settings"] == expected
    explicit = await create_rule(
        api,
        user,
        title="Own title",
        rrule="FREQ=WEEKLY",
        startAt=in_future(600),
        templateId=template["id"],
    )
    assert explicit["title"] == "Own title"
    # Someone else's template is not found, and nothing is made.
    other = await register(api, database_url, balance=10)
    resp = await api.post(
        "/api/recurring",
        json={"rrule": "FREQ=DAILY", "startAt": in_future(600), "templateId": template["id"]},
        headers=other.headers,
    )
    assert (await assert_error(resp, 404))["error"] == "Template not found"
    (count,) = db_one(
        database_url, "SELECT count(*) FROM recurring_meetings WHERE owner_id = %s", (other.id,)
    )
    assert count == 0


async def test_no_credit_is_402_and_makes_nothing(api, database_url):
    poor = await register(api, database_url, balance=0)
    resp = await api.post(
        "/api/recurring",
        json={"title": "T", "rrule": "FREQ=DAILY", "startAt": in_future(600)},
        headers=poor.headers,
    )
    await assert_error(resp, 402)
    (rules,) = db_one(
        database_url, "SELECT count(*) FROM recurring_meetings WHERE owner_id = %s", (poor.id,)
    )
    (meetings,) = db_one(
        database_url, "SELECT count(*) FROM meetings WHERE owner_id = %s", (poor.id,)
    )
    assert (rules, meetings) == (0, 0)


GOOD = {"title": "T", "rrule": "FREQ=WEEKLY", "startAt": "2099-01-05T09:00:00Z"}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule", "FREQ"),
        ({"rrule": "BYDAY=MO"}, "rrule", "FREQ"),
        ({"rrule": "garbage"}, "rrule", "NAME=VALUE"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule", "BYDAY"),
        ({"rrule": "FREQ=WEEKLY;FOO=1"}, "rrule", "FOO"),
        ({"rrule": "FREQ=WEEKLY;FREQ=DAILY"}, "rrule", "twice"),
        ({"rrule": "FREQ=WEEKLY;COUNT=0"}, "rrule", "COUNT"),
        ({"rrule": "FREQ=WEEKLY;INTERVAL=0"}, "rrule", "INTERVAL"),
        ({"rrule": "FREQ=MINUTELY"}, "rrule", "too frequent"),
        ({"rrule": "FREQ=HOURLY"}, "rrule", "too frequent"),
        ({"rrule": "FREQ=DAILY;BYSECOND=0"}, "rrule", "BYSECOND"),
        ({"rrule": "FREQ=DAILY;BYHOUR=9,10,11,12,13;BYMINUTE=0,10,20,30,40"}, "rrule", "25 times"),
        ({"rrule": "FREQ=DAILY;BYHOUR=25"}, "rrule", "hour"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20990301T000000"}, "rrule", "UTC"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20980101T000000Z"}, "rrule", "no occurrence"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule", "no occurrence"),
        ({"rrule": "FREQ=DAILY\nEXDATE:20990106T090000Z"}, "rrule", "rrule"),
        ({"rrule": ""}, "rrule", "empty"),
        ({"rrule": None}, "rrule", ""),
        ({"startAt": "2020-01-01T09:00:00Z"}, "startAt", "future"),
        ({"startAt": "tomorrow"}, "startAt", ""),
        ({"startAt": None}, "startAt", ""),
        ({"timezone": "Mars/Olympus"}, "timezone", "time zone"),
        ({"timezone": "America"}, "timezone", "time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "time zone"),
        ({"durationMinutes": 0}, "durationMinutes", ""),
        ({"durationMinutes": 1441}, "durationMinutes", ""),
        ({"durationMinutes": "60"}, "durationMinutes", ""),
        ({"templateId": "1"}, "templateId", ""),
        ({"settings": {"maxParticipants": 500}}, "settings", ""),
        ({"settings": {"unknown": 1}}, "settings", ""),
        ({"title": "x" * 201}, "title", ""),
    ],
)
async def test_bad_rules_are_refused(api, user, database_url, change, field, says):
    body = {**GOOD, **change}
    body = {key: value for key, value in body.items() if value is not None}
    resp = await api.post("/api/recurring", json=body, headers=user.headers)
    error = await assert_error(resp, 400)
    assert field in error["details"], error
    assert says.lower() in error["error"].lower(), error
    (count,) = db_one(
        database_url, "SELECT count(*) FROM recurring_meetings WHERE owner_id = %s", (user.id,)
    )
    assert count == 0


async def test_unknown_rule_paths(api, user):
    for path in ("/api/recurring/999999999", "/api/recurring/x", "/api/recurring/0"):
        await assert_error(await api.get(path, headers=user.headers), 404)
        await assert_error(await api.delete(path, headers=user.headers), 404)
    api.session.cookie_jar.clear()
    await assert_error(await api.get("/api/recurring"), 401)
