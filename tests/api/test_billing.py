"""§15 billing: history, the admin's rate and threshold settings, the admin ledger view and
the low-balance email."""

from __future__ import annotations

from uuid import uuid4

import pytest

from onepizza.app import create_app
from onepizza.services.registry import MAILER
from tests.conftest import site_headers

from .meeting_helpers import (
    API_ENV,
    ISO_UTC,
    add_participants,
    assert_error,
    create_meeting,
    db_one,
    db_rows,
    history,
    register,
    started_thirty_minutes_ago,
)

ADMIN_PASSWORD = "the admin password"
DEFAULTS = {
    "rate_per_participant_minute": "0.0040",
    "low_balance_threshold": "2.0000",
    "welcome_credit_usd": "1.0000",
}
TRANSACTION_KEYS = {"id", "amount_usd", "type", "description", "created_at"}


async def start(serve, make_settings, **env):
    """A client of an app with an admin account (client.admin_email) and room in the
    rate limits."""
    admin_email = f"admin-{uuid4().hex[:8]}@example.com"
    settings = make_settings(
        {**API_ENV, "ADMIN_EMAIL": admin_email, "ADMIN_PASSWORD": ADMIN_PASSWORD, **env}
    )
    client = await serve(create_app(settings))
    client.admin_email = admin_email
    return client


@pytest.fixture
async def api(serve, make_settings):
    return await start(serve, make_settings)


async def admin_of(aiohttp_client, api):
    """A second browser on the same server, logged in as the admin."""
    admin = await aiohttp_client(api.server, headers=site_headers(api.server.app))
    login = {"email": api.admin_email, "password": ADMIN_PASSWORD}
    resp = await admin.post("/api/auth/login", json=login)
    assert resp.status == 200, await resp.text()
    return admin


@pytest.fixture
async def admin(aiohttp_client, api):
    return await admin_of(aiohttp_client, api)


@pytest.fixture
def restore_settings(database_url):
    """Put the platform settings back, whatever a test did to them."""
    yield
    db_rows(
        database_url,
        "UPDATE platform_settings SET value = to_jsonb(%s::text) WHERE key = %s",
        (DEFAULTS["rate_per_participant_minute"], "rate_per_participant_minute"),
    )
    db_rows(
        database_url,
        "UPDATE platform_settings SET value = to_jsonb(%s::text) WHERE key = %s",
        (DEFAULTS["low_balance_threshold"], "low_balance_threshold"),
    )


async def credit(admin, user, amount: str, reason: str = "goodwill") -> None:
    resp = await admin.post(
        "/admin/api/billing/credit",
        json={"userId": user.id, "amountUsd": amount, "reason": reason},
    )
    assert resp.status == 200, await resp.text()


async def end_meeting(client, database_url, user, participants: int) -> str:
    """A meeting over REST, held 30 minutes by `participants`, ended with its admin token."""
    created = await create_meeting(client, user)
    meeting_id = created["meetingId"]
    await add_participants(client.app, meeting_id, participants)
    started_thirty_minutes_ago(database_url, meeting_id)
    resp = await client.delete(
        f"/api/meetings/{meeting_id}", headers=user.admin(created["adminToken"])
    )
    assert resp.status == 200, await resp.text()
    return meeting_id


async def get_history(client, query: str = "") -> dict:
    resp = await client.get("/api/billing/history" + query)
    assert resp.status == 200, await resp.text()
    return await resp.json()


# --- GET /api/billing/history -------------------------------------------------------------


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_history_of_a_new_account_is_empty(api, database_url):
    await register(api, database_url)
    assert await get_history(api) == {"balance": "0.0000", "transactions": []}


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_history_is_newest_first_as_the_spec_shows(api, admin, database_url):
    user = await register(api, database_url)
    await credit(admin, user, "25", "Welcome")
    meeting_id = await end_meeting(api, database_url, user, 4)  # 30 x 4 x $0.004

    body = await get_history(api)
    assert body["balance"] == "24.5200"
    charge, credited = body["transactions"]
    assert set(charge) == set(credited) == TRANSACTION_KEYS
    assert charge["id"] > credited["id"]
    assert (charge["amount_usd"], charge["type"], charge["description"]) == (
        "-0.4800",
        "meeting_charge",
        f"Meeting {meeting_id} (30m, 4 participants)",
    )
    assert (credited["amount_usd"], credited["type"], credited["description"]) == (
        "25.0000",
        "admin_credit",
        "Admin credit: Welcome",
    )
    assert ISO_UTC.match(charge["created_at"]) and ISO_UTC.match(credited["created_at"])
    # The meeting's own history agrees with the ledger.
    assert (await history(api, user))[0]["cost_usd"] == "0.4800"


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_history_pages(api, admin, database_url):
    user = await register(api, database_url)
    for n in range(1, 8):
        await credit(admin, user, str(n))
    everything = (await get_history(api))["transactions"]
    assert [t["amount_usd"] for t in everything] == [f"{n}.0000" for n in range(7, 0, -1)]
    ids = [t["id"] for t in everything]

    page = await get_history(api, "?limit=3")
    assert page["balance"] == "28.0000"
    assert [t["id"] for t in page["transactions"]] == ids[:3]
    page = await get_history(api, "?limit=3&offset=3")
    assert [t["id"] for t in page["transactions"]] == ids[3:6]
    page = await get_history(api, f"?limit=3&before={ids[2]}")
    assert [t["id"] for t in page["transactions"]] == ids[3:6]
    page = await get_history(api, f"?before={ids[-1]}")
    assert page == {"balance": "28.0000", "transactions": []}
    assert len((await get_history(api, "?limit=200"))["transactions"]) == 7


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "offset=-1",
        "offset=x",
        "before=0",
        "before=abc",
        "before=" + "9" * 30,
    ],
)
async def test_bad_history_queries_are_400(api, database_url, query):
    await register(api, database_url)
    body = await assert_error(await api.get("/api/billing/history?" + query), 400)
    assert query.split("=")[0] in body["error"]


