"""Random secrets handed to users (API keys, reset tokens, invite codes) and their digests."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "mk_"


def digest(token: str) -> bytes:
    """What is stored instead of the secret itself."""
    return hashlib.sha256(token.encode()).digest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)  # 43 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_invite_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, as the spec shows
