"""SQL for attendance (every join and leave of a meeting) and the nodes' heartbeats."""

from __future__ import annotations


async def write(cur, joins: list[tuple], leaves: list[tuple[str, str]]) -> None:
    """A batch of joins (meeting id, participant id, name, host or not, node id, the
    meeting's participant count after it) and then of leaves (meeting id, participant id),
    in one round trip: the join rows, each meeting's peak raised to the highest count, then
    the leave times. A row for a meeting that has no row (deleted) is skipped."""
    statements, params = [], []
    if joins:
        columns = (list(column) for column in zip(*joins, strict=True))
        mids, pids, names, hosts, nodes, peaks = columns
        statements.append(
            """
            WITH rows AS (
                SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bool[],
                                     %s::text[], %s::int[])
                    AS t(meeting_id, participant_id, name, is_host, node_id, peak)
            ), inserted AS (
                INSERT INTO attendance (meeting_id, participant_id, name, is_host, node_id)
                SELECT r.meeting_id, r.participant_id, r.name, r.is_host, r.node_id FROM rows r
                WHERE EXISTS (SELECT 1 FROM meetings m WHERE m.id = r.meeting_id)
                ON CONFLICT (meeting_id, participant_id) DO NOTHING
            )
            UPDATE meetings m SET peak_participants = x.peak
            FROM (SELECT meeting_id, max(peak) AS peak FROM rows GROUP BY meeting_id) x
            WHERE m.id = x.meeting_id AND m.status = 'active' AND m.peak_participants < x.peak
            """
        )
        params += [mids, pids, names, hosts, nodes, peaks]
    if leaves:
        mids, pids = (list(column) for column in zip(*leaves, strict=True))
        statements.append(
            """
            UPDATE attendance a SET left_at = GREATEST(now(), a.joined_at)
            FROM unnest(%s::text[], %s::text[]) AS t(meeting_id, participant_id)
            WHERE a.meeting_id = t.meeting_id AND a.participant_id = t.participant_id
              AND a.left_at IS NULL
            """
        )
        params += [mids, pids]
    if statements:
        # One query string: PostgreSQL runs the statements in order as one transaction, so
        # a leave in the batch finds the row its join inserted.
        await cur.execute(";".join(statements), params)


async def close_node(cur, node_id: str) -> list[str]:
    """Close the open rows of a dead node at its last heartbeat; the meetings they were in."""
    await cur.execute(
        """
        UPDATE attendance a
        SET left_at = GREATEST(a.joined_at, COALESCE(n.heartbeat_at, now()))
        FROM (SELECT %s::text AS id) d LEFT JOIN nodes n ON n.id = d.id
        WHERE a.node_id = d.id AND a.left_at IS NULL
        RETURNING a.meeting_id
        """,
        (node_id,),
    )
    return sorted({row["meeting_id"] for row in await cur.fetchall()})


async def heartbeat(cur, node_id: str) -> None:
    await cur.execute(
        """
        INSERT INTO nodes (id) VALUES (%s)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
        """,
        (node_id,),
    )


async def forget_node(cur, node_id: str) -> None:
    await cur.execute("DELETE FROM nodes WHERE id = %s", (node_id,))


async def other_nodes(cur, node_id: str) -> list[dict]:
    """Every other node with its heartbeat's age in seconds, and nodes that left open rows
    without a heartbeat row (age None)."""
    await cur.execute(
        """
        SELECT id, extract(epoch FROM now() - heartbeat_at)::float AS age
        FROM nodes WHERE id <> %s
        UNION
        SELECT DISTINCT a.node_id, NULL::float FROM attendance a
        WHERE a.left_at IS NULL AND a.node_id <> %s
          AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = a.node_id)
        """,
        (node_id, node_id),
    )
    return await cur.fetchall()


# --- the attendance report ------------------------------------------------------------


async def meeting(cur, meeting_id: str) -> dict | None:
    """What the report's head and its access check need of a meeting, whatever its status."""
    await cur.execute(
        """
        SELECT id, owner_id, company_id, title, admin_token_hash, status, started_at,
               ended_at, peak_participants
        FROM meetings WHERE id = %s
        """,
        (meeting_id,),
    )
    return await cur.fetchone()


async def stays(cur, meeting_id: str) -> list[dict]:
    """One row per stay, in order of arrival; a stay still going lasts until now."""
    await cur.execute(
        """
        SELECT participant_id, name, is_host, joined_at, left_at,
               round(extract(epoch FROM COALESCE(left_at, now()) - joined_at))::int
                   AS duration_seconds
        FROM attendance WHERE meeting_id = %s ORDER BY joined_at, id
        """,
        (meeting_id,),
    )
    return await cur.fetchall()
