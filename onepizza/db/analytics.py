"""SQL for analytics: the batched event insert and the admin analytics reports (§18)."""

from __future__ import annotations

from collections.abc import Sequence

# One row of the batch insert; the values always travel as parameters.
EVENT_ROW = "(%s, %s, %s, %s, %s, %s, %s::jsonb, %s)"
INSERT_EVENTS = (
    "INSERT INTO analytics_events"
    " (event_type, user_id, company_id, meeting_id, route, message, meta, created_at)"
    " VALUES "
)


async def insert_events(cur, rows: Sequence[tuple]) -> None:
    """Write a batch as one multi-row INSERT. Each row is (event_type, user_id, company_id,
    meeting_id, route, message, meta JSON text, created_at)."""
    if not rows:
        return
    statement = INSERT_EVENTS + ", ".join([EVENT_ROW] * len(rows))
    await cur.execute(statement, [value for row in rows for value in row])


async def feature_usage(cur, days: int) -> list[dict]:
    """Uses of each feature in the window. A stop (screen share, recording) or a lowered
    hand ends a use rather than counting as one."""
    await cur.execute(
        """
        SELECT substr(event_type, 9) AS feature,
               count(*) AS total_uses,
               count(DISTINCT user_id) AS unique_users,
               count(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS active_days
        FROM analytics_events
        WHERE event_type LIKE 'feature.%%'
          AND created_at >= now() - make_interval(days => %s)
          AND COALESCE(meta->>'action', '') <> 'stop'
          AND COALESCE(meta->>'raised', '') <> 'false'
        GROUP BY event_type
        ORDER BY total_uses DESC, feature
        """,
        (days,),
    )
    return await cur.fetchall()


async def errors(cur, days: int, *, limit: int) -> list[dict]:
    await cur.execute(
        """
        SELECT event_type, route, message, count(*) AS count, max(created_at) AS last_seen
        FROM analytics_events
        WHERE event_type LIKE 'error.%%'
          AND created_at >= now() - make_interval(days => %s)
        GROUP BY event_type, route, message
        ORDER BY count DESC, last_seen DESC
        LIMIT %s
        """,
        (days, limit),
    )
    return await cur.fetchall()


async def retention(cur, weeks: int) -> list[dict]:
    """For each of the last `weeks` weeks (Monday to Sunday, UTC; newest first): the users
    active that week and how many of them were also active the week before. Active: an
    analytics event attributed to the user (their meeting was created, joined, used a
    feature or ended) or a login."""
    await cur.execute(
        """
        WITH this_week AS (
            SELECT date_trunc('week', now() AT TIME ZONE 'UTC') AS start
        ), since AS (
            SELECT (start - make_interval(weeks => %(weeks)s)) AT TIME ZONE 'UTC' AS at
            FROM this_week
        ), weeks AS (
            SELECT (t.start - make_interval(weeks => n))::date AS week
            FROM this_week t, generate_series(0, %(weeks)s - 1) AS n
        ), active AS (
            SELECT DISTINCT user_id, date_trunc('week', created_at AT TIME ZONE 'UTC')::date AS week
            FROM (
                SELECT user_id, created_at FROM analytics_events
                WHERE user_id IS NOT NULL AND created_at >= (SELECT at FROM since)
                UNION ALL
                SELECT user_id, created_at FROM audit_log
                WHERE action = 'user.login' AND user_id IS NOT NULL
                  AND created_at >= (SELECT at FROM since)
            ) seen
        )
        SELECT w.week, count(a.user_id) AS users, count(p.user_id) AS retained
        FROM weeks w
        LEFT JOIN active a ON a.week = w.week
        LEFT JOIN active p ON p.user_id = a.user_id AND p.week = w.week - 7
        GROUP BY w.week
        ORDER BY w.week DESC
        """,
        {"weeks": weeks},
    )
    return await cur.fetchall()


