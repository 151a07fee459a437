"""Issue 14: the authorization matrix, generated from the route table itself (app.router), so
a new route cannot be left out. Every route x {no credentials, another user's key, another
user's session, a member of another company, another meeting's admin token, a non-admin
session on admin routes}: 401/403/404 where the route names the owner's resource (or is an
admin route), never a 5xx, and never a byte of the owner's data. Public routes are listed
with the reason they are public; a route the test does not know how to fill fails it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import aiohttp
import psycopg2
import pytest

from onepizza.app import create_app
from tests.conftest import site_headers

PASSWORD = "a good password"
DENIED = {401, 403, 404}

# (method, path) -> why anyone may call it.
PUBLIC = {
    ("POST", "/api/auth/register"): "signing up",
    ("POST", "/api/auth/login"): "signing in",
    ("POST", "/api/auth/logout"): "ends the caller's own session, if any",
    ("POST", "/api/auth/forgot-password"): "asks for a reset mail; says the same for any address",
    ("GET", "/api/auth/reset-password"): "checks a reset token the caller holds",
    ("POST", "/api/auth/reset-password"): "uses a reset token the caller holds",
    ("GET", "/health"): "health checks for load balancers",
    ("GET", "/health/liveness"): "health checks for load balancers",
    ("GET", "/health/readiness"): "health checks for load balancers",
    ("POST", "/api/meetings/guest"): "guest meetings need no account (spec §5)",
    ("GET", "/api/config/ice-servers"): "STUN/TURN for the meeting page, guests included",
    ("POST", "/api/billing/stripe/webhook"): "Stripe calls it; its signature is the check",
    ("POST", "/api/client-errors"): "the pages report their errors, guests included",
    ("GET", "/openapi.json"): "the API description",
    ("GET", "/openapi.yaml"): "the API description",
    ("GET", "/docs"): "the API documentation page",
    ("GET", "/docs/init.js"): "the API documentation page",
    ("GET", "/docs/assets"): "the API documentation page",
    ("GET", "/"): "a page",
    ("GET", "/join/{meeting_id}"): "the meeting page (the meeting's rules apply on joining)",
    ("GET", "/register"): "a page",
    ("GET", "/login"): "a page",
    ("GET", "/forgot"): "a page",
    ("GET", "/reset"): "a page",
    ("GET", "/dashboard"): "a page (its data come from the API)",
    ("GET", "/admin"): "a page (its data come from the admin API)",
    ("GET", "/static/admin.html"): "a page (its data come from the admin API)",
    ("GET", "/sdk"): "the JavaScript SDK's files",
    ("GET", "/static"): "the pages' files",
    ("GET", "/vendor"): "the pages' npm packages",
    ("GET", "/socket.io/"): "Socket.IO; its events are checked in tests/realtime/test_fuzz.py",
    ("POST", "/socket.io/"): "Socket.IO; its events are checked in tests/realtime/test_fuzz.py",
    ("OPTIONS", "/socket.io/"): "Socket.IO (CORS preflight)",
}

# Payment routes answer 503 while their provider is not configured, as in this test.
NOT_CONFIGURED = {
    ("GET", "/api/billing/usdc/address"),
    ("POST", "/api/billing/stripe/checkout"),
    ("POST", "/api/billing/stripe/webhook"),
}


def route_table(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, HEAD aside (GET's twin)."""
    routes = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        routes.add((route.method, info.get("formatter") or info.get("path") or info["prefix"]))
    return sorted(routes)


def kind(method: str, path: str) -> str:
    if (method, path) in PUBLIC:
        return "public"
    if path.startswith("/admin/api/"):
        return "admin"
    if "{" in path:
        return "resource"
    return "own"  # acts on the caller's own account: credentials needed, no one else's data


class Party:
    """An account: its session (a client with its own cookie jar) and its API key."""

    def __init__(self, client, email: str, account: dict):
        self.client = client
        self.email = email
        self.key = account["apiKey"]
        self.account = account

    @property
    def headers(self) -> dict:
        return {"x-api-key": self.key}


