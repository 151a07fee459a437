"""In-meeting chat: messages (stored in order), replies, reactions and transcripts."""

from __future__ import annotations

import secrets
import time

from onepizza.db import chat as chat_sql
from onepizza.db import cursor
from onepizza.db import meetings as meeting_sql
from onepizza.errors import NotFound
from onepizza.live.state import LiveMeeting, LiveState, Participant
from onepizza.services.batches import BatchWriter

MAX_LENGTH = 2000
REACTIONS = frozenset({"👍", "❤️", "😂", "🎉", "👏"})


class ChatRefused(Exception):
    """The message or reaction was not accepted; the text says why."""


class ChatService:
    def __init__(self, pool, live: LiveState):
        self._pool = pool
        self._live = live
        # Messages are stored in the background, in order and in batches: the broadcast
        # does not wait for the database, and a burst of chat is one round trip.
        self._stored = BatchWriter(pool, chat_sql.insert_many, "chat")

    async def close(self) -> None:
        await self._stored.close()

    async def post(
        self, meeting: LiveMeeting, sender: Participant, text, reply_to, *, room_name=None
    ) -> dict:
        """Validate, store (guest meetings: memory only) and return the message to send; in
        a breakout room (`sender.room`) the row keeps the room's id and `room_name`."""
        if not isinstance(text, str) or not text.strip():
            raise ChatRefused("Message text is required")
        text = text.strip()
        if "\x00" in text:
            raise ChatRefused("Messages must not contain NUL characters")
        if len(text) > MAX_LENGTH:
            raise ChatRefused(f"Messages are at most {MAX_LENGTH} characters")
        if reply_to is not None and (
            not isinstance(reply_to, str)
            or not await self._live.has_message(meeting.meeting_id, reply_to)
        ):
            raise ChatRefused("replyTo must be a message of this meeting")
        message_id = secrets.token_hex(8)
        sent_ms = int(time.time() * 1000)
        if not meeting.guest:
            self._stored.put(
                (
                    message_id,
                    meeting.meeting_id,
                    sender.participant_id,
                    sender.name,
                    text,
                    reply_to,
                    sender.room or None,
                    room_name if sender.room else None,
                    sent_ms,
                )
            )
        await self._live.remember_message(meeting.meeting_id, message_id)
        return {
            "id": message_id,
            "from": sender.participant_id,
            "name": sender.name,
            "text": text,
            "timestamp": sent_ms,
            "replyTo": reply_to,
        }

    async def react(self, meeting: LiveMeeting, sender: Participant, msg_id, emoji) -> dict:
        if emoji not in REACTIONS:
            raise ChatRefused("Unsupported reaction")
        if not isinstance(msg_id, str) or not await self._live.has_message(
            meeting.meeting_id, msg_id
        ):
            raise ChatRefused("msgId must be a message of this meeting")
        return {"msgId": msg_id, "participantId": sender.participant_id, "emoji": emoji}

    async def transcript(self, user: dict, meeting_id: str) -> list[dict]:
        """The meeting's messages in order, for its owner (or their company)."""
        await self._stored.flush()  # this process's messages not yet written
        async with cursor(self._pool) as cur:
            owners = await meeting_sql.owners(cur, meeting_id)
            visible = owners is not None and (
                owners["owner_id"] == user["id"]
                or (owners["company_id"] is not None and owners["company_id"] == user["company_id"])
            )
            if not visible:
                raise NotFound("Meeting not found")
            return await chat_sql.transcript(cur, meeting_id)
