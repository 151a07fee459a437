"""Per-key rate limits by named group, on the `limits` library (memory or Redis storage)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import limits
from limits.aio import storage as limits_storage
from limits.aio import strategies
from limits.storage import storage_from_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees a request
    policy: str  # e.g. "100;w=900" (draft IETF RateLimit-Policy)


class RateLimiter:
    """Counts hits per (group, key) in a sliding window; one limit per group."""

    def __init__(self, groups: Mapping[str, str], redis_url: str | None = None):
        self._limits = {name: limits.parse(value) for name, value in groups.items()}
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            self._storage = storage_from_string(uri, implementation="redispy")
        else:
            self._storage = limits_storage.MemoryStorage()
        # A sliding window counter: two counters per key instead of a list of every hit
        # (the moving window), at the cost of a weighted approximation of the window.
        self._strategy = strategies.SlidingWindowCounterRateLimiter(self._storage)

    def has_group(self, group: str) -> bool:
        return group in self._limits

    async def hit(self, group: str, key: str) -> RateLimitResult:
        """Count one request; a storage failure lets the request through (fail open)."""
        item = self._limits[group]
        window = item.get_expiry()
        policy = f"{item.amount};w={window}"
        try:
            allowed = await self._strategy.hit(item, group, key)
            stats = await self._strategy.get_window_stats(item, group, key)
        except Exception as exc:
            log.warning("rate-limit storage failed (%s); letting the request through", exc)
            return RateLimitResult(True, item.amount, item.amount, window, policy)
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return RateLimitResult(allowed, item.amount, stats.remaining, reset_after, policy)

    async def consume(self, group: str, key: str) -> bool:
        """Count one hit and say whether it is within the limit: one storage call, no window
        statistics (for the per-event limits of sockets); a storage failure lets it through."""
        try:
            return await self._strategy.hit(self._limits[group], group, key)
        except Exception as exc:
            log.warning("rate-limit storage failed (%s); letting the event through", exc)
            return True

    async def reset(self) -> None:
        await self._storage.reset()

    async def close(self) -> None:
        closer = getattr(self._storage, "close", None)
        if closer is not None:
            await closer()
