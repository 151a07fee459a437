"""§15 Stripe top-ups: Checkout Sessions through a local stand-in for Stripe's API, and
webhooks signed as Stripe signs them, credited exactly once; the ledger matches balances."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import Decimal
from uuid import uuid4

import pytest
from aiohttp import web

from onepizza.app import create_app
from tests.conftest import site_headers

from .meeting_helpers import (
    API_ENV,
    add_participants,
    assert_error,
    create_meeting,
    db_one,
    db_rows,
    register,
    started_thirty_minutes_ago,
)

# These tests count balances and ledgers from zero: new accounts get no welcome credit here.
pytestmark = pytest.mark.usefixtures("no_welcome_credit")

SECRET_KEY = "sk_test_onepizza_stand_in"
WEBHOOK_SECRET = "whsec_test_onepizza"
ADMIN_PASSWORD = "the admin password"


# --- the stand-in for Stripe's API, and signing -------------------------------------------


class StripeStandIn:
    """What a local HTTP server at STRIPE_API_BASE received, and how it answers."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_with: int | None = None

    async def create_session(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append({"headers": dict(request.headers), "form": dict(form)})
        if self.fail_with:
            error = {"type": "invalid_request_error", "message": "No such price"}
            return web.json_response({"error": error}, status=self.fail_with)
        session_id = f"cs_test_{len(self.requests)}"
        return web.json_response(
            {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "client_reference_id": form.get("client_reference_id"),
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "currency": "usd",
            }
        )


@pytest.fixture
async def stripe_api(aiohttp_server):
    stand_in = StripeStandIn()
    app = web.Application()
    app.router.add_post("/v1/checkout/sessions", stand_in.create_session)
    server = await aiohttp_server(app, host="127.0.0.1")
    stand_in.base = str(server.make_url("")).rstrip("/")
    return stand_in


def stripe_env(stripe_api) -> dict[str, str]:
    return {
        **API_ENV,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.base,
    }


@pytest.fixture
async def api(serve, make_settings, stripe_api):
    """A client of an app whose Stripe is the stand-in, with an admin account."""
    admin_email = f"admin-{uuid4().hex[:8]}@example.com"
    env = {**stripe_env(stripe_api), "ADMIN_EMAIL": admin_email, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    client = await serve(create_app(make_settings(env)))
    client.admin_email = admin_email
    return client


async def other_client(aiohttp_client, api):
    """Another browser on the same server (its own cookie jar)."""
    return await aiohttp_client(api.server, headers=site_headers(api.server.app))


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header, as Stripe computes it."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def checkout_event(
    reference, cents: int, session_id: str | None = None, *, event_type=None, **session
) -> str:
    session_id = session_id or f"cs_test_{uuid4().hex}"
    body = {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": cents,
        "currency": "usd",
        "client_reference_id": reference,
        "metadata": {"account": reference} if reference else {},
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
        **session,
    }
    event = {
        "id": f"evt_{uuid4().hex}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type or "checkout.session.completed",
        "data": {"object": body},
    }
    return json.dumps(event)


async def deliver(client, payload: str, signature: str | None = None, **headers):
    if signature is not None:
        headers["Stripe-Signature"] = signature
    headers.setdefault("Content-Type", "application/json")
    return await client.post("/api/billing/stripe/webhook", data=payload, headers=headers)


def topups(database_url) -> list[tuple]:
    return db_rows(
        database_url,
        "SELECT user_id, company_id, amount_usd, description FROM credit_transactions "
        "WHERE type = 'stripe_topup' ORDER BY id",
    )


def user_balance(database_url, user_id: int) -> Decimal:
    return db_one(database_url, "SELECT balance FROM users WHERE id = %s", (user_id,))[0]


def company_balance(database_url, company_id: int) -> Decimal:
    return db_one(database_url, "SELECT balance FROM companies WHERE id = %s", (company_id,))[0]


# --- checkout -------------------------------------------------------------------------------


async def test_checkout_creates_a_session_with_the_library(api, stripe_api, database_url):
    user = await register(api, database_url)
    resp = await api.post("/api/billing/stripe/checkout", json={"amountUsd": 20})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"url": "https://checkout.stripe.com/c/pay/cs_test_1"}

    [sent] = stripe_api.requests
    assert sent["headers"]["Authorization"] == f"Bearer {SECRET_KEY}"
    assert sent["form"] == {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "2000",
        "line_items[0][price_data][product_data][name]": "onepizza credit",
        "success_url": "http://localhost:3000/dashboard?topup=success",
        "cancel_url": "http://localhost:3000/dashboard?topup=cancelled",
        "client_reference_id": f"user:{user.id}",
        "metadata[account]": f"user:{user.id}",
        "customer_email": user.email,
    }


