"""The per-IP rate-limit facility: 429 JSON with Retry-After and RateLimit headers."""

import socket

import pytest

from onepizza.api.keys import RATE_LIMITER
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response
from onepizza.app import create_app


@rate_limited("api")
async def limited(request):
    return json_response({"ok": True})


async def _client(aiohttp_client, make_settings, **env):
    settings = make_settings({"RATE_LIMIT_API": "3/minute", **env})
    app = create_app(settings)
    app.router.add_get("/_test/limited", limited)
    return await aiohttp_client(app)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def _exhaust(client, headers=None):
    for remaining in (2, 1, 0):
        resp = await client.get("/_test/limited", headers=headers)
        assert resp.status == 200
        assert resp.headers["RateLimit-Limit"] == "3"
        assert resp.headers["RateLimit-Remaining"] == str(remaining)
    return await client.get("/_test/limited", headers=headers)


async def test_over_limit_is_429_with_headers(aiohttp_client, make_settings):
    client = await _client(aiohttp_client, make_settings)
    resp = await _exhaust(client)
    assert resp.status == 429
    assert resp.content_type == "application/json"
    assert "error" in await resp.json()
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert resp.headers["RateLimit-Remaining"] == "0"
    assert resp.headers["RateLimit-Policy"] == "3;w=60"
    # Other routes are not in the group.
    assert (await client.get("/health/liveness")).status == 200


async def test_forwarded_for_ignored_without_trust_proxy(aiohttp_client, make_settings):
    client = await _client(aiohttp_client, make_settings)
    statuses = [
        (await client.get("/_test/limited", headers={"X-Forwarded-For": f"10.0.0.{i}"})).status
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]  # a forged header does not buy a new bucket


async def test_forwarded_for_used_with_trust_proxy(aiohttp_client, make_settings):
    client = await _client(aiohttp_client, make_settings, TRUST_PROXY="1")
    first = {"X-Forwarded-For": "203.0.113.7"}
    assert (await _exhaust(client, first)).status == 429
    # Another client behind the same proxy has its own bucket.
    resp = await client.get("/_test/limited", headers={"X-Forwarded-For": "203.0.113.8"})
    assert resp.status == 200
    # With one trusted hop, only the right-most address counts: a forged left part is ignored.
    forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert (await client.get("/_test/limited", headers=forged)).status == 429


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
async def test_redis_storage_is_shared_between_app_instances(aiohttp_client, make_settings):
    env = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    one = await _client(aiohttp_client, make_settings, **env)
    await one.app[RATE_LIMITER].reset()
    two = await _client(aiohttp_client, make_settings, **env)
    for _ in range(3):
        assert (await one.get("/_test/limited")).status == 200
    resp = await two.get("/_test/limited")  # a second process would see the same count
    assert resp.status == 429
    await one.app[RATE_LIMITER].reset()
