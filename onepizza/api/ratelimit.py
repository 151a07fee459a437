"""The `rate_limited(group)` handler decorator: 429 JSON with Retry-After and RateLimit headers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from onepizza.api.keys import RATE_LIMITER
from onepizza.api.request import client_ip
from onepizza.errors import TooManyRequests
from onepizza.services.ratelimit import RateLimitResult

Handler = Callable[..., Awaitable[web.StreamResponse]]


def rate_limit_headers(result: RateLimitResult) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(result.limit),
        "RateLimit-Remaining": str(result.remaining),
        "RateLimit-Reset": str(result.reset_after),
        "RateLimit-Policy": result.policy,
    }


async def enforce(request: web.Request, group: str, key: str | None = None) -> RateLimitResult:
    """Count this request against `group` for `key` (the client's address unless given);
    raise 429 when over."""
    result = await request.app[RATE_LIMITER].hit(group, key or client_ip(request))
    if not result.allowed:
        headers = rate_limit_headers(result)
        headers["Retry-After"] = str(max(1, result.reset_after))
        raise TooManyRequests("Too many requests, please try again later", headers=headers)
    return result


def rate_limited(group: str) -> Callable[[Handler], Handler]:
    """Decorate a handler (function or method; the request is its last argument)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(*args):
            request = args[-1]
            result = await enforce(request, group)
            response = await handler(*args)
            response.headers.update(rate_limit_headers(result))
            return response

        return wrapper

    return decorate
