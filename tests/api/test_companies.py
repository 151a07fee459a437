"""§14 Company accounts: registering a company, joining with an invite code (the balance
merges), listing and removing members, and invite codes stored only as digests."""

import re
from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app

PASSWORD = "secret123"
COMPANY = "Acme Corp"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def db(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def new_client(serve, settings):
    """Another client, with its own cookie jar, of another app on the same database."""

    async def make():
        return await serve(create_app(settings))

    return make


def new_email() -> str:
    return f"{uuid4().hex}@example.com"


async def register(client, **extra) -> tuple[str, dict]:
    email = new_email()
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, **extra}
    )
    assert resp.status == 201, await resp.text()
    return email, await resp.json()


async def register_company(client) -> tuple[str, dict]:
    return await register(client, accountType="company", companyName=COMPANY)


async def me(client) -> dict:
    resp = await client.get("/api/auth/me")
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def join(client, invite_code: str):
    return await client.post("/api/company/join", json={"inviteCode": invite_code})


async def assert_error(resp, status: int) -> None:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert isinstance(body["error"], str) and body["error"]


def query_one(db, sql: str, params: tuple):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


async def company_with_member(client, new_client):
    """An owner (on `client`) and a personal user who joined (on a second client)."""
    _, owner_account = await register_company(client)
    owner = await me(client)
    member_client = await new_client()
    await register(member_client)
    resp = await join(member_client, owner_account["inviteCode"])
    assert resp.status == 200, await resp.text()
    member = await me(member_client)
    return owner, member, member_client


async def test_register_company_account(client, db):
    email, account = await register_company(client)
    assert account["message"] == "Account created"
    assert account["email"] == email
    assert account["accountType"] == "company"
    assert account["apiKey"].startswith("mk_")
    assert isinstance(account["inviteCode"], str)
    assert len(account["inviteCode"]) == 12

    profile = await me(client)
    assert profile["email"] == email
    assert profile["accountType"] == "company"
    assert isinstance(profile["company_id"], int)
    name, owner_id = query_one(
        db, "SELECT name, owner_id FROM companies WHERE id = %s", (profile["company_id"],)
    )
    assert (name, owner_id) == (COMPANY, profile["id"])


async def test_personal_registration_has_no_invite_code(client):
    _, account = await register(client)
    assert account["accountType"] == "personal"
    assert "inviteCode" not in account
    assert (await me(client))["company_id"] is None


@pytest.mark.parametrize("company_name", [None, "", "   "], ids=["missing", "empty", "blank"])
async def test_company_registration_needs_a_name(client, db, company_name):
    email = new_email()
    body = {"email": email, "password": PASSWORD, "accountType": "company"}
    if company_name is not None:
        body["companyName"] = company_name
    await assert_error(await client.post("/api/auth/register", json=body), 400)

    resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    await assert_error(resp, 401)
    assert query_one(db, "SELECT count(*) FROM users WHERE email = %s", (email,)) == (0,)


async def test_join_merges_the_balance_into_the_company(client, new_client, db):
    _, owner_account = await register_company(client)
    company_id = (await me(client))["company_id"]
    member_client = await new_client()
    member_email, _ = await register(member_client)
    with db.cursor() as cur:
        cur.execute("UPDATE users SET balance = 5 WHERE email = %s", (member_email,))
        cur.execute("UPDATE companies SET balance = 10 WHERE id = %s", (company_id,))
    assert (await me(member_client))["balance"] == "5.0000"

    resp = await join(member_client, owner_account["inviteCode"])
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {
        "message": f"Joined {COMPANY}",
        "companyId": company_id,
        "companyName": COMPANY,
    }

    member = await me(member_client)
    assert member["company_id"] == company_id
    assert member["balance"] == "15.0000"
    assert member["accountType"] == "personal"
    assert (await me(client))["balance"] == "15.0000"
    (own_balance,) = query_one(db, "SELECT balance FROM users WHERE email = %s", (member_email,))
    assert own_balance == 0
    (company_balance,) = query_one(db, "SELECT balance FROM companies WHERE id = %s", (company_id,))
    assert company_balance == 15
    # Both sides of the move are ledger rows, so each balance is the sum of its ledger.
    (user_sum, company_sum) = query_one(
        db,
        "SELECT (SELECT sum(amount_usd) FROM credit_transactions t JOIN users u "
        "        ON u.id = t.user_id WHERE u.email = %s AND t.type = 'company_transfer'),"
        "       (SELECT sum(amount_usd) FROM credit_transactions "
        "        WHERE company_id = %s AND type = 'company_transfer')",
        (member_email, company_id),
    )
    assert (user_sum, company_sum) == (-5, 5)

    # A second join is refused and moves no money.
    await assert_error(await join(member_client, owner_account["inviteCode"]), 409)
    (company_balance,) = query_one(db, "SELECT balance FROM companies WHERE id = %s", (company_id,))
    assert company_balance == 15


