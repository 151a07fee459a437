"""What the browser tests of the dashboard's meetings and webhooks and of /admin share: a
server with an admin account (and webhooks allowed to reach 127.0.0.1), accounts registered
and logged in through the API, credit."""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "password-123"

# Read by the conftest `server` fixture from the environment when it starts the server.
SERVER_ENV = {
    "ADMIN_EMAIL": ADMIN_EMAIL,
    "ADMIN_PASSWORD": ADMIN_PASSWORD,
    "RATE_LIMIT_AUTH": "1000/minute",
    # Webhooks to the test's receiver on 127.0.0.1 over http; retries 1000 times sooner
    # (six attempts in about 3 s), and quick looks for due deliveries.
    "WEBHOOK_ALLOW_INSECURE": "1",
    "WEBHOOK_RETRY_SCALE": "0.001",
    "WEBHOOK_POLL_INTERVAL": "0.1",
}

_numbers = itertools.count(1)


@contextmanager
def server_environment():
    """SERVER_ENV set while the block runs (wrap the module's `server` fixture in it)."""
    saved = {name: os.environ.get(name) for name in SERVER_ENV}
    os.environ.update(SERVER_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module", name="admin_env")
def admin_env_fixture():
    with server_environment():
        yield


@pytest.fixture(scope="module", name="server")
def admin_server(admin_env, server):
    """The conftest `server`, started with SERVER_ENV: a test module that imports this and
    admin_env_fixture gets it as its `server`."""
    return server


def register(server, prefix: str = "user") -> dict:
    """A new personal account: {"email", "password", "apiKey"}."""
    email = f"{prefix}{next(_numbers)}-{os.getpid()}@example.com"
    body = server.api("POST", "/api/auth/register", {"email": email, "password": PASSWORD})
    return {"email": email, "password": PASSWORD, "apiKey": body["apiKey"]}


def log_in(page: Page, server, email: str, password: str) -> dict:
    """Log the page's browser context in through the API (the cookie lands in the context)."""
    response = page.request.post(
        server.url + "/api/auth/login",
        data={"email": email, "password": password},
        headers={"Origin": server.url},  # as the page's own fetch() sends it
    )
    assert response.ok, response.text()
    return response.json()


def log_in_admin(page: Page, server) -> dict:
    return log_in(page, server, ADMIN_EMAIL, ADMIN_PASSWORD)


def api_json(page: Page, server, method: str, path: str, body=None, headers=None):
    """(status, JSON body) of a request made with the page's context (its cookies), with the
    Origin the page's own fetch() sends (a write on the session cookie needs it)."""
    response = page.request.fetch(
        server.url + path,
        method=method,
        data=body,
        headers={"Origin": server.url, **(headers or {})},
        max_redirects=0,
    )
    try:
        payload = response.json()
    except Exception:
        payload = None
    return response.status, payload


def grant_credit(admin_page: Page, server, email: str, amount: str = "50") -> dict:
    """Credit an account through the admin API (the admin logged in on `admin_page`)."""
    status, body = api_json(
        admin_page,
        server,
        "POST",
        "/admin/api/billing/credit",
        {"email": email, "amountUsd": amount, "reason": "browser test credit"},
    )
    assert status == 200, body
    return body
