"""§9 webhooks: registration rules (https, public addresses, known events, owner only, the
secret shown once) and signed, durable delivery to a real receiver on 127.0.0.1: a real
meeting's events, retries with backoff, a restart with a delivery pending, manual retry."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

import orjson
import pytest
from aiohttp import web

from onepizza.app import create_app
from onepizza.services import webhooks as webhook_service
from tests.realtime.bots import Bot

from .meeting_helpers import API_ENV, assert_error, create_meeting, db_one, db_rows, register
from .test_recordings import form

# Deliveries to 127.0.0.1 over http, retries 100 times sooner (30 s -> 0.3 s), quick polls.
FAST = {
    **API_ENV,
    "WEBHOOK_ALLOW_INSECURE": "1",
    "WEBHOOK_RETRY_SCALE": "0.01",
    "WEBHOOK_POLL_INTERVAL": "0.1",
}
MEETING_EVENTS = ["participant.joined", "participant.left", "meeting.ended"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# The receiver's check, exactly as README.md shows it.
def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True if `header` (X-Onepizza-Signature) signs `body` with `secret`, recently."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False  # too old (a replay) or from a badly wrong clock
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    answered: int

    @property
    def payload(self) -> dict:
        return orjson.loads(self.body)


class Receiver:
    """A webhook receiver on 127.0.0.1 answering `statuses` in turn, then `status`."""

    def __init__(self):
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.status = 200
        self.hang = False
        self.released = asyncio.Event()
        self.base = ""
        self._arrived = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.pop(0) if self.statuses else self.status
        async with self._arrived:
            self.requests.append(Received(request.path, dict(request.headers), body, status))
            self._arrived.notify_all()
        if self.hang:
            await self.released.wait()
        return web.Response(status=status, text="ok")

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait(self, count: int, path: str = "/hook", timeout: float = 10.0) -> list:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.at(path)) >= count), timeout
            )
        return self.at(path)


@pytest.fixture
async def receiver(aiohttp_server):
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", receiver.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    receiver.base = str(server.make_url("")).rstrip("/")
    yield receiver
    receiver.released.set()


@pytest.fixture
def accounts(database_url):
    """Register accounts on a client; their webhooks (and deliveries) go at teardown, so no
    later test's server retries them."""
    made = []

    async def make(client, balance=10):
        user = await register(client, database_url, balance=balance)
        made.append(user.id)
        return user

    yield make
    if made:
        db_rows(database_url, "DELETE FROM webhooks WHERE user_id = ANY(%s)", (made,))


@pytest.fixture
async def fast(serve, make_settings, tmp_path):
    """A client of an app that may deliver to 127.0.0.1, with a hundredfold faster backoff."""
    return await serve(create_app(make_settings(FAST, recordings_dir=tmp_path / "rec")))


@pytest.fixture
async def strict(serve, make_settings):
    """A client of an app with WEBHOOK_ALLOW_INSECURE unset."""
    return await serve(create_app(make_settings(API_ENV)))


async def add_webhook(client, user, url, events, status=201) -> dict:
    resp = await client.post(
        "/api/webhooks", json={"url": url, "events": events}, headers=user.headers
    )
    assert resp.status == status, await resp.text()
    return await resp.json()