async def test_owner_cannot_join_another_company(client, new_client):
    await register_company(client)
    other = await new_client()
    _, other_account = await register_company(other)
    company_id = (await me(client))["company_id"]
    await assert_error(await join(client, other_account["inviteCode"]), 409)
    assert (await me(client))["company_id"] == company_id


async def test_join_with_an_unknown_invite_code_is_404(client, new_client):
    _, owner_account = await register_company(client)
    user = await new_client()
    await register(user)
    code = owner_account["inviteCode"]
    for unknown in ("nope" + uuid4().hex[:8], code[::-1], code.lower() + "x"):
        await assert_error(await join(user, unknown), 404)
    assert (await me(user))["company_id"] is None


async def test_join_without_a_session_is_401(client, new_client):
    _, owner_account = await register_company(client)
    anonymous = await new_client()
    await assert_error(await join(anonymous, owner_account["inviteCode"]), 401)


async def test_join_without_an_invite_code_is_400(client):
    await register(client)
    await assert_error(await client.post("/api/company/join", json={}), 400)
    await assert_error(await client.post("/api/company/join"), 400)
    await assert_error(await client.post("/api/company/join", json={"inviteCode": ""}), 400)
    assert (await me(client))["company_id"] is None


async def test_owner_lists_members(client, new_client):
    owner, member, _ = await company_with_member(client, new_client)
    resp = await client.get("/api/company/members")
    assert resp.status == 200, await resp.text()
    members = (await resp.json())["members"]
    assert len(members) == 2
    for entry in members:
        assert set(entry) == {"id", "email", "role", "joined_at"}
        assert ISO_UTC.match(entry["joined_at"])
    by_id = {m["id"]: m for m in members}
    assert by_id[owner["id"]]["email"] == owner["email"]
    assert by_id[owner["id"]]["role"] == "owner"
    assert by_id[member["id"]]["email"] == member["email"]
    assert by_id[member["id"]]["role"] == "member"


async def test_members_is_for_the_owner_only(client, new_client):
    _, _, member_client = await company_with_member(client, new_client)
    await assert_error(await member_client.get("/api/company/members"), 403)

    personal = await new_client()
    await register(personal)
    await assert_error(await personal.get("/api/company/members"), 403)

    anonymous = await new_client()
    await assert_error(await anonymous.get("/api/company/members"), 401)


async def test_removing_members(client, new_client):
    owner, member, member_client = await company_with_member(client, new_client)

    # Only the owner may remove anyone.
    resp = await member_client.delete(f"/api/company/members/{owner['id']}")
    await assert_error(resp, 403)
    resp = await member_client.delete(f"/api/company/members/{member['id']}")
    await assert_error(resp, 403)
    # The owner cannot remove themself; unknown ids name nothing.
    await assert_error(await client.delete(f"/api/company/members/{owner['id']}"), 400)
    await assert_error(await client.delete("/api/company/members/999999999999"), 404)
    await assert_error(await client.delete("/api/company/members/abc"), 404)
    assert (await me(member_client))["company_id"] == owner["company_id"]

    resp = await client.delete(f"/api/company/members/{member['id']}")
    assert resp.status == 200, await resp.text()
    assert "message" in await resp.json()

    assert (await me(member_client))["company_id"] is None
    members = (await (await client.get("/api/company/members")).json())["members"]
    assert [m["id"] for m in members] == [owner["id"]]
    await assert_error(await client.delete(f"/api/company/members/{member['id']}"), 404)
    # The former member is no longer shown the company's members either.
    await assert_error(await member_client.get("/api/company/members"), 403)


async def test_owner_cannot_remove_another_companys_member(client, new_client):
    await register_company(client)
    _, other_member, _ = await company_with_member(await new_client(), new_client)
    resp = await client.delete(f"/api/company/members/{other_member['id']}")
    await assert_error(resp, 404)


async def test_invite_codes_are_stored_only_as_digests(client, db):
    _, account = await register_company(client)
    code = account["inviteCode"]
    company_id = (await me(client))["company_id"]
    as_text, code_hash = query_one(
        db,
        "SELECT row_to_json(c)::text, invite_code_hash FROM companies c WHERE id = %s",
        (company_id,),
    )
    assert code not in as_text
    assert code.encode().hex() not in as_text
    assert len(bytes(code_hash)) == 32
    (matches,) = query_one(
        db,
        "SELECT count(*) FROM companies c WHERE strpos(row_to_json(c)::text, %s) > 0",
        (code,),
    )
    assert matches == 0
