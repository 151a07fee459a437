"""Live meeting state: who is in which meeting, its settings, queues and recording state.

Everything here is behind `LiveState`, an async interface, so that a Redis-backed
implementation can replace `MemoryLiveState` without touching a caller. The in-memory
implementation never awaits inside an operation, so each call is atomic on the loop."""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field, replace

DEFAULT_SETTINGS = {
    "muteOnJoin": False,
    "videoOffOnJoin": False,
    "maxParticipants": 50,
    "locked": False,
    "waitingRoom": False,
}


SETTING_KEYS = tuple(DEFAULT_SETTINGS)


def public_settings(settings: dict) -> dict:
    """The five settings of the spec, as clients see them."""
    return {key: settings[key] for key in SETTING_KEYS}


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Participant:
    participant_id: str
    sid: str
    name: str
    is_admin: bool
    is_muted: bool = False
    is_video_off: bool = False
    is_screen_sharing: bool = False
    is_hand_raised: bool = False
    joined_at: int = field(default_factory=now_ms)


@dataclass
class LiveMeeting:
    meeting_id: str
    title: str
    admin_token_hash: bytes
    owner_id: int | None  # None for a guest meeting
    company_id: int | None = None
    guest: bool = False
    settings: dict = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    created_at: int = field(default_factory=now_ms)
    started_at: float = field(default_factory=time.time)
    participants: dict[str, Participant] = field(default_factory=dict)
    peak_participants: int = 0
    empty_since: float | None = None
    recording_host: str | None = None
    invites: dict[bytes, str | None] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)  # sid -> name
    admitted: set[str] = field(default_factory=set)  # sids let in from the waiting room
    message_ids: dict[str, None] = field(default_factory=dict)  # recent chat ids, in order


MAX_REMEMBERED_MESSAGES = 5000
MAX_REMEMBERED_ENDINGS = 10_000


class LiveState(abc.ABC):
    """The async interface every caller uses; see MemoryLiveState for the semantics."""

    @abc.abstractmethod
    async def add_meeting(self, meeting: LiveMeeting) -> None: ...

    @abc.abstractmethod
    async def meeting(self, meeting_id: str) -> LiveMeeting | None: ...

    @abc.abstractmethod
    async def meetings(self) -> list[LiveMeeting]: ...

    @abc.abstractmethod
    async def remove_meeting(self, meeting_id: str) -> LiveMeeting | None: ...

    @abc.abstractmethod
    async def update_settings(self, meeting_id: str, changes: dict) -> dict | None: ...

    @abc.abstractmethod
    async def add_participant(self, meeting_id: str, participant: Participant) -> bool: ...

    @abc.abstractmethod
    async def remove_participant(self, sid: str) -> tuple[LiveMeeting, Participant] | None: ...

    @abc.abstractmethod
    async def locate(self, sid: str) -> tuple[LiveMeeting, Participant] | None: ...

    @abc.abstractmethod
    async def update_participant(self, sid: str, **changes) -> Participant | None: ...

    @abc.abstractmethod
    async def participant(self, meeting_id: str, participant_id: str) -> Participant | None: ...

    @abc.abstractmethod
    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool: ...

    @abc.abstractmethod
    async def use_invite(self, meeting_id: str, token_hash: bytes) -> bool: ...

    @abc.abstractmethod
    async def set_recording(self, meeting_id: str, host_name: str | None) -> bool: ...

    @abc.abstractmethod
    async def add_waiting(self, meeting_id: str, sid: str, name: str) -> int | None: ...

    @abc.abstractmethod
    async def remove_waiting(self, meeting_id: str, sid: str) -> tuple[str, int] | None: ...

    @abc.abstractmethod
    async def leave_waiting_rooms(self, sid: str) -> list[tuple[str, int]]: ...

    @abc.abstractmethod
    async def admit(self, meeting_id: str, sid: str) -> None: ...

    @abc.abstractmethod
    async def take_admission(self, meeting_id: str, sid: str) -> bool: ...

    @abc.abstractmethod
    async def remember_ended(self, meeting_id: str) -> None: ...

    @abc.abstractmethod
    async def was_ended(self, meeting_id: str) -> bool: ...

    @abc.abstractmethod
    async def remember_message(self, meeting_id: str, message_id: str) -> None: ...

    @abc.abstractmethod
    async def has_message(self, meeting_id: str, message_id: str) -> bool: ...