@pytest.fixture
async def world(aiohttp_client, serve, make_settings, database_url):
    first = await serve(
        create_app(
            make_settings(
                {
                    "RATE_LIMIT_API": "100000/minute",
                    "RATE_LIMIT_AUTH": "100000/minute",
                    "RATE_LIMIT_PASSWORD": "100000/minute",
                    "RATE_LIMIT_GUEST": "100000/minute",
                    "WEBHOOK_ALLOW_INSECURE": "1",
                }
            )
        )
    )
    server, app = first.server, first.server.app

    async def party(**extra) -> Party:
        client = await aiohttp_client(server, headers=site_headers(app))
        email = f"matrix-{uuid4().hex[:12]}@example.com"
        resp = await client.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, **extra}
        )
        assert resp.status == 201, await resp.text()
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 50 WHERE email = %s", (email,))
        return Party(client, email, await resp.json())

    return app, first, party


async def ok(resp, status: int = 200) -> dict:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def owner_estate(party, first) -> tuple[Party, dict, set[str]]:
    """The owner (a company account with a member), each kind of thing it owns, and the
    strings that would betray any of it."""
    tag = uuid4().hex[:10]
    owner = await party(accountType="company", companyName=f"OwnerCo {tag}")
    member = await party()
    await ok(
        await member.client.post(
            "/api/company/join", json={"inviteCode": owner.account["inviteCode"]}
        )
    )
    members = (await ok(await owner.client.get("/api/company/members")))["members"]
    member_id = next(m["id"] for m in members if m["email"] == member.email)
    meeting = await ok(
        await owner.client.post(
            "/api/meetings", json={"title": f"Owner meeting {tag}"}, headers=owner.headers
        ),
        201,
    )
    mid = meeting["meetingId"]
    key = await ok(
        await owner.client.post("/api/user/keys", json={"name": f"owner key {tag}"}), 201
    )
    hook = await ok(
        await owner.client.post(
            "/api/webhooks",
            json={"url": f"http://127.0.0.1:9/owner-{tag}", "events": ["meeting.ended"]},
            headers=owner.headers,
        ),
        201,
    )
    template = await ok(
        await owner.client.post(
            "/api/templates",
            json={"name": f"owner template {tag}", "settings": {}},
            headers=owner.headers,
        ),
        201,
    )
    start = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rule = await ok(
        await owner.client.post(
            "/api/recurring",
            json={"rrule": "FREQ=WEEKLY", "startAt": start, "title": f"owner series {tag}"},
            headers=owner.headers,
        ),
        201,
    )
    poll = await ok(
        await owner.client.post(
            f"/api/meetings/{mid}/polls",
            json={"question": f"owner poll {tag}", "kind": "yesno"},
            headers=owner.headers,
        ),
        201,
    )
    form = aiohttp.FormData()
    form.add_field(
        "recording",
        b"\x1a\x45\xdf\xa3" + b"owner" * 50,
        filename=f"owner-{tag}.webm",
        content_type="video/webm",
    )
    recording = await ok(
        await owner.client.post(
            f"/api/meetings/{mid}/recordings", data=form, headers=owner.headers
        ),
        201,
    )
    ids = {
        "meeting_id": mid,
        "admin_token": meeting["adminToken"],
        "participant_id": "0000aaaa",
        "poll_id": str(poll["poll"]["id"]),
        "delivery_id": "1",
        "/api/user/keys/": str(key["id"]),
        "/api/company/members/": str(member_id),
        "/api/recordings/": str(recording["id"]),
        "/api/webhooks/": str(hook["id"]),
        "/api/templates/": str(template["id"]),
        "/api/recurring/": str(rule["id"]),
    }
    secrets = {
        owner.email,
        member.email,
        owner.key,
        key["key"] if "key" in key else key.get("apiKey", owner.key),
        meeting["adminToken"],
        tag,
    }
    return owner, ids, secrets