async def test_checkout_amount_in_cents_and_company_reference(
    api, aiohttp_client, stripe_api, database_url
):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    member_client = await other_client(aiohttp_client, api)
    await register(member_client, database_url)
    resp = await member_client.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()

    resp = await member_client.post("/api/billing/stripe/checkout", json={"amountUsd": 12.34})
    assert resp.status == 200, await resp.text()
    form = stripe_api.requests[-1]["form"]
    assert form["line_items[0][price_data][unit_amount]"] == "1234"
    assert form["client_reference_id"] == f"company:{owner.company_id}"
    assert form["metadata[account]"] == f"company:{owner.company_id}"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amountUsd": None},
        {"amountUsd": 4.99},
        {"amountUsd": 1000.01},
        {"amountUsd": 0},
        {"amountUsd": -20},
        {"amountUsd": 20.123},
        {"amountUsd": "20"},
        {"amountUsd": True},
        {"amountUsd": [20]},
    ],
)
async def test_bad_checkout_amounts_are_400(api, stripe_api, database_url, body):
    await register(api, database_url)
    await assert_error(await api.post("/api/billing/stripe/checkout", json=body), 400)
    assert stripe_api.requests == []


async def test_checkout_bounds_are_inclusive(api, stripe_api, database_url):
    await register(api, database_url)
    for amount, cents in ((5, "500"), (1000, "100000"), (999.99, "99999")):
        resp = await api.post("/api/billing/stripe/checkout", json={"amountUsd": amount})
        assert resp.status == 200, await resp.text()
        assert stripe_api.requests[-1]["form"]["line_items[0][price_data][unit_amount]"] == cents


async def test_checkout_needs_a_session_and_the_same_origin(api, stripe_api, database_url):
    checkout = {"amountUsd": 20}
    await assert_error(await api.post("/api/billing/stripe/checkout", json=checkout), 401)
    user = await register(api, database_url)
    resp = await api.post(
        "/api/billing/stripe/checkout", json=checkout, headers={"Origin": "https://evil.example"}
    )
    await assert_error(resp, 403)
    # An API key is not a session (the spec marks checkout "session").
    await api.post("/api/auth/logout")
    resp = await api.post("/api/billing/stripe/checkout", json=checkout, headers=user.headers)
    await assert_error(resp, 401)
    assert stripe_api.requests == []


async def test_checkout_without_a_secret_key_is_503(client, database_url):
    await register(client, database_url)
    resp = await client.post("/api/billing/stripe/checkout", json={"amountUsd": 20})
    body = await assert_error(resp, 503)
    assert "not configured" in body["error"]


async def test_a_stripe_error_is_502_json(api, stripe_api, database_url):
    await register(api, database_url)
    stripe_api.fail_with = 400
    resp = await api.post("/api/billing/stripe/checkout", json={"amountUsd": 20})
    await assert_error(resp, 502)
    assert len(stripe_api.requests) == 1  # a 400 from Stripe is not retried


# --- the webhook ----------------------------------------------------------------------------


async def test_a_webhook_delivered_three_times_credits_once(api, database_url):
    user = await register(api, database_url)
    payload = checkout_event(f"user:{user.id}", 2000)
    results = []
    for _ in range(3):  # Stripe retries with a fresh signature each time
        resp = await deliver(api, payload, sign(payload))
        assert resp.status == 200, await resp.text()
        results.append((await resp.json())["result"])
    assert results == ["credited", "duplicate", "duplicate"]
    assert user_balance(database_url, user.id) == Decimal("20.0000")
    assert topups(database_url)[-1] == (user.id, None, Decimal("20.0000"), "Stripe top-up $20")
    assert len([t for t in topups(database_url) if t[0] == user.id]) == 1

    history = await (await api.get("/api/billing/history")).json()
    assert history["balance"] == "20.0000"
    [row] = history["transactions"]
    assert (row["amount_usd"], row["type"], row["description"]) == (
        "20.0000",
        "stripe_topup",
        "Stripe top-up $20",
    )


