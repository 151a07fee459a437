"""Shared fixtures: a fresh database per test session, settings and a live test server."""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import os
import secrets
import shutil
import socket
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extras
import pytest
from aiosmtpd.controller import Controller

from onepizza.api.access_log import AccessLogger
from onepizza.api.keys import SETTINGS
from onepizza.app import create_app
from onepizza.config import Settings
from onepizza.db.embedded import create_database, drop_database, start_embedded
from onepizza.db.migrate import apply_migrations

TEST_ENV = {
    "NODE_ENV": "test",
    "SESSION_SECRET": "test-secret-" + "x" * 40,
    "APP_URL": "http://localhost:3000",
    "ALLOWED_ORIGINS": "http://localhost:3000",
    "BCRYPT_ROUNDS": "4",
}


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


# Running in parallel (pytest-xdist; `scripts/test` gives -n 3 --dist loadscope, so each module
# runs whole on one worker and a module's shared fixtures, such as a browser test's server, are
# made once): each worker has its own session database (database_url: a random name, or its own
# embedded server under the worker's basetemp) and its own Redis: a redis-server of its own
# when TEST_REDIS_URL is on this machine and redis-server is installed, else its own database.
# (--dist loadgroup and xdist_group marks do not group under pytest 9.2: pytest-xdist 3.8 renames
# the tests through Node._nodeid, which pytest 9.2 no longer reads.)
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_DATABASES = 16  # Redis's default `databases`


def worker_index() -> int:
    """0 in a serial run (or pytest-xdist's worker gw0), n in worker gw<n>."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker[:2] == "gw" and worker[2:].isdigit() else 0


def _redis_url_of_worker(url: str, index: int) -> str:
    """`url` with its database number moved up by `index`: the app's live state, rate-limit
    counters and the like keep fixed key names, so two workers' servers must not share a
    database (the Socket.IO channel is shared, but it names only random meeting ids and sids)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + index) % REDIS_DATABASES}"))


_worker_redis: list[subprocess.Popen] = []


def _start_worker_redis() -> str | None:
    """A redis-server of this worker's own on 127.0.0.1 (its URL), or None without one: the
    Socket.IO channel is one for all databases of a server, and a test listening on it
    would hear another worker's meetings."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            _worker_redis.append(proc)
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    return None


def pytest_configure(config):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    local = urlsplit(url).hostname in ("127.0.0.1", "localhost")
    os.environ["TEST_REDIS_URL"] = (local and _start_worker_redis()) or _redis_url_of_worker(
        url, worker_index()
    )


def pytest_unconfigure(config):
    for proc in _worker_redis:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A fresh, migrated database for this test session: on TEST_DATABASE_URL's server
    when that is set, otherwise on an embedded PostgreSQL in a temporary folder."""
    name = f"onepizza_test_{secrets.token_hex(4)}"
    server_url = os.environ.get("TEST_DATABASE_URL")
    if server_url:
        create_database(server_url, name)
        url = _with_database(server_url, name)
    else:
        url = start_embedded(tmp_path_factory.mktemp("pg"), name, temporary=True)
    apply_migrations(url)
    yield url
    if server_url:
        drop_database(server_url, name)


@contextlib.contextmanager
def new_database(database_url: str, prefix: str = "onepizza_fresh"):
    """A new, empty database on the server of `database_url` (its URL), dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = _with_database(database_url, "postgres")
    create_database(admin, name)
    try:
        yield _with_database(database_url, name)
    finally:
        drop_database(admin, name)


@pytest.fixture
def fresh_database(database_url):
    """A new, empty database on the test server, dropped afterwards."""
    with new_database(database_url) as url:
        yield url


@pytest.fixture
def set_welcome_credit(database_url):
    """set_welcome_credit("2.5000") changes the credit new accounts get, for this test; the
    setting is put back afterwards, whatever the test changed it to."""
    read = "SELECT value FROM platform_settings WHERE key = 'welcome_credit_usd'"
    write = "UPDATE platform_settings SET value = %s WHERE key = 'welcome_credit_usd'"

    def execute(query: str, params=()) -> list[tuple]:
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    [(before,)] = execute(read)
    yield lambda amount: execute(write, (psycopg2.extras.Json(amount),))
    execute(write, (psycopg2.extras.Json(before),))


@pytest.fixture
def no_welcome_credit(set_welcome_credit):
    """New accounts start with no credit (for tests that count a balance or a ledger from
    zero)."""
    set_welcome_credit("0.0000")


@pytest.fixture
def make_settings(database_url):
    """Settings as the test environment gives them, with keyword overrides."""

    def make(env: dict[str, str] | None = None, **overrides) -> Settings:
        settings = Settings.from_env({**TEST_ENV, **(env or {})})
        settings = settings.with_database(database_url)
        return dataclasses.replace(settings, **overrides)

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


def site_headers(app) -> dict[str, str]:
    """What a page of the site sends: a write on the session cookie must say where it comes
    from (api/middlewares.py, csrf_middleware). A test's own Origin or Referer still wins."""
    return {"Referer": app[SETTINGS].app_url + "/"}


@pytest.fixture
def serve(aiohttp_server, aiohttp_client):
    """Start an app on a real port with the production access logger; return a client."""

    async def start(app):
        server = await aiohttp_server(app, access_log_class=AccessLogger)
        return await aiohttp_client(server, headers=site_headers(app))

    return start


@pytest.fixture
async def client(serve, settings):
    return await serve(create_app(settings))


class Outbox(list):
    """Messages a local SMTP server received, parsed."""

    async def handle_DATA(self, server, session, envelope):
        self.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self if m["To"] == address]


@pytest.fixture
def outbox():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) collecting what it receives."""
    box = Outbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()


@pytest.fixture
async def mail_client(serve, make_settings, outbox):
    """A client of an app that sends its mail to `outbox` (with room in the password
    rate-limit group for a whole reset flow and its failure cases)."""
    env = {"SMTP_URL": outbox.url, "RATE_LIMIT_PASSWORD": "50/minute"}
    return await serve(create_app(make_settings(env)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