async def test_history_needs_a_session(api, database_url):
    await assert_error(await api.get("/api/billing/history"), 401)
    user = await register(api, database_url)
    await api.post("/api/auth/logout")
    await assert_error(await api.get("/api/billing/history", headers=user.headers), 401)


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_a_member_sees_the_company_ledger(api, aiohttp_client, admin, database_url):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    await credit(admin, owner, "10")
    member_client = await aiohttp_client(api.server, headers=site_headers(api.server.app))
    member = await register(member_client, database_url)
    await credit(admin, member, "2")
    resp = await member_client.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()

    body = await get_history(member_client)
    assert body["balance"] == "12.0000"
    assert [(t["amount_usd"], t["type"]) for t in body["transactions"]] == [
        ("2.0000", "company_transfer"),
        ("10.0000", "admin_credit"),
    ]
    assert await get_history(api) == body  # the owner sees the same


# --- GET/PATCH /admin/api/settings ----------------------------------------------------------


async def test_admin_reads_the_default_settings(admin):
    resp = await admin.get("/admin/api/settings")
    assert resp.status == 200, await resp.text()
    assert await resp.json() == DEFAULTS


async def test_a_rate_change_applies_to_meetings_that_end_after_it(
    api, admin, database_url, restore_settings
):
    user = await register(api, database_url)
    await credit(admin, user, "10")
    created = await create_meeting(api, user)  # started before the change
    await add_participants(api.app, created["meetingId"], 2)

    resp = await admin.patch("/admin/api/settings", json={"rate_per_participant_minute": "0.01"})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {**DEFAULTS, "rate_per_participant_minute": "0.0100"}
    assert await (await admin.get("/admin/api/settings")).json() == {
        **DEFAULTS,
        "rate_per_participant_minute": "0.0100",
    }

    started_thirty_minutes_ago(database_url, created["meetingId"])
    resp = await api.delete(
        f"/api/meetings/{created['meetingId']}", headers=user.admin(created["adminToken"])
    )
    assert resp.status == 200, await resp.text()
    # $1 welcome credit + $10 - 30 x 2 x $0.01
    assert (await get_history(api))["balance"] == "10.4000"

    resp = await admin.patch(
        "/admin/api/settings",
        json={"rate_per_participant_minute": 0.004, "low_balance_threshold": 5},
    )
    assert await resp.json() == {**DEFAULTS, "low_balance_threshold": "5.0000"}
    (meta,) = db_one(
        database_url,
        "SELECT meta FROM audit_log WHERE action = 'settings.updated' ORDER BY id DESC LIMIT 1",
    )
    assert meta == {"rate_per_participant_minute": "0.0040", "low_balance_threshold": "5.0000"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rate_per_participant_minute": 0},
        {"rate_per_participant_minute": "-0.004"},
        {"rate_per_participant_minute": "0.00001"},
        {"rate_per_participant_minute": "abc"},
        {"rate_per_participant_minute": "NaN"},
        {"rate_per_participant_minute": "Infinity"},
        {"rate_per_participant_minute": True},
        {"rate_per_participant_minute": None},
        {"rate_per_participant_minute": "1e400"},
        {"low_balance_threshold": "2.00001"},
        {"low_balance_threshold": -1},
        {"low_balance_threshold": "0"},
        {"low_balance_threshold": "3", "rate_per_participant_minute": "0"},
        {"low_balance_threshold": "3", "unknown_setting": "1"},
    ],
)
async def test_bad_settings_are_400_and_change_nothing(admin, body, restore_settings):
    await assert_error(await admin.patch("/admin/api/settings", json=body), 400)
    assert await (await admin.get("/admin/api/settings")).json() == DEFAULTS


async def test_settings_are_for_admins_only(api, database_url):
    change = {"low_balance_threshold": "3"}
    await assert_error(await api.get("/admin/api/settings"), 401)
    await assert_error(await api.patch("/admin/api/settings", json=change), 401)
    await register(api, database_url)
    await assert_error(await api.get("/admin/api/settings"), 403)
    await assert_error(await api.patch("/admin/api/settings", json=change), 403)
    await assert_error(await api.get("/admin/api/billing/transactions"), 403)


