"""Who is calling: the session user, the x-api-key owner, and the same-origin check."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import hdrs, web

from onepizza.api.keys import SETTINGS
from onepizza.api.sessions import session_user_id
from onepizza.errors import Forbidden, Unauthorized
from onepizza.services.registry import ACCOUNTS, API_KEYS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(request: web.Request) -> None:
    """Refuse a state-changing browser request from another site (403). The Origin header
    is checked, or the Referer without one; with neither (curl, servers) the request
    passes, the SameSite=Lax cookie guarding browsers."""
    if request.method in SAFE_METHODS:
        return
    source = request.headers.get(hdrs.ORIGIN)
    if source is None:
        referer = request.headers.get(hdrs.REFERER)
        if referer is None:
            return
        source = _origin_of(referer) or "null"
    settings = request.app[SETTINGS]
    trusted = {_origin_of(settings.app_url), *(o.lower() for o in settings.allowed_origins)}
    if source.lower() not in trusted:
        raise Forbidden("Cross-site request refused")


async def require_user(request: web.Request) -> dict:
    """The logged-in user's profile; 401 without a live session."""
    check_same_origin(request)
    user_id = await session_user_id(request)
    if user_id is not None:
        profile = await request.app[ACCOUNTS].profile(user_id)
        if profile is not None:
            return profile
    raise Unauthorized("Not logged in")


async def require_api_key(request: web.Request) -> dict:
    """The owner of the request's x-api-key; 401 when it is missing, unknown or revoked."""
    key = request.headers.get("x-api-key")
    if not key:
        raise Unauthorized("Missing x-api-key header")
    owner = await request.app[API_KEYS].owner(key)
    if owner is None:
        raise Unauthorized("Invalid API key")
    return owner


async def require_user_or_api_key(request: web.Request) -> dict:
    """An x-api-key when one is sent, else the session user."""
    if "x-api-key" in request.headers:
        return await require_api_key(request)
    return await require_user(request)


async def require_admin(request: web.Request) -> dict:
    """A platform admin's session: 401 without a session, 403 for anyone else."""
    user = await require_user(request)
    if not user["is_admin"]:
        raise Forbidden("Admin access required")
    return user