async def deliveries(client, user, webhook_id) -> list[dict]:
    resp = await client.get(f"/api/webhooks/{webhook_id}/deliveries", headers=user.headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["deliveries"]


async def settled(client, user, webhook_id, count=1, timeout=10.0) -> list[dict]:
    """The webhook's deliveries once `count` exist and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await deliveries(client, user, webhook_id)
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.05)


def check_signed(request: Received, secret: str) -> None:
    assert request.headers["Content-Type"] == "application/json"
    signature = request.headers["X-Onepizza-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature), signature
    assert verify(secret, signature, request.body)
    assert not verify("whsec_wrong", signature, request.body)
    assert not verify(secret, signature, request.body + b" ")
    assert UUID.match(request.headers["X-Onepizza-Delivery"])
    assert request.headers["X-Onepizza-Event"] == request.payload["event"]


# --- a real meeting ----------------------------------------------------------------------


async def test_real_meeting_events_are_delivered_signed(fast, receiver, accounts, database_url):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), MEETING_EVENTS)
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 30
    started_hook = await add_webhook(fast, user, receiver.url("/started"), ["meeting.started"])
    meeting = await create_meeting(fast, user, title="Team Standup")
    mid = meeting["meetingId"]

    url = str(fast.make_url("/"))
    host, guest = await Bot(url).connect(), await Bot(url).connect()
    try:
        host_id = (await host.join(mid, "Hana", adminToken=meeting["adminToken"]))["participantId"]
        guest_id = (await guest.join(mid, "Gus"))["participantId"]
        await host.expect("participant:joined")
        await guest.emit("leave-meeting")
        await host.expect("participant:left")
        resp = await fast.delete(f"/api/meetings/{mid}", headers=user.admin(meeting["adminToken"]))
        assert resp.status == 200, await resp.text()
    finally:
        await asyncio.gather(host.close(), guest.close())

    received = await receiver.wait(5)
    for request in received:
        check_signed(request, hook["secret"])
        assert set(request.payload) == {"event", "meetingId", "timestamp", "data"}
        assert request.payload["meetingId"] == mid
        assert abs(request.payload["timestamp"] - time.time() * 1000) < 60_000
    assert len({r.headers["X-Onepizza-Delivery"] for r in received}) == 5

    by_event: dict[str, list[dict]] = {}
    for request in received:
        by_event.setdefault(request.payload["event"], []).append(request.payload["data"])
    people = [
        {"participantId": host_id, "name": "Hana"},
        {"participantId": guest_id, "name": "Gus"},
    ]
    key = lambda d: d["participantId"]  # noqa: E731
    assert sorted(by_event["participant.joined"], key=key) == sorted(people, key=key)
    # Gus left; Hana was still in when the meeting ended, so she leaves with it.
    assert sorted(by_event["participant.left"], key=key) == sorted(people, key=key)
    [ended] = by_event["meeting.ended"]
    cost = db_one(database_url, "SELECT cost_usd FROM meetings WHERE id = %s", (mid,))[0]
    assert ended["title"] == "Team Standup"
    assert ended["peakParticipants"] == 2
    assert isinstance(ended["durationMinutes"], int | float)
    assert not isinstance(ended["durationMinutes"], bool)
    assert ended["costUsd"] == f"{cost:.4f}" and re.fullmatch(r"\d+\.\d{4}", ended["costUsd"])
    assert set(by_event) == set(MEETING_EVENTS)  # no meeting.started: not subscribed to it

    # The other endpoint got only what it subscribed to, signed with its own secret.
    [started] = await receiver.wait(1, "/started")
    check_signed(started, started_hook["secret"])
    assert not verify(hook["secret"], started.headers["X-Onepizza-Signature"], started.body)
    assert started.payload["event"] == "meeting.started"
    assert started.payload["data"] == {"title": "Team Standup"}

    rows = await settled(fast, user, hook["id"], 5)
    assert len(rows) == 5
    for row in rows:
        assert set(row) == {
            "id",
            "event",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_retry_at",
            "created_at",
            "delivered_at",
        }
        assert row["status"] == "delivered" and row["attempts"] == 1
        assert row["last_response_code"] == 200 and row["last_error"] is None
        assert row["next_retry_at"] is None
        assert ISO_UTC.match(row["created_at"]) and ISO_UTC.match(row["delivered_at"])
    assert {r["id"] for r in rows} == {r.headers["X-Onepizza-Delivery"] for r in received}


async def test_scheduled_activation_and_recording_upload(fast, receiver, accounts):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), ["meeting.started", "recording.uploaded"])
    at = time.time() + 2
    scheduled_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + ".000Z"
    meeting = await create_meeting(fast, user, title="Later", scheduledAt=scheduled_at)
    assert meeting["status"] == "scheduled"
    [started] = await receiver.wait(1)
    assert started.payload["event"] == "meeting.started"
    assert started.payload["data"] == {"title": "Later"}
    assert started.payload["meetingId"] == meeting["meetingId"]

    data = b"\x1aE\xdf\xa3" + bytes(5000)
    resp = await fast.post(
        f"/api/meetings/{meeting['meetingId']}/recordings",
        data=form(data, content_type="audio/webm", filename="standup.webm"),
        headers=user.headers,
    )
    assert resp.status == 201, await resp.text()
    recording = await resp.json()
    uploaded = (await receiver.wait(2))[1]
    check_signed(uploaded, hook["secret"])
    assert uploaded.payload["event"] == "recording.uploaded"
    assert uploaded.payload["data"] == {
        "recordingId": recording["id"],
        "filename": "standup.webm",
        "sizeBytes": len(data),
    }


# --- retries and durability --------------------------------------------------------------


async def test_fails_twice_then_delivered_with_three_attempts(fast, receiver, accounts):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), ["meeting.started"])
    receiver.statuses = [500, 503]
    await create_meeting(fast, user, title="Flaky")

    received = await receiver.wait(3)
    [row] = await settled(fast, user, hook["id"])
    assert row["status"] == "delivered"
    assert row["attempts"] == 3
    assert row["last_response_code"] == 200
    assert row["next_retry_at"] is None and row["delivered_at"] is not None
    assert [r.answered for r in received] == [500, 503, 200]
    # One delivery: the same id and body every time, each signed afresh.
    assert {r.headers["X-Onepizza-Delivery"] for r in received} == {row["id"]}
    assert len({r.body for r in received}) == 1
    for request in received:
        check_signed(request, hook["secret"])


async def test_failed_attempt_records_code_error_and_next_retry(
    serve, make_settings, receiver, accounts
):
    # Backoff at its real scale: the first failure schedules the next attempt 30 s out.
    client = await serve(create_app(make_settings({**FAST, "WEBHOOK_RETRY_SCALE": "1"})))
    user = await accounts(client)
    hook = await add_webhook(client, user, receiver.url(), ["meeting.started"])
    receiver.status = 502
    await create_meeting(client, user)
    await receiver.wait(1)
    deadline = time.monotonic() + 5
    while (rows := await deliveries(client, user, hook["id"]))[0]["last_response_code"] is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    [row] = rows
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_response_code"] == 502 and row["last_error"] == "HTTP 502"
    assert ISO_UTC.match(row["next_retry_at"])
    next_retry = calendar.timegm(time.strptime(row["next_retry_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 20 < next_retry - time.time() <= 31
    await asyncio.sleep(0.3)
    assert len(receiver.requests) == 1  # nothing before its time


async def test_pending_delivery_survives_a_restart(
    aiohttp_server, aiohttp_client, make_settings, receiver, accounts, database_url
):
    # The second attempt is due 1.5 s after the first fails: after the first server stops.
    settings = make_settings({**FAST, "WEBHOOK_RETRY_SCALE": "0.05"})
    first = await aiohttp_server(create_app(settings))
    client = await aiohttp_client(first)
    user = await accounts(client)
    hook = await add_webhook(client, user, receiver.url(), ["meeting.started"])
    receiver.status = 503
    await create_meeting(client, user, title="Survivor")
    await receiver.wait(1)
    deadline = time.monotonic() + 5
    while (await deliveries(client, user, hook["id"]))[0]["last_response_code"] != 503:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    await client.close()
    await first.close()
    status, attempts = db_one(
        database_url,
        "SELECT d.status, d.attempts FROM webhook_deliveries d WHERE d.webhook_id = %s",
        (hook["id"],),
    )
    assert (status, attempts) == ("pending", 1)

    receiver.status = 200
    second = await aiohttp_server(create_app(settings))
    client = await aiohttp_client(second)
    received = await receiver.wait(2)
    [row] = await settled(client, user, hook["id"])
    assert row["status"] == "delivered" and row["attempts"] == 2
    assert received[0].headers["X-Onepizza-Delivery"] == row["id"]
    assert received[1].headers["X-Onepizza-Delivery"] == row["id"]
    check_signed(received[1], hook["secret"])
    assert received[1].payload["data"] == {"title": "Survivor"}


async def test_a_hung_receiver_slows_nothing(serve, make_settings, receiver, accounts, monkeypatch):
    monkeypatch.setattr(webhook_service, "DELIVERY_TIMEOUT", 0.5)
    client = await serve(create_app(make_settings(FAST)))
    user = await accounts(client)
    hook = await add_webhook(client, user, receiver.url(), ["meeting.started", "meeting.ended"])
    receiver.hang = True
    meeting = await create_meeting(client, user)
    await receiver.wait(1)
    # While the receiver holds the delivery, the meeting's REST calls go on.
    resp = await asyncio.wait_for(
        client.delete(
            f"/api/meetings/{meeting['meetingId']}", headers=user.admin(meeting["adminToken"])
        ),
        3,
    )
    assert resp.status == 200
    deadline = time.monotonic() + 5
    while not any(r["last_error"] for r in await deliveries(client, user, hook["id"])):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    errors = {r["last_error"] for r in await deliveries(client, user, hook["id"])}
    assert "Timed out after 0.5 s" in errors


async def test_retry_endpoint_sends_again_now(fast, receiver, accounts):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), ["meeting.started"])
    await create_meeting(fast, user)
    [first] = await receiver.wait(1)
    [row] = await settled(fast, user, hook["id"])
    assert row["status"] == "delivered" and row["attempts"] == 1

    resp = await fast.post(
        f"/api/webhooks/{hook['id']}/deliveries/{row['id']}/retry", headers=user.headers
    )
    assert resp.status == 202, await resp.text()
    body = await resp.json()
    assert body["id"] == row["id"] and body["status"] == "pending"
    received = await receiver.wait(2)
    assert received[1].body == first.body
    assert received[1].headers["X-Onepizza-Delivery"] == row["id"]
    [row] = await settled(fast, user, hook["id"])
    assert row["status"] == "delivered" and row["attempts"] == 2

    base = f"/api/webhooks/{hook['id']}/deliveries"
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        resp = await fast.post(f"{base}/{bad}/retry", headers=user.headers)
        await assert_error(resp, 404)


async def test_deleted_webhook_gets_nothing_more(fast, receiver, accounts):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), ["meeting.started"])
    resp = await fast.delete(f"/api/webhooks/{hook['id']}", headers=user.headers)
    assert resp.status == 200
    assert await (await fast.get("/api/webhooks", headers=user.headers)).json() == {"webhooks": []}
    await assert_error(await fast.delete(f"/api/webhooks/{hook['id']}", headers=user.headers), 404)
    await create_meeting(fast, user)
    await asyncio.sleep(0.5)
    assert receiver.requests == []


# --- registration ------------------------------------------------------------------------


REFUSED_URLS = [
    "http://example.com/hook",
    "https://127.0.0.1/x",
    "https://10.0.0.1/x",
    "https://192.168.1.20/x",
    "https://172.16.0.5/x",
    "https://169.254.169.254/x",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",
    "https://240.0.0.1/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[fe80::1]/x",
    "https://[fd00::1]/x",
    "https://localhost/x",
    "ftp://example.com/x",
    "https:///x",
    "not a url",
]


async def test_insecure_and_private_urls_are_refused(strict, accounts):
    user = await accounts(strict)
    for url in REFUSED_URLS:
        resp = await strict.post(
            "/api/webhooks", json={"url": url, "events": ["meeting.ended"]}, headers=user.headers
        )
        body = await assert_error(resp, 400)
        assert "webhook url" in body["error"].lower(), (url, body)
    resp = await strict.get("/api/webhooks", headers=user.headers)
    assert (await resp.json())["webhooks"] == []


async def test_public_https_address_is_accepted_without_resolving(strict, accounts):
    user = await accounts(strict)
    hook = await add_webhook(strict, user, "https://93.184.215.14/hook", ["meeting.ended"])
    assert hook["url"] == "https://93.184.215.14/hook"
    resp = await strict.delete(f"/api/webhooks/{hook['id']}", headers=user.headers)
    assert resp.status == 200


async def test_create_list_shape_and_the_secret_shown_once(fast, accounts, receiver):
    user = await accounts(fast)
    created = await add_webhook(
        fast, user, receiver.url(), ["meeting.ended", "participant.left", "meeting.ended"]
    )
    assert set(created) == {"id", "url", "events", "created_at", "secret"}
    assert created["events"] == ["meeting.ended", "participant.left"]  # duplicates dropped
    assert ISO_UTC.match(created["created_at"])
    secret = created["secret"]

    resp = await fast.get("/api/webhooks", headers=user.headers)
    text = await resp.text()
    assert resp.status == 200 and secret not in text
    listed = orjson.loads(text)["webhooks"]
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    resp = await fast.get(f"/api/webhooks/{created['id']}/deliveries", headers=user.headers)
    assert secret not in await resp.text()

    # A session works as well as an API key (register logged the client in).
    resp = await fast.get("/api/webhooks")
    assert resp.status == 200 and (await resp.json())["webhooks"] == listed
    fast.session.cookie_jar.clear()
    await assert_error(await fast.get("/api/webhooks"), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://93.184.215.14/h", "events": ["meeting.exploded"]},
        {"url": "https://93.184.215.14/h", "events": ["meeting.ended", "Meeting.Ended"]},
        {"url": "https://93.184.215.14/h", "events": []},
        {"url": "https://93.184.215.14/h", "events": "meeting.ended"},
        {"url": "https://93.184.215.14/h", "events": [7]},
        {"url": "https://93.184.215.14/h"},
        {"events": ["meeting.ended"]},
        {"url": 12, "events": ["meeting.ended"]},
    ],
)
async def test_bad_bodies_are_400(strict, accounts, body):
    user = await accounts(strict)
    resp = await strict.post("/api/webhooks", json=body, headers=user.headers)
    await assert_error(resp, 400)


async def test_unknown_event_message_names_it(strict, accounts):
    user = await accounts(strict)
    resp = await strict.post(
        "/api/webhooks",
        json={"url": "https://93.184.215.14/h", "events": ["meeting.exploded"]},
        headers=user.headers,
    )
    body = await assert_error(resp, 400)
    assert "meeting.exploded" in body["error"] and "meeting.ended" in body["error"]


async def test_another_accounts_webhook_is_404(fast, accounts, receiver):
    owner, other = await accounts(fast), await accounts(fast)
    hook = await add_webhook(fast, owner, receiver.url(), ["meeting.started"])
    await create_meeting(fast, owner)
    [row] = await settled(fast, owner, hook["id"])
    base = f"/api/webhooks/{hook['id']}"
    await assert_error(await fast.delete(base, headers=other.headers), 404)
    await assert_error(await fast.get(f"{base}/deliveries", headers=other.headers), 404)
    resp = await fast.post(f"{base}/deliveries/{row['id']}/retry", headers=other.headers)
    await assert_error(resp, 404)
    assert (await (await fast.get("/api/webhooks", headers=other.headers)).json()) == {
        "webhooks": []
    }
    listed = (await (await fast.get("/api/webhooks", headers=owner.headers)).json())["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    await assert_error(await fast.delete("/api/webhooks/abc", headers=owner.headers), 404)


async def test_at_most_twenty_webhooks_per_account(fast, accounts, receiver):
    user = await accounts(fast)
    for n in range(webhook_service.MAX_WEBHOOKS):
        await add_webhook(fast, user, receiver.url(f"/h{n}"), ["meeting.ended"])
    resp = await fast.post(
        "/api/webhooks",
        json={"url": receiver.url("/one-more"), "events": ["meeting.ended"]},
        headers=user.headers,
    )
    body = await assert_error(resp, 409)
    assert "20" in body["error"]


async def test_deliveries_paging_is_validated(fast, accounts, receiver):
    user = await accounts(fast)
    hook = await add_webhook(fast, user, receiver.url(), ["meeting.started"])
    for query in ("limit=0", "limit=201", "offset=-1", "limit=abc"):
        resp = await fast.get(
            f"/api/webhooks/{hook['id']}/deliveries?{query}", headers=user.headers
        )
        await assert_error(resp, 400)
