"""§18 analytics: events recorded from real activity (REST and Socket.IO), the admin reports'
shapes and counts, the client error endpoint, and the recorder's batching and failures."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest

from onepizza.app import create_app
from onepizza.db import analytics as analytics_sql
from onepizza.db import create_pool
from onepizza.db.embedded import create_database, drop_database
from onepizza.db.migrate import apply_migrations
from onepizza.services.analytics import Analytics
from onepizza.services.registry import ANALYTICS
from tests.api.meeting_helpers import (
    ISO_UTC,
    create_meeting,
    db_one,
    db_rows,
    in_future,
    register,
)
from tests.realtime.bots import Bot

ADMIN_PASSWORD = "the admin password"
REPORTS = (
    "features",
    "errors",
    "realtime",
    "retention",
    "health",
    "peak-hours",
    "overview",
    "users",
    "trends",
)
WINDOWED = ("features", "errors", "peak-hours", "trends")


@pytest.fixture
async def world(serve, make_settings, database_url):
    """A server with an admin account, a logged-in admin client, and bots."""
    admin_email = f"admin-{uuid4().hex[:8]}@example.com"
    env = {
        "ADMIN_EMAIL": admin_email,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "RATE_LIMIT_API": "1000/minute",
        "RATE_LIMIT_AUTH": "1000/minute",
        "RATE_LIMIT_CLIENT_ERRORS": "1000/minute",
    }
    client = await serve(create_app(make_settings(env)))
    bots: list[Bot] = []

    class World:
        http = client
        app = client.server.app
        url = str(client.make_url("/"))

        async def login_admin(self):
            resp = await client.post(
                "/api/auth/login", json={"email": admin_email, "password": ADMIN_PASSWORD}
            )
            assert resp.status == 200

        async def report(self, name: str, query: str = "") -> dict:
            resp = await client.get(f"/admin/api/analytics/{name}{query}")
            assert resp.status == 200, await resp.text()
            assert resp.content_type == "application/json"
            return await resp.json()

        async def reports(self) -> dict[str, dict]:
            await self.app[ANALYTICS].flush()
            return {
                "features": await self.report("features"),
                "errors": await self.report("errors"),
                "retention": await self.report("retention"),
                "peak-hours": await self.report("peak-hours"),
                "overview": await self.report("overview"),
                "trends": await self.report("trends", "?days=7"),
            }

        async def bot(self) -> Bot:
            bot = await Bot(self.url).connect()
            bots.append(bot)
            return bot

    world = World()
    await world.login_admin()
    yield world
    await asyncio.gather(*(bot.close() for bot in bots))


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def use_count(report: dict, feature: str) -> int:
    found = by(report["features"], "feature").get(feature)
    return found["total_uses"] if found else 0


async def meeting_activity(world, host_user) -> tuple[dict, Bot, Bot]:
    """A waiting-room meeting with a host and an admitted guest who use every feature."""
    meeting = await create_meeting(
        world.http, host_user, title="Analytics standup", waitingRoom=True
    )
    mid = meeting["meetingId"]
    host, guest = await world.bot(), await world.bot()
    await host.join(mid, "Hana", adminToken=meeting["adminToken"])

    await guest.emit("waiting-room:join", {"meetingId": mid, "name": "Gus"})
    waiting = await host.expect("waiting-room:participant-waiting")
    await host.emit("waiting-room:admit", {"meetingId": mid, "socketId": waiting["socketId"]})
    await guest.expect("waiting-room:admitted")
    await guest.join(mid, "Gus")

    await host.emit("chat:message", {"text": "  hello there  "})
    message = await guest.expect("chat:message")
    await guest.emit("chat:react", {"msgId": message["id"], "emoji": "👍"})
    await host.expect("chat:react")
    await guest.emit("react", {"emoji": "🎉"})
    await host.expect("react")
    await guest.emit("raise-hand", {"isHandRaised": True})
    await guest.emit("raise-hand", {"isHandRaised": False})
    await host.expect("participant:updated", 2)
    await host.emit("media:screen-share", {"isScreenSharing": True})
    await host.emit("media:screen-share", {"isScreenSharing": True})  # not a second use
    await guest.expect("participant:updated", 2)
    await host.emit("recording:broadcast-started", {})
    await guest.expect("recording:started")
    for n in range(3):  # captions count once per participant, not per update
        await guest.emit("captions:update", {"text": f"caption {n}", "final": n == 2})
    await host.expect("captions:update", 3)
    return meeting, host, guest


EXPECTED_EVENTS = [
    ("meeting.created", {"scheduled": False, "muteOnJoin": False, "waitingRoom": True}),
    ("meeting.participant_joined", {"participantCount": 1}),
    ("feature.waiting_room", {"action": "admit"}),
    ("meeting.participant_joined", {"participantCount": 2}),
    ("feature.chat", {"length": len("hello there")}),
    ("feature.chat_reaction", {"emoji": "👍"}),
    ("feature.reaction", {"emoji": "🎉"}),
    ("feature.hand_raise", {"raised": True}),
    ("feature.hand_raise", {"raised": False}),
    ("feature.screen_share", {"action": "start"}),
    ("feature.recording", {"action": "start"}),
    ("feature.captions", {}),
    ("feature.screen_share", {"action": "stop"}),
    ("feature.recording", {"action": "stop"}),
    ("meeting.ended", None),  # checked against the meeting's row
]
FEATURE_USES = {  # stops and lowered hands end a use rather than count as one
    "screen_share": 1,
    "recording": 1,
    "chat": 1,
    "chat_reaction": 1,
    "reaction": 1,
    "hand_raise": 1,
    "captions": 1,
    "waiting_room": 1,
}


async def test_reports_reflect_real_activity(world, database_url):
    before = await world.reports()
    host_user = await register(world.http, database_url, balance=10)  # the client is the host now
    meeting, host, guest = await meeting_activity(world, host_user)
    mid = meeting["meetingId"]
    await create_meeting(world.http, host_user, scheduledAt=in_future(3600))

    await world.login_admin()
    live = await world.report("realtime")
    duration = live["meetingList"][0]["duration"]
    assert live == {
        "activeMeetings": 1,
        "totalParticipants": 2,
        "activeRecordings": 1,
        "activeScreenShares": 1,
        "meetingList": [
            {
                "id": mid,
                "title": "Analytics standup",
                "participantCount": 2,
                "duration": duration,
                "isRecording": True,
            }
        ],
    }
    assert isinstance(duration, int) and 0 <= duration < 60
    health = await world.report("health")
    [scheduled_in_db] = db_one(
        database_url, "SELECT count(*) FROM meetings WHERE status = 'scheduled'"
    )
    assert health["activeMeetings"] == 1 and health["scheduledMeetings"] == scheduled_in_db >= 1

    await host.emit("media:screen-share", {"isScreenSharing": False})
    await host.emit("recording:broadcast-stopped", {})
    await guest.expect("recording:stopped")
    await guest.expect("participant:updated", 3)
    resp = await world.http.delete(
        f"/api/meetings/{mid}", headers=host_user.admin(meeting["adminToken"])
    )
    assert resp.status == 200
    await guest.expect("meeting:ended")
    message = f"ICE connection failed {uuid4().hex[:6]}"
    for _ in range(2):
        resp = await world.http.post(
            "/api/client-errors",
            json={"type": "webrtc", "message": message, "route": "/join", "meetingId": mid},
        )
        assert resp.status == 202 and await resp.json() == {"accepted": True}
    db_rows(
        database_url,
        "INSERT INTO credit_transactions (user_id, amount_usd, type, description) "
        "VALUES (%s, 20, 'stripe_topup', 'Card top-up')",
        (host_user.id,),
    )
    db_rows(  # the host was active last week too, so is retained this week
        database_url,
        "INSERT INTO analytics_events (event_type, user_id, created_at) "
        "VALUES ('meeting.created', %s, now() - interval '7 days')",
        (host_user.id,),
    )
    after = await world.reports()

    # The events themselves, in the order they happened, with the meta of §18.
    events = db_rows(
        database_url,
        "SELECT event_type, user_id, meta FROM analytics_events "
        "WHERE meeting_id = %s AND event_type NOT LIKE 'error.%%' ORDER BY id",
        (mid,),
    )
    assert [e[0] for e in events] == [e[0] for e in EXPECTED_EVENTS]
    assert {e[1] for e in events} == {host_user.id}
    for (_, _, meta), (_, expected) in zip(events, EXPECTED_EVENTS, strict=True):
        if expected is not None:
            assert meta == {
                **expected,
                **({"meetingId": mid} if "participantCount" in meta else {}),
            }
    peak, minutes, cost, started = db_one(
        database_url,
        "SELECT peak_participants, duration_minutes, cost_usd, started_at FROM meetings "
        "WHERE id = %s",
        (mid,),
    )
    assert peak == 2
    assert events[-1][2] == {
        "durationMinutes": float(minutes),
        "peakParticipants": 2,
        "costUsd": f"{cost:.4f}",
    }

    # features: total_uses, unique_users (accounts whose meetings used it), active_days
    assert after["features"]["days"] == 30
    for feature, uses in FEATURE_USES.items():
        assert (
            use_count(after["features"], feature) - use_count(before["features"], feature) == uses
        )
        row = by(after["features"]["features"], "feature")[feature]
        assert set(row) == {"feature", "total_uses", "unique_users", "active_days"}
        assert row["unique_users"] >= 1 and 1 <= row["active_days"] <= 30

    # errors: grouped by type, route and message
    [group] = [e for e in after["errors"]["errors"] if e["message"] == message]
    assert group == {
        "event_type": "error.webrtc",
        "route": "/join",
        "message": message,
        "count": 2,
        "last_seen": group["last_seen"],
    }
    assert ISO_UTC.match(group["last_seen"]) and after["errors"]["days"] == 30

    # retention: 12 weeks, newest first, Monday starts
    weeks = after["retention"]["retention"]
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    assert [w["week"] for w in weeks] == [
        (monday - timedelta(weeks=n)).isoformat() for n in range(12)
    ]
    old = before["retention"]["retention"]
    assert weeks[0]["users"] - old[0]["users"] == 1
    assert weeks[0]["retained"] - old[0]["retained"] == 1
    assert weeks[1]["users"] - old[1]["users"] == 1
    assert all(0 <= w["retained"] <= w["users"] for w in weeks)

    # peak hours: the meeting's start, by day of week (0 = Sunday) and hour, UTC
    started = started.astimezone(UTC)
    slot = ((started.weekday() + 1) % 7, started.hour)

    def slot_count(report):
        counts = {(h["dow"], h["hour"]): h["count"] for h in report["peakHours"]}
        return counts.get(slot, 0)

    assert slot_count(after["peak-hours"]) - slot_count(before["peak-hours"]) == 1
    assert after["peak-hours"]["days"] == 90

    # overview: totals across the platform
    old, new = before["overview"], after["overview"]
    assert set(new) == {"users", "companies", "meetings", "revenue", "charges"}
    assert new["users"] - old["users"] == 1 and new["companies"] == old["companies"]
    assert new["meetings"]["ended"] - old["meetings"]["ended"] == 1
    assert new["meetings"]["scheduled"] - old["meetings"]["scheduled"] == 1
    assert new["meetings"]["active"] == old["meetings"]["active"]
    assert float(new["revenue"]) - float(old["revenue"]) == pytest.approx(20)
    assert float(new["charges"]) - float(old["charges"]) == pytest.approx(float(cost))

    # trends: the last 7 UTC days, oldest first
    [today_in_db] = db_one(database_url, "SELECT (now() AT TIME ZONE 'UTC')::date")
    days = after["trends"]["trends"]
    assert [d["date"] for d in days] == [
        (today_in_db - timedelta(days=n)).isoformat() for n in range(6, -1, -1)
    ]
    assert after["trends"]["days"] == 7
    new_day, old_day = days[-1], before["trends"]["trends"][-1]
    assert new_day["meetings"] - old_day["meetings"] == 1
    assert new_day["participants"] - old_day["participants"] == 2
    assert float(new_day["revenue"]) - float(old_day["revenue"]) == pytest.approx(20)

    # users: newest first, with their meetings
    page = await world.report("users", "?limit=1")
    [balance] = db_one(database_url, "SELECT balance FROM users WHERE id = %s", (host_user.id,))
    assert page == {
        "users": [
            {
                "id": host_user.id,
                "email": host_user.email,
                "accountType": "personal",
                "balance": f"{balance:.4f}",
                "company_id": None,
                "is_admin": False,
                "created_at": page["users"][0]["created_at"],
                "meetings": 2,
            }
        ],
        "total": db_one(database_url, "SELECT count(*) FROM users")[0],
        "limit": 1,
        "offset": 0,
    }
    assert ISO_UTC.match(page["users"][0]["created_at"])
    second = await world.report("users", "?limit=1&offset=1")
    assert second["users"][0]["id"] != host_user.id and second["offset"] == 1


@pytest.mark.parametrize("report", REPORTS)
async def test_reports_need_an_admin_session(serve, make_settings, database_url, report):
    client = await serve(create_app(make_settings({"RATE_LIMIT_AUTH": "1000/minute"})))
    path = f"/admin/api/analytics/{report}"
    resp = await client.get(path)
    assert resp.status == 401 and "error" in await resp.json()
    await register(client, database_url)  # logged in, not an admin
    resp = await client.get(path)
    assert resp.status == 403 and "error" in await resp.json()


@pytest.mark.parametrize("report", WINDOWED)
async def test_days_must_be_1_to_365(world, report):
    for bad in ("0", "366", "-1", "1.5", "abc", ""):
        resp = await world.http.get(f"/admin/api/analytics/{report}?days={bad}")
        assert resp.status == 400, bad
        assert "days" in (await resp.json())["error"]
    for good in (1, 365):
        assert (await world.report(report, f"?days={good}"))["days"] == good


async def test_default_windows(world):
    assert (await world.report("features"))["days"] == 30
    assert (await world.report("errors"))["days"] == 30
    assert (await world.report("peak-hours"))["days"] == 90
    trends = await world.report("trends")
    assert trends["days"] == 30 and len(trends["trends"]) == 30
    page = await world.report("users")
    assert (page["limit"], page["offset"]) == (50, 0) and len(page["users"]) <= 50
    for bad in ("limit=0", "limit=201", "offset=-1", "limit=x"):
        resp = await world.http.get(f"/admin/api/analytics/users?{bad}")
        assert resp.status == 400, bad


@pytest.mark.parametrize(
    "body",
    [
        {"message": "no type"},
        {"type": "WebRTC", "message": "upper case"},
        {"type": "web-rtc", "message": "a dash"},
        {"type": "", "message": "empty type"},
        {"type": "a" * 31, "message": "long type"},
        {"type": "webrtc\n", "message": "trailing newline"},
        {"type": "webrtc"},
        {"type": "webrtc", "message": ""},
        {"type": "webrtc", "message": "m" * 501},
        {"type": "webrtc", "message": "long route", "route": "/" * 201},
        {"type": 5, "message": "not a string"},
    ],
)
async def test_client_error_validation(world, database_url, body):
    resp = await world.http.post("/api/client-errors", json=body)
    assert resp.status == 400, body
    assert "error" in await resp.json()


async def test_client_errors_are_stored_as_error_events(world, database_url):
    message = "m" * 500
    resp = await world.http.post(
        "/api/client-errors",
        json={"type": "media_denied", "message": message, "route": "/" * 200},
        headers={"User-Agent": "TestBrowser/1.0"},
    )
    assert resp.status == 202
    resp = await world.http.post(
        "/api/client-errors", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    await world.app[ANALYTICS].flush()
    row = db_one(
        database_url,
        "SELECT event_type, route, meeting_id, user_id, meta FROM analytics_events "
        "WHERE message = %s ORDER BY id DESC LIMIT 1",
        (message,),
    )
    assert row == ("error.media_denied", "/" * 200, None, None, {"userAgent": "TestBrowser/1.0"})


async def test_client_errors_are_rate_limited_per_ip(serve, make_settings):
    client = await serve(create_app(make_settings({"RATE_LIMIT_CLIENT_ERRORS": "2/minute"})))
    body = {"type": "webrtc", "message": "ICE connection failed"}
    for _ in range(2):
        resp = await client.post("/api/client-errors", json=body)
        assert resp.status == 202
        assert resp.headers["RateLimit-Limit"] == "2"
    resp = await client.post("/api/client-errors", json=body)
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) >= 1 and "error" in await resp.json()


async def test_shutdown_writes_the_last_events(serve, make_settings, database_url):
    """Meetings ended by the shutdown (a memory-state process's guest meetings, which
    cannot outlive it) are recorded: the recorder closes after them."""
    client = await serve(create_app(make_settings({"RATE_LIMIT_AUTH": "1000/minute"})))
    resp = await client.post("/api/meetings/guest", json={"title": "Quick"})
    meeting = await resp.json()
    await client.close()
    types = db_rows(
        database_url,
        "SELECT event_type FROM analytics_events WHERE meeting_id = %s ORDER BY id",
        (meeting["meetingId"],),
    )
    assert [t for (t,) in types] == ["meeting.created", "meeting.ended"]


# --- the recorder on its own --------------------------------------------------------------


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, maxsize=2)
    yield pool
    pool.close()
    await pool.wait_closed()


async def test_one_insert_per_batch(pool, database_url, monkeypatch):
    batches = []
    insert = analytics_sql.insert_events

    async def counting(cur, rows):
        batches.append(len(rows))
        await insert(cur, rows)

    monkeypatch.setattr(analytics_sql, "insert_events", counting)
    recorder = Analytics(pool)
    tag = uuid4().hex
    for n in range(1200):
        recorder.track("feature.chat", meeting_id=tag, meta={"length": n, "text": "it's \x00 ok"})
    assert recorder.pending == 1200
    assert await recorder.flush() == 1200
    assert batches == [500, 500, 200] and recorder.pending == 0
    count, lengths = db_one(
        database_url,
        "SELECT count(*), sum((meta->>'length')::int) FROM analytics_events WHERE meeting_id = %s",
        (tag,),
    )
    assert (count, lengths) == (1200, sum(range(1200)))


async def test_a_full_buffer_drops_new_events_with_a_warning(pool, caplog):
    recorder = Analytics(pool, capacity=3)
    with caplog.at_level(logging.WARNING, logger="onepizza.services.analytics"):
        for _ in range(5):
            recorder.track("feature.reaction", meta={"emoji": "🎉"})
    assert (recorder.pending, recorder.dropped) == (3, 2)
    assert "dropped" in caplog.text


async def test_the_writer_loop_writes_within_its_interval(pool, database_url):
    recorder = Analytics(pool, interval=0.05)
    recorder.start()
    tag = uuid4().hex
    recorder.track("feature.captions", meeting_id=tag)
    for _ in range(100):
        await asyncio.sleep(0.05)
        if recorder.pending == 0:
            break
    recorder.track("feature.captions", meeting_id=tag)  # written by close
    await recorder.close()
    assert db_one(
        database_url, "SELECT count(*) FROM analytics_events WHERE meeting_id = %s", (tag,)
    ) == (2,)


@pytest.fixture
def missing_database(database_url):
    """The URL of a database that does not exist yet, and a way to create it."""
    name = f"onepizza_later_{secrets.token_hex(4)}"
    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path="/" + name))

    def create():
        create_database(admin, name)
        apply_migrations(url)

    yield url, create
    drop_database(admin, name)


async def test_a_database_error_keeps_the_batch_for_the_next_round(missing_database, caplog):
    url, create = missing_database
    pool = await create_pool(url, maxsize=1)
    try:
        recorder = Analytics(pool, capacity=5)
        for n in range(3):
            recorder.track("meeting.created", user_id=n)
        with caplog.at_level(logging.WARNING, logger="onepizza.services.analytics"):
            assert await recorder.flush() == 0
        assert recorder.pending == 3 and "kept for the next write" in caplog.text
        for n in range(3, 7):  # room for two more while the batch waits
            recorder.track("meeting.created", user_id=n)
        assert (recorder.pending, recorder.dropped) == (5, 2)
        await asyncio.get_running_loop().run_in_executor(None, create)
        assert await recorder.flush() == 5
        assert db_rows(url, "SELECT user_id FROM analytics_events ORDER BY id") == [
            (n,) for n in range(5)
        ]
    finally:
        pool.close()
        await pool.wait_closed()
