"""Polls: the host asks, everyone votes once (a new vote replaces the old), the host closes."""

from __future__ import annotations

from onepizza.db import cursor, transaction
from onepizza.db import polls as poll_sql
from onepizza.errors import BadRequest, Conflict, NotFound
from onepizza.live.state import Participant
from onepizza.services.meeting_access import MeetingNotifier, require_host
from onepizza.services.meetings import iso_utc


def poll_view(row: dict, votes: list[dict], *, with_votes: bool = False) -> dict:
    """The poll as clients see it; `with_votes` adds who chose what (not when anonymous)."""
    results = [0] * len(row["options"])
    for vote in votes:
        if 0 <= vote["choice"] < len(results):
            results[vote["choice"]] += 1
    view = {
        "id": row["id"],
        "question": row["question"],
        "kind": row["kind"],
        "options": row["options"],
        "anonymous": row["anonymous"],
        "results": results,
        "totalVotes": sum(results),
        "closed": row["closed_at"] is not None,
        "createdAt": iso_utc(row["created_at"]),
        "closedAt": iso_utc(row["closed_at"]) if row["closed_at"] else None,
    }
    if with_votes and not row["anonymous"]:
        view["votes"] = [{"name": v["name"], "choice": v["choice"]} for v in votes]
    return view


def by_poll(votes: list[dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for vote in votes:
        grouped.setdefault(vote["poll_id"], []).append(vote)
    return grouped


class PollService(MeetingNotifier):
    def __init__(self, pool):
        super().__init__()
        self._pool = pool

    async def create(self, meeting_id: str, body: dict, actor: Participant | None) -> dict:
        """A new poll (body: CreatePollSchema), announced with `poll:created`."""
        require_host(actor)
        async with cursor(self._pool) as cur:
            row = await poll_sql.insert(
                cur,
                meeting_id=meeting_id,
                question=body["question"],
                kind=body["kind"],
                options=body["options"],
                anonymous=body["anonymous"],
            )
        await self.tell(meeting_id, "poll:created", {"poll": poll_view(row, [])})
        return poll_view(row, [], with_votes=True)

    async def list(self, meeting_id: str, *, open_only: bool = False, with_votes=True) -> list:
        """The meeting's polls in creation order."""
        async with cursor(self._pool) as cur:
            rows = await poll_sql.for_meeting(cur, meeting_id, open_only=open_only)
            votes = by_poll(await poll_sql.votes(cur, [row["id"] for row in rows]))
        return [poll_view(r, votes.get(r["id"], []), with_votes=with_votes) for r in rows]

    async def open_polls(self, meeting_id: str) -> list[dict]:
        """What a late joiner gets in `joined`."""
        return await self.list(meeting_id, open_only=True, with_votes=False)

    async def close(self, meeting_id: str, poll_id: int, actor: Participant | None) -> dict:
        """Close the poll (`poll:closed`); closing a closed poll changes nothing."""
        require_host(actor)
        async with cursor(self._pool) as cur:
            row = await poll_sql.close(cur, meeting_id, poll_id)
            closed_now = row is not None
            if row is None:
                row = await poll_sql.get(cur, meeting_id, poll_id)
            if row is None:
                raise NotFound("Poll not found")
            votes = await poll_sql.votes(cur, [poll_id])
        if closed_now:
            await self.tell(meeting_id, "poll:closed", {"poll": poll_view(row, votes)})
        return poll_view(row, votes, with_votes=True)

    async def vote(self, meeting_id: str, voter: Participant, poll_id: int, choice: int) -> dict:
        """Record (or replace) the voter's choice; `poll:updated` with the new counts."""
        async with transaction(self._pool) as cur:
            row = await poll_sql.get(cur, meeting_id, poll_id, lock=True)
            if row is None:
                raise NotFound("Poll not found")
            if row["closed_at"] is not None:
                raise Conflict("This poll is closed")
            if choice >= len(row["options"]):
                raise BadRequest(
                    f"choice must be an option's index, 0 to {len(row['options']) - 1}"
                )
            await poll_sql.vote(
                cur,
                poll_id=poll_id,
                participant_id=voter.participant_id,
                name=voter.name,
                choice=choice,
            )
            votes = await poll_sql.votes(cur, [poll_id])
        poll = poll_view(row, votes)
        update = {"pollId": poll_id, "results": poll["results"], "totalVotes": poll["totalVotes"]}
        await self.tell(meeting_id, "poll:updated", update)
        return update

    async def carry_over(self, meeting_id: str, old: str, new: str) -> None:
        """A participant who resumed its place under a new id keeps its votes."""
        async with cursor(self._pool) as cur:
            await poll_sql.move_votes(cur, meeting_id, old, new)
