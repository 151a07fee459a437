"""SQL for chat messages, kept in order for transcripts."""

from __future__ import annotations


async def insert(
    cur, *, message_id, meeting_id, participant_id, name, text, reply_to, room_id, room_name
) -> None:
    await cur.execute(
        """
        INSERT INTO chat_messages (id, meeting_id, participant_id, participant_name, text,
                                   reply_to, room_id, room_name)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (message_id, meeting_id, participant_id, name, text, reply_to, room_id, room_name),
    )


async def transcript(cur, meeting_id: str) -> list[dict]:
    await cur.execute(
        """
        SELECT participant_name, text, created_at, room_id, room_name FROM chat_messages
        WHERE meeting_id = %s ORDER BY seq
        """,
        (meeting_id,),
    )
    return await cur.fetchall()
