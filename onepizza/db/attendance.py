"""SQL for attendance (every join and leave of a meeting) and the nodes' heartbeats."""

from __future__ import annotations


async def joined(
    cur, *, meeting_id: str, participant_id: str, name: str, is_host: bool, node_id: str, peak: int
) -> None:
    """The join's row, and the meeting's peak raised to `peak`, in one statement."""
    await cur.execute(
        """
        WITH joined AS (
            INSERT INTO attendance (meeting_id, participant_id, name, is_host, node_id)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (meeting_id, participant_id) DO NOTHING
        )
        UPDATE meetings SET peak_participants = GREATEST(peak_participants, %s)
        WHERE id = %s AND status = 'active'
        """,
        (meeting_id, participant_id, name, is_host, node_id, peak, meeting_id),
    )


async def left(cur, *, meeting_id: str, participant_id: str) -> None:
    await cur.execute(
        """
        UPDATE attendance SET left_at = GREATEST(now(), joined_at)
        WHERE meeting_id = %s AND participant_id = %s AND left_at IS NULL
        """,
        (meeting_id, participant_id),
    )


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
