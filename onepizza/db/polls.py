"""SQL for polls and their votes (one per participant, replaced by a new one)."""

from __future__ import annotations

from psycopg2.extras import Json

POLL_COLUMNS = "id, meeting_id, question, kind, options, anonymous, created_at, closed_at"


async def insert(cur, *, meeting_id, question, kind, options, anonymous) -> dict:
    await cur.execute(
        f"""
        INSERT INTO polls (meeting_id, question, kind, options, anonymous)
        VALUES (%s, %s, %s, %s, %s)
        RETURNING {POLL_COLUMNS}
        """,  # noqa: S608 (a constant column list)
        (meeting_id, question, kind, Json(options), anonymous),
    )
    return await cur.fetchone()


async def get(cur, meeting_id: str, poll_id: int, *, lock: bool = False) -> dict | None:
    """A poll of the meeting; `lock` holds it (FOR SHARE) so a close waits for a vote."""
    await cur.execute(
        f"SELECT {POLL_COLUMNS} FROM polls WHERE id = %s AND meeting_id = %s"  # noqa: S608
        + (" FOR SHARE" if lock else ""),
        (poll_id, meeting_id),
    )
    return await cur.fetchone()


async def for_meeting(cur, meeting_id: str, *, open_only: bool = False) -> list[dict]:
    await cur.execute(
        f"""
        SELECT {POLL_COLUMNS} FROM polls
        WHERE meeting_id = %s AND (NOT %s OR closed_at IS NULL) ORDER BY id
        """,  # noqa: S608
        (meeting_id, open_only),
    )
    return await cur.fetchall()


async def open_in(cur, meeting_ids: list[str]) -> list[dict]:
    """The open polls of these meetings, in creation order."""
    await cur.execute(
        f"""
        SELECT {POLL_COLUMNS} FROM polls
        WHERE meeting_id = ANY(%s) AND closed_at IS NULL ORDER BY id
        """,  # noqa: S608
        (meeting_ids,),
    )
    return await cur.fetchall()


async def close(cur, meeting_id: str, poll_id: int) -> dict | None:
    """Close an open poll; None when it is not an open poll of the meeting."""
    await cur.execute(
        f"""
        UPDATE polls SET closed_at = now()
        WHERE id = %s AND meeting_id = %s AND closed_at IS NULL
        RETURNING {POLL_COLUMNS}
        """,  # noqa: S608
        (poll_id, meeting_id),
    )
    return await cur.fetchone()


async def vote(cur, *, poll_id: int, participant_id: str, name: str, choice: int) -> None:
    await cur.execute(
        """
        INSERT INTO poll_votes (poll_id, participant_id, name, choice) VALUES (%s, %s, %s, %s)
        ON CONFLICT (poll_id, participant_id)
        DO UPDATE SET choice = excluded.choice, name = excluded.name, voted_at = now()
        """,
        (poll_id, participant_id, name, choice),
    )


async def votes(cur, poll_ids: list[int]) -> list[dict]:
    """The votes of these polls, in the order they were (last) cast."""
    if not poll_ids:
        return []
    await cur.execute(
        """
        SELECT poll_id, name, choice FROM poll_votes
        WHERE poll_id = ANY(%s) ORDER BY voted_at, participant_id
        """,
        (poll_ids,),
    )
    return await cur.fetchall()


async def move_votes(cur, meeting_id: str, old: str, new: str) -> None:
    """The votes of participant `old` in the meeting's polls become `new`'s (a participant
    back under a new id); where `new` has voted already, that vote stays and `old`'s goes."""
    await cur.execute(
        """
        WITH mine AS (SELECT id FROM polls WHERE meeting_id = %(meeting)s),
        dropped AS (
            DELETE FROM poll_votes v USING mine
            WHERE v.poll_id = mine.id AND v.participant_id = %(old)s
              AND EXISTS (SELECT 1 FROM poll_votes n
                          WHERE n.poll_id = v.poll_id AND n.participant_id = %(new)s)
        )
        UPDATE poll_votes v SET participant_id = %(new)s FROM mine
        WHERE v.poll_id = mine.id AND v.participant_id = %(old)s
          AND NOT EXISTS (SELECT 1 FROM poll_votes n
                          WHERE n.poll_id = v.poll_id AND n.participant_id = %(new)s)
        """,
        {"meeting": meeting_id, "old": old, "new": new},
    )
