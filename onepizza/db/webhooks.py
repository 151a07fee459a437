"""SQL for webhook endpoints and their delivery outbox."""

from __future__ import annotations

from collections.abc import Sequence

_WEBHOOK_COLUMNS = "id, url, events, created_at"
_DELIVERY_COLUMNS = """
    id, event, status, attempts, last_response_code, last_error, next_retry_at, created_at,
    delivered_at
"""


async def insert(cur, *, user_id: int, url: str, events: list[str], secret: str, limit: int):
    """The new endpoint, or None when the user already has `limit` of them. Run it in a
    transaction: the user's row is locked first, so racing creations count each other."""
    await cur.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,))
    await cur.execute(
        f"""
        INSERT INTO webhooks (user_id, url, events, secret)
        SELECT %s, %s, %s, %s
        WHERE (SELECT count(*) FROM webhooks WHERE user_id = %s) < %s
        RETURNING {_WEBHOOK_COLUMNS}
        """,  # noqa: S608 (a constant column list, no values)
        (user_id, url, events, secret, user_id, limit),
    )
    return await cur.fetchone()


async def for_user(cur, user_id: int) -> list[dict]:
    await cur.execute(
        f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE user_id = %s ORDER BY id",  # noqa: S608
        (user_id,),
    )
    return await cur.fetchall()


async def owned(cur, *, user_id: int, webhook_id: int) -> bool:
    await cur.execute(
        "SELECT 1 FROM webhooks WHERE id = %s AND user_id = %s", (webhook_id, user_id)
    )
    return await cur.fetchone() is not None


async def delete(cur, *, user_id: int, webhook_id: int) -> bool:
    """Remove an endpoint and, with it, its deliveries (pending ones are never sent)."""
    await cur.execute("DELETE FROM webhooks WHERE id = %s AND user_id = %s", (webhook_id, user_id))
    return cur.rowcount == 1


async def enqueue(cur, events: Sequence[tuple[int, str, str | None, str]]) -> int:
    """One pending delivery per (event, endpoint of its user subscribed to it), due now;
    `events` are (user_id, event, meeting_id, body). Returns how many were queued."""
    if not events:
        return 0
    user_ids, names, meeting_ids, bodies = (list(column) for column in zip(*events, strict=True))
    await cur.execute(
        """
        INSERT INTO webhook_deliveries (webhook_id, event, meeting_id, body)
        SELECT w.id, e.event, e.meeting_id, e.body
        FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
             WITH ORDINALITY AS e(user_id, event, meeting_id, body, n)
        JOIN webhooks w ON w.user_id = e.user_id AND e.event = ANY(w.events)
        ORDER BY e.n, w.id
        """,
        (user_ids, names, meeting_ids, bodies),
    )
    return cur.rowcount


async def claim_due(cur, *, limit: int, lease_seconds: float) -> list[dict]:
    """Take up to `limit` due deliveries for this worker: each is counted as an attempt and
    leased (next_retry_at moved forward), so no other worker takes it meanwhile. SKIP LOCKED
    lets several processes claim at once without waiting on each other."""
    await cur.execute(
        """
        WITH due AS (
            SELECT id FROM webhook_deliveries
            WHERE status = 'pending' AND next_retry_at <= now()
            ORDER BY next_retry_at
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1,
            next_retry_at = now() + make_interval(secs => %s)
        FROM due, webhooks w
        WHERE d.id = due.id AND w.id = d.webhook_id
        RETURNING d.id, d.event, d.body, d.attempts, w.url, w.secret
        """,
        (limit, lease_seconds),
    )
    return await cur.fetchall()


async def mark_delivered(cur, delivery_id, *, attempt: int, status_code: int) -> None:
    """Record a 2xx answer. `attempt` guards against a stale worker whose lease ran out."""
    await cur.execute(
        """
        UPDATE webhook_deliveries
        SET status = 'delivered', delivered_at = now(), last_response_code = %s,
            last_error = NULL, next_retry_at = NULL
        WHERE id = %s AND status = 'pending' AND attempts = %s
        """,
        (status_code, delivery_id, attempt),
    )


async def mark_failed(
    cur,
    delivery_id,
    *,
    attempt: int,
    status_code: int | None,
    error: str,
    retry_in: float | None,
) -> None:
    """Record a failed attempt: due again in `retry_in` seconds, or failed for good (None)."""
    await cur.execute(
        """
        UPDATE webhook_deliveries
        SET last_response_code = %s, last_error = %s,
            status = CASE WHEN %s::float8 IS NULL THEN 'failed' ELSE 'pending' END,
            next_retry_at = now() + make_interval(secs => %s::float8)
        WHERE id = %s AND status = 'pending' AND attempts = %s
        """,
        (status_code, error[:500], retry_in, retry_in, delivery_id, attempt),
    )


async def for_webhook(cur, webhook_id: int, *, limit: int, offset: int) -> list[dict]:
    """An endpoint's deliveries, newest first."""
    await cur.execute(
        f"""
        SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE webhook_id = %s ORDER BY seq DESC LIMIT %s OFFSET %s
        """,  # noqa: S608 (a constant column list, no values)
        (webhook_id, limit, offset),
    )
    return await cur.fetchall()


async def retry_now(cur, *, user_id: int, webhook_id: int, delivery_id) -> dict | None:
    """Make one of the user's deliveries due now, whatever its status; None if not theirs."""
    await cur.execute(
        f"""
        UPDATE webhook_deliveries d
        SET status = 'pending', next_retry_at = now(), delivered_at = NULL
        FROM webhooks w
        WHERE d.id = %s AND d.webhook_id = %s AND w.id = d.webhook_id AND w.user_id = %s
        RETURNING {", ".join("d." + c.strip() for c in _DELIVERY_COLUMNS.split(","))}
        """,  # noqa: S608 (a constant column list, no values)
        (delivery_id, webhook_id, user_id),
    )
    return await cur.fetchone()
