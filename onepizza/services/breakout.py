"""Breakout rooms and the live stream (§10): who may do what, what input is valid, and the
payloads; the state itself is live/'s (create, assign, move, close and the stream are each
one atomic step of the store)."""

from __future__ import annotations

import secrets
import time

from onepizza.live.state import (
    MAIN_ROOM,
    NO_BREAKOUT,
    NOT_ASSIGNED,
    NOT_IN_ROOM,
    NOT_JOINED,
    UNKNOWN_PARTICIPANT,
    UNKNOWN_ROOM,
    BreakoutStep,
    LiveMeeting,
    LiveState,
    Participant,
)
from onepizza.services.webhooks import WebhookEvent

MAX_ROOMS = 20
MAX_NAME = 60
MAX_MESSAGE = 500
MAX_ASSIGNMENTS = 500  # one assignment a participant at the most, and a meeting's cap is lower
MAX_STREAM_URL = 500
STREAM_SCHEMES = ("rtmp://", "rtmps://")

REFUSALS = {
    NOT_JOINED: "Join a meeting first",
    NO_BREAKOUT: "No breakout rooms are open",
    UNKNOWN_ROOM: "No such breakout room",
    UNKNOWN_PARTICIPANT: "No such participant in this meeting",
    NOT_ASSIGNED: "You were not assigned to that room",
    NOT_IN_ROOM: "You are already in the main room",
}


class BreakoutRefused(Exception):
    """The step was refused; the text says why, `reason` is the store's (or None)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason


def _text(value, *, limit: int, missing: str, too_long: str) -> str:
    """A trimmed string of 1 to `limit` characters without NUL."""
    if not isinstance(value, str) or not value.strip():
        raise BreakoutRefused(missing)
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise BreakoutRefused(too_long)
    return value


def _name(value) -> str:
    too_long = f"Room names are 1 to {MAX_NAME} characters"
    return _text(value, limit=MAX_NAME, missing="Each room needs a name", too_long=too_long)


def new_rooms(names) -> list[dict]:
    """`breakout:create`'s rooms: 1 to 20 names of 1 to 60 characters, each a fresh id."""
    if not isinstance(names, list) or not names:
        raise BreakoutRefused("rooms must be a list of 1 to 20 room names")
    if len(names) > MAX_ROOMS:
        raise BreakoutRefused(f"At most {MAX_ROOMS} breakout rooms")
    return [{"id": "r" + secrets.token_hex(4), "name": _name(name)} for name in names]


def assignments_of(value) -> list[tuple[str, str]]:
    """`breakout:assign`'s [{participantId, roomId}]; a null roomId unassigns."""
    if not isinstance(value, list) or not value or len(value) > MAX_ASSIGNMENTS:
        raise BreakoutRefused("assignments must be a list of {participantId, roomId}")
    pairs = []
    for item in value:
        pid = item.get("participantId") if isinstance(item, dict) else None
        room = item.get("roomId") if isinstance(item, dict) else None
        if not isinstance(pid, str) or not pid or len(pid) > 64:
            raise BreakoutRefused("Each assignment needs a participantId")
        if room is not None and (not isinstance(room, str) or not room or len(room) > 64):
            raise BreakoutRefused("Each assignment needs a roomId (or null to unassign)")
        pairs.append((pid, room or MAIN_ROOM))
    return pairs


def room_id_of(value) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise BreakoutRefused("roomId is required")
    return value


def message_text(value) -> str:
    too_long = f"Messages are at most {MAX_MESSAGE} characters"
    return _text(value, limit=MAX_MESSAGE, missing="message is required", too_long=too_long)


def stream_url(value) -> str:
    """An rtmp:// or rtmps:// URL of at most 500 characters (kept by no one: a secret)."""
    if not isinstance(value, str) or not value.strip():
        raise BreakoutRefused("url is required")
    value = value.strip()
    if len(value) > MAX_STREAM_URL:
        raise BreakoutRefused(f"url is at most {MAX_STREAM_URL} characters")
    rest = value.split("://", 1)[-1]
    if (
        not value.lower().startswith(STREAM_SCHEMES)
        or not rest
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise BreakoutRefused("url must be an rtmp:// or rtmps:// URL")
    return value


def members(meeting: LiveMeeting) -> dict[str, list[Participant]]:
    """Who is in each breakout room (by room id), in participant id order."""
    found: dict[str, list[Participant]] = {}
    for p in sorted(meeting.participants.values(), key=lambda p: p.participant_id):
        if p.room != MAIN_ROOM:
            found.setdefault(p.room, []).append(p)
    return found


def rooms_view(meeting: LiveMeeting, *, with_assigned: bool = False) -> list[dict]:
    """The rooms as `joined` and `breakout:updated` show them: {id, name, participantCount,
    participants} (the ids of those in it), and for the hosts who is assigned to it."""
    if meeting.breakout is None:
        return []
    present = members(meeting)
    assigned = meeting.breakout["assigned"]
    rooms = []
    for room in meeting.breakout["rooms"]:
        ids = [p.participant_id for p in present.get(room["id"], [])]
        view = {
            "id": room["id"],
            "name": room["name"],
            "participantCount": len(ids),
            "participants": ids,
        }
        if with_assigned:
            view["assigned"] = sorted(
                pid
                for pid, rid in assigned.items()
                if rid == room["id"] and pid in meeting.participants
            )
        rooms.append(view)
    return rooms


def created_view(meeting: LiveMeeting) -> list[dict]:
    """`breakout:created`'s rooms: {id, name, participantCount}."""
    return [
        {"id": r["id"], "name": r["name"], "participantCount": r["participantCount"]}
        for r in rooms_view(meeting)
    ]


def joined_fields(meeting: LiveMeeting) -> dict:
    """What `joined` says of breakout rooms and the stream (RedisLiveState's join script
    writes the same)."""
    return {
        "breakout": {"rooms": rooms_view(meeting)} if meeting.breakout is not None else None,
        "isStreaming": meeting.stream_host is not None,
        "streamHostName": meeting.stream_host,
    }


def room_name(meeting: LiveMeeting, room_id: str) -> str | None:
    if meeting.breakout is None:
        return None
    for room in meeting.breakout["rooms"]:
        if room["id"] == room_id:
            return room["name"]
    return None


def checked(step: BreakoutStep) -> BreakoutStep:
    if step.refused is not None:
        raise BreakoutRefused(REFUSALS.get(step.refused, "Not possible now"), step.refused)
    return step


async def create(live: LiveState, meeting: LiveMeeting, names) -> tuple[LiveMeeting, LiveMeeting]:
    rooms = new_rooms(names)
    done = await live.create_breakout(meeting.meeting_id, rooms)
    if done is None:
        raise BreakoutRefused("The meeting is not live")
    return done


def broadcast(me: Participant, text) -> dict:
    return {"from": me.name, "text": message_text(text), "timestamp": int(time.time() * 1000)}


def stream_event(meeting: LiveMeeting, event: str, host_name: str | None) -> WebhookEvent | None:
    """stream.started / stream.stopped for the meeting's owner (guest meetings have none)."""
    if meeting.owner_id is None:
        return None
    data = {"hostName": host_name} if host_name is not None else {}
    return WebhookEvent(meeting.owner_id, event, meeting.meeting_id, data)
