"""Fixtures for the LiveState contract: each store, and Redis namespaces that clean up."""

from __future__ import annotations

import functools
import os
import secrets

import pytest
import redis
import redis.asyncio as aioredis

from onepizza.live.redis import RedisLiveState
from onepizza.live.state import MemoryLiveState

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@functools.cache
def _redis_problem(url: str) -> str | None:
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis at {url} does not answer ({exc})"
    return None


def redis_url() -> str:
    """TEST_REDIS_URL or the local default; skips (or fails, with ONEPIZZA_REQUIRE_REDIS=1)
    the test when nothing answers there."""
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    problem = _redis_problem(url)
    if problem:
        if os.environ.get("ONEPIZZA_REQUIRE_REDIS") == "1":
            pytest.fail(problem + " and ONEPIZZA_REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(problem)
    return url


class RedisSpace:
    """A random key prefix and pub/sub channel on the test Redis; every store made here
    shares them (as processes of one deployment do) and each has its own connections."""

    def __init__(self, url: str):
        token = secrets.token_hex(6)
        self.url = url
        self.prefix = f"test:{token}:"
        self.channel = f"test-chan-{token}"
        self.client = aioredis.Redis.from_url(url, decode_responses=True)
        self._stores: list[RedisLiveState] = []

    def store(self, *, announce: bool = False) -> RedisLiveState:
        made = RedisLiveState(
            self.url, prefix=self.prefix, channel=self.channel if announce else None
        )
        self._stores.append(made)
        return made

    async def keys(self) -> list[str]:
        return [key async for key in self.client.scan_iter(match=self.prefix + "*", count=500)]

    async def close(self) -> None:
        for made in self._stores:
            await made.close()
        keys = await self.keys()
        if keys:
            await self.client.delete(*keys)
        await self.client.aclose()


@pytest.fixture
async def redis_space():
    space = RedisSpace(redis_url())
    yield space
    await space.close()


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    """Each LiveState implementation in turn; a Redis store carries its `space`."""
    if request.param == "memory":
        yield MemoryLiveState()
        return
    space = RedisSpace(redis_url())
    made = space.store()
    made.space = space
    yield made
    await space.close()