async def test_concurrent_deliveries_credit_once(api, database_url):
    user = await register(api, database_url)
    session_id = f"cs_test_{uuid4().hex}"
    completed = checkout_event(f"user:{user.id}", 1050, session_id)
    # The same session paid later (delayed methods) is the same top-up.
    succeeded = checkout_event(
        f"user:{user.id}", 1050, session_id, event_type="checkout.session.async_payment_succeeded"
    )
    deliveries = [completed] * 4 + [succeeded] * 2
    responses = await asyncio.gather(*(deliver(api, p, sign(p)) for p in deliveries))
    results = sorted([(await r.json())["result"] for r in responses])
    assert results == ["credited"] + ["duplicate"] * 5
    assert user_balance(database_url, user.id) == Decimal("10.5000")
    assert [t[2:] for t in topups(database_url) if t[0] == user.id] == [
        (Decimal("10.5000"), "Stripe top-up $10.50")
    ]


@pytest.mark.parametrize("case", ["tampered", "wrong secret", "stale", "missing", "garbage"])
async def test_bad_signatures_are_400_and_credit_nothing(api, database_url, case):
    user = await register(api, database_url)
    payload = checkout_event(f"user:{user.id}", 2000)
    signature = {
        "tampered": sign(payload),
        "wrong secret": sign(payload, secret="whsec_someone_else"),
        "stale": sign(payload, at=int(time.time()) - 301),
        "missing": None,
        "garbage": "t=abc,v1=",
    }[case]
    if case == "tampered":
        payload = payload.replace('"amount_total": 2000', '"amount_total": 200000')
    body = await assert_error(await deliver(api, payload, signature), 400)
    assert "signature" in body["error"].lower()
    assert user_balance(database_url, user.id) == 0
    assert not [t for t in topups(database_url) if t[0] == user.id]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"an event"', b"\xff\xfe{}"])
async def test_signed_nonsense_is_400(api, raw):
    signature = sign(raw.decode("utf-8", "replace"))
    resp = await api.post(
        "/api/billing/stripe/webhook", data=raw, headers={"Stripe-Signature": signature}
    )
    await assert_error(resp, 400)


async def test_only_the_reference_we_set_is_trusted(api, database_url):
    user = await register(api, database_url)
    mine = f"user:{user.id}"
    untrusted = [
        # No reference: matching by email or customer is not trusted.
        checkout_event(None, 2000, customer_email=user.email),
        checkout_event(None, 2000, metadata={"account": mine}),
        # Reference and metadata disagree, or are not in our format.
        checkout_event(mine, 2000, metadata={"account": "user:1"}),
        checkout_event(mine, 2000, metadata={}),
        checkout_event(user.email, 2000),
        checkout_event(f"user:{user.id} ", 2000),
        checkout_event(f"user:0{user.id}", 2000),
        checkout_event("user:999999999", 2000),  # no such account
        # Not paid, not USD, nothing paid.
        checkout_event(mine, 2000, payment_status="unpaid"),
        checkout_event(mine, 2000, currency="eur"),
        checkout_event(mine, 0),
        checkout_event(mine, "2000"),
    ]
    for payload in untrusted:
        resp = await deliver(api, payload, sign(payload))
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["result"] == "ignored", payload
    assert user_balance(database_url, user.id) == 0
    assert not [t for t in topups(database_url) if t[0] == user.id]


async def test_other_events_are_acknowledged_and_ignored(api, database_url):
    user = await register(api, database_url)
    for event_type in ("payment_intent.succeeded", "checkout.session.expired", "charge.refunded"):
        payload = checkout_event(f"user:{user.id}", 2000, event_type=event_type)
        resp = await deliver(api, payload, sign(payload))
        assert resp.status == 200, await resp.text()
        assert await resp.json() == {"received": True, "result": "ignored"}
    assert user_balance(database_url, user.id) == 0


async def test_webhook_needs_no_session_and_no_origin(api, database_url):
    user = await register(api, database_url)
    await api.post("/api/auth/logout")
    payload = checkout_event(f"user:{user.id}", 500)
    resp = await deliver(api, payload, sign(payload), Origin="https://stripe.example")
    assert resp.status == 200, await resp.text()
    assert user_balance(database_url, user.id) == Decimal("5.0000")


async def test_webhook_without_a_secret_is_503(client, database_url):
    user = await register(client, database_url)
    payload = checkout_event(f"user:{user.id}", 2000)
    await assert_error(await deliver(client, payload, sign(payload)), 503)
    assert user_balance(database_url, user.id) == 0


# --- the ledger equals the balance ------------------------------------------------------------


