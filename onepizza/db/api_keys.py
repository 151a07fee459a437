"""SQL for API keys, stored as SHA-256 digests."""

from __future__ import annotations


async def insert(cur, *, user_id: int, key_hash: bytes, prefix: str, last4: str, label):
    await cur.execute(
        """
        INSERT INTO api_keys (user_id, key_hash, key_prefix, key_last4, label)
        VALUES (%s, %s, %s, %s, %s)
        RETURNING id, label, is_active, created_at, last_used_at
        """,
        (user_id, key_hash, prefix, last4, label),
    )
    return await cur.fetchone()


async def for_user(cur, user_id: int) -> list[dict]:
    await cur.execute(
        """
        SELECT id, key_prefix, key_last4, label, is_active, created_at, last_used_at
        FROM api_keys WHERE user_id = %s ORDER BY id
        """,
        (user_id,),
    )
    return await cur.fetchall()


async def delete(cur, *, user_id: int, key_id: int) -> bool:
    await cur.execute("DELETE FROM api_keys WHERE id = %s AND user_id = %s", (key_id, user_id))
    return cur.rowcount == 1


async def owner(cur, key_hash: bytes) -> dict | None:
    """The active key's user (id, company_id, is_admin) in one round trip. last_used_at
    is refreshed at most once a minute: one write a minute per key, not one per request."""
    await cur.execute(
        """
        WITH k AS (
            SELECT id, user_id, last_used_at FROM api_keys
            WHERE key_hash = %s AND is_active
        ), touched AS (
            UPDATE api_keys SET last_used_at = now()
            WHERE id = (SELECT id FROM k)
              AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')
        )
        SELECT u.id, u.email, u.company_id, u.company_role, u.is_admin, k.id AS key_id
        FROM k JOIN users u ON u.id = k.user_id
        """,
        (key_hash,),
    )
    return await cur.fetchone()
