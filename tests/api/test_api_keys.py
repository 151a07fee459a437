"""§2 API keys: listed masked, created (shown once), used through x-api-key, revoked at once,
and stored only as digests."""

import hashlib
import re
from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app

PASSWORD = "secret123"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FULL_KEY = re.compile(r"^mk_[A-Za-z0-9_-]{32,}$")
KEY_FIELDS = {"id", "key", "label", "is_active", "created_at", "last_used_at"}


@pytest.fixture
def db(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


async def register(client) -> tuple[str, dict]:
    email = f"{uuid4().hex}@example.com"
    resp = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert resp.status == 201, await resp.text()
    return email, await resp.json()


async def login(client, email: str) -> None:
    resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 200, await resp.text()


async def list_keys(client) -> list[dict]:
    resp = await client.get("/api/user/keys")
    assert resp.status == 200, await resp.text()
    return (await resp.json())["keys"]


async def create_key(client, **body) -> dict:
    resp = await client.post("/api/user/keys", json=body)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def me_with_key(client, key: str):
    return await client.get("/api/auth/me", headers={"x-api-key": key})


def masked(key: str) -> str:
    return f"{key[:7]}...{key[-4:]}"


async def assert_401_json(resp) -> None:
    assert resp.status == 401
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert isinstance(body["error"], str) and body["error"]


async def test_list_without_session_is_401(client):
    await assert_401_json(await client.get("/api/user/keys"))


async def test_register_lists_the_default_key_masked(client):
    _, account = await register(client)
    full = account["apiKey"]
    assert FULL_KEY.match(full)

    resp = await client.get("/api/user/keys")
    assert resp.status == 200
    assert full not in await resp.text()
    keys = (await resp.json())["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert set(key) == KEY_FIELDS
    assert isinstance(key["id"], int)
    assert key["key"] == masked(full)
    assert re.fullmatch(r"mk_[A-Za-z0-9_-]{4}\.\.\.[A-Za-z0-9_-]{4}", key["key"])
    assert key["is_active"] is True
    assert ISO_UTC.match(key["created_at"])
    assert key["last_used_at"] is None


async def test_create_key_shows_the_full_key_once(client):
    await register(client)
    created = await create_key(client, label="Production")
    assert set(created) == KEY_FIELDS
    assert FULL_KEY.match(created["key"])
    assert created["label"] == "Production"
    assert created["is_active"] is True
    assert ISO_UTC.match(created["created_at"])
    assert created["last_used_at"] is None

    resp = await client.get("/api/user/keys")
    assert created["key"] not in await resp.text()
    keys = (await resp.json())["keys"]
    assert len(keys) == 2
    listed = next(k for k in keys if k["id"] == created["id"])
    assert listed["key"] == masked(created["key"])
    assert listed["label"] == "Production"
    assert listed["created_at"] == created["created_at"]


async def test_create_key_without_a_body_has_no_label(client):
    await register(client)
    resp = await client.post("/api/user/keys")
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert FULL_KEY.match(created["key"])
    assert created["label"] is None
    listed = next(k for k in await list_keys(client) if k["id"] == created["id"])
    assert listed["label"] is None


async def test_label_over_100_characters_is_400(client):
    await register(client)
    resp = await client.post("/api/user/keys", json={"label": "x" * 101})
    assert resp.status == 400
    assert "error" in await resp.json()
    assert len(await list_keys(client)) == 1

    created = await create_key(client, label="y" * 100)
    assert created["label"] == "y" * 100


async def test_new_key_authenticates_and_records_last_use(client):
    email, account = await register(client)
    created = await create_key(client, label="bot")
    listed = next(k for k in await list_keys(client) if k["id"] == created["id"])
    assert listed["last_used_at"] is None

    # Without the session cookie, the key alone identifies the user.
    client.session.cookie_jar.clear()
    await assert_401_json(await client.get("/api/auth/me"))
    resp = await me_with_key(client, created["key"])
    assert resp.status == 200, await resp.text()
    profile = await resp.json()
    assert profile["email"] == email
    assert profile["accountType"] == "personal"

    await login(client, email)
    listed = {k["id"]: k for k in await list_keys(client)}
    assert ISO_UTC.match(listed[created["id"]]["last_used_at"])
    # The default key was not used, so it still has no last use.
    default = next(k for k in listed.values() if k["key"] == masked(account["apiKey"]))
    assert default["last_used_at"] is None


async def test_revoked_key_is_refused_at_once(client):
    await register(client)
    created = await create_key(client, label="temporary")
    assert (await me_with_key(client, created["key"])).status == 200

    resp = await client.delete(f"/api/user/keys/{created['id']}")
    assert resp.status == 200
    assert "message" in await resp.json()

    await assert_401_json(await me_with_key(client, created["key"]))
    assert created["id"] not in {k["id"] for k in await list_keys(client)}
    # It is gone: deleting it again finds nothing.
    assert (await client.delete(f"/api/user/keys/{created['id']}")).status == 404


async def test_deleting_another_users_key_is_404(client, serve, settings):
    _, owner_account = await register(client)
    owner_key = await create_key(client, label="mine")

    other = await serve(create_app(settings))
    await register(other)
    resp = await other.delete(f"/api/user/keys/{owner_key['id']}")
    assert resp.status == 404
    assert "error" in await resp.json()

    for key in (owner_key["key"], owner_account["apiKey"]):
        assert (await me_with_key(other, key)).status == 200
    assert owner_key["id"] in {k["id"] for k in await list_keys(client)}


@pytest.mark.parametrize("key_id", ["abc", "1x", "-1", "0", "999999999999"])
async def test_non_numeric_or_unknown_key_id_is_404(client, key_id):
    await register(client)
    resp = await client.delete(f"/api/user/keys/{key_id}")
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert "error" in await resp.json()
    assert len(await list_keys(client)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": ""},
        {"x-api-key": "mk_" + "A" * 43},
        {"x-api-key": "not-a-key"},
    ],
    ids=["missing", "empty", "made-up", "malformed"],
)
async def test_missing_or_made_up_key_on_me_is_401(client, headers):
    await assert_401_json(await client.get("/api/auth/me", headers=headers))


async def test_keys_are_stored_only_as_digests(client, db):
    email, account = await register(client)
    created = await create_key(client, label="stored")
    with db.cursor() as cur:
        cur.execute(
            """
            SELECT k.id, row_to_json(k)::text, k.key_hash
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE u.email = %s ORDER BY k.id
            """,
            (email,),
        )
        rows = cur.fetchall()
    assert len(rows) == 2
    for key in (account["apiKey"], created["key"]):
        for _, as_text, _ in rows:
            assert key not in as_text
            assert key[3:] not in as_text
            assert key.encode().hex() not in as_text
    stored = {key_id: bytes(key_hash) for key_id, _, key_hash in rows}
    assert stored[created["id"]] == hashlib.sha256(created["key"].encode()).digest()