async def top_up(checkout_client, stripe_api, amount) -> dict:
    """Pay through checkout: the stand-in records the reference the server set, and the
    webhook echoes it back as Stripe would."""
    resp = await checkout_client.post("/api/billing/stripe/checkout", json={"amountUsd": amount})
    assert resp.status == 200, await resp.text()
    form = stripe_api.requests[-1]["form"]
    cents = int(form["line_items[0][price_data][unit_amount]"])
    session_id = (await resp.json())["url"].rsplit("/", 1)[-1]
    return {"reference": form["client_reference_id"], "cents": cents, "session_id": session_id}


async def webhook(client, paid: dict) -> None:
    payload = checkout_event(paid["reference"], paid["cents"], paid["session_id"])
    resp = await deliver(client, payload, sign(payload))
    assert (await resp.json())["result"] == "credited"


async def meeting_charge(client, database_url, user, participants: int) -> None:
    """Create a meeting over REST, hold it for 30 minutes with `participants`, end it."""
    created = await create_meeting(client, user)
    await add_participants(client.app, created["meetingId"], participants)
    started_thirty_minutes_ago(database_url, created["meetingId"])
    resp = await client.delete(
        f"/api/meetings/{created['meetingId']}", headers=user.admin(created["adminToken"])
    )
    assert resp.status == 200, await resp.text()


async def admin_credit(admin, user, amount: str) -> None:
    resp = await admin.post(
        "/admin/api/billing/credit",
        json={"userId": user.id, "amountUsd": amount, "reason": "goodwill"},
    )
    assert resp.status == 200, await resp.text()


def personal_sum(database_url, user_id: int) -> Decimal:
    return db_one(
        database_url,
        "SELECT COALESCE(sum(amount_usd), 0) FROM credit_transactions "
        "WHERE user_id = %s AND company_id IS NULL",
        (user_id,),
    )[0]


def company_sum(database_url, company_id: int) -> Decimal:
    return db_one(
        database_url,
        "SELECT COALESCE(sum(amount_usd), 0) FROM credit_transactions WHERE company_id = %s",
        (company_id,),
    )[0]


async def test_balances_equal_their_ledgers(api, aiohttp_client, stripe_api, database_url):
    admin = await other_client(aiohttp_client, api)
    login = {"email": api.admin_email, "password": ADMIN_PASSWORD}
    assert (await admin.post("/api/auth/login", json=login)).status == 200

    # A personal account: two top-ups, two meetings, an admin credit.
    alice = await register(api, database_url)
    await webhook(api, await top_up(api, stripe_api, 20))
    await meeting_charge(api, database_url, alice, 3)  # 30 min x 3 x $0.004 = $0.36
    await admin_credit(admin, alice, "5.25")
    await webhook(api, await top_up(api, stripe_api, 7.5))
    await meeting_charge(api, database_url, alice, 1)  # $0.12
    assert user_balance(database_url, alice.id) == Decimal("32.2700")
    assert personal_sum(database_url, alice.id) == Decimal("32.2700")

    # A company: the owner tops up; a member brings credit, and pays for a checkout that
    # completes only after they joined (the company gets it); meetings and credits.
    owner_client = await other_client(aiohttp_client, api)
    owner = await register(owner_client, database_url, accountType="company", companyName="Co")
    await webhook(api, await top_up(owner_client, stripe_api, 50))
    member_client = await other_client(aiohttp_client, api)
    member = await register(member_client, database_url)
    await admin_credit(admin, member, "3")
    paid_before_joining = await top_up(member_client, stripe_api, 10)
    assert paid_before_joining["reference"] == f"user:{member.id}"
    resp = await member_client.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()
    await webhook(api, paid_before_joining)
    await meeting_charge(api, database_url, member, 4)  # $0.48
    await meeting_charge(api, database_url, owner, 2)  # $0.24
    await admin_credit(admin, member, "1.5")
    await webhook(api, await top_up(member_client, stripe_api, 5))

    company = owner.company_id
    assert company_balance(database_url, company) == Decimal("68.7800")  # 50+3+10-.72+1.5+5
    assert company_sum(database_url, company) == company_balance(database_url, company)
    for person in (owner, member):
        assert personal_sum(database_url, person.id) == user_balance(database_url, person.id)
    assert user_balance(database_url, member.id) == 0

    history = await (await member_client.get("/api/billing/history")).json()
    assert history["balance"] == "68.7800"
    assert sum(Decimal(t["amount_usd"]) for t in history["transactions"]) == Decimal("68.7800")
