"""Issue 14's HTTP findings: no 5xx and no wrong action from hostile input.

Long passwords, non-ASCII digits in path ids, broken multipart uploads, forged access-log
lines, unknown fields in client error reports."""

from __future__ import annotations

import logging
import re
from uuid import uuid4

import aiohttp
import psycopg2
import pytest

from onepizza.app import create_app
from tests.conftest import site_headers

PASSWORD = "a good password"
LONG = "é" * 40  # 40 characters, 80 UTF-8 bytes: over bcrypt's 72


def new_email() -> str:
    return f"hard-{uuid4().hex[:12]}@example.com"


async def register(client, password=PASSWORD, **extra) -> tuple[str, str]:
    email = new_email()
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": password, **extra}
    )
    assert resp.status == 201, await resp.text()
    return email, (await resp.json())["apiKey"]


@pytest.fixture
async def app_client(serve, make_settings, tmp_path):
    settings = make_settings(
        {
            "RATE_LIMIT_API": "10000/minute",
            "RATE_LIMIT_AUTH": "10000/minute",
            "RATE_LIMIT_PASSWORD": "10000/minute",
            "RATE_LIMIT_CLIENT_ERRORS": "10000/minute",
            "WEBHOOK_ALLOW_INSECURE": "1",
        },
        recordings_dir=tmp_path / "recordings",
    )
    return await serve(create_app(settings))


# --- 1. passwords over 72 bytes ---------------------------------------------------------


async def test_a_long_password_at_login_is_a_failed_login(app_client):
    email, _ = await register(app_client)
    for password in (LONG, "x" * 73, "x" * 1000):
        resp = await app_client.post("/api/auth/login", json={"email": email, "password": password})
        assert resp.status == 401, await resp.text()
        assert (await resp.json())["error"] == "Invalid email or password"
    unknown = await app_client.post(
        "/api/auth/login", json={"email": new_email(), "password": LONG}
    )
    assert unknown.status == 401


async def test_a_long_current_password_is_incorrect_and_a_long_new_one_is_400(app_client):
    await register(app_client)
    resp = await app_client.post(
        "/api/auth/change-password",
        json={"currentPassword": LONG, "newPassword": "another good one"},
    )
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"] == "Current password is incorrect"
    resp = await app_client.post(
        "/api/auth/change-password", json={"currentPassword": PASSWORD, "newPassword": LONG}
    )
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "Password must be at most 72 bytes"
    assert "newPassword" in body["details"]


async def test_a_long_password_at_register_is_400(app_client):
    resp = await app_client.post(
        "/api/auth/register", json={"email": new_email(), "password": LONG}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "Password must be at most 72 bytes"


# --- 2. integer path ids ----------------------------------------------------------------

ARABIC_INDIC = {ord("0") + i: 0x0660 + i for i in range(10)}  # Arabic-Indic digits
FULLWIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)}
# superscript two, circled one, Arabic-Indic one, and ASCII that is not a positive bigint
BAD_IDS = ["\u00b2", "\u2460", "\u0661", "-1", "1e3", "1" * 30, str(2**63), "0", " 1", "1.0"]


def integer_id_routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every route of the table with an integer {id}."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = info.get("formatter")
        if template and "{id}" in template and route.method != "HEAD":
            found.append((route.method, template))
    return found


def fill(template: str, value: str) -> str:
    return template.replace("{id}", value).replace("{delivery_id}", str(uuid4()))