async def test_settings_refuse_a_foreign_origin(admin, restore_settings):
    resp = await admin.patch(
        "/admin/api/settings",
        json={"low_balance_threshold": "3"},
        headers={"Origin": "https://evil.example"},
    )
    await assert_error(resp, 403)
    assert await (await admin.get("/admin/api/settings")).json() == DEFAULTS


# --- the low-balance email --------------------------------------------------------------------


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_low_balance_email_once_when_crossing(
    serve, make_settings, aiohttp_client, outbox, database_url
):
    mail = await start(serve, make_settings, SMTP_URL=outbox.url)
    admin = await admin_of(aiohttp_client, mail)
    user = await register(mail, database_url)
    await credit(admin, user, "2.30")
    await mail.app[MAILER].wait_idle()
    outbox.clear()  # the welcome email

    await end_meeting(mail, database_url, user, 4)  # $2.30 - $0.48 = $1.82: crosses $2.00
    await mail.app[MAILER].wait_idle()
    [alert] = outbox.to(user.email)
    assert alert["Subject"] == "Your onepizza balance is low"
    body = alert.get_body(("plain",)).get_content()
    assert "1.82" in body and "2.00" in body

    await end_meeting(mail, database_url, user, 4)  # $1.34: still below, no second email
    await mail.app[MAILER].wait_idle()
    assert len(outbox.to(user.email)) == 1
    assert (await get_history(mail))["balance"] == "1.3400"


# --- GET /admin/api/billing/transactions --------------------------------------------------------


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_admin_lists_ledger_rows_across_accounts(api, aiohttp_client, admin, database_url):
    alice = await register(api, database_url)
    await credit(admin, alice, "10", "first")
    meeting_id = await end_meeting(api, database_url, alice, 1)
    owner_client = await aiohttp_client(api.server, headers=site_headers(api.server.app))
    owner = await register(owner_client, database_url, accountType="company", companyName="Co")
    await credit(admin, owner, "7", "company")

    resp = await admin.get("/admin/api/billing/transactions?limit=3")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["limit"], body["offset"]) == (3, 0)
    company_row, charge, first = body["transactions"]
    assert company_row == {
        "id": company_row["id"],
        "user_id": None,
        "company_id": owner.company_id,
        "email": owner.email,  # the company owner's
        "amount_usd": "7.0000",
        "type": "admin_credit",
        "description": "Admin credit: company",
        "meeting_id": None,
        "created_at": company_row["created_at"],
    }
    assert ISO_UTC.match(company_row["created_at"])
    assert (charge["user_id"], charge["email"], charge["amount_usd"], charge["meeting_id"]) == (
        alice.id,
        alice.email,
        "-0.1200",
        meeting_id,
    )
    assert company_row["id"] > charge["id"] > first["id"]
    assert first["description"] == "Admin credit: first"


@pytest.mark.usefixtures("no_welcome_credit")  # counts the ledger from zero
async def test_admin_transaction_filters(api, aiohttp_client, admin, database_url):
    alice = await register(api, database_url)
    await credit(admin, alice, "10")
    await end_meeting(api, database_url, alice, 2)
    owner_client = await aiohttp_client(api.server, headers=site_headers(api.server.app))
    owner = await register(owner_client, database_url, accountType="company", companyName="Co")
    await credit(admin, owner, "4")

    async def listed(query: str) -> list[tuple]:
        resp = await admin.get("/admin/api/billing/transactions?" + query)
        assert resp.status == 200, await resp.text()
        return [
            (t["user_id"], t["company_id"], t["type"]) for t in (await resp.json())["transactions"]
        ]

    assert await listed(f"userId={alice.id}") == [
        (alice.id, None, "meeting_charge"),
        (alice.id, None, "admin_credit"),
    ]
    assert await listed(f"userId={alice.id}&type=admin_credit") == [
        (alice.id, None, "admin_credit")
    ]
    assert await listed(f"userId={alice.id}&limit=1&offset=1") == [(alice.id, None, "admin_credit")]
    assert await listed(f"companyId={owner.company_id}") == [
        (None, owner.company_id, "admin_credit")
    ]
    assert await listed(f"companyId={owner.company_id}&type=meeting_charge") == []
    rows = await listed("type=meeting_charge&limit=200")
    assert rows and {t for _, _, t in rows} == {"meeting_charge"}


@pytest.mark.parametrize(
    "query",
    [
        "type=gift",
        "userId=0",
        "userId=x",
        "companyId=-1",
        "limit=0",
        "limit=201",
        "offset=-1",
        "userId=1&companyId=1",
    ],
)
async def test_bad_admin_transaction_queries_are_400(admin, query):
    await assert_error(await admin.get("/admin/api/billing/transactions?" + query), 400)


async def test_admin_transactions_need_a_session(api):
    await assert_error(await api.get("/admin/api/billing/transactions"), 401)