class MemoryLiveState(LiveState):
    """LiveState in this process's memory."""

    def __init__(self):
        self._meetings: dict[str, LiveMeeting] = {}
        self._sockets: dict[str, tuple[str, str]] = {}  # sid -> (meeting_id, participant_id)
        self._waiting: dict[str, set[str]] = {}  # sid -> meetings it waits for
        self._ended: dict[str, None] = {}  # recently ended meetings that leave no row

    async def add_meeting(self, meeting: LiveMeeting) -> None:
        self._meetings[meeting.meeting_id] = meeting

    async def meeting(self, meeting_id: str) -> LiveMeeting | None:
        return self._meetings.get(meeting_id)

    async def meetings(self) -> list[LiveMeeting]:
        return list(self._meetings.values())

    async def remove_meeting(self, meeting_id: str) -> LiveMeeting | None:
        """Take the meeting out; of racing callers exactly one gets it."""
        meeting = self._meetings.pop(meeting_id, None)
        if meeting is not None:
            for participant in meeting.participants.values():
                self._sockets.pop(participant.sid, None)
        return meeting

    async def update_settings(self, meeting_id: str, changes: dict) -> dict | None:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return None
        if "title" in changes:
            meeting.title = changes["title"]
        meeting.settings.update({k: v for k, v in changes.items() if k in DEFAULT_SETTINGS})
        return dict(meeting.settings)

    async def add_participant(self, meeting_id: str, participant: Participant) -> bool:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return False
        meeting.participants[participant.participant_id] = participant
        meeting.peak_participants = max(meeting.peak_participants, len(meeting.participants))
        meeting.empty_since = None
        self._sockets[participant.sid] = (meeting_id, participant.participant_id)
        return True

    async def remove_participant(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        located = self._sockets.pop(sid, None)
        if located is None:
            return None
        meeting = self._meetings.get(located[0])
        if meeting is None:
            return None
        participant = meeting.participants.pop(located[1], None)
        if participant is None:
            return None
        if not meeting.participants:
            meeting.empty_since = time.time()
        return meeting, participant

    async def locate(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        located = self._sockets.get(sid)
        if located is None:
            return None
        meeting = self._meetings.get(located[0])
        participant = meeting.participants.get(located[1]) if meeting else None
        return (meeting, participant) if participant else None

    async def update_participant(self, sid: str, **changes) -> Participant | None:
        located = await self.locate(sid)
        if located is None:
            return None
        meeting, participant = located
        updated = replace(participant, **changes)
        meeting.participants[participant.participant_id] = updated
        return updated

    async def participant(self, meeting_id: str, participant_id: str) -> Participant | None:
        meeting = self._meetings.get(meeting_id)
        return meeting.participants.get(participant_id) if meeting else None

    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return False
        meeting.invites[token_hash] = name
        return True

    async def use_invite(self, meeting_id: str, token_hash: bytes) -> bool:
        meeting = self._meetings.get(meeting_id)
        return meeting is not None and meeting.invites.pop(token_hash, 0) != 0

    async def set_recording(self, meeting_id: str, host_name: str | None) -> bool:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return False
        meeting.recording_host = host_name
        return True

    async def add_waiting(self, meeting_id: str, sid: str, name: str) -> int | None:
        """Queue the socket; return the queue's length, or None without such a meeting."""
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return None
        meeting.waiting[sid] = name
        self._waiting.setdefault(sid, set()).add(meeting_id)
        return len(meeting.waiting)

    async def remove_waiting(self, meeting_id: str, sid: str) -> tuple[str, int] | None:
        """Take the socket out of the queue; return its name and the queue's new length."""
        meeting = self._meetings.get(meeting_id)
        if meeting is None or sid not in meeting.waiting:
            return None
        name = meeting.waiting.pop(sid)
        self._waiting.get(sid, set()).discard(meeting_id)
        return name, len(meeting.waiting)

    async def leave_waiting_rooms(self, sid: str) -> list[tuple[str, int]]:
        left = []
        for meeting_id in self._waiting.pop(sid, set()):
            meeting = self._meetings.get(meeting_id)
            if meeting is not None and meeting.waiting.pop(sid, None) is not None:
                left.append((meeting_id, len(meeting.waiting)))
            if meeting is not None:
                meeting.admitted.discard(sid)
        return left

    async def admit(self, meeting_id: str, sid: str) -> None:
        meeting = self._meetings.get(meeting_id)
        if meeting is not None:
            meeting.admitted.add(sid)
            self._waiting.setdefault(sid, set()).add(meeting_id)

    async def take_admission(self, meeting_id: str, sid: str) -> bool:
        meeting = self._meetings.get(meeting_id)
        if meeting is None or sid not in meeting.admitted:
            return False
        meeting.admitted.discard(sid)
        return True

    async def remember_ended(self, meeting_id: str) -> None:
        """Guest meetings leave no row: remember recent endings (first in, first out)."""
        self._ended[meeting_id] = None
        if len(self._ended) > MAX_REMEMBERED_ENDINGS:
            del self._ended[next(iter(self._ended))]

    async def was_ended(self, meeting_id: str) -> bool:
        return meeting_id in self._ended

    async def remember_message(self, meeting_id: str, message_id: str) -> None:
        meeting = self._meetings.get(meeting_id)
        if meeting is None:
            return
        meeting.message_ids[message_id] = None
        if len(meeting.message_ids) > MAX_REMEMBERED_MESSAGES:
            del meeting.message_ids[next(iter(meeting.message_ids))]

    async def has_message(self, meeting_id: str, message_id: str) -> bool:
        meeting = self._meetings.get(meeting_id)
        return meeting is not None and message_id in meeting.message_ids
