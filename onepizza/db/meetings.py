"""SQL for meetings: creation, lists, activation, and the end with its charge."""

from __future__ import annotations

import orjson


async def insert(
    cur,
    *,
    meeting_id,
    owner_id,
    company_id,
    title,
    admin_token_hash,
    status,
    settings: dict,
    scheduled_at,
) -> dict | None:
    """The new row, in one round trip; None if the balance that pays (the company's for a
    member) is not positive, or if the id is taken (the caller tells which)."""
    await cur.execute(
        """
        INSERT INTO meetings (id, owner_id, company_id, title, admin_token_hash, status,
                              settings, scheduled_at, started_at)
        SELECT %s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s = 'active' THEN now() END
        WHERE (SELECT CASE WHEN %s::bigint IS NULL
                           THEN (SELECT balance FROM users WHERE id = %s)
                           ELSE (SELECT balance FROM companies WHERE id = %s) END) > 0
        ON CONFLICT (id) DO NOTHING
        RETURNING id, owner_id, company_id, title, admin_token_hash, status, settings,
                  scheduled_at, created_at, started_at
        """,
        (
            meeting_id,
            owner_id,
            company_id,
            title,
            admin_token_hash,
            status,
            orjson.dumps(settings).decode(),
            scheduled_at,
            status,
            company_id,
            owner_id,
            company_id,
        ),
    )
    return await cur.fetchone()


async def get_live(cur, meeting_id: str) -> dict | None:
    """A scheduled or active meeting."""
    await cur.execute(
        """
        SELECT id, owner_id, company_id, title, admin_token_hash, status, settings,
               scheduled_at, created_at, started_at
        FROM meetings WHERE id = %s AND status IN ('scheduled', 'active')
        """,
        (meeting_id,),
    )
    return await cur.fetchone()


async def owners(cur, meeting_id: str) -> dict | None:
    """Who a meeting belongs to, whatever its status."""
    await cur.execute("SELECT owner_id, company_id FROM meetings WHERE id = %s", (meeting_id,))
    return await cur.fetchone()


async def status(cur, meeting_id: str) -> dict | None:
    await cur.execute("SELECT status, scheduled_at FROM meetings WHERE id = %s", (meeting_id,))
    return await cur.fetchone()


async def list_live(cur, *, owner_id: int, company_id: int | None, status=None) -> list[dict]:
    """Scheduled and active meetings of the user, or of their whole company."""
    statuses = [status] if status else ["scheduled", "active"]
    await cur.execute(
        """
        SELECT id, title, status, settings, scheduled_at, created_at
        FROM meetings
        WHERE status = ANY(%s)
          AND (owner_id = %s OR (%s::bigint IS NOT NULL AND company_id = %s))
        ORDER BY created_at, id
        """,
        (statuses, owner_id, company_id, company_id),
    )
    return await cur.fetchall()


async def all_active(cur) -> list[dict]:
    await cur.execute(
        """
        SELECT id, owner_id, company_id, title, admin_token_hash, settings, created_at,
               started_at, peak_participants
        FROM meetings WHERE status = 'active'
        """
    )
    return await cur.fetchall()


async def activate_due(cur) -> list[dict]:
    """Turn every scheduled meeting whose time has come active; return them."""
    await cur.execute(
        """
        UPDATE meetings SET status = 'active', started_at = now()
        WHERE status = 'scheduled' AND scheduled_at <= now()
        RETURNING id, owner_id, company_id, title, admin_token_hash, settings, created_at,
                  started_at
        """
    )
    return await cur.fetchall()


async def next_scheduled_at(cur):
    await cur.execute("SELECT min(scheduled_at) AS at FROM meetings WHERE status = 'scheduled'")
    return (await cur.fetchone())["at"]


async def update_settings(cur, meeting_id: str, settings: dict, title: str) -> None:
    await cur.execute(
        "UPDATE meetings SET settings = %s, title = %s WHERE id = %s",
        (orjson.dumps(settings).decode(), title, meeting_id),
    )


async def cancel(cur, meeting_id: str) -> bool:
    await cur.execute(
        """
        UPDATE meetings SET status = 'cancelled', ended_at = now()
        WHERE id = %s AND status = 'scheduled'
        """,
        (meeting_id,),
    )
    return cur.rowcount == 1


async def end(cur, meeting_id: str, *, peak: int, node_ttl: float) -> dict | None:
    """Mark an active meeting ended, charged (at the platform rate) for the time it ran:
    from its start to the last moment anyone was in it, by its attendance rows. Rows still
    open are closed now, or at the last heartbeat of a node that died. None if the meeting
    was not active (someone else ended it first)."""
    await cur.execute(
        """
        WITH rate AS (
            SELECT (value #>> '{}')::numeric AS per_minute
            FROM platform_settings WHERE key = 'rate_per_participant_minute'
        ), target AS (
            SELECT m.id, m.started_at, GREATEST(m.peak_participants, %s) AS peak
            FROM meetings m WHERE m.id = %s AND m.status = 'active'
            FOR UPDATE
        ), closed AS (
            UPDATE attendance a
            SET left_at = GREATEST(a.joined_at, COALESCE(
                (SELECT n.heartbeat_at FROM nodes n
                 WHERE n.id = a.node_id AND n.heartbeat_at < now() - make_interval(secs => %s)),
                now()))
            FROM target t
            WHERE a.meeting_id = t.id AND a.left_at IS NULL
            RETURNING a.left_at
        ), ended AS (
            SELECT t.id, t.peak,
                   round(extract(epoch FROM GREATEST(t.started_at, COALESCE(GREATEST(
                       (SELECT max(left_at) FROM closed),
                       (SELECT max(a.left_at) FROM attendance a
                        WHERE a.meeting_id = t.id AND a.left_at IS NOT NULL)
                   ), t.started_at)) - t.started_at)::numeric / 60, 2) AS minutes
            FROM target t
        )
        UPDATE meetings m
        SET status = 'ended', ended_at = now(), peak_participants = e.peak,
            duration_minutes = e.minutes,
            cost_usd = round(e.minutes * e.peak * COALESCE((SELECT per_minute FROM rate), 0.004), 4)
        FROM ended e WHERE m.id = e.id
        RETURNING m.id, m.owner_id, m.company_id, m.title, m.started_at, m.ended_at,
                  m.duration_minutes, m.peak_participants, m.cost_usd
        """,
        (peak, meeting_id, node_ttl),
    )
    return await cur.fetchone()


async def history(cur, *, owner_id: int, company_id: int | None, limit: int, offset: int):
    await cur.execute(
        """
        SELECT seq, id, title, started_at, ended_at, duration_minutes,
               peak_participants, cost_usd
        FROM meetings
        WHERE status = 'ended'
          AND (owner_id = %s OR (%s::bigint IS NOT NULL AND company_id = %s))
        ORDER BY ended_at DESC, id
        LIMIT %s OFFSET %s
        """,
        (owner_id, company_id, company_id, limit, offset),
    )
    return await cur.fetchall()
