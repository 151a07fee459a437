"""SQL for server-side sessions, keyed by the SHA-256 of the cookie's random id."""

from __future__ import annotations

import orjson


async def load(cur, id_hash: bytes) -> dict | None:
    await cur.execute(
        """
        SELECT data, extract(epoch FROM updated_at)::bigint AS updated
        FROM sessions WHERE id_hash = %s AND expires_at > now()
        """,
        (id_hash,),
    )
    return await cur.fetchone()


async def save(cur, id_hash: bytes, *, user_id, data: dict, max_age: int) -> None:
    await cur.execute(
        """
        INSERT INTO sessions (id_hash, user_id, data, expires_at)
        VALUES (%s, %s, %s, now() + make_interval(secs => %s))
        ON CONFLICT (id_hash) DO UPDATE
        SET user_id = EXCLUDED.user_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at,
            updated_at = now()
        """,
        (id_hash, user_id, orjson.dumps(data).decode(), max_age),
    )


async def delete(cur, id_hash: bytes) -> None:
    await cur.execute("DELETE FROM sessions WHERE id_hash = %s", (id_hash,))


async def delete_for_user(cur, user_id: int, *, keep: bytes | None = None) -> int:
    await cur.execute(
        "DELETE FROM sessions WHERE user_id = %s AND id_hash IS DISTINCT FROM %s",
        (user_id, keep),
    )
    return cur.rowcount


async def purge_expired(cur) -> int:
    await cur.execute("DELETE FROM sessions WHERE expires_at < now()")
    return cur.rowcount
