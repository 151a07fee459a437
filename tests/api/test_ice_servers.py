"""ICE server configuration of §13: STUN defaults, static TURN and coturn REST-API credentials."""

import base64
import hashlib
import hmac
import time

import pytest

from onepizza.api.ice import IceHandlers
from onepizza.app import create_app
from onepizza.services.ice import TURN_CREDENTIAL_TTL, ice_servers

PATH = "/api/config/ice-servers"
STUN = [
    {"urls": "stun:stun.l.google.com:19302"},
    {"urls": "stun:stun1.l.google.com:19302"},
]
SECRET = "coturn-static-auth-secret-0123456789"


def sign(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def ice_client(serve, make_settings):
    """Start an app with the given environment, the ice-servers route registered."""

    async def start(env: dict[str, str] | None = None):
        app = create_app(make_settings(env))
        if not any(r.resource and r.resource.canonical == PATH for r in app.router.routes()):
            app.router.add_get(PATH, IceHandlers().ice_servers)
        return await serve(app)

    return start


async def fetch(client) -> list[dict]:
    resp = await client.get(PATH)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    assert list(body) == ["iceServers"]
    return body["iceServers"]


async def test_default_is_stun_only_without_auth(ice_client):
    client = await ice_client()
    resp = await client.get(PATH)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    assert await resp.json() == {"iceServers": STUN}


async def test_static_turn_credentials(ice_client):
    env = {
        "TURN_URLS": "turn:turn.example.com:3478",
        "TURN_USERNAME": "alice",
        "TURN_CREDENTIAL": "s3cret",
    }
    client = await ice_client(env)
    assert await fetch(client) == [
        *STUN,
        {"urls": "turn:turn.example.com:3478", "username": "alice", "credential": "s3cret"},
    ]


async def test_secret_gives_short_lived_credentials_that_verify(ice_client):
    env = {"TURN_URLS": "turn:turn.example.com:3478", "TURN_SECRET": SECRET}
    client = await ice_client(env)
    before = int(time.time())
    resp = await client.get(PATH)
    after = int(time.time())
    assert resp.headers["Cache-Control"] == "no-store"
    assert SECRET not in await resp.text()

    servers = (await resp.json())["iceServers"]
    assert servers[:2] == STUN
    assert len(servers) == 3
    turn = servers[2]
    assert set(turn) == {"urls", "username", "credential"}
    assert turn["urls"] == "turn:turn.example.com:3478"

    expiry, _, ident = turn["username"].partition(":")
    assert expiry.isdigit()
    assert ident
    assert before + TURN_CREDENTIAL_TTL <= int(expiry) <= after + TURN_CREDENTIAL_TTL

    assert turn["credential"] == sign(SECRET, turn["username"])
    assert turn["credential"] != sign(SECRET + "x", turn["username"])
    assert turn["credential"] != sign("another-secret", turn["username"])


async def test_secret_usernames_differ_between_calls(ice_client):
    env = {"TURN_URLS": "turn:turn.example.com:3478", "TURN_SECRET": SECRET}
    client = await ice_client(env)
    first = (await fetch(client))[2]
    second = (await fetch(client))[2]
    assert first["username"] != second["username"]
    assert first["credential"] != second["credential"]
    for turn in (first, second):
        assert turn["credential"] == sign(SECRET, turn["username"])


async def test_secret_wins_over_static_pair(ice_client):
    env = {
        "TURN_URLS": "turn:turn.example.com:3478",
        "TURN_USERNAME": "alice",
        "TURN_CREDENTIAL": "s3cret",
        "TURN_SECRET": SECRET,
    }
    client = await ice_client(env)
    turn = (await fetch(client))[2]
    assert turn["username"] != "alice"
    assert turn["credential"] == sign(SECRET, turn["username"])


async def test_multiple_turn_urls_come_as_a_list(ice_client):
    urls = ["turn:turn.example.com:3478", "turns:turn.example.com:5349?transport=tcp"]
    env = {"TURN_URLS": " , ".join(urls), "TURN_SECRET": SECRET}
    client = await ice_client(env)
    resp = await client.get(PATH)
    assert SECRET not in await resp.text()
    servers = (await resp.json())["iceServers"]
    assert servers[:2] == STUN
    assert servers[2]["urls"] == urls
    assert servers[2]["credential"] == sign(SECRET, servers[2]["username"])


async def test_lone_turn_secret_is_ignored(ice_client):
    client = await ice_client({"TURN_SECRET": SECRET})
    assert await fetch(client) == STUN


async def test_turn_urls_without_credentials_are_left_out(ice_client):
    client = await ice_client({"TURN_URLS": "turn:turn.example.com:3478"})
    assert await fetch(client) == STUN


# ice_servers() itself, with a fixed clock.

NOW = 1_700_000_000.75


def test_unit_stun_only(make_settings):
    assert ice_servers(make_settings(), now=NOW) == STUN
    assert ice_servers(make_settings(turn_secret=SECRET), now=NOW) == STUN


def test_unit_secret_with_fixed_now_and_participant(make_settings):
    settings = make_settings(turn_urls=("turn:a.example:3478",), turn_secret=SECRET)
    servers = ice_servers(settings, now=NOW, participant="p1")
    username = f"{1_700_000_000 + TURN_CREDENTIAL_TTL}:p1"
    assert servers == [
        *STUN,
        {"urls": "turn:a.example:3478", "username": username, "credential": sign(SECRET, username)},
    ]
    # Deterministic for the same clock and participant; the clock moves the expiry.
    assert ice_servers(settings, now=NOW, participant="p1") == servers
    later = ice_servers(settings, now=NOW + 60, participant="p1")[2]
    assert later["username"] == f"{1_700_000_060 + TURN_CREDENTIAL_TTL}:p1"
    assert later["credential"] == sign(SECRET, later["username"])


def test_unit_secret_random_id_when_no_participant(make_settings):
    settings = make_settings(turn_urls=("turn:a.example:3478",), turn_secret=SECRET)
    first = ice_servers(settings, now=NOW)[2]["username"]
    second = ice_servers(settings, now=NOW)[2]["username"]
    prefix = f"{1_700_000_000 + TURN_CREDENTIAL_TTL}:"
    assert first.startswith(prefix)
    assert second.startswith(prefix)
    assert len(first) > len(prefix)
    assert first != second


def test_unit_credential_matches_coturn_reference(make_settings):
    # HMAC-SHA1 reference vector computed independently of the code under test:
    # printf '%s' 1700043200:p1 | openssl dgst -sha1 -hmac secret -binary | base64
    settings = make_settings(turn_urls=("turn:a.example:3478",), turn_secret="secret")
    turn = ice_servers(settings, now=1_700_000_000, participant="p1")[2]
    assert turn["username"] == "1700043200:p1"
    assert turn["credential"] == "DzAQsdOWtfXpBlX5TvLtSEDsuDo="


def test_unit_static_pair_and_url_list(make_settings):
    urls = ("turn:a.example:3478", "turns:a.example:5349")
    settings = make_settings(turn_urls=urls, turn_username="u", turn_credential="c")
    assert ice_servers(settings, now=NOW) == [
        *STUN,
        {"urls": list(urls), "username": "u", "credential": "c"},
    ]
    partial = make_settings(turn_urls=urls, turn_username="u")
    assert ice_servers(partial, now=NOW) == STUN
