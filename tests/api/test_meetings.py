"""§3-§8 and §15 meetings over REST: create (402 without credit), list, get, end or cancel,
guest meetings, settings, lock, invite, history, the charge at the end, the scheduler and
the empty-meeting grace period."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC
from decimal import Decimal

import pytest

from onepizza.app import create_app
from onepizza.realtime.notifier import SocketMeetingEvents
from onepizza.realtime.server import SIO
from onepizza.services.meetings import JoinRefused
from onepizza.services.registry import LIVE, MAILER, MEETINGS

from .meeting_helpers import (
    API_ENV,
    CREATE_KEYS,
    DEFAULT_SETTINGS,
    ISO_MS,
    ISO_UTC,
    MEETING_ID,
    PASSWORD,
    add_participants,
    assert_error,
    charges,
    create_meeting,
    db_one,
    db_rows,
    get_meeting,
    history,
    in_future,
    list_meetings,
    register,
    started_thirty_minutes_ago,
    user_balance,
)


@pytest.fixture
async def api(serve, make_settings):
    """A client of an app with room in the API and auth rate limits."""
    return await serve(create_app(make_settings(API_ENV)))


@pytest.fixture
async def user(api, database_url):
    """A personal account with $10 of credit, logged in on `api`."""
    return await register(api, database_url, balance=10)


def meeting_count(database_url, user) -> int:
    return db_one(database_url, "SELECT count(*) FROM meetings WHERE owner_id = %s", (user.id,))[0]


def epoch_ms_of(database_url, meeting_id: str) -> int:
    (created_at,) = db_one(
        database_url, "SELECT created_at FROM meetings WHERE id = %s", (meeting_id,)
    )
    return int(created_at.timestamp() * 1000)


async def delete(client, meeting_id: str, headers: dict):
    return await client.delete(f"/api/meetings/{meeting_id}", headers=headers)


def log_out(client) -> None:
    """Drop the client's session cookie (registering logs in): the meeting routes take the
    session too, so "no x-api-key" means 401 only for a caller that is not logged in."""
    client.session.cookie_jar.clear()


# --- §3 create ----------------------------------------------------------------------------


async def test_create_instant_meeting(api, user, database_url):
    resp = await api.post("/api/meetings", json={"title": "Team Standup"}, headers=user.headers)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert set(body) == CREATE_KEYS
    meeting_id = body["meetingId"]
    assert MEETING_ID.match(meeting_id)
    assert isinstance(body["adminToken"], str) and len(body["adminToken"]) >= 32
    assert body["joinUrl"] == f"/join/{meeting_id}"
    assert body["title"] == "Team Standup"
    assert body["status"] == "active"
    assert body["settings"] == DEFAULT_SETTINGS

    # Stored active and started, owned by the caller, with only a digest of the token.
    owner_id, status, started_at, token_hash = db_one(
        database_url,
        "SELECT owner_id, status, started_at, admin_token_hash FROM meetings WHERE id = %s",
        (meeting_id,),
    )
    assert (owner_id, status) == (user.id, "active")
    assert started_at is not None
    assert bytes(token_hash) == hashlib.sha256(body["adminToken"].encode()).digest()
    # ... and live at once.
    assert (await api.app[LIVE].meeting(meeting_id)) is not None


async def test_create_defaults_and_settings(api, user):
    resp = await api.post("/api/meetings", headers=user.headers)  # no body at all
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["title"] == "Untitled Meeting"
    assert (await create_meeting(api, user))["title"] == "Untitled Meeting"
    assert (await create_meeting(api, user, title="   "))["title"] == "Untitled Meeting"

    body = await create_meeting(
        api,
        user,
        title="x" * 200,
        muteOnJoin=True,
        videoOffOnJoin=True,
        maxParticipants=100,
        waitingRoom=True,
    )
    assert body["title"] == "x" * 200
    assert body["settings"] == {
        "muteOnJoin": True,
        "videoOffOnJoin": True,
        "maxParticipants": 100,
        "locked": False,
        "waitingRoom": True,
    }
    assert (await create_meeting(api, user, maxParticipants=1))["settings"]["maxParticipants"] == 1


async def test_create_scheduled_meeting(api, user, database_url):
    scheduled_at = in_future(3600)
    body = await create_meeting(api, user, title="Weekly Sync", scheduledAt=scheduled_at)
    assert set(body) == CREATE_KEYS | {"scheduledAt"}
    assert body["status"] == "scheduled"
    assert body["scheduledAt"] == scheduled_at
    assert ISO_MS.match(body["scheduledAt"])
    assert body["title"] == "Weekly Sync"
    assert body["settings"] == DEFAULT_SETTINGS
    status, started_at = db_one(
        database_url, "SELECT status, started_at FROM meetings WHERE id = %s", (body["meetingId"],)
    )
    assert (status, started_at) == ("scheduled", None)
    assert (await api.app[LIVE].meeting(body["meetingId"])) is None

    # Another offset is normalised to UTC with milliseconds.
    body = await create_meeting(api, user, scheduledAt="2099-04-01T16:00:00+02:00")
    assert body["scheduledAt"] == "2099-04-01T14:00:00.000Z"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scheduledAt": "2020-01-01T00:00:00Z"}, "scheduledAt"),
        ({"scheduledAt": "2020-01-01T00:00:00"}, "scheduledAt"),
        ({"scheduledAt": "next tuesday"}, "scheduledAt"),
        ({"scheduledAt": 1893456000000}, "scheduledAt"),
        ({"scheduledAt": "2027-06-01T10:00:00-20:06"}, "scheduledAt"),
        ({"scheduledAt": "9999-12-31T23:00:00-10:00"}, "scheduledAt"),
        ({"maxParticipants": 0}, "maxParticipants"),
        ({"maxParticipants": 101}, "maxParticipants"),
        ({"maxParticipants": "ten"}, "maxParticipants"),
        ({"maxParticipants": 10.5}, "maxParticipants"),
        ({"title": "x" * 201}, "title"),
        ({"title": 42}, "title"),
        ({"muteOnJoin": "perhaps"}, "muteOnJoin"),
    ],
    ids=[
        "past",
        "past-naive",
        "garbage-date",
        "number-date",
        "impossible-offset",
        "overflowing-date",
        "max-0",
        "max-101",
        "max-text",
        "max-fraction",
        "title-201",
        "title-number",
        "bad-boolean",
    ],
)
async def test_create_rejects_bad_input(api, user, database_url, payload, field):
    resp = await api.post("/api/meetings", json=payload, headers=user.headers)
    body = await assert_error(resp, 400)
    assert field in body["details"]
    assert meeting_count(database_url, user) == 0


async def test_create_rejects_malformed_json(api, user, database_url):
    resp = await api.post(
        "/api/meetings",
        data=b"{not json",
        headers={**user.headers, "Content-Type": "application/json"},
    )
    await assert_error(resp, 400)
    assert meeting_count(database_url, user) == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "mk_" + "a" * 43}, {"x-api-key": "not-a-key"}],
    ids=["missing", "unknown", "malformed"],
)
async def test_create_needs_a_valid_api_key(api, user, database_url, headers):
    log_out(api)
    resp = await api.post("/api/meetings", json={"title": "T"}, headers=headers)
    await assert_error(resp, 401)
    assert meeting_count(database_url, user) == 0


@pytest.mark.usefixtures("no_welcome_credit")
async def test_create_without_credit_is_402(api, database_url):
    broke = await register(api, database_url)  # a new account has $0 (no welcome credit)
    resp = await api.post("/api/meetings", json={"title": "T"}, headers=broke.headers)
    await assert_error(resp, 402)
    resp = await api.post(
        "/api/meetings", json={"scheduledAt": in_future(3600)}, headers=broke.headers
    )
    await assert_error(resp, 402)
    assert meeting_count(database_url, broke) == 0


@pytest.mark.usefixtures("no_welcome_credit")
async def test_company_balance_decides_for_company_accounts(api, database_url):
    owner = await register(api, database_url, balance=10, accountType="company", companyName="Acme")
    assert owner.company_id is not None
    # Personal credit does not count for a company account: the company's does.
    resp = await api.post("/api/meetings", json={}, headers=owner.headers)
    await assert_error(resp, 402)
    assert meeting_count(database_url, owner) == 0

    db_rows(database_url, "UPDATE companies SET balance = 5 WHERE id = %s", (owner.company_id,))
    body = await create_meeting(api, owner, title="Board")
    (company_id,) = db_one(
        database_url, "SELECT company_id FROM meetings WHERE id = %s", (body["meetingId"],)
    )
    assert company_id == owner.company_id


# --- §3 list and get ----------------------------------------------------------------------


async def test_list_shows_own_active_and_scheduled_meetings(api, user, database_url):
    other = await register(api, database_url, balance=10)
    theirs = await create_meeting(api, other, title="Theirs")
    active = await create_meeting(api, user, title="Team Standup")
    scheduled_at = in_future(3600)
    scheduled = await create_meeting(api, user, title="Weekly Sync", scheduledAt=scheduled_at)
    await add_participants(api.app, active["meetingId"], 3)

    meetings = await list_meetings(api, user)
    assert meetings == [
        {
            "meetingId": active["meetingId"],
            "title": "Team Standup",
            "status": "active",
            "participantCount": 3,
            "createdAt": epoch_ms_of(database_url, active["meetingId"]),
        },
        {
            "meetingId": scheduled["meetingId"],
            "title": "Weekly Sync",
            "status": "scheduled",
            "scheduledAt": scheduled_at,
            "participantCount": 0,
            "createdAt": epoch_ms_of(database_url, scheduled["meetingId"]),
        },
    ]
    assert abs(meetings[0]["createdAt"] - time.time() * 1000) < 60_000

    assert [m["meetingId"] for m in await list_meetings(api, other)] == [theirs["meetingId"]]


async def test_list_needs_an_api_key(api, user):
    log_out(api)
    await assert_error(await api.get("/api/meetings"), 401)
    await assert_error(await api.get("/api/meetings", headers={"x-api-key": "mk_nope"}), 401)


async def test_get_active_meeting_details(api, user, database_url):
    created = await create_meeting(api, user, title="Team Standup", muteOnJoin=True)
    meeting_id = created["meetingId"]
    p1, p2 = await add_participants(api.app, meeting_id, 2)  # muted on joining
    await api.app[LIVE].update_participant("s2", is_video_off=True, is_screen_sharing=True)
    live = await api.app[LIVE].meeting(meeting_id)

    resp = await get_meeting(api, user, meeting_id)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body == {
        "meetingId": meeting_id,
        "title": "Team Standup",
        "status": "active",
        "createdAt": epoch_ms_of(database_url, meeting_id),
        "participantCount": 2,
        "participants": [
            {
                "participantId": p1,
                "name": "P1",
                "isMuted": True,
                "isVideoOff": False,
                "isScreenSharing": False,
                "joinedAt": live.participants[p1].joined_at,
            },
            {
                "participantId": p2,
                "name": "P2",
                "isMuted": True,
                "isVideoOff": True,
                "isScreenSharing": True,
                "joinedAt": live.participants[p2].joined_at,
            },
        ],
        "settings": {**DEFAULT_SETTINGS, "muteOnJoin": True},
    }
    assert isinstance(body["participants"][0]["joinedAt"], int)


async def test_get_scheduled_meeting_details(api, user):
    scheduled_at = in_future(3600)
    created = await create_meeting(api, user, title="Later", scheduledAt=scheduled_at)
    body = await (await get_meeting(api, user, created["meetingId"])).json()
    assert body["status"] == "scheduled"
    assert body["scheduledAt"] == scheduled_at
    assert body["participantCount"] == 0 and body["participants"] == []
    assert body["settings"] == DEFAULT_SETTINGS


async def test_get_someone_elses_or_unknown_meeting_is_404(api, user, database_url):
    other = await register(api, database_url, balance=10)
    theirs = await create_meeting(api, other)
    await assert_error(await get_meeting(api, user, theirs["meetingId"]), 404)
    await assert_error(await get_meeting(api, user, "zzz-zzzz-zzz"), 404)
    log_out(api)
    await assert_error(await api.get(f"/api/meetings/{theirs['meetingId']}"), 401)


async def test_scheduled_list_has_only_scheduled_meetings(api, user, database_url):
    await create_meeting(api, user, title="Now")
    first_at, second_at = in_future(7200), in_future(3600)
    first = await create_meeting(api, user, title="First", scheduledAt=first_at)
    second = await create_meeting(api, user, title="Second", scheduledAt=second_at)
    other = await register(api, database_url, balance=10)
    await create_meeting(api, other, scheduledAt=in_future(3600))

    meetings = await list_meetings(api, user, "/api/meetings/scheduled/list")
    assert meetings == [
        {
            "meetingId": first["meetingId"],
            "title": "First",
            "scheduledAt": first_at,
            "status": "scheduled",
            "createdAt": epoch_ms_of(database_url, first["meetingId"]),
        },
        {
            "meetingId": second["meetingId"],
            "title": "Second",
            "scheduledAt": second_at,
            "status": "scheduled",
            "createdAt": epoch_ms_of(database_url, second["meetingId"]),
        },
    ]
    log_out(api)
    await assert_error(await api.get("/api/meetings/scheduled/list"), 401)


# --- §3 delete, §5 cancel, §8 history -----------------------------------------------------


async def test_delete_needs_api_key_and_admin_token(api, user, database_url):
    created = await create_meeting(api, user, title="Standup")
    meeting_id, token = created["meetingId"], created["adminToken"]
    other = await register(api, database_url, balance=10)
    log_out(api)

    await assert_error(await delete(api, meeting_id, {"x-admin-token": token}), 401)
    await assert_error(await delete(api, meeting_id, user.headers), 403)
    await assert_error(await delete(api, meeting_id, user.admin("f" * len(token))), 403)
    await assert_error(await delete(api, meeting_id, user.admin("")), 403)
    await assert_error(await delete(api, meeting_id, other.admin(token)), 404)
    # Still there, still live.
    assert (await get_meeting(api, user, meeting_id)).status == 200
    assert (await api.app[LIVE].meeting(meeting_id)) is not None

    resp = await delete(api, meeting_id, user.admin(token))
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["meetingId"] == meeting_id

    await assert_error(await get_meeting(api, user, meeting_id), 404)
    assert await list_meetings(api, user) == []
    assert (await api.app[LIVE].meeting(meeting_id)) is None
    (status,) = db_one(database_url, "SELECT status FROM meetings WHERE id = %s", (meeting_id,))
    assert status == "ended"
    # Ending again finds nothing.
    await assert_error(await delete(api, meeting_id, user.admin(token)), 404)
    assert len(await history(api, user)) == 1


async def test_delete_cancels_a_scheduled_meeting(api, user, database_url):
    created = await create_meeting(api, user, scheduledAt=in_future(3600))
    meeting_id, token = created["meetingId"], created["adminToken"]
    await assert_error(await delete(api, meeting_id, user.headers), 403)

    resp = await delete(api, meeting_id, user.admin(token))
    assert resp.status == 200, await resp.text()
    await assert_error(await get_meeting(api, user, meeting_id), 404)
    assert await list_meetings(api, user) == []
    assert await list_meetings(api, user, "/api/meetings/scheduled/list") == []
    assert await history(api, user) == []
    (status,) = db_one(database_url, "SELECT status FROM meetings WHERE id = %s", (meeting_id,))
    assert status == "cancelled"
    assert charges(database_url, meeting_id) == []
    assert user_balance(database_url, user) == Decimal("10.0000")


async def test_history_lists_ended_meetings(api, user, database_url):
    created = await create_meeting(api, user, title="Team Standup")
    meeting_id = created["meetingId"]
    started_thirty_minutes_ago(database_url, meeting_id)
    assert await history(api, user) == []  # active meetings are not history
    assert (await delete(api, meeting_id, user.admin(created["adminToken"]))).status == 200

    seq, started_at, ended_at = db_one(
        database_url, "SELECT seq, started_at, ended_at FROM meetings WHERE id = %s", (meeting_id,)
    )
    expected = {
        "id": seq,
        "meeting_id": meeting_id,
        "title": "Team Standup",
        "started_at": started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ended_at": ended_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_minutes": "0.00",  # nobody was ever in it: it ran for no time
        "peak_participants": 0,
        "cost_usd": "0.0000",
    }
    # With the API key ...
    assert await history(api, user) == [expected]
    assert ISO_UTC.match(expected["started_at"]) and ISO_UTC.match(expected["ended_at"])
    # ... and with the session cookie that registering set.
    resp = await api.get("/api/meetings/history")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["meetings"] == [expected]
    # Nobody else's.
    other = await register(api, database_url, balance=10)
    assert await history(api, other) == []
    api.session.cookie_jar.clear()
    await assert_error(await api.get("/api/meetings/history"), 401)
    # No charge for nobody in the room.
    assert charges(database_url, meeting_id) == []
    assert user_balance(database_url, user) == Decimal("10.0000")


async def test_history_pages_newest_first(api, user):
    ended = []
    for title in ("One", "Two", "Three"):
        created = await create_meeting(api, user, title=title)
        resp = await delete(api, created["meetingId"], user.admin(created["adminToken"]))
        assert resp.status == 200, await resp.text()
        ended.append(created["meetingId"])

    async def page(query: str) -> list[str]:
        resp = await api.get(f"/api/meetings/history?{query}", headers=user.headers)
        assert resp.status == 200, await resp.text()
        return [m["meeting_id"] for m in (await resp.json())["meetings"]]

    assert await page("") == ended[::-1]
    assert await page("limit=2") == ended[:0:-1]
    assert await page("limit=2&offset=2") == ended[:1]
    assert await page("offset=3") == []
    for query in ("limit=0", "limit=201", "limit=ten", "offset=-1"):
        await assert_error(
            await api.get(f"/api/meetings/history?{query}", headers=user.headers), 400
        )


# --- §15 the charge at the end ------------------------------------------------------------


async def test_ending_charges_duration_times_peak_times_rate(api, user, database_url):
    created = await create_meeting(api, user, title="Team Standup")
    meeting_id = created["meetingId"]
    await add_participants(api.app, meeting_id, 4)
    for sid in ("s1", "s2", "s3"):  # the peak counts, not who is left at the end
        await api.app[MEETINGS].leave(sid)
    started_thirty_minutes_ago(database_url, meeting_id)

    resp = await delete(api, meeting_id, user.admin(created["adminToken"]))
    assert resp.status == 200, await resp.text()

    [item] = await history(api, user)
    assert item["duration_minutes"] == "30.00"
    assert item["peak_participants"] == 4
    assert item["cost_usd"] == "0.4800"  # 30 min x 4 x $0.004
    assert user_balance(database_url, user) == Decimal("9.5200")
    assert charges(database_url, meeting_id) == [
        (
            user.id,
            None,
            Decimal("-0.4800"),
            "meeting_charge",
            f"Meeting {meeting_id} (30m, 4 participants)",
        )
    ]
    me = await (await api.get("/api/auth/me", headers=user.headers)).json()
    assert me["balance"] == "9.5200"


async def test_charge_uses_the_platform_rate(api, user, database_url):
    created = await create_meeting(api, user)
    meeting_id = created["meetingId"]
    await add_participants(api.app, meeting_id, 2)
    started_thirty_minutes_ago(database_url, meeting_id)
    db_rows(
        database_url,
        "UPDATE platform_settings SET value = '\"0.0100\"' "
        "WHERE key = 'rate_per_participant_minute'",
    )
    try:
        resp = await delete(api, meeting_id, user.admin(created["adminToken"]))
        assert resp.status == 200, await resp.text()
    finally:
        db_rows(
            database_url,
            "UPDATE platform_settings SET value = '\"0.0040\"' "
            "WHERE key = 'rate_per_participant_minute'",
        )
    assert (await history(api, user))[0]["cost_usd"] == "0.6000"  # 30 x 2 x $0.01
    assert user_balance(database_url, user) == Decimal("9.4000")


async def test_company_member_meeting_charges_the_company(api, serve, make_settings, database_url):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    member_client = await serve(create_app(make_settings(API_ENV)))
    member = await register(member_client, database_url)
    resp = await member_client.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()
    db_rows(database_url, "UPDATE companies SET balance = 10 WHERE id = %s", (owner.company_id,))

    created = await create_meeting(api, member, title="Member's")
    meeting_id = created["meetingId"]
    # The company sees its members' meetings.
    assert [m["meetingId"] for m in await list_meetings(api, owner)] == [meeting_id]
    await add_participants(api.app, meeting_id, 2)
    started_thirty_minutes_ago(database_url, meeting_id)
    resp = await delete(api, meeting_id, member.admin(created["adminToken"]))
    assert resp.status == 200, await resp.text()

    (company_balance,) = db_one(
        database_url, "SELECT balance FROM companies WHERE id = %s", (owner.company_id,)
    )
    assert company_balance == Decimal("9.7600")  # 30 x 2 x $0.004 = $0.24
    assert user_balance(database_url, member) == Decimal("0.0000")
    assert charges(database_url, meeting_id) == [
        (
            None,
            owner.company_id,
            Decimal("-0.2400"),
            "meeting_charge",
            f"Meeting {meeting_id} (30m, 2 participants)",
        )
    ]
    for who in (member, owner):
        [item] = await history(api, who)
        assert (item["meeting_id"], item["cost_usd"]) == (meeting_id, "0.2400")


async def test_a_charge_below_two_dollars_sends_the_low_balance_alert(
    serve, make_settings, outbox, database_url
):
    mail = await serve(create_app(make_settings({**API_ENV, "SMTP_URL": outbox.url})))
    user = await register(mail, database_url, balance="2.10")
    created = await create_meeting(mail, user)
    await add_participants(mail.app, created["meetingId"], 4)
    started_thirty_minutes_ago(database_url, created["meetingId"])
    resp = await delete(mail, created["meetingId"], user.admin(created["adminToken"]))
    assert resp.status == 200, await resp.text()
    assert user_balance(database_url, user) == Decimal("1.6200")

    await mail.app[MAILER].wait_idle()
    subjects = [m["Subject"] for m in outbox.to(user.email)]
    assert "Your onepizza balance is low" in subjects


async def test_concurrent_deletes_charge_once(api, user, database_url):
    # Five meetings, each ended by two DELETEs at once: every one is billed exactly once.
    for _ in range(5):
        created = await create_meeting(api, user)
        meeting_id = created["meetingId"]
        await add_participants(api.app, meeting_id, 4)
        started_thirty_minutes_ago(database_url, meeting_id)

        headers = user.admin(created["adminToken"])
        responses = await asyncio.gather(*(delete(api, meeting_id, headers) for _ in range(2)))
        statuses = sorted(r.status for r in responses)
        assert statuses in ([200, 200], [200, 404]), statuses
        assert [c[2:4] for c in charges(database_url, meeting_id)] == [
            (Decimal("-0.4800"), "meeting_charge")
        ]

    items = await history(api, user)
    assert len(items) == 5
    assert {(i["peak_participants"], i["cost_usd"]) for i in items} == {(4, "0.4800")}
    assert user_balance(database_url, user) == Decimal("7.6000")  # 10 - 5 x 0.48


class SlowEndNotice:
    """The meeting-ended notice taking a moment, as it does when participants' sockets
    are connected (python-socketio awaits the sends) or with the Redis manager."""

    def __init__(self, inner: SocketMeetingEvents):
        self._inner = inner

    async def meeting_ended(self, meeting_id: str, reason: str) -> None:
        await asyncio.sleep(0.2)
        await self._inner.meeting_ended(meeting_id, reason)

    def __getattr__(self, name):  # every other event as usual
        return getattr(self._inner, name)


async def test_concurrent_deletes_charge_once_while_participants_are_told(api, user, database_url):
    api.app[MEETINGS].set_events(SlowEndNotice(SocketMeetingEvents(api.app[SIO])))
    created = await create_meeting(api, user)
    meeting_id = created["meetingId"]
    await add_participants(api.app, meeting_id, 4)
    started_thirty_minutes_ago(database_url, meeting_id)

    headers = user.admin(created["adminToken"])
    responses = await asyncio.gather(*(delete(api, meeting_id, headers) for _ in range(2)))
    assert 200 in [r.status for r in responses]

    [item] = await history(api, user)
    assert (item["peak_participants"], item["cost_usd"]) == (4, "0.4800")
    assert [c[2] for c in charges(database_url, meeting_id)] == [Decimal("-0.4800")]
    assert user_balance(database_url, user) == Decimal("9.5200")


# --- §4 guest meetings --------------------------------------------------------------------


async def test_guest_meeting(api, user, database_url):
    resp = await api.post("/api/meetings/guest")
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert set(body) == {"meetingId", "adminToken", "joinUrl", "title"}
    assert body["title"] == "Quick Meeting"
    meeting_id, token = body["meetingId"], body["adminToken"]
    assert MEETING_ID.match(meeting_id)
    assert len(token) >= 32
    assert body["joinUrl"] == f"/join/{meeting_id}"

    named = await (await api.post("/api/meetings/guest", json={"title": "Quick Sync"})).json()
    assert named["title"] == "Quick Sync"

    # In memory only: not stored, in nobody's list, not reachable with an API key.
    assert db_rows(database_url, "SELECT 1 FROM meetings WHERE id = %s", (meeting_id,)) == []
    live = await api.app[LIVE].meeting(meeting_id)
    assert live is not None and live.guest
    assert await list_meetings(api, user) == []
    await assert_error(await get_meeting(api, user, meeting_id), 404)

    # Its admin token alone manages it.
    resp = await api.patch(
        f"/api/meetings/{meeting_id}/settings",
        json={"locked": True},
        headers={"x-admin-token": token},
    )
    assert resp.status == 200, await resp.text()
    await assert_error(await delete(api, meeting_id, {"x-admin-token": "f" * len(token)}), 403)
    await assert_error(await delete(api, meeting_id, {}), 403)
    await assert_error(await delete(api, meeting_id, {"x-admin-token": named["adminToken"]}), 403)
    assert (await api.app[LIVE].meeting(meeting_id)) is not None

    await add_participants(api.app, meeting_id, 3, admin_token=token)  # it is locked
    resp = await delete(api, meeting_id, {"x-admin-token": token})
    assert resp.status == 200, await resp.text()
    assert (await api.app[LIVE].meeting(meeting_id)) is None
    assert (await delete(api, meeting_id, {"x-admin-token": token})).status != 200

    # Not billed, no history.
    assert db_rows(database_url, "SELECT 1 FROM meetings WHERE id = %s", (meeting_id,)) == []
    assert charges(database_url, meeting_id) == []
    assert await history(api, user) == []


async def test_guest_meeting_rejects_a_long_title(api):
    await assert_error(await api.post("/api/meetings/guest", json={"title": "x" * 201}), 400)


async def test_guest_meetings_are_rate_limited_per_ip(client):
    for _ in range(5):
        resp = await client.post("/api/meetings/guest", json={"title": "Quick"})
        assert resp.status == 201, await resp.text()
    resp = await client.post("/api/meetings/guest", json={"title": "Quick"})
    await assert_error(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["RateLimit-Limit"] == "5"
    assert len([m for m in await client.app[LIVE].meetings() if m.guest]) == 5


# --- §6 settings, lock, invite ------------------------------------------------------------


async def test_update_settings(api, user, database_url):
    created = await create_meeting(api, user, title="Before")
    meeting_id = created["meetingId"]
    changes = {"title": "After", "muteOnJoin": True, "maxParticipants": 10, "waitingRoom": True}
    resp = await api.patch(
        f"/api/meetings/{meeting_id}/settings",
        json=changes,
        headers=user.admin(created["adminToken"]),
    )
    assert resp.status == 200, await resp.text()
    expected = {**DEFAULT_SETTINGS, "muteOnJoin": True, "maxParticipants": 10, "waitingRoom": True}
    assert (await resp.json())["settings"] == expected

    body = await (await get_meeting(api, user, meeting_id)).json()
    assert body["title"] == "After"
    assert body["settings"] == expected
    # Kept in the database too.
    title, settings = db_one(
        database_url, "SELECT title, settings FROM meetings WHERE id = %s", (meeting_id,)
    )
    assert title == "After" and settings == expected
    assert (await list_meetings(api, user))[0]["title"] == "After"


async def test_update_settings_of_a_scheduled_meeting(api, user):
    created = await create_meeting(api, user, scheduledAt=in_future(3600))
    meeting_id = created["meetingId"]
    resp = await api.patch(
        f"/api/meetings/{meeting_id}/settings",
        json={"title": "Renamed", "videoOffOnJoin": True},
        headers=user.admin(created["adminToken"]),
    )
    assert resp.status == 200, await resp.text()
    body = await (await get_meeting(api, user, meeting_id)).json()
    assert body["title"] == "Renamed"
    assert body["settings"] == {**DEFAULT_SETTINGS, "videoOffOnJoin": True}
    assert body["status"] == "scheduled"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"unknown": True},
        {"maxParticipants": 500},
        {"maxParticipants": 0},
        {"maxParticipants": "ten"},
        {"title": ""},
        {"title": "x" * 201},
        {"locked": "yes please"},
    ],
    ids=["no-body", "empty", "unknown-only", "max-500", "max-0", "max-text", "title-empty",
         "title-201", "bad-boolean"],
)  # fmt: skip
async def test_update_settings_rejects_bad_input(api, user, database_url, payload):
    created = await create_meeting(api, user, title="Same")
    meeting_id = created["meetingId"]
    kwargs = {} if payload is None else {"json": payload}
    resp = await api.patch(
        f"/api/meetings/{meeting_id}/settings",
        headers=user.admin(created["adminToken"]),
        **kwargs,
    )
    await assert_error(resp, 400)
    body = await (await get_meeting(api, user, meeting_id)).json()
    assert (body["title"], body["settings"]) == ("Same", DEFAULT_SETTINGS)


async def test_controls_need_the_admin_token(api, user, database_url):
    created = await create_meeting(api, user)
    meeting_id, token = created["meetingId"], created["adminToken"]
    other = await register(api, database_url, balance=10)
    log_out(api)
    base = f"/api/meetings/{meeting_id}"
    calls = [
        ("PATCH", base + "/settings", {"locked": True}),
        ("POST", base + "/lock", None),
        ("POST", base + "/unlock", None),
        ("POST", base + "/invite", {"name": "Bob"}),
    ]
    for method, path, payload in calls:
        for headers, status in [
            (user.headers, 403),
            (user.admin("0" * len(token)), 403),
            ({"x-admin-token": token}, 401),
            (other.admin(token), 404),
        ]:
            resp = await api.request(method, path, json=payload, headers=headers)
            await assert_error(resp, status)
    live = await api.app[LIVE].meeting(meeting_id)
    assert live.settings == DEFAULT_SETTINGS


async def test_lock_and_unlock(api, user):
    created = await create_meeting(api, user)
    meeting_id, headers = created["meetingId"], user.admin(created["adminToken"])

    resp = await api.post(f"/api/meetings/{meeting_id}/lock", headers=headers)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["locked"] is True
    body = await (await get_meeting(api, user, meeting_id)).json()
    assert body["settings"] == {**DEFAULT_SETTINGS, "locked": True}

    resp = await api.post(f"/api/meetings/{meeting_id}/unlock", headers=headers)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["locked"] is False
    body = await (await get_meeting(api, user, meeting_id)).json()
    assert body["settings"] == DEFAULT_SETTINGS


async def test_invite(api, user):
    created = await create_meeting(api, user)
    meeting_id, headers = created["meetingId"], user.admin(created["adminToken"])

    resp = await api.post(
        f"/api/meetings/{meeting_id}/invite", json={"name": "Bob"}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert set(body) == {"joinUrl", "inviteToken"}
    token = body["inviteToken"]
    assert len(token) >= 12
    assert body["joinUrl"] == f"/join/{meeting_id}?invite={token}&name=Bob"
    # It lets one person into the locked meeting, once.
    await api.app[MEETINGS].update_settings(meeting_id, {"locked": True})
    service = api.app[MEETINGS]
    joined = await service.join(
        meeting_id, sid="i1", name="Bob", admin_token=None, invite_token=token
    )
    assert joined.invited
    with pytest.raises(JoinRefused):
        await service.join(meeting_id, sid="i2", name="Al", admin_token=None, invite_token=token)
    await service.leave("i1")
    await api.app[MEETINGS].update_settings(meeting_id, {"locked": False})

    resp = await api.post(f"/api/meetings/{meeting_id}/invite", headers=headers)
    assert resp.status == 200, await resp.text()
    plain = await resp.json()
    assert plain["inviteToken"] != token
    assert plain["joinUrl"] == f"/join/{meeting_id}?invite={plain['inviteToken']}"

    resp = await api.post(
        f"/api/meetings/{meeting_id}/invite", json={"name": "Bob & Al"}, headers=headers
    )
    assert (await resp.json())["joinUrl"].endswith("&name=Bob%20%26%20Al")


async def test_invite_to_a_scheduled_meeting_is_refused(api, user):
    created = await create_meeting(api, user, scheduledAt=in_future(3600))
    resp = await api.post(
        f"/api/meetings/{created['meetingId']}/invite",
        json={"name": "Bob"},
        headers=user.admin(created["adminToken"]),
    )
    await assert_error(resp, 400)


# --- the session cookie (our extension: the dashboard needs no API key) --------------------

BROWSER = {"Origin": "http://localhost:3000"}  # the test APP_URL, as a browser sends it


async def log_in(client, user) -> None:
    """A browser's log-in on `client`, whose cookie jar keeps the session cookie."""
    log_out(client)
    resp = await client.post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD}, headers=BROWSER
    )
    assert resp.status == 200, await resp.text()


