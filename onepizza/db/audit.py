"""SQL for the audit log of security-relevant account events."""

from __future__ import annotations

import orjson


async def record(cur, action: str, *, user_id: int | None, ip: str | None, meta=None) -> None:
    await cur.execute(
        "INSERT INTO audit_log (action, user_id, ip, meta) VALUES (%s, %s, %s, %s)",
        (action, user_id, ip, orjson.dumps(meta or {}).decode()),
    )


async def for_user(cur, user_id: int) -> list[dict]:
    await cur.execute(
        "SELECT action, ip, meta, created_at FROM audit_log WHERE user_id = %s ORDER BY id",
        (user_id,),
    )
    return await cur.fetchall()
