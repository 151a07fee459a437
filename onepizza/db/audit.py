"""SQL for the audit log of security-relevant account events."""

from __future__ import annotations

import orjson


async def record(cur, action: str, *, user_id: int | None, ip: str | None, meta=None) -> None:
    await cur.execute(
        "INSERT INTO audit_log (action, user_id, ip, meta) VALUES (%s, %s, %s, %s)",
        (action, user_id, ip, orjson.dumps(meta or {}).decode()),
    )
