"""SQL for a meeting's shared notes pad, versioned for optimistic concurrency."""

from __future__ import annotations

COLUMNS = "text, version, updated_by, updated_at"


async def get(cur, meeting_id: str) -> dict | None:
    await cur.execute(
        f"SELECT {COLUMNS} FROM meeting_notes WHERE meeting_id = %s",  # noqa: S608
        (meeting_id,),
    )
    return await cur.fetchone()


async def version(cur, meeting_id: str) -> int:
    await cur.execute("SELECT version FROM meeting_notes WHERE meeting_id = %s", (meeting_id,))
    row = await cur.fetchone()
    return row["version"] if row else 0


async def versions(cur, meeting_ids: list[str]) -> dict[str, int]:
    """meeting id -> its pad's version, for those of these meetings that have one."""
    await cur.execute(
        "SELECT meeting_id, version FROM meeting_notes WHERE meeting_id = ANY(%s)",
        (meeting_ids,),
    )
    return {row["meeting_id"]: row["version"] for row in await cur.fetchall()}


async def write(cur, meeting_id: str, text: str, by: str, base_version: int | None) -> dict | None:
    """The pad's next version, if `base_version` is its current one (0: none yet) or None
    (write whatever the version); None when another write came first."""
    if base_version == 0:
        await cur.execute(
            f"""
            INSERT INTO meeting_notes (meeting_id, text, version, updated_by)
            VALUES (%s, %s, 1, %s)
            ON CONFLICT (meeting_id) DO NOTHING
            RETURNING {COLUMNS}
            """,  # noqa: S608
            (meeting_id, text, by),
        )
    elif base_version is None:
        await cur.execute(
            f"""
            INSERT INTO meeting_notes (meeting_id, text, version, updated_by)
            VALUES (%s, %s, 1, %s)
            ON CONFLICT (meeting_id) DO UPDATE
            SET text = excluded.text, version = meeting_notes.version + 1,
                updated_by = excluded.updated_by, updated_at = now()
            RETURNING {COLUMNS}
            """,  # noqa: S608
            (meeting_id, text, by),
        )
    else:
        await cur.execute(
            f"""
            UPDATE meeting_notes SET text = %s, version = version + 1, updated_by = %s,
                                     updated_at = now()
            WHERE meeting_id = %s AND version = %s
            RETURNING {COLUMNS}
            """,  # noqa: S608
            (text, by, meeting_id, base_version),
        )
    return await cur.fetchone()