async def test_every_integer_id_route_refuses_odd_ids_and_changes_nothing(app_client, database_url):
    client = app_client
    email, key = await register(client, accountType="company", companyName="Acme")
    auth = {"x-api-key": key}
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    resp = await client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["meeting.ended"]},
        headers=auth,
    )
    assert resp.status == 201, await resp.text()
    webhook_id = (await resp.json())["id"]
    extra_key = await (await client.post("/api/user/keys", json={"label": "x"})).json()

    routes = integer_id_routes(client.app)
    assert {template for _, template in routes} >= {
        "/api/user/keys/{id}",
        "/api/company/members/{id}",
        "/api/recordings/{id}/download",
        "/api/recordings/{id}",
        "/api/webhooks/{id}",
        "/api/webhooks/{id}/deliveries",
        "/api/webhooks/{id}/deliveries/{delivery_id}/retry",
    }
    ids = [webhook_id, extra_key["id"]]
    spelled = [str(i).translate(table) for i in ids for table in (ARABIC_INDIC, FULLWIDTH)]
    for method, template in routes:
        for value in BAD_IDS + spelled:
            resp = await client.request(method, fill(template, value), headers=auth)
            assert resp.status == 404, (method, template, value, resp.status)
            assert (await resp.json())["error"] == "Not found"

    hooks = await (await client.get("/api/webhooks", headers=auth)).json()
    assert [h["id"] for h in hooks["webhooks"]] == [webhook_id]
    keys = await (await client.get("/api/user/keys")).json()
    assert extra_key["id"] in [k["id"] for k in keys["keys"]]


# --- 3. multipart uploads ---------------------------------------------------------------


async def test_upload_with_a_missing_or_wrong_boundary_is_400(app_client, database_url):
    client = app_client
    email, key = await register(client)
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
    auth = {"x-api-key": key}
    meeting_id = (await (await client.post("/api/meetings", json={}, headers=auth)).json())[
        "meetingId"
    ]
    body = (
        b"--real\r\nContent-Disposition: form-data; name=recording; filename=a.webm\r\n"
        b"Content-Type: video/webm\r\n\r\nDATA\r\n--real--\r\n"
    )
    for content_type in (
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=other",
    ):
        resp = await client.post(
            f"/api/meetings/{meeting_id}/recordings",
            data=body,
            headers={**auth, "Content-Type": content_type},
        )
        assert resp.status == 400, (content_type, resp.status, await resp.text())
        assert "multipart" in (await resp.json())["error"]
    listed = await client.get(f"/api/meetings/{meeting_id}/recordings", headers=auth)
    assert (await listed.json())["recordings"] == []


# --- 7. the access log ------------------------------------------------------------------


async def test_an_encoded_newline_in_the_path_forges_no_log_line(app_client, caplog):
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    await app_client.get("/x%0aFAKE%0d%1b[31m%E2%80%AEy?a=%0aB&token=s3cret%0a")
    records = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    [line] = [m for m in records if "FAKE" in m]
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\u202e" not in line  # the right-to-left override stays encoded too
    assert re.search(r"/x%0aFAKE%0d%1b", line, re.IGNORECASE)  # as sent: percent-encoded
    assert "%E2%80%AEY?" in line.upper()
    assert "token=[redacted]" in line and "s3cret" not in line
    assert re.search(r"a=%0aB&", line, re.IGNORECASE)


# --- 13. client error reports -----------------------------------------------------------


async def test_client_error_with_an_unknown_field_is_400(app_client):
    ok = await app_client.post(
        "/api/client-errors", json={"type": "webrtc", "message": "ICE failed", "route": "/join"}
    )
    assert ok.status == 202
    resp = await app_client.post(
        "/api/client-errors", json={"type": "webrtc", "message": "ICE failed", "extra": 1}
    )
    assert resp.status == 400
    body = await resp.json()
    assert re.search(r"extra", body["error"]) and "extra" in body["details"]


# --- 10. writes on the session cookie ---------------------------------------------------

SITE = "http://localhost:3000"  # APP_URL of the test settings


