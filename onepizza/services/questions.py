"""Q&A: anyone asks and upvotes (a toggle, never one's own question); the host marks a
question answered or dismisses it. Listed most upvoted first, then oldest first."""

from __future__ import annotations

from onepizza.db import cursor, transaction
from onepizza.db import questions as question_sql
from onepizza.errors import BadRequest, NotFound
from onepizza.live.state import Participant
from onepizza.services.meeting_access import MeetingNotifier, require_host
from onepizza.services.meetings import iso_utc


def question_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "text": row["text"],
        "name": row["name"],
        "participantId": row["participant_id"],
        "upvotes": row["upvotes"],
        "answered": row["answered"],
        "dismissed": row["dismissed"],
        "createdAt": iso_utc(row["created_at"]),
    }


class QuestionService(MeetingNotifier):
    def __init__(self, pool):
        super().__init__()
        self._pool = pool

    async def ask(self, meeting_id: str, asker: Participant, text: str) -> dict:
        async with cursor(self._pool) as cur:
            row = await question_sql.insert(
                cur,
                meeting_id=meeting_id,
                participant_id=asker.participant_id,
                name=asker.name,
                text=text,
            )
        question = question_view(row)
        await self.tell(meeting_id, "qa:asked", {"question": question})
        return question

    async def list(self, meeting_id: str, *, include_dismissed: bool = False) -> list[dict]:
        async with cursor(self._pool) as cur:
            rows = await question_sql.for_meeting(
                cur, meeting_id, include_dismissed=include_dismissed
            )
        return [question_view(row) for row in rows]

    async def upvote(self, meeting_id: str, voter: Participant, question_id: int) -> dict:
        """Add the voter's upvote, or take it back if it was there."""
        async with transaction(self._pool) as cur:
            row = await self._question(cur, meeting_id, question_id)
            if row["participant_id"] == voter.participant_id:
                raise BadRequest("You cannot upvote your own question")
            if row["dismissed"]:
                raise BadRequest("This question was dismissed")
            await question_sql.toggle_upvote(cur, question_id, voter.participant_id)
            row = await question_sql.get(cur, meeting_id, question_id)
        return await self._updated(meeting_id, row)

    async def answer(self, meeting_id: str, actor: Participant, question_id: int) -> dict:
        return await self._mark(meeting_id, actor, question_id, "answered")

    async def dismiss(self, meeting_id: str, actor: Participant, question_id: int) -> dict:
        return await self._mark(meeting_id, actor, question_id, "dismissed")

    async def _mark(self, meeting_id, actor, question_id: int, field: str) -> dict:
        require_host(actor)
        async with transaction(self._pool) as cur:
            await self._question(cur, meeting_id, question_id)
            await question_sql.mark(cur, meeting_id, question_id, field)
            row = await question_sql.get(cur, meeting_id, question_id)
        return await self._updated(meeting_id, row)

    async def carry_over(self, meeting_id: str, old: str, new: str) -> None:
        """A participant who resumed its place under a new id keeps its questions (still
        its own: no upvote from it) and its upvotes (a second one takes it back)."""
        async with cursor(self._pool) as cur:
            await question_sql.move_participant(cur, meeting_id, old, new)

    @staticmethod
    async def _question(cur, meeting_id: str, question_id: int) -> dict:
        row = await question_sql.get(cur, meeting_id, question_id)
        if row is None:
            raise NotFound("Question not found")
        return row

    async def _updated(self, meeting_id: str, row: dict) -> dict:
        question = question_view(row)
        await self.tell(meeting_id, "qa:updated", {"question": question})
        return question
