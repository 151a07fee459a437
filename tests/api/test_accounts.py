"""§1 accounts: register, login, logout, me, password reset and change; sessions; admin."""

from __future__ import annotations

import logging
import re
import time
from uuid import uuid4

import psycopg2
import pytest

from onepizza.app import create_app
from onepizza.services.registry import MAILER

PASSWORD = "correct horse battery"
APP_URL = "http://localhost:3000"


def new_email() -> str:
    return f"user-{uuid4().hex[:12]}@example.com"


async def register(client, email=None, password=PASSWORD, **extra):
    email = email or new_email()
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": password, **extra}
    )
    assert resp.status == 201, await resp.text()
    return email, await resp.json()


def session_cookie(client) -> str:
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["onepizza_session"]
    return cookie.value


async def me_with(client, cookie: str):
    """GET /api/auth/me presenting exactly this session cookie."""
    client.session.cookie_jar.clear()
    return await client.get("/api/auth/me", headers={"Cookie": f"onepizza_session={cookie}"})


def db_rows(database_url, query, params=()):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


# --- register ---------------------------------------------------------------------------


async def test_register_personal_account(mail_client, outbox):
    email, body = await register(mail_client, email=f"  Mixed.{uuid4().hex[:8]}@Example.COM ")
    assert set(body) == {"message", "email", "apiKey", "accountType"}
    assert body["message"] == "Account created"
    assert body["email"] == email.strip().lower()
    assert body["accountType"] == "personal"
    assert re.fullmatch(r"mk_[A-Za-z0-9_-]{32,}", body["apiKey"])

    # Registration logs the new user in.
    resp = await mail_client.get("/api/auth/me")
    assert resp.status == 200
    me = await resp.json()
    assert set(me) == {
        "id",
        "email",
        "accountType",
        "balance",
        "company_id",
        "is_admin",
        "created_at",
    }
    assert me["email"] == body["email"]
    assert me["balance"] == "1.0000"  # the welcome credit
    assert me["company_id"] is None and me["is_admin"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", me["created_at"])

    await mail_client.app[MAILER].wait_idle()
    [welcome] = outbox.to(body["email"])
    assert welcome["Subject"] == "Welcome to onepizza"


async def test_register_company_account(client):
    _, body = await register(client, accountType="company", companyName="Acme Corp")
    assert body["accountType"] == "company"
    assert len(body["inviteCode"]) == 12
    me = await (await client.get("/api/auth/me")).json()
    assert me["accountType"] == "company" and me["company_id"] is not None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "x@example.com"}, "password"),
        ({"email": "x@example.com", "password": "short"}, "password"),
        ({"email": "x@example.com", "password": "p" * 80}, "password"),
        ({"email": "x@example.com", "password": PASSWORD, "accountType": "alien"}, "accountType"),
        ({"email": "x@example.com", "password": PASSWORD, "accountType": "company"}, "companyName"),
        ({"email": "x@example.com", "password": 12345678}, "password"),
    ],
)
async def test_register_rejects_bad_input(client, database_url, payload, field):
    resp = await client.post("/api/auth/register", json=payload)
    assert resp.status == 400
    body = await resp.json()
    assert field in body["details"]
    assert isinstance(body["error"], str) and body["error"]
    assert db_rows(database_url, "SELECT 1 FROM users WHERE email = 'x@example.com'") == []


async def test_register_duplicate_email_is_409(client):
    email, _ = await register(client)
    resp = await client.post(
        "/api/auth/register", json={"email": f" {email.upper()} ", "password": PASSWORD}
    )
    assert resp.status == 409
    assert await resp.json() == {"error": "Email already in use"}


# --- login, logout, me --------------------------------------------------------------------