def fill(path: str, ids: dict) -> str:
    """The path naming the owner's things; fails for a parameter this test does not know."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "id":
            prefix = next((p for p in ids if p.startswith("/") and path.startswith(p)), None)
            assert prefix, f"{path}: whose {{id}} is it? Add the owner's resource to the matrix"
            return ids[prefix]
        assert name in ids, f"{path}: add a value for {{{name}}} to the matrix"
        return ids[name]

    return re.sub(r"\{(\w+)\}", value, path)


async def test_every_route_refuses_everyone_but_its_owner(world):
    app, first, party = world
    owner, ids, secrets = await owner_estate(party, first)
    stranger = await party()
    boss = await party(accountType="company", companyName="Other company")
    outsider = await party()  # a member of another company
    await ok(
        await outsider.client.post(
            "/api/company/join", json={"inviteCode": boss.account["inviteCode"]}
        )
    )
    theirs = await ok(
        await stranger.client.post("/api/meetings", json={}, headers=stranger.headers), 201
    )
    anonymous = first  # the first client: no session (the owner's was made on its own client)
    anonymous.session.cookie_jar.clear()

    callers = {
        "no credentials": (anonymous, {}),
        "another user's key": (anonymous, stranger.headers),
        "another user's session": (stranger.client, {}),
        "a member of another company (key)": (anonymous, outsider.headers),
        "a member of another company (session)": (outsider.client, {}),
        "another meeting's admin token": (anonymous, {"x-admin-token": theirs["adminToken"]}),
        "another meeting's admin token and key": (
            anonymous,
            {"x-admin-token": theirs["adminToken"], **stranger.headers},
        ),
    }
    table = route_table(app)
    assert ("DELETE", "/api/webhooks/{id}") in table and ("GET", "/api/auth/me") in table
    failures = []
    for method, path in table:
        if (method, path) == ("POST", "/api/auth/logout"):
            continue  # would end the callers' sessions; public, and tested in test_accounts
        what = kind(method, path)
        url = fill(path, ids)
        for who, (client, headers) in callers.items():
            body = {} if method in ("POST", "PUT", "PATCH") else None
            resp = await client.request(method, url, json=body, headers=headers)
            text = await resp.text()
            leaked = sorted(s for s in secrets if s in text)
            allowed = DENIED if what in ("resource", "admin") else None
            if what == "own" and who == "no credentials":
                allowed = {401, 403}
            crashed = resp.status >= 500 and not (
                resp.status == 503 and (method, path) in NOT_CONFIGURED
            )
            if crashed or leaked or (allowed and resp.status not in allowed):
                failures.append(f"{method} {path} [{what}] by {who}: {resp.status} {leaked}")
    assert failures == [], "\n".join(failures)

    # The owner's things are all still there, and the owner still reaches them.
    mid = ids["meeting_id"]
    detail = await ok(await owner.client.get(f"/api/meetings/{mid}", headers=owner.headers))
    assert detail["status"] == "active" and not detail.get("settings", {}).get("locked")
    hooks = await ok(await owner.client.get("/api/webhooks", headers=owner.headers))
    assert [str(h["id"]) for h in hooks["webhooks"]] == [ids["/api/webhooks/"]]
    keys = await ok(await owner.client.get("/api/user/keys"))
    assert ids["/api/user/keys/"] in {str(k["id"]) for k in keys["keys"]}
    members = await ok(await owner.client.get("/api/company/members"))
    assert ids["/api/company/members/"] in {str(m["id"]) for m in members["members"]}
    recordings = await ok(
        await owner.client.get(f"/api/meetings/{mid}/recordings", headers=owner.headers)
    )
    assert [str(r["id"]) for r in recordings["recordings"]] == [ids["/api/recordings/"]]


async def test_admin_routes_refuse_a_non_admin_session(world):
    app, _first, party = world
    user = await party()
    admin_routes = [(m, p) for m, p in route_table(app) if kind(m, p) == "admin"]
    assert len(admin_routes) >= 5
    for method, path in admin_routes:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        resp = await user.client.request(method, path, json=body)
        assert resp.status in (401, 403), (method, path, resp.status)
        resp = await user.client.request(method, path, json=body, headers=user.headers)
        assert resp.status in (401, 403), (method, path, resp.status)


def test_every_public_route_is_one_the_app_serves(world):
    """The public list names only real routes (a renamed route leaves no stale pass)."""
    app, _first, _party = world
    assert set(PUBLIC) <= set(route_table(app))