async def test_a_session_creates_lists_gets_and_ends_its_meetings(api, user, database_url):
    await log_in(api, user)
    resp = await api.post(
        "/api/meetings",
        json={"title": "From the dashboard", "maxParticipants": 5},
        headers=BROWSER,
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert set(created) == CREATE_KEYS
    meeting_id, token = created["meetingId"], created["adminToken"]
    assert db_one(database_url, "SELECT owner_id FROM meetings WHERE id = %s", (meeting_id,)) == (
        user.id,
    )
    scheduled = (
        await (
            await api.post(
                "/api/meetings",
                json={"title": "Later", "scheduledAt": in_future(3600)},
                headers=BROWSER,
            )
        ).json()
    )["meetingId"]

    # The session sees what the account's key sees, and the key sees what the session made.
    resp = await api.get("/api/meetings", headers=BROWSER)
    assert resp.status == 200, await resp.text()
    by_session = (await resp.json())["meetings"]
    assert [m["meetingId"] for m in by_session] == [meeting_id, scheduled]
    assert by_session == await list_meetings(api, user)
    resp = await api.get("/api/meetings/scheduled/list")
    assert [m["meetingId"] for m in (await resp.json())["meetings"]] == [scheduled]
    resp = await api.get(f"/api/meetings/{meeting_id}")
    assert resp.status == 200, await resp.text()
    detail = await resp.json()
    assert detail["title"] == "From the dashboard" and detail["settings"]["maxParticipants"] == 5

    # Host controls still need the meeting's admin token, on the session as with a key.
    lock = f"/api/meetings/{meeting_id}/lock"
    await assert_error(await api.post(lock, json={}, headers=BROWSER), 403)
    resp = await api.post(lock, json={}, headers={**BROWSER, "x-admin-token": token})
    assert resp.status == 200 and (await resp.json())["locked"] is True
    await assert_error(await delete(api, meeting_id, BROWSER), 403)
    resp = await api.delete(
        f"/api/meetings/{meeting_id}", json={}, headers={**BROWSER, "x-admin-token": token}
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json()) == {"message": "Meeting ended", "meetingId": meeting_id}
    assert (await api.app[LIVE].meeting(meeting_id)) is None
    assert [m["meeting_id"] for m in await history(api, user)] == [meeting_id]

    # Logged out, the same calls are the spec's 401 again.
    await api.post("/api/auth/logout", headers=BROWSER)
    resp = await api.get("/api/meetings", headers=BROWSER)
    assert (await assert_error(resp, 401))["error"] == "Missing x-api-key header"


async def test_a_session_cannot_touch_another_accounts_meeting(api, user, database_url):
    other = await register(api, database_url, balance=10)
    theirs = await create_meeting(api, other, title="Theirs")
    meeting_id, token = theirs["meetingId"], theirs["adminToken"]
    await log_in(api, user)

    resp = await api.get("/api/meetings", headers=BROWSER)
    assert (await resp.json())["meetings"] == []
    await assert_error(await api.get(f"/api/meetings/{meeting_id}"), 404)
    host = {**BROWSER, "x-admin-token": token}  # even with the meeting's own admin token
    base = f"/api/meetings/{meeting_id}"
    for method, path, payload in [
        ("DELETE", base, {}),
        ("PATCH", base + "/settings", {"locked": True}),
        ("POST", base + "/lock", {}),
        ("POST", base + "/invite", {"name": "Eve"}),
        ("POST", base + "/mute-all", {}),
    ]:
        await assert_error(await api.request(method, path, json=payload, headers=host), 404)
    live = await api.app[LIVE].meeting(meeting_id)
    assert live is not None and live.settings == DEFAULT_SETTINGS


async def test_a_company_members_session_sees_the_company_meetings(
    api, serve, make_settings, database_url
):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    db_rows(database_url, "UPDATE companies SET balance = 10 WHERE id = %s", (owner.company_id,))
    board = await create_meeting(api, owner, title="Board")
    member_client = await serve(create_app(make_settings(API_ENV)))
    member = await register(member_client, database_url)
    resp = await member_client.post(
        "/api/company/join", json={"inviteCode": owner.invite_code}, headers=BROWSER
    )
    assert resp.status == 200, await resp.text()

    # The member's session is the member's key: the company's meetings, and its balance.
    resp = await member_client.get("/api/meetings", headers=BROWSER)
    assert [m["meetingId"] for m in (await resp.json())["meetings"]] == [board["meetingId"]]
    resp = await member_client.post("/api/meetings", json={"title": "Member's"}, headers=BROWSER)
    assert resp.status == 201, await resp.text()
    made = db_one(
        database_url,
        "SELECT owner_id, company_id FROM meetings WHERE id = %s",
        ((await resp.json())["meetingId"],),
    )
    assert made == (member.id, owner.company_id)
    assert len(await list_meetings(api, owner)) == 2


async def test_cookie_writes_must_be_json_from_this_site(api, user, database_url):
    created = await create_meeting(api, user)
    meeting_id, token = created["meetingId"], created["adminToken"]
    await log_in(api, user)
    body = b'{"title": "Forged"}'
    # What a cross-site form can send: a simple content type, with or without an Origin.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {**BROWSER, "Content-Type": content_type} if content_type else BROWSER
        resp = await api.post("/api/meetings", data=body, headers=headers)
        assert (await assert_error(resp, 403))["error"] == (
            "A request on the session cookie must send Content-Type: application/json"
        )
    resp = await api.post(
        "/api/meetings", data=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    await assert_error(resp, 403)
    # JSON, but from another site.
    for foreign in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ):
        resp = await api.post("/api/meetings", json={"title": "Forged"}, headers=foreign)
        assert (await assert_error(resp, 403))["error"] == "Cross-site request refused"
        resp = await api.delete(
            f"/api/meetings/{meeting_id}", json={}, headers={**foreign, "x-admin-token": token}
        )
        await assert_error(resp, 403)
    assert meeting_count(database_url, user) == 1
    assert (await api.app[LIVE].meeting(meeting_id)) is not None
    # Reading is not a state change; the browser's CORS keeps another site from reading it.
    resp = await api.get("/api/meetings", headers={"Origin": "https://evil.example"})
    assert resp.status == 200

    # An x-api-key works as before, whatever the content type or origin (no cookie needed).
    log_out(api)
    resp = await api.post(
        "/api/meetings",
        data=body,
        headers={**user.headers, "Content-Type": "text/plain", "Origin": "https://bot.example"},
    )
    assert resp.status == 201, await resp.text()
    assert meeting_count(database_url, user) == 2


# --- §5 the scheduler ---------------------------------------------------------------------


async def wait_for_status(database_url, meeting_id: str, status: str, *, timeout: float) -> float:
    """Seconds until the stored meeting has `status` (polling SQL, not the API)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        (current,) = await asyncio.to_thread(
            db_one, database_url, "SELECT status FROM meetings WHERE id = %s", (meeting_id,)
        )
        if current == status:
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"meeting {meeting_id} not {status} after {timeout} s")


async def test_scheduled_meeting_activates_on_time(api, user, database_url):
    start = time.monotonic()
    created = await create_meeting(api, user, title="Soon", scheduledAt=in_future(2))
    meeting_id = created["meetingId"]
    # Settings changed while scheduled are those it goes live with.
    resp = await api.patch(
        f"/api/meetings/{meeting_id}/settings",
        json={"muteOnJoin": True},
        headers=user.admin(created["adminToken"]),
    )
    assert resp.status == 200, await resp.text()

    await wait_for_status(database_url, meeting_id, "active", timeout=5)
    assert time.monotonic() - start < 3.5
    scheduled_at, started_at = db_one(
        database_url, "SELECT scheduled_at, started_at FROM meetings WHERE id = %s", (meeting_id,)
    )
    assert started_at >= scheduled_at  # not early

    body = await (await get_meeting(api, user, meeting_id)).json()
    assert body["status"] == "active"
    assert body["settings"] == {**DEFAULT_SETTINGS, "muteOnJoin": True}
    live = await api.app[LIVE].meeting(meeting_id)
    assert live is not None and live.settings["muteOnJoin"] is True
    assert await list_meetings(api, user, "/api/meetings/scheduled/list") == []


async def test_a_restart_keeps_scheduled_and_live_meetings(serve, make_settings, database_url):
    settings = make_settings(API_ENV)
    first = await serve(create_app(settings))
    user = await register(first, database_url, balance=10)
    scheduled_at = in_future(3600)
    scheduled = await create_meeting(first, user, title="Later", scheduledAt=scheduled_at)
    active = await create_meeting(first, user, title="Now")
    await add_participants(first.app, active["meetingId"], 2)
    started_thirty_minutes_ago(database_url, active["meetingId"])
    await first.close()

    # Both meetings outlive the server ...
    second = await serve(create_app(settings))
    meetings = await list_meetings(second, user)
    assert sorted((m["meetingId"], m["status"]) for m in meetings) == sorted(
        [(scheduled["meetingId"], "scheduled"), (active["meetingId"], "active")]
    )
    scheduled_list = await list_meetings(second, user, "/api/meetings/scheduled/list")
    assert [m["meetingId"] for m in scheduled_list] == [scheduled["meetingId"]]
    assert scheduled_list[0]["scheduledAt"] == scheduled_at
    # ... and their admin tokens still manage them there.
    resp = await delete(second, scheduled["meetingId"], user.admin(scheduled["adminToken"]))
    assert resp.status == 200, await resp.text()
    assert await history(second, user) == []
    resp = await delete(second, active["meetingId"], user.admin(active["adminToken"]))
    assert resp.status == 200, await resp.text()

    # The live one is billed once, with its peak, for the time people were in it.
    # (The stays of a stopped process close at its last heartbeat, up to 2 s before it
    # stopped: 30 minutes less those seconds, at 2 x $0.004 a minute.)
    [item] = await history(second, user)
    assert item["meeting_id"] == active["meetingId"]
    assert item["peak_participants"] == 2
    cost = Decimal(item["cost_usd"])
    assert Decimal("0.2395") <= cost <= Decimal("0.2400"), cost
    assert [c[2] for c in charges(database_url, active["meetingId"])] == [-cost]
    assert user_balance(database_url, user) == Decimal("10") - cost


async def test_a_meeting_left_active_by_a_crash_is_live_again_at_start(
    serve, make_settings, database_url
):
    settings = make_settings(API_ENV)
    first = await serve(create_app(settings))
    user = await register(first, database_url, balance=10)
    created = await create_meeting(first, user, scheduledAt=in_future(3600), waitingRoom=True)
    meeting_id = created["meetingId"]
    await first.close()
    # As a server that died without its shutdown would leave it.
    db_rows(
        database_url,
        "UPDATE meetings SET status = 'active', started_at = now() WHERE id = %s",
        (meeting_id,),
    )

    second = await serve(create_app(settings))
    live = None
    for _ in range(30):
        live = await second.app[LIVE].meeting(meeting_id)
        if live is not None:
            break
        await asyncio.sleep(0.1)
    assert live is not None and live.settings["waitingRoom"] is True
    resp = await delete(second, meeting_id, user.admin(created["adminToken"]))
    assert resp.status == 200, await resp.text()
    assert [m["meeting_id"] for m in await history(second, user)] == [meeting_id]


async def test_meeting_due_while_the_server_was_down_activates_at_start(
    serve, make_settings, database_url
):
    settings = make_settings(API_ENV)
    first = await serve(create_app(settings))
    user = await register(first, database_url, balance=10)
    created = await create_meeting(first, user, scheduledAt=in_future(3600))
    meeting_id = created["meetingId"]
    await first.close()
    db_rows(
        database_url,
        "UPDATE meetings SET scheduled_at = now() - interval '1 minute' WHERE id = %s",
        (meeting_id,),
    )

    second = await serve(create_app(settings))
    await wait_for_status(database_url, meeting_id, "active", timeout=3)
    assert (await second.app[LIVE].meeting(meeting_id)) is not None
    body = await (await get_meeting(second, user, meeting_id)).json()
    assert body["status"] == "active"


# --- the empty-meeting grace period -------------------------------------------------------


@pytest.fixture
async def graceful(serve, make_settings):
    """A client of an app whose empty meetings end after half a second."""
    return await serve(create_app(make_settings({**API_ENV, "MEETING_GRACE_SECONDS": "0.5"})))


async def test_empty_meeting_ends_after_the_grace_period(graceful, database_url):
    user = await register(graceful, database_url, balance=10)
    created = await create_meeting(graceful, user)
    meeting_id = created["meetingId"]
    app = graceful.app
    await add_participants(app, meeting_id, 1)
    assert await app[MEETINGS].leave("s1") is not None

    await asyncio.sleep(0.25)  # within the grace: still on
    assert (await get_meeting(graceful, user, meeting_id)).status == 200
    await wait_for_status(database_url, meeting_id, "ended", timeout=2)

    await assert_error(await get_meeting(graceful, user, meeting_id), 404)
    assert (await app[LIVE].meeting(meeting_id)) is None
    [item] = await history(graceful, user)
    assert (item["meeting_id"], item["peak_participants"]) == (meeting_id, 1)


async def test_rejoining_within_the_grace_period_keeps_the_meeting(graceful, database_url):
    user = await register(graceful, database_url, balance=10)
    created = await create_meeting(graceful, user)
    meeting_id = created["meetingId"]
    app = graceful.app
    await add_participants(app, meeting_id, 1)
    await app[MEETINGS].leave("s1")

    await asyncio.sleep(0.2)
    await add_participants(app, meeting_id, 1, start=2)
    await asyncio.sleep(1.0)  # twice the grace period

    resp = await get_meeting(graceful, user, meeting_id)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["participantCount"] == 1
    (status,) = db_one(database_url, "SELECT status FROM meetings WHERE id = %s", (meeting_id,))
    assert status == "active"
    assert await history(graceful, user) == []

    # Empty again: the grace starts over and ends it.
    await app[MEETINGS].leave("s2")
    await wait_for_status(database_url, meeting_id, "ended", timeout=2)


async def test_a_meeting_nobody_joins_ends_after_the_grace_period_at_no_charge(
    graceful, database_url
):
    user = await register(graceful, database_url, balance=10)
    meeting_id = (await create_meeting(graceful, user))["meetingId"]
    await wait_for_status(database_url, meeting_id, "ended", timeout=3)
    [item] = await history(graceful, user)
    assert (item["meeting_id"], item["peak_participants"], item["cost_usd"]) == (
        meeting_id,
        0,
        "0.0000",
    )
    assert charges(database_url, meeting_id) == []