async def peak_hours(cur, days: int) -> list[dict]:
    """Meetings started in the window by day of week (0 = Sunday) and hour, UTC."""
    await cur.execute(
        """
        SELECT extract(dow FROM started_at AT TIME ZONE 'UTC')::int AS dow,
               extract(hour FROM started_at AT TIME ZONE 'UTC')::int AS hour,
               count(*) AS count
        FROM meetings
        WHERE started_at >= now() - make_interval(days => %s)
        GROUP BY 1, 2
        ORDER BY count DESC, dow, hour
        """,
        (days,),
    )
    return await cur.fetchall()


async def scheduled_count(cur) -> int:
    await cur.execute("SELECT count(*) AS n FROM meetings WHERE status = 'scheduled'")
    return (await cur.fetchone())["n"]


async def overview(cur) -> dict:
    await cur.execute(
        """
        SELECT (SELECT count(*) FROM users) AS users,
               (SELECT count(*) FROM companies) AS companies,
               m.active, m.scheduled, m.ended,
               (SELECT COALESCE(sum(amount_usd), 0) FROM credit_transactions
                WHERE type IN ('stripe_topup', 'usdc_deposit')) AS revenue,
               (SELECT COALESCE(-sum(amount_usd), 0) FROM credit_transactions
                WHERE type = 'meeting_charge') AS charges
        FROM (
            SELECT count(*) FILTER (WHERE status = 'active') AS active,
                   count(*) FILTER (WHERE status = 'scheduled') AS scheduled,
                   count(*) FILTER (WHERE status = 'ended') AS ended
            FROM meetings
        ) m
        """
    )
    return await cur.fetchone()


async def users(cur, *, limit: int, offset: int) -> tuple[int, list[dict]]:
    """All accounts, newest first, with the balance each spends (the company's for a
    member) and how many meetings each has created; and the number of accounts."""
    await cur.execute("SELECT count(*) AS n FROM users")
    total = (await cur.fetchone())["n"]
    await cur.execute(
        """
        SELECT u.id, u.email, u.account_type, u.company_id, u.is_admin, u.created_at,
               CASE WHEN u.company_id IS NULL THEN u.balance ELSE c.balance END AS balance,
               (SELECT count(*) FROM meetings m WHERE m.owner_id = u.id) AS meetings
        FROM users u LEFT JOIN companies c ON c.id = u.company_id
        ORDER BY u.id DESC
        LIMIT %s OFFSET %s
        """,
        (limit, offset),
    )
    return total, await cur.fetchall()


async def trends(cur, days: int) -> list[dict]:
    """Each of the last `days` UTC days, oldest first: meetings started, the sum of their
    peak participants (a peak is stored when its meeting ends), and revenue."""
    await cur.execute(
        """
        WITH first_day AS (
            SELECT (now() AT TIME ZONE 'UTC')::date - (%(days)s - 1) AS day
        ), since AS (
            SELECT day::timestamp AT TIME ZONE 'UTC' AS at FROM first_day
        ), days AS (
            SELECT (f.day + n) AS day FROM first_day f, generate_series(0, %(days)s - 1) AS n
        ), started AS (
            SELECT (started_at AT TIME ZONE 'UTC')::date AS day,
                   count(*) AS meetings, sum(peak_participants) AS participants
            FROM meetings WHERE started_at >= (SELECT at FROM since)
            GROUP BY 1
        ), revenue AS (
            SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(amount_usd) AS revenue
            FROM credit_transactions
            WHERE type IN ('stripe_topup', 'usdc_deposit')
              AND created_at >= (SELECT at FROM since)
            GROUP BY 1
        )
        SELECT d.day,
               COALESCE(s.meetings, 0) AS meetings,
               COALESCE(s.participants, 0) AS participants,
               COALESCE(r.revenue, 0) AS revenue
        FROM days d
        LEFT JOIN started s ON s.day = d.day
        LEFT JOIN revenue r ON r.day = d.day
        ORDER BY d.day
        """,
        {"days": days},
    )
    return await cur.fetchall()
