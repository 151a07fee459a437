"""POST /admin/api/billing/credit: operators add credit, with its ledger row."""

from __future__ import annotations

from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app

# These tests count balances and ledgers from zero: new accounts get no welcome credit here.
pytestmark = pytest.mark.usefixtures("no_welcome_credit")

ADMIN = {"ADMIN_PASSWORD": "the admin password"}


@pytest.fixture
async def admin_client(serve, make_settings):
    email = f"admin-{uuid4().hex[:8]}@example.com"
    client = await serve(create_app(make_settings({**ADMIN, "ADMIN_EMAIL": email})))
    resp = await client.post(
        "/api/auth/login", json={"email": email, "password": ADMIN["ADMIN_PASSWORD"]}
    )
    assert resp.status == 200
    return client


async def _register(client, **extra) -> tuple[str, dict]:
    email = f"u-{uuid4().hex[:10]}@example.com"
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": "a good password", **extra}
    )
    return email, await resp.json()


def _rows(database_url, query, params):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


async def test_admin_credits_a_user_with_a_ledger_row(admin_client, client, database_url):
    email, _ = await _register(client)
    resp = await admin_client.post(
        "/admin/api/billing/credit",
        json={"email": email.upper(), "amountUsd": "12.5", "reason": "Welcome bonus"},
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["email"] == email and body["balance"] == "12.5000"
    assert _rows(database_url, "SELECT balance FROM users WHERE email = %s", (email,))[0][0] == 12.5
    ledger = _rows(
        database_url,
        "SELECT t.amount_usd, t.type, t.description FROM credit_transactions t "
        "JOIN users u ON u.id = t.user_id WHERE u.email = %s",
        (email,),
    )
    assert [(str(a), k, d) for a, k, d in ledger] == [
        ("12.5000", "admin_credit", "Admin credit: Welcome bonus")
    ]


async def test_credit_for_a_member_goes_to_the_company(admin_client, client, database_url):
    _, owner = await _register(client, accountType="company", companyName="Acme")
    me = await (await client.get("/api/auth/me")).json()
    resp = await admin_client.post(
        "/admin/api/billing/credit",
        json={"userId": me["id"], "amountUsd": 3, "reason": "Goodwill"},
    )
    assert resp.status == 200
    [(balance,)] = _rows(
        database_url, "SELECT balance FROM companies WHERE id = %s", (me["company_id"],)
    )
    assert str(balance) == "3.0000"
    [(user_id, company_id)] = _rows(
        database_url,
        "SELECT user_id, company_id FROM credit_transactions WHERE company_id = %s",
        (me["company_id"],),
    )
    assert user_id is None and company_id == me["company_id"]
    assert owner["inviteCode"]


@pytest.mark.parametrize(
    "body",
    [
        {"amountUsd": 5, "reason": "x"},
        {"email": "a@example.com", "amountUsd": 0, "reason": "x"},
        {"email": "a@example.com", "amountUsd": -3, "reason": "x"},
        {"email": "a@example.com", "amountUsd": "1.00001", "reason": "x"},
        {"email": "a@example.com", "amountUsd": 5},
        {"email": "a@example.com", "userId": 1, "amountUsd": 5, "reason": "x"},
    ],
)
async def test_bad_credit_requests_are_400(admin_client, body):
    resp = await admin_client.post("/admin/api/billing/credit", json=body)
    assert resp.status == 400


async def test_unknown_account_is_404(admin_client):
    resp = await admin_client.post(
        "/admin/api/billing/credit",
        json={"email": "nobody@example.com", "amountUsd": 5, "reason": "x"},
    )
    assert resp.status == 404


async def test_only_admins_may_credit(client):
    resp = await client.post(
        "/admin/api/billing/credit", json={"email": "a@example.com", "amountUsd": 5, "reason": "x"}
    )
    assert resp.status == 401
    await _register(client)
    resp = await client.post(
        "/admin/api/billing/credit", json={"email": "a@example.com", "amountUsd": 5, "reason": "x"}
    )
    assert resp.status == 403