async def test_login_sets_a_hardened_session_cookie(client):
    email, _ = await register(client)
    client.session.cookie_jar.clear()
    resp = await client.post("/api/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert resp.status == 200
    assert (await resp.json())["email"] == email
    set_cookie = resp.headers["Set-Cookie"]
    assert set_cookie.startswith("onepizza_session=")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # development; production adds it
    assert (await client.get("/api/auth/me")).status == 200


async def test_session_cookie_secure_in_production(serve, make_settings):
    env = {"NODE_ENV": "production", "ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "p" * 12}
    client = await serve(create_app(make_settings(env)))
    resp = await client.post(
        "/api/auth/register", json={"email": new_email(), "password": PASSWORD}
    )
    assert "Secure" in resp.headers["Set-Cookie"]


async def test_cookie_carries_only_a_random_id(client, database_url):
    email, _ = await register(client)
    cookie = session_cookie(client)
    assert email not in cookie and len(cookie) >= 40
    [(data,)] = db_rows(
        database_url,
        "SELECT s.data FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = %s",
        (email,),
    )
    assert "uid" in data
    # Only a digest of the id is stored.
    assert (
        db_rows(database_url, "SELECT 1 FROM sessions WHERE id_hash = %s", (cookie.encode(),)) == []
    )


async def test_wrong_password_and_unknown_email_look_the_same(serve, make_settings):
    client = await serve(create_app(make_settings({"BCRYPT_ROUNDS": "10"})))
    email, _ = await register(client)

    async def attempt(payload):
        started = time.perf_counter()
        resp = await client.post("/api/auth/login", json=payload)
        return resp.status, await resp.json(), time.perf_counter() - started

    wrong = [await attempt({"email": email, "password": "wrong password"}) for _ in range(3)]
    unknown = [
        await attempt({"email": new_email(), "password": "wrong password"}) for _ in range(3)
    ]
    assert {(s, b["error"]) for s, b, _ in wrong + unknown} == {(401, "Invalid email or password")}
    # Both paths run bcrypt: an unknown email is not answered measurably faster.
    # (the fastest of five each, so that a busy machine's pauses do not decide it)
    assert min(t for *_, t in unknown) > 0.4 * min(t for *_, t in wrong)


@pytest.mark.parametrize("payload", [{}, {"email": "a@example.com"}, {"password": "x"}])
async def test_login_needs_both_fields(client, payload):
    resp = await client.post("/api/auth/login", json=payload)
    assert resp.status == 400


async def test_me_without_session_is_401(client):
    resp = await client.get("/api/auth/me")
    assert resp.status == 401
    assert await resp.json() == {"error": "Not logged in"}
    resp = await client.get("/api/auth/me", headers={"Cookie": "onepizza_session=made-up"})
    assert resp.status == 401


async def test_logout_ends_the_session(client):
    await register(client)
    cookie = session_cookie(client)
    resp = await client.post("/api/auth/logout")
    assert resp.status == 200
    assert await resp.json() == {"message": "Logged out"}
    assert (await me_with(client, cookie)).status == 401


# --- password reset -----------------------------------------------------------------------


def reset_token(message) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"http://localhost:3000/reset\?token=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def test_forgot_and_reset_password(mail_client, outbox, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    client = mail_client
    email, _ = await register(client)
    old_session = session_cookie(client)

    resp = await client.post("/api/auth/forgot-password", json={"email": email})
    assert resp.status == 200
    answer = await resp.json()
    await client.app[MAILER].wait_idle()
    [message] = [m for m in outbox.to(email) if "Reset" in m["Subject"]]
    token = reset_token(message)
    assert "expires in 1 hour" in message.get_body(("plain",)).get_content()

    resp = await client.get("/api/auth/reset-password", params={"token": token})
    assert resp.status == 200 and await resp.json() == {"valid": True}

    new_password = "a brand new password"
    resp = await client.post(
        "/api/auth/reset-password", json={"token": token, "password": new_password}
    )
    assert resp.status == 200

    # The token is single-use and every session of the user has ended.
    resp = await client.post("/api/auth/reset-password", json={"token": token, "password": "x" * 9})
    assert resp.status == 400
    assert await resp.json() == {"error": "Invalid or expired reset token"}
    assert (await me_with(client, old_session)).status == 401
    resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 401
    resp = await client.post("/api/auth/login", json={"email": email, "password": new_password})
    assert resp.status == 200

    # The token is stored hashed, and never logged.
    assert (
        db_rows(
            database_url,
            "SELECT 1 FROM password_reset_tokens WHERE token_hash = %s",
            (token.encode(),),
        )
        == []
    )
    await client.app[MAILER].wait_idle()
    assert any("changed" in m["Subject"] for m in outbox.to(email))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert token not in logged and new_password not in logged and PASSWORD not in logged

    # Unknown emails get the same answer and no email.
    before = len(outbox)
    resp = await client.post("/api/auth/forgot-password", json={"email": new_email()})
    assert resp.status == 200 and await resp.json() == answer
    await client.app[MAILER].wait_idle()
    assert len(outbox) == before


async def test_reset_token_checks(mail_client, outbox, database_url):
    client = mail_client
    email, _ = await register(client)
    await client.post("/api/auth/forgot-password", json={"email": email})
    await client.app[MAILER].wait_idle()
    token = reset_token(outbox.to(email)[-1])

    resp = await client.post("/api/auth/reset-password", json={"token": token, "password": "short"})
    assert resp.status == 400  # a weak password does not spend the token
    resp = await client.get("/api/auth/reset-password")
    assert resp.status == 400
    resp = await client.get("/api/auth/reset-password", params={"token": "made-up"})
    assert resp.status == 400
    assert await resp.json() == {"error": "Invalid or expired reset token"}

    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' "
            "WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (email,),
        )
    resp = await client.get("/api/auth/reset-password", params={"token": token})
    assert resp.status == 400  # expired after its hour
    resp = await client.post(
        "/api/auth/reset-password", json={"token": token, "password": "long enough now"}
    )
    assert resp.status == 400


async def test_password_endpoints_are_rate_limited(client):
    statuses = [
        (await client.post("/api/auth/forgot-password", json={"email": new_email()})).status
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    resp = await client.get("/api/auth/reset-password", params={"token": "x"})
    assert resp.status == 429  # the same group: forgot and reset share 3 per 15 minutes
    assert "Retry-After" in resp.headers


async def test_login_and_register_are_rate_limited(client):
    statuses = [
        (
            await client.post("/api/auth/login", json={"email": "a@b.example", "password": "x"})
        ).status
        for _ in range(10)
    ]
    assert statuses == [401] * 10
    resp = await client.post(
        "/api/auth/register", json={"email": new_email(), "password": PASSWORD}
    )
    assert resp.status == 429
    assert (await resp.json())["error"]


# --- change password ----------------------------------------------------------------------


async def test_change_password(mail_client, outbox, serve, make_settings):
    client = mail_client
    email, _ = await register(client)
    other = await serve(create_app(make_settings()))
    resp = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 200
    other_cookie = session_cookie(other)

    resp = await client.post(
        "/api/auth/change-password",
        json={"currentPassword": "not it at all", "newPassword": "another password"},
    )
    assert resp.status == 400
    resp = await client.post(
        "/api/auth/change-password", json={"currentPassword": PASSWORD, "newPassword": "short"}
    )
    assert resp.status == 400
    assert "newPassword" in (await resp.json())["details"]

    resp = await client.post(
        "/api/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "another password"},
    )
    assert resp.status == 200
    assert (await client.get("/api/auth/me")).status == 200  # this session goes on
    assert (await me_with(other, other_cookie)).status == 401  # the others end

    resp = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 401
    resp = await other.post(
        "/api/auth/login", json={"email": email, "password": "another password"}
    )
    assert resp.status == 200
    await client.app[MAILER].wait_idle()
    assert [m["Subject"] for m in outbox.to(email)][-1] == "Your onepizza password was changed"


async def test_change_password_needs_a_session(client):
    resp = await client.post(
        "/api/auth/change-password", json={"currentPassword": PASSWORD, "newPassword": "x" * 10}
    )
    assert resp.status == 401


# --- cross-site requests ------------------------------------------------------------------


async def test_cross_site_state_changes_are_refused(client, database_url):
    email, _ = await register(client)

    def key_count():
        return db_rows(
            database_url,
            "SELECT count(*) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = %s",
            (email,),
        )[0][0]

    evil = [
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "null"},
    ]
    for headers in evil:
        resp = await client.post("/api/user/keys", json={"label": "x"}, headers=headers)
        assert resp.status == 403
        assert await resp.json() == {"error": "Cross-site request refused"}
    assert key_count() == 1

    for headers in ({"Origin": APP_URL}, {"Referer": f"{APP_URL}/dashboard"}, {}):
        resp = await client.post("/api/user/keys", json={"label": "x"}, headers=headers)
        assert resp.status == 201
    assert key_count() == 4

    # Reading is not a state change.
    resp = await client.get("/api/auth/me", headers={"Origin": "https://evil.example"})
    assert resp.status == 200
    resp = await client.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert resp.status == 403


# --- audit log and admin ------------------------------------------------------------------


async def test_audit_log_records_account_events(client, database_url):
    email, _ = await register(client)
    await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    await client.post(
        "/api/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "another password"},
    )
    rows = db_rows(
        database_url,
        "SELECT a.action, a.ip FROM audit_log a JOIN users u ON u.id = a.user_id "
        "WHERE u.email = %s ORDER BY a.id",
        (email,),
    )
    assert rows == [
        ("user.register", "127.0.0.1"),
        ("user.login", "127.0.0.1"),
        ("user.password_changed", "127.0.0.1"),
    ]


async def test_admin_is_seeded_and_its_password_updated(serve, make_settings):
    admin = f"admin-{uuid4().hex[:8]}@example.com"
    env = {"ADMIN_EMAIL": admin.upper(), "ADMIN_PASSWORD": "first admin password"}
    client = await serve(create_app(make_settings(env)))
    resp = await client.post(
        "/api/auth/login", json={"email": admin, "password": "first admin password"}
    )
    assert resp.status == 200
    me = await (await client.get("/api/auth/me")).json()
    assert me["is_admin"] is True and me["email"] == admin

    env["ADMIN_PASSWORD"] = "second admin password"
    client = await serve(create_app(make_settings(env)))
    resp = await client.post(
        "/api/auth/login", json={"email": admin, "password": "first admin password"}
    )
    assert resp.status == 401
    resp = await client.post(
        "/api/auth/login", json={"email": admin, "password": "second admin password"}
    )
    assert resp.status == 200


async def test_ordinary_users_are_not_admins(client):
    await register(client)
    me = await (await client.get("/api/auth/me")).json()
    assert me["is_admin"] is False


async def test_no_secret_reaches_the_logs(mail_client, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = mail_client
    email, body = await register(client)
    await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    resp = await client.post("/api/user/keys", json={"label": "ci"})
    new_key = (await resp.json())["key"]
    await client.get("/api/auth/me", headers={"x-api-key": new_key})
    await client.post("/api/auth/forgot-password", json={"email": email})
    await client.app[MAILER].wait_idle()
    token = reset_token(outbox.to(email)[-1])
    await client.get("/api/auth/reset-password", params={"token": token})
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "/api/auth/reset-password?token=[redacted]" in logged  # the access log ran
    for secret in (PASSWORD, body["apiKey"], new_key, token, session_cookie(client)):
        assert secret not in logged


async def test_session_expiry_slides_when_used(client, database_url):
    email, _ = await register(client)
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        # As if the session was last used long ago and is about to expire.
        cur.execute(
            "UPDATE sessions SET expires_at = now() + interval '1 minute', "
            "data = jsonb_set(data, '{touched}', '0') "
            "WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (email,),
        )
    resp = await client.get("/api/auth/me")
    assert resp.status == 200
    assert "Max-Age=604800" in resp.headers["Set-Cookie"]
    [(seconds_left,)] = db_rows(
        database_url,
        "SELECT extract(epoch FROM expires_at - now()) FROM sessions "
        "WHERE user_id = (SELECT id FROM users WHERE email = %s)",
        (email,),
    )
    assert seconds_left > 6 * 24 * 3600


async def test_expired_session_is_refused(client, database_url):
    email, _ = await register(client)
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second' "
            "WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (email,),
        )
    assert (await client.get("/api/auth/me")).status == 401
