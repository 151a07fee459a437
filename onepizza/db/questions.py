"""SQL for Q&A questions and their upvotes (one per participant, toggled)."""

from __future__ import annotations

# A question with its upvote count (the alias q is the questions table).
QUESTION = """
    SELECT q.id, q.meeting_id, q.participant_id, q.name, q.text, q.answered, q.dismissed,
           q.created_at,
           (SELECT count(*) FROM question_upvotes u WHERE u.question_id = q.id)::int AS upvotes
    FROM questions q
"""


async def insert(cur, *, meeting_id, participant_id, name, text) -> dict:
    await cur.execute(
        """
        INSERT INTO questions (meeting_id, participant_id, name, text) VALUES (%s, %s, %s, %s)
        RETURNING id, meeting_id, participant_id, name, text, answered, dismissed, created_at,
                  0 AS upvotes
        """,
        (meeting_id, participant_id, name, text),
    )
    return await cur.fetchone()


async def get(cur, meeting_id: str, question_id: int) -> dict | None:
    await cur.execute(
        QUESTION + " WHERE q.id = %s AND q.meeting_id = %s", (question_id, meeting_id)
    )
    return await cur.fetchone()


async def for_meeting(cur, meeting_id: str, *, include_dismissed: bool) -> list[dict]:
    """Most upvoted first, then oldest first."""
    await cur.execute(
        QUESTION
        + """
        WHERE q.meeting_id = %s AND (%s OR NOT q.dismissed)
        ORDER BY upvotes DESC, q.created_at, q.id
        """,
        (meeting_id, include_dismissed),
    )
    return await cur.fetchall()


async def toggle_upvote(cur, question_id: int, participant_id: str) -> bool:
    """Remove the participant's upvote, or add it if there was none; whether it is now on."""
    await cur.execute(
        """
        WITH removed AS (
            DELETE FROM question_upvotes WHERE question_id = %s AND participant_id = %s
            RETURNING 1
        ), added AS (
            INSERT INTO question_upvotes (question_id, participant_id)
            SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM removed)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM added) AS upvoted
        """,
        (question_id, participant_id, question_id, participant_id),
    )
    return (await cur.fetchone())["upvoted"]


async def mark(cur, meeting_id: str, question_id: int, field: str) -> None:
    """Mark a question answered or dismissed."""
    column = {"answered": "answered", "dismissed": "dismissed"}[field]
    await cur.execute(
        f"UPDATE questions SET {column} = true WHERE id = %s AND meeting_id = %s",  # noqa: S608
        (question_id, meeting_id),
    )


async def move_participant(cur, meeting_id: str, old: str, new: str) -> None:
    """Participant `old`'s questions and upvotes in the meeting become `new`'s (a participant
    back under a new id); an upvote `new` gave already stays, `old`'s on it goes."""
    await cur.execute(
        """
        WITH mine AS (SELECT id FROM questions WHERE meeting_id = %(meeting)s),
        asked AS (
            UPDATE questions SET participant_id = %(new)s
            WHERE meeting_id = %(meeting)s AND participant_id = %(old)s
        ),
        dropped AS (
            DELETE FROM question_upvotes u USING mine
            WHERE u.question_id = mine.id AND u.participant_id = %(old)s
              AND EXISTS (SELECT 1 FROM question_upvotes n
                          WHERE n.question_id = u.question_id AND n.participant_id = %(new)s)
        )
        UPDATE question_upvotes u SET participant_id = %(new)s FROM mine
        WHERE u.question_id = mine.id AND u.participant_id = %(old)s
          AND NOT EXISTS (SELECT 1 FROM question_upvotes n
                          WHERE n.question_id = u.question_id AND n.participant_id = %(new)s)
        """,
        {"meeting": meeting_id, "old": old, "new": new},
    )
