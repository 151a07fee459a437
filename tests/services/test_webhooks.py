"""Webhook rules below HTTP: the backoff schedule, signatures, which addresses are public,
payload shapes, and claiming due deliveries from several workers at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import textwrap
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from onepizza.db import create_pool, cursor
from onepizza.db import webhooks as webhook_sql
from onepizza.services.webhooks import (
    MAX_ATTEMPTS,
    PublicOnlyResolver,
    WebhookEvent,
    WebhookService,
    _delivery_refusal,
    is_public_address,
    meeting_ended,
    signature,
)


def test_backoff_gives_six_attempts_over_about_an_hour():
    service = WebhookService(None)
    delays = [service.retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays == [30, 120, 480, 900, 1800, None]
    assert MAX_ATTEMPTS >= 6
    assert 50 * 60 <= sum(delays[:-1]) <= 70 * 60
    assert WebhookService(None, retry_scale=0.01).retry_delay(2) == pytest.approx(1.2)
    assert service.retry_delay(7) is None  # a manual retry after the last is final too


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"event":"meeting.ended"}'
    header = signature("whsec_abc", 1710000000, body)
    expected = hmac.new(b"whsec_abc", b"1710000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1710000000,v1={expected}"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.31.255.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("2002:a00:1::", False),
    ],
)
def test_public_addresses(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_the_delivery_resolver_drops_private_addresses():
    resolver = PublicOnlyResolver()
    with pytest.raises(OSError, match="no public address"):
        await resolver.resolve("localhost", 443)


def test_delivery_refuses_what_insecure_mode_once_allowed():
    assert _delivery_refusal("http://example.com/x") == "Webhook URL must use https"
    assert "loopback" in _delivery_refusal("https://127.0.0.1:8443/x")
    assert _delivery_refusal("https://93.184.215.14/x") is None
    assert _delivery_refusal("https://hooks.example.com/x") is None  # the resolver checks it


def test_payload_shapes():
    row = {
        "id": "abc-defg-hij",
        "owner_id": 1,
        "title": "Team Standup",
        "duration_minutes": Decimal("30.00"),
        "peak_participants": 4,
        "cost_usd": Decimal("0.48"),
        "ended_at": datetime(2024, 3, 9, 16, 0, tzinfo=UTC),
    }
    event = meeting_ended(row)
    assert event.body() == (
        '{"event":"meeting.ended","meetingId":"abc-defg-hij","timestamp":1710000000000,'
        '"data":{"title":"Team Standup","durationMinutes":30,"peakParticipants":4,'
        '"costUsd":"0.4800"}}'
    )
    row["duration_minutes"] = Decimal("12.50")
    assert meeting_ended(row).data["durationMinutes"] == 12.5


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, maxsize=4)
    yield pool
    pool.close()
    await pool.wait_closed()


@pytest.fixture
def webhook(database_url):
    """A user with one webhook subscribed to meeting.started; removed afterwards."""
    email = f"hooks-{uuid.uuid4().hex[:10]}@example.com"
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (email, password_hash) VALUES (%s, 'x') RETURNING id", (email,)
        )
        user_id = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO webhooks (user_id, url, events, secret)
            VALUES (%s, 'https://93.184.215.14/h', '{meeting.started}', 'whsec_t') RETURNING id
            """,
            (user_id,),
        )
        webhook_id = cur.fetchone()[0]
    yield user_id, webhook_id
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM users WHERE id = %s", (user_id,))


async def test_enqueue_matches_subscriptions_and_workers_claim_disjoint_sets(pool, webhook):
    user_id, webhook_id = webhook
    events = [WebhookEvent(user_id, "meeting.started", f"m{n}", {"title": "T"}) for n in range(40)]
    events.append(WebhookEvent(user_id, "meeting.ended", "m0", {}))  # not subscribed
    async with cursor(pool) as cur:
        assert await webhook_sql.enqueue(cur, [e.row() for e in events]) == 40

    async def claim():
        async with cursor(pool) as cur:
            return await webhook_sql.claim_due(cur, limit=25, lease_seconds=60)

    first, second = await asyncio.gather(claim(), claim())
    ids = [row["id"] for row in first + second]
    assert len(ids) == len(set(ids)) == 40  # SKIP LOCKED: nobody waits, nothing twice
    assert {row["attempts"] for row in first + second} == {1}
    async with cursor(pool) as cur:  # leased: not due again until the lease ends
        assert await webhook_sql.claim_due(cur, limit=25, lease_seconds=60) == []
        rows = await webhook_sql.for_webhook(cur, webhook_id, limit=200, offset=0)
    assert len(rows) == 40 and {r["status"] for r in rows} == {"pending"}


def test_the_readme_receiver_verifies_our_signatures():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    snippet = textwrap.dedent(section.split("```python\n", 1)[1].split("```", 1)[0])
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    verify = namespace["verify"]
    body = b'{"event":"participant.joined"}'
    now = int(time.time())
    assert verify("whsec_k", signature("whsec_k", now, body), body)
    assert not verify("whsec_other", signature("whsec_k", now, body), body)
    assert not verify("whsec_k", signature("whsec_k", now, body), body + b"\n")
    assert not verify("whsec_k", signature("whsec_k", now - 3600, body), body)
    assert not verify("whsec_k", "v1=abc", body)