async def test_a_cookie_write_needs_our_origin_and_a_json_body(app_client):
    client = app_client
    await register(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["onepizza_session"]
    bare = {"Cookie": f"onepizza_session={cookie.value}"}
    # A session of its own: no cookie jar, no default headers (the test client sends a Referer).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def keys_made() -> int:
            resp = await http.get(client.make_url("/api/user/keys"), headers=bare)
            return len((await resp.json())["keys"])

        before = await keys_made()
        refused = [
            ({}, '{"label": "no origin"}', "application/json"),
            ({"Origin": "null"}, '{"label": "null origin"}', "application/json"),
            ({"Origin": "https://evil.example"}, '{"label": "evil"}', "application/json"),
            ({"Referer": "https://evil.example/page"}, '{"label": "evil"}', "application/json"),
            ({"Origin": SITE}, '{"label": "text"}', "text/plain"),
            ({"Referer": f"{SITE}/x"}, '{"label": "form"}', "application/x-www-form-urlencoded"),
        ]
        for extra, body, content_type in refused:
            resp = await http.post(
                client.make_url("/api/user/keys"),
                data=body,
                headers={**bare, **extra, "Content-Type": content_type},
            )
            assert resp.status == 403, (extra, content_type, resp.status)
            assert "error" in await resp.json()
        resp = await http.delete(client.make_url("/api/company/members/1"), headers=bare)
        assert resp.status == 403  # no body, but still no origin
        assert await keys_made() == before

        for extra in ({"Origin": SITE}, {"Referer": f"{SITE}/dashboard"}):
            resp = await http.post(
                client.make_url("/api/user/keys"), json={"label": "ours"}, headers={**bare, **extra}
            )
            assert resp.status == 201, await resp.text()
        assert await keys_made() == before + 2

        # An API key is no cookie: scripts need neither Origin nor JSON's Content-Type.
        _, key = await register(client)
        resp = await http.post(
            client.make_url("/api/webhooks"),
            data='{"url": "http://127.0.0.1:9/hook", "events": ["meeting.ended"]}',
            headers={"x-api-key": key, "Content-Type": "text/plain"},
        )
        assert resp.status == 201, await resp.text()


# --- 6. bounded recording storage -------------------------------------------------------

MB = 1024 * 1024


@pytest.fixture
async def recorder(serve, make_settings, tmp_path, database_url):
    """make(env): an app storing recordings in a temporary folder, an account with credit,
    its meeting, and upload(), which sends `size` bytes as a recording."""
    directory = tmp_path / "recordings"

    async def make(env=None):
        settings = make_settings(
            {"RATE_LIMIT_API": "10000/minute", "RECORDING_MAX_BYTES": str(4 * MB), **(env or {})},
            recordings_dir=directory,
        )
        client = await serve(create_app(settings))
        email, key = await register(client)
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
        auth = {"x-api-key": key}
        tokens = make.admin_tokens

        async def meeting(**body) -> str:
            resp = await client.post("/api/meetings", json=body, headers=auth)
            assert resp.status == 201, await resp.text()
            created = await resp.json()
            tokens[created["meetingId"]] = created["adminToken"]
            return created["meetingId"]

        async def upload(meeting_id: str, size: int):
            form = aiohttp.FormData()
            form.add_field("recording", b"r" * size, filename="r.webm", content_type="video/webm")
            return await client.post(
                f"/api/meetings/{meeting_id}/recordings", data=form, headers=auth
            )

        async def listed(meeting_id: str) -> list:
            resp = await client.get(f"/api/meetings/{meeting_id}/recordings", headers=auth)
            return (await resp.json())["recordings"]

        return client, auth, meeting, upload, listed

    make.directory = directory
    make.admin_tokens = {}
    return make


def stored_files(directory) -> list:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def test_an_account_has_a_recordings_quota(recorder):
    _, _, meeting, upload, listed = await recorder({"RECORDING_QUOTA_BYTES": str(5 * MB)})
    first, second = await meeting(), await meeting()
    assert (await upload(first, 3 * MB)).status == 201
    resp = await upload(second, 3 * MB)  # the quota is the account's, across its meetings
    assert resp.status == 413, await resp.text()
    assert "5 MB" in (await resp.json())["error"]
    assert (await upload(second, MB)).status == 201
    assert len(await listed(first)) == 1 and len(await listed(second)) == 1
    assert len(stored_files(recorder.directory)) == 2  # nothing of the refused one is left


async def test_the_default_quota_is_5_gb(make_settings):
    assert make_settings().recording_quota_bytes == 5 * 1024**3


async def test_an_upload_the_disk_has_no_room_for_is_507(recorder):
    _, _, meeting, upload, listed = await recorder({"RECORDING_MIN_FREE_BYTES": str(2**59)})
    mid = await meeting()
    resp = await upload(mid, MB)
    assert resp.status == 507, await resp.text()
    assert "room" in (await resp.json())["error"]
    assert await listed(mid) == []
    assert stored_files(recorder.directory) == []


async def test_uploads_only_during_a_meeting_and_a_while_after(recorder, database_url):
    client, auth, meeting, upload, listed = await recorder(
        {"RECORDING_UPLOAD_WINDOW_SECONDS": "600"}
    )
    scheduled = await meeting(scheduledAt="2099-01-01T10:00:00Z")
    resp = await upload(scheduled, 1000)
    assert resp.status == 409 and "not started" in (await resp.json())["error"]

    ended = await meeting()
    host = {**auth, "x-admin-token": recorder.admin_tokens[ended]}
    assert (await client.delete(f"/api/meetings/{ended}", headers=host)).status == 200
    assert (await upload(ended, 1000)).status == 201  # just ended: within the window

    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE meetings SET ended_at = now() - interval '11 minutes' WHERE id = %s",
            (ended,),
        )
    resp = await upload(ended, 1000)
    assert resp.status == 409, await resp.text()
    assert "10 minutes after the meeting ends" in (await resp.json())["error"]
    assert len(await listed(ended)) == 1


