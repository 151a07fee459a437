"""SQL for uploaded recordings."""

from __future__ import annotations


async def insert(
    cur, *, meeting_id, owner_id, company_id, filename, stored_name, content_type, size_bytes
) -> dict:
    await cur.execute(
        """
        INSERT INTO recordings (meeting_id, owner_id, company_id, filename, stored_name,
                                content_type, size_bytes)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        RETURNING id, filename, size_bytes, created_at
        """,
        (meeting_id, owner_id, company_id, filename, stored_name, content_type, size_bytes),
    )
    return await cur.fetchone()


async def upload_target(cur, meeting_id: str) -> dict | None:
    """The meeting an upload is for (owners, status, end) and what its owner's recordings
    already take, in one round trip."""
    await cur.execute(
        """
        SELECT m.owner_id, m.company_id, m.status, m.ended_at,
               now() - m.ended_at AS since_end,
               (SELECT COALESCE(sum(r.size_bytes), 0) FROM recordings r
                WHERE r.owner_id = m.owner_id) AS used_bytes
        FROM meetings m WHERE m.id = %s
        """,
        (meeting_id,),
    )
    return await cur.fetchone()


async def for_meeting(cur, meeting_id: str) -> list[dict]:
    await cur.execute(
        """
        SELECT id, filename, size_bytes, created_at FROM recordings
        WHERE meeting_id = %s ORDER BY id
        """,
        (meeting_id,),
    )
    return await cur.fetchall()


async def get(cur, recording_id: int) -> dict | None:
    await cur.execute(
        """
        SELECT id, meeting_id, owner_id, company_id, filename, stored_name, content_type,
               size_bytes
        FROM recordings WHERE id = %s
        """,
        (recording_id,),
    )
    return await cur.fetchone()


async def delete(cur, recording_id: int) -> None:
    await cur.execute("DELETE FROM recordings WHERE id = %s", (recording_id,))
