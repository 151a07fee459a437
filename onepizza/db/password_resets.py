"""SQL for single-use password reset tokens, stored as SHA-256 digests."""

from __future__ import annotations


async def insert(cur, *, token_hash: bytes, user_id: int, ttl_seconds: int) -> None:
    await cur.execute(
        """
        INSERT INTO password_reset_tokens (token_hash, user_id, expires_at)
        VALUES (%s, %s, now() + make_interval(secs => %s))
        """,
        (token_hash, user_id, ttl_seconds),
    )


async def is_valid(cur, token_hash: bytes) -> bool:
    await cur.execute(
        """
        SELECT 1 FROM password_reset_tokens
        WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()
        """,
        (token_hash,),
    )
    return await cur.fetchone() is not None


async def consume(cur, token_hash: bytes) -> int | None:
    """Mark the token used and return its user, or None if invalid, used or expired.
    Every other open token of that user is spent too."""
    await cur.execute(
        """
        UPDATE password_reset_tokens SET used_at = now()
        WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()
        RETURNING user_id
        """,
        (token_hash,),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    await cur.execute(
        "UPDATE password_reset_tokens SET used_at = now() WHERE user_id = %s AND used_at IS NULL",
        (row["user_id"],),
    )
    return row["user_id"]


async def purge(cur) -> int:
    await cur.execute(
        "DELETE FROM password_reset_tokens WHERE expires_at < now() - interval '1 day'"
    )
    return cur.rowcount
