"""SQL for chat messages, kept in order for transcripts."""

from __future__ import annotations


async def insert_many(cur, rows: list[tuple]) -> None:
    """Messages in one round trip, in the order given: each (id, meeting id, participant id,
    name, text, reply_to, room id, room name, sent at in epoch ms). A message already stored
    (a batch written again after an unclear failure) is skipped."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    await cur.execute(
        """
        INSERT INTO chat_messages (id, meeting_id, participant_id, participant_name, text,
                                   reply_to, room_id, room_name, created_at)
        SELECT id, meeting_id, participant_id, name, text, reply_to, room_id, room_name,
               to_timestamp(sent_ms / 1000.0)
        FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                    %s::text[], %s::text[], %s::bigint[])
             WITH ORDINALITY AS t(id, meeting_id, participant_id, name, text, reply_to,
                                  room_id, room_name, sent_ms, n)
        ORDER BY n
        ON CONFLICT (id) DO NOTHING
        """,
        columns,
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
