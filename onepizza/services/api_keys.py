"""API keys: issued (shown once), listed masked, revoked at once, and checked per request."""

from __future__ import annotations

from onepizza.db import api_keys as key_sql
from onepizza.db import cursor, transaction
from onepizza.errors import NotFound
from onepizza.services.tokens import API_KEY_PREFIX, digest, new_api_key


async def issue_key(cur, user_id: int, label: str | None) -> dict:
    """Store a new key for the user inside the caller's transaction; the result carries the
    full key, which is never available again."""
    key = new_api_key()
    row = await key_sql.insert(
        cur,
        user_id=user_id,
        key_hash=digest(key),
        prefix=key[: len(API_KEY_PREFIX) + 4],
        last4=key[-4:],
        label=label,
    )
    return {**row, "key": key}


def masked(row: dict) -> str:
    return f"{row['key_prefix']}...{row['key_last4']}"


class ApiKeyService:
    def __init__(self, pool):
        self._pool = pool

    async def create(self, user_id: int, label: str | None) -> dict:
        async with transaction(self._pool) as cur:
            return await issue_key(cur, user_id, label)

    async def list(self, user_id: int) -> list[dict]:
        async with cursor(self._pool) as cur:
            rows = await key_sql.for_user(cur, user_id)
        return [{**row, "key": masked(row)} for row in rows]

    async def revoke(self, user_id: int, key_id: int) -> None:
        async with cursor(self._pool) as cur:
            if not await key_sql.delete(cur, user_id=user_id, key_id=key_id):
                raise NotFound("API key not found")

    async def owner(self, key: str) -> dict | None:
        """The user an active key belongs to, or None."""
        if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
            return None
        async with cursor(self._pool) as cur:
            return await key_sql.owner(cur, digest(key))
