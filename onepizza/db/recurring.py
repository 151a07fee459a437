"""SQL for recurring meeting rules and the meetings they made (recurring_occurrences)."""

from __future__ import annotations

import orjson

COLUMNS = (
    "r.id, r.owner_id, r.company_id, r.title, r.rrule, r.start_at, r.timezone, "
    "r.duration_minutes, r.template_id, r.settings, r.token_key, r.made_until, r.check_at, "
    "r.finished, r.created_at"
)
# A rule the user sees: theirs, or their company's.
VISIBLE = "(r.owner_id = %s OR (%s::bigint IS NOT NULL AND r.company_id = %s))"


def _who(user: dict) -> tuple:
    return (user["id"], user["company_id"], user["company_id"])


async def insert(cur, user: dict, rule: dict) -> dict:
    """`rule` has title, rrule, start_at, timezone, duration_minutes, template_id,
    settings, token_key, made_until, check_at."""
    await cur.execute(
        f"""
        INSERT INTO recurring_meetings AS r (owner_id, company_id, title, rrule, start_at,
            timezone, duration_minutes, template_id, settings, token_key, made_until, check_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING {COLUMNS}
        """,  # noqa: S608 (column names only)
        (
            user["id"],
            user["company_id"],
            rule["title"],
            rule["rrule"],
            rule["start_at"],
            rule["timezone"],
            rule["duration_minutes"],
            rule["template_id"],
            orjson.dumps(rule["settings"]).decode(),
            rule["token_key"],
            rule["made_until"],
            rule["check_at"],
        ),
    )
    return await cur.fetchone()


async def list_visible(cur, user: dict) -> list[dict]:
    await cur.execute(
        f"SELECT {COLUMNS} FROM recurring_meetings r WHERE {VISIBLE} ORDER BY r.id",  # noqa: S608
        _who(user),
    )
    return await cur.fetchall()


async def get_visible(cur, user: dict, rule_id: int, *, lock: bool = False) -> dict | None:
    """The rule if the user sees it; with `lock`, held (FOR UPDATE) until the transaction
    ends, so that no generation of its meetings runs meanwhile."""
    await cur.execute(
        f"SELECT {COLUMNS} FROM recurring_meetings r WHERE r.id = %s AND {VISIBLE}"  # noqa: S608
        + (" FOR UPDATE" if lock else ""),
        (rule_id, *_who(user)),
    )
    return await cur.fetchone()


async def lock_for_generation(cur, rule_id: int) -> dict | None:
    """An unfinished rule, held until the transaction ends, with `payer_company_id`: the
    company its owner belongs to now (who pays for the meetings it makes)."""
    await cur.execute(
        f"""
        SELECT {COLUMNS}, u.company_id AS payer_company_id
        FROM recurring_meetings r JOIN users u ON u.id = r.owner_id
        WHERE r.id = %s AND NOT r.finished
        FOR UPDATE OF r
        """,  # noqa: S608 (column names only)
        (rule_id,),
    )
    return await cur.fetchone()


async def due(cur, *, limit: int) -> list[int]:
    """Unfinished rules whose check time has come, the longest waiting first."""
    await cur.execute(
        """
        SELECT id FROM recurring_meetings
        WHERE NOT finished AND check_at <= now()
        ORDER BY check_at LIMIT %s
        """,
        (limit,),
    )
    return [row["id"] for row in await cur.fetchall()]


async def next_check_at(cur):
    await cur.execute("SELECT min(check_at) AS at FROM recurring_meetings WHERE NOT finished")
    return (await cur.fetchone())["at"]


async def future_occurrences(cur, rule_id: int, after) -> list:
    """Occurrence times after `after` that already have their meeting, in order."""
    await cur.execute(
        """
        SELECT occurs_at FROM recurring_occurrences
        WHERE recurring_id = %s AND occurs_at > %s ORDER BY occurs_at
        """,
        (rule_id, after),
    )
    return [row["occurs_at"] for row in await cur.fetchall()]


async def add_occurrence(cur, rule_id: int, occurs_at, meeting_id: str) -> None:
    await cur.execute(
        """
        INSERT INTO recurring_occurrences (recurring_id, occurs_at, meeting_id)
        VALUES (%s, %s, %s)
        """,
        (rule_id, occurs_at, meeting_id),
    )


async def set_progress(cur, rule_id: int, *, made_until, check_at, finished: bool) -> None:
    await cur.execute(
        """
        UPDATE recurring_meetings SET made_until = %s, check_at = %s, finished = %s
        WHERE id = %s
        """,
        (made_until, check_at, finished, rule_id),
    )


async def cancel_scheduled(cur, rule_id: int) -> list[str]:
    """Cancel the rule's meetings that have not started; their ids."""
    await cur.execute(
        """
        UPDATE meetings m SET status = 'cancelled', ended_at = now()
        FROM recurring_occurrences o
        WHERE o.recurring_id = %s AND m.id = o.meeting_id AND m.status = 'scheduled'
        RETURNING m.id
        """,
        (rule_id,),
    )
    return [row["id"] for row in await cur.fetchall()]


async def delete(cur, rule_id: int) -> None:
    await cur.execute("DELETE FROM recurring_meetings WHERE id = %s", (rule_id,))


async def meetings_of(cur, rule_id: int) -> list[dict]:
    """The meetings the rule made, scheduled and past, by occurrence time."""
    await cur.execute(
        """
        SELECT o.occurs_at, m.id, m.title, m.status, m.scheduled_at, m.started_at, m.ended_at
        FROM recurring_occurrences o JOIN meetings m ON m.id = o.meeting_id
        WHERE o.recurring_id = %s
        ORDER BY o.occurs_at
        """,
        (rule_id,),
    )
    return await cur.fetchall()
