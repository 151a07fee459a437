"""The welcome credit: every new account starts with the platform's `welcome_credit_usd`
($1.00 unless the admin changes it; 0 gives none), written as a `welcome_credit` ledger row in
the transaction that creates the account, enough to follow the Quick Start (spec §22)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .meeting_helpers import (
    add_participants,
    assert_error,
    create_meeting,
    db_one,
    db_rows,
    register,
    started_thirty_minutes_ago,
    user_balance,
)
from .test_billing import admin_of, get_history, start

TRANSACTION_KEYS = {"id", "amount_usd", "type", "description", "created_at"}


@pytest.fixture
async def api(serve, make_settings):
    return await start(serve, make_settings)


@pytest.fixture
async def admin(aiohttp_client, api, set_welcome_credit):
    """The admin's browser; the welcome credit is put back after the test."""
    return await admin_of(aiohttp_client, api)


def ledger(database_url: str, *, user_id: int | None = None, company_id: int | None = None):
    return db_rows(
        database_url,
        """
        SELECT user_id, company_id, amount_usd, type, description FROM credit_transactions
        WHERE user_id = %s OR company_id = %s ORDER BY id
        """,
        (user_id, company_id),
    )


async def test_a_new_account_starts_with_one_dollar_in_its_ledger(api, database_url):
    user = await register(api, database_url)
    history = await get_history(api)
    assert history["balance"] == "1.0000"
    [row] = history["transactions"]
    assert set(row) == TRANSACTION_KEYS
    assert (row["amount_usd"], row["type"], row["description"]) == (
        "1.0000",
        "welcome_credit",
        "Welcome credit $1",
    )
    assert ledger(database_url, user_id=user.id) == [
        (user.id, None, Decimal("1.0000"), "welcome_credit", "Welcome credit $1")
    ]
    me = await (await api.get("/api/auth/me", headers=user.headers)).json()
    assert me["balance"] == "1.0000"
    # What the Quick Start's step 3 needs: a meeting over REST with the account's key.
    created = await create_meeting(api, user, title="Team Standup")
    assert created["status"] == "active"


async def test_a_company_account_gets_it_on_the_company_balance(api, database_url):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    assert owner.company_id is not None
    company_balance = db_one(
        database_url, "SELECT balance FROM companies WHERE id = %s", (owner.company_id,)
    )[0]
    assert (company_balance, user_balance(database_url, owner)) == (Decimal("1.0000"), 0)
    assert ledger(database_url, user_id=owner.id, company_id=owner.company_id) == [
        (None, owner.company_id, Decimal("1.0000"), "welcome_credit", "Welcome credit $1")
    ]
    assert (await get_history(api))["balance"] == "1.0000"


async def test_402_once_the_welcome_credit_is_spent(api, database_url):
    user = await register(api, database_url)
    created = await create_meeting(api, user)
    meeting_id = created["meetingId"]
    await add_participants(api.app, meeting_id, 9)
    started_thirty_minutes_ago(database_url, meeting_id)
    resp = await api.delete(
        f"/api/meetings/{meeting_id}", headers=user.admin(created["adminToken"])
    )
    assert resp.status == 200, await resp.text()
    # 30 minutes x 9 participants = 270 participant-minutes x $0.004, more than the $1.00.
    assert user_balance(database_url, user) == Decimal("-0.0800")
    resp = await api.post("/api/meetings", json={"title": "Again"}, headers=user.headers)
    await assert_error(resp, 402)
    types = [row["type"] for row in (await get_history(api))["transactions"]]
    assert types == ["meeting_charge", "welcome_credit"]


async def test_the_admin_changes_the_welcome_credit_and_0_turns_it_off(api, admin, database_url):
    settings = await (await admin.get("/admin/api/settings")).json()
    assert settings["welcome_credit_usd"] == "1.0000"

    resp = await admin.patch("/admin/api/settings", json={"welcome_credit_usd": "2.5"})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["welcome_credit_usd"] == "2.5000"
    user = await register(api, database_url)
    assert ledger(database_url, user_id=user.id) == [
        (user.id, None, Decimal("2.5000"), "welcome_credit", "Welcome credit $2.50")
    ]

    resp = await admin.patch("/admin/api/settings", json={"welcome_credit_usd": 0})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {**settings, "welcome_credit_usd": "0.0000"}
    user = await register(api, database_url)
    assert await get_history(api) == {"balance": "0.0000", "transactions": []}
    resp = await api.post("/api/meetings", json={"title": "No credit"}, headers=user.headers)
    await assert_error(resp, 402)


@pytest.mark.parametrize(
    "value", [-1, "-0.01", "abc", "", None, True, "NaN", "Infinity", 1.00001, 1000.01, [1]]
)
async def test_a_bad_welcome_credit_is_400_and_changes_nothing(admin, value):
    before = await (await admin.get("/admin/api/settings")).json()
    resp = await admin.patch("/admin/api/settings", json={"welcome_credit_usd": value})
    body = await assert_error(resp, 400)
    assert "welcome_credit_usd" in body["details"]
    assert await (await admin.get("/admin/api/settings")).json() == before


async def test_a_registration_that_fails_gives_no_credit(api, database_url):
    user = await register(api, database_url)
    resp = await api.post(
        "/api/auth/register", json={"email": user.email, "password": "another password"}
    )
    await assert_error(resp, 409)
    assert len(ledger(database_url, user_id=user.id)) == 1
