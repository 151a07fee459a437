"""Shared fixtures: a fresh database per test session, settings and a live test server."""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest

from onepizza.app import create_app
from onepizza.config import Settings
from onepizza.db.embedded import create_database, drop_database, start_embedded
from onepizza.db.migrate import apply_migrations

TEST_ENV = {
    "NODE_ENV": "test",
    "SESSION_SECRET": "test-secret-" + "x" * 40,
    "APP_URL": "http://localhost:3000",
    "ALLOWED_ORIGINS": "http://localhost:3000",
}


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


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


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