async def test_recording_files_are_readable_by_the_server_alone(recorder):
    _, _, meeting, upload, _ = await recorder()
    assert (await upload(await meeting(), 1000)).status == 201
    [name] = stored_files(recorder.directory)
    assert (recorder.directory / name).stat().st_mode & 0o777 == 0o600
    assert recorder.directory.stat().st_mode & 0o077 == 0


# --- 8. rate limits on session endpoints and on change-password -------------------------


@pytest.fixture
async def limited_client(serve, make_settings):
    settings = make_settings(
        {
            "RATE_LIMIT_AUTH": "10000/minute",
            "RATE_LIMIT_SESSION": "6/minute",
            "RATE_LIMIT_PASSWORD_CHANGE": "3/minute",
        }
    )
    app = create_app(settings)
    first = await serve(app)
    return first


async def test_session_endpoints_are_rate_limited_per_user(limited_client, aiohttp_client):
    client = limited_client
    await register(client, accountType="company", companyName="Limits Inc")
    for path in (
        "/api/auth/me",
        "/api/user/keys",
        "/api/billing/history",
        "/api/company/members",
        "/api/auth/me",
        "/api/user/keys",
    ):
        resp = await client.get(path)
        assert resp.status == 200, (path, await resp.text())
    for path in ("/api/auth/me", "/api/user/keys", "/api/billing/history", "/api/company/members"):
        resp = await client.get(path)
        assert resp.status == 429, (path, resp.status)
        assert int(resp.headers["Retry-After"]) >= 1
        assert "error" in await resp.json()
    # Another user (same address) has a budget of their own.
    other = await aiohttp_client(client.server, headers=site_headers(client.server.app))
    await register(other)
    assert (await other.get("/api/auth/me")).status == 200


async def test_change_password_guesses_are_limited(limited_client):
    client = limited_client
    email, _ = await register(client)
    wrong = {"currentPassword": "not it at all", "newPassword": "a new good password"}
    for _ in range(3):
        resp = await client.post("/api/auth/change-password", json=wrong)
        assert resp.status in (400, 401), await resp.text()
    right = {"currentPassword": PASSWORD, "newPassword": "a new good password"}
    resp = await client.post("/api/auth/change-password", json=right)
    assert resp.status == 429, await resp.text()
    # Unchanged: the old password still logs in.
    resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status == 200
