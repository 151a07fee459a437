"""Live meeting state: who is in which meeting, its settings, queues and recording state.

Everything here is behind `LiveState`, an async interface with two implementations:
`MemoryLiveState` (one process) and `live.redis.RedisLiveState` (any number of processes).
Every rule that reads and then writes (join, leave, the start of an end) is one atomic
operation of the store, and every operation returns snapshots: a caller never holds an
object another caller can change."""

from __future__ import annotations

import abc
import copy
import hmac
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

# Why a join was refused (JoinOutcome.refused); the meeting service words them.
MISSING = "missing"
ENDING = "ending"
LOCKED = "locked"
WAITING_ROOM = "waiting_room"
FULL = "full"

LIVE = "live"  # LiveMeeting.status
ENDING_STATUS = "ending"


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
    node: str = ""  # the process whose socket this is
    resume_hash: str = ""  # hex digest of the token that lets a reconnecting client replace it
    room: str = ""  # the breakout room it is in ("" for the main room)


def participant_state(p: Participant) -> dict:
    """A participant as the other participants see it (the `joined` list, the REST view)."""
    return {
        "participantId": p.participant_id,
        "name": p.name,
        "isMuted": p.is_muted,
        "isVideoOff": p.is_video_off,
        "isScreenSharing": p.is_screen_sharing,
        "isHandRaised": p.is_hand_raised,
        "isAdmin": p.is_admin,
    }


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
    waiting: dict[str, str] = field(default_factory=dict)  # sid -> name
    status: str = LIVE
    ender: str = ""  # the process ending it, while status is ENDING
    # Breakout rooms while open: {"rooms": [{"id", "name"}], "assigned": {participant: room}}
    breakout: dict | None = None
    stream_host: str | None = None  # who started the live stream, while one runs
    # The processes of the participants' sockets, in a snapshot that leaves them out (locate)
    nodes: frozenset[str] | None = None


@dataclass
class JoinRequest:
    """What a joining socket brings; the store decides atomically whether it gets in."""

    participant: Participant  # is_admin / is_muted / is_video_off are set by the store
    invite_hash: bytes | None = None
    admin_hash: bytes | None = None  # a host token's digest: a host when it is the meeting's
    resume_hash: str | None = None  # replaces the participant with this token, if listed


@dataclass
class JoinOutcome:
    refused: str | None = None  # MISSING, ENDING, LOCKED, WAITING_ROOM or FULL
    meeting: LiveMeeting | None = None  # after the join: the joiner is in `participants`
    participant: Participant | None = None
    invited: bool = False
    replaced: Participant | None = None  # the earlier entry a resume token took out
    announced: bool = False  # the store already told the sockets (see RedisLiveState)


@dataclass
class Announcement:
    """Socket.IO messages a store that can publish atomically sends with a join: the
    `joined` event for the joiner (its fixed part), `participant:joined` to `room`, and the
    joiner's entry into `rooms`, all in the order of the joins themselves."""

    room: str
    rooms: tuple[str, ...]
    joined: dict  # participantId, resumeToken: the rest (isAdmin too) comes from the state
    host_rooms: tuple[str, ...] = ()  # entered too when the joiner is a host
    # More of `joined`, sent as given (the store's script would turn an empty list into {})
    extra: dict = field(default_factory=dict)


# Why a breakout step was refused (BreakoutStep.refused); the breakout service words them.
NOT_JOINED = "not_joined"
NO_BREAKOUT = "no_breakout"
UNKNOWN_ROOM = "unknown_room"
UNKNOWN_PARTICIPANT = "unknown_participant"
NOT_ASSIGNED = "not_assigned"
NOT_IN_ROOM = "not_in_room"
MAIN_ROOM = ""  # Participant.room of the main room
ELSEWHERE = ""  # `route`'s target socket for a participant in another room than the sender


@dataclass
class BreakoutStep:
    """What a breakout operation did: refused (a reason above), or the meeting after it
    (with its participants), the participant it moved and the room it left."""

    refused: str | None = None
    meeting: LiveMeeting | None = None
    participant: Participant | None = None
    previous: str = MAIN_ROOM


MAX_REMEMBERED_MESSAGES = 5000
MAX_REMEMBERED_ENDINGS = 10_000

# What update_participant may change: a participant's identity, socket, role and node are
# fixed by its join.
CHANGEABLE = ("name", "is_muted", "is_video_off", "is_screen_sharing", "is_hand_raised")


def check_changes(changes: dict) -> None:
    fixed = sorted(set(changes) - set(CHANGEABLE))
    if fixed:
        raise ValueError(f"update_participant cannot change {', '.join(fixed)}")


class LiveState(abc.ABC):
    """The async interface every caller uses; MemoryLiveState documents the semantics and
    tests/live/ holds the contract both implementations pass."""

    # --- meetings ---------------------------------------------------------------------
    @abc.abstractmethod
    async def add_meeting(self, meeting: LiveMeeting) -> bool:
        """Make a meeting live (empty since now) unless it already is; True if added."""

    @abc.abstractmethod
    async def meeting(self, meeting_id: str) -> LiveMeeting | None: ...

    @abc.abstractmethod
    async def meetings(self) -> list[LiveMeeting]: ...

    @abc.abstractmethod
    async def update_settings(self, meeting_id: str, changes: dict) -> LiveMeeting | None:
        """Apply setting (and `title`) changes; the meeting after them, None if not live."""

    @abc.abstractmethod
    async def begin_end(
        self, meeting_id: str, node: str, *, empty_since_before: float | None = None
    ) -> LiveMeeting | None:
        """Mark a live meeting ending and return it; of racing callers exactly one gets it.
        With `empty_since_before`, only a meeting empty since before that time (epoch s)."""

    @abc.abstractmethod
    async def finish_end(self, meeting_id: str) -> None:
        """Forget an ended meeting and every key of it."""

    @abc.abstractmethod
    async def empty_before(self, cutoff: float) -> list[str]:
        """Live meetings that have been empty since before `cutoff` (epoch seconds)."""

    @abc.abstractmethod
    async def endings_of(self, node: str) -> list[str]:
        """Meetings left ending by `node` (a process that died while ending them)."""

    # --- participants -----------------------------------------------------------------
    @abc.abstractmethod
    async def join(
        self,
        meeting_id: str,
        request: JoinRequest,
        *,
        is_admin: bool = False,
        admit_sid: str | None = None,
        announce: Announcement | None = None,
    ) -> JoinOutcome:
        """One atomic step: the meeting is live; the socket gets in as a host (`is_admin`,
        or `request.admin_hash` matching the meeting's admin token), with an
        admission from the waiting room, or with an invite, or else when the meeting is
        neither locked nor behind a waiting room; and it is not full. A refused join
        consumes nothing; an accepted one raises the peak and ends the empty period."""

    @abc.abstractmethod
    async def leave(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        """Take the socket out of its meeting; the meeting after it (empty_since set when
        it emptied) and the participant who left."""

    @abc.abstractmethod
    async def reap_node(self, node: str) -> list[tuple[LiveMeeting, Participant]]:
        """Take out every participant whose socket was on `node` (a dead process)."""

    @abc.abstractmethod
    async def locate(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        """The socket's meeting (without its participant list) and participant."""

    @abc.abstractmethod
    async def route(self, sid: str, to: str) -> tuple[str, str | None] | None:
        """For a signal: the sender's participant id and the socket of participant `to` of
        the same meeting (None if no such participant); None if the sender is in none."""

    async def relay(
        self, sid: str, to: str, *, event: str, field: str, body: bytes, node: str
    ) -> tuple[str, str | None, bool] | None:
        """`route`, and for a store that can publish, the signal itself sent on when the
        target's socket is on another process than `node`: (sender, target socket, sent).
        `body` is the signal's JSON. Here nothing is sent: the caller emits it."""
        found = await self.route(sid, to)
        return None if found is None else (*found, False)

    # --- breakout rooms and live stream ------------------------------------------------
    @abc.abstractmethod
    async def create_breakout(
        self, meeting_id: str, rooms: list[dict]
    ) -> tuple[LiveMeeting, LiveMeeting] | None:
        """Replace the meeting's breakout rooms with `rooms` ({id, name}, no assignments)
        and bring everyone back to the main room: (before, after), None if not live."""

    @abc.abstractmethod
    async def assign_breakout(
        self, meeting_id: str, assignments: list[tuple[str, str]]
    ) -> BreakoutStep:
        """Assign participants to rooms ("" unassigns): all of them or, refused
        (NO_BREAKOUT, UNKNOWN_ROOM, UNKNOWN_PARTICIPANT), none."""

    @abc.abstractmethod
    async def move_breakout(self, sid: str, room_id: str) -> BreakoutStep:
        """Move the socket's participant into room `room_id` (MAIN_ROOM: back to the main
        room). A host may enter any room, anyone else only the one assigned to it; refused:
        NOT_JOINED, NO_BREAKOUT, UNKNOWN_ROOM, NOT_ASSIGNED, NOT_IN_ROOM (leaving the main
        room for itself). `previous` is the room it was in."""

    @abc.abstractmethod
    async def close_breakout(self, meeting_id: str) -> LiveMeeting | None:
        """Close every breakout room, everyone back in the main room: the meeting before
        (who was where), None if it had no rooms open."""

    @abc.abstractmethod
    async def set_stream(self, meeting_id: str, host_name: str | None) -> bool:
        """Start (a host's name) or stop (None) the live stream: True if that changed it,
        False if it was already so or the meeting is not live."""

    @abc.abstractmethod
    async def update_participant(self, sid: str, **changes) -> Participant | None:
        """Change the socket's participant (fields of CHANGEABLE only: ValueError for
        others); the participant after it, None if the socket is in no meeting."""

    @abc.abstractmethod
    async def participant(self, meeting_id: str, participant_id: str) -> Participant | None: ...

    # --- invites, waiting room, recording ---------------------------------------------
    @abc.abstractmethod
    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool: ...

    @abc.abstractmethod
    async def set_recording(self, meeting_id: str, host_name: str | None) -> bool: ...

    @abc.abstractmethod
    async def add_waiting(self, meeting_id: str, sid: str, name: str) -> int | None:
        """Queue the socket; the queue's length, or None without such a meeting."""

    @abc.abstractmethod
    async def remove_waiting(self, meeting_id: str, sid: str) -> tuple[str, int] | None:
        """Take the socket out of the queue; its name and the queue's new length."""

    @abc.abstractmethod
    async def leave_waiting_rooms(self, sid: str) -> list[tuple[str, int]]: ...

    @abc.abstractmethod
    async def admit(self, meeting_id: str, sid: str) -> None: ...

    # --- memory of endings and chat ---------------------------------------------------
    @abc.abstractmethod
    async def remember_ended(self, meeting_id: str) -> None: ...

    @abc.abstractmethod
    async def was_ended(self, meeting_id: str) -> bool: ...

    @abc.abstractmethod
    async def remember_message(self, meeting_id: str, message_id: str) -> None: ...

    @abc.abstractmethod
    async def has_message(self, meeting_id: str, message_id: str) -> bool: ...

    @property
    def announces(self) -> bool:
        """Whether `join` itself sends the Socket.IO messages of an Announcement; a store
        that does not leaves them to the caller (in `join`'s order: see realtime.meetings)."""
        return False

    async def close(self) -> None:  # noqa: B027 (a store with no connections has nothing to do)
        """Release connections."""


@dataclass
class _Meeting:
    """MemoryLiveState's own record: the snapshot's fields plus what stays inside."""

    live: LiveMeeting
    invites: dict[bytes, str | None] = field(default_factory=dict)
    admitted: set[str] = field(default_factory=set)
    message_ids: dict[str, None] = field(default_factory=dict)


def _snapshot(meeting: LiveMeeting, *, with_participants: bool = True) -> LiveMeeting:
    """A copy the caller may change; without participants, also without the waiting room
    (what `locate` gives, as RedisLiveState's does)."""
    return replace(
        meeting,
        settings=dict(meeting.settings),
        participants={pid: replace(p) for pid, p in meeting.participants.items()}
        if with_participants
        else {},
        waiting=dict(meeting.waiting) if with_participants else {},
        breakout=copy.deepcopy(meeting.breakout),
    )


class MemoryLiveState(LiveState):
    """LiveState in this process's memory. No operation awaits, so each is atomic on the
    loop; what goes in and what comes out is copied, so no caller shares an object with it."""

    def __init__(self):
        self._meetings: dict[str, _Meeting] = {}
        self._sockets: dict[str, tuple[str, str]] = {}  # sid -> (meeting_id, participant_id)
        self._waiting: dict[str, set[str]] = {}  # sid -> meetings it waits for
        self._ended: dict[str, None] = {}  # recently ended meetings that leave no row

    def _live(self, meeting_id: str) -> _Meeting | None:
        record = self._meetings.get(meeting_id)
        return record if record is not None and record.live.status == LIVE else None

    async def add_meeting(self, meeting: LiveMeeting) -> bool:
        if meeting.meeting_id in self._meetings:
            return False
        meeting = copy.deepcopy(meeting)
        meeting.settings = {**DEFAULT_SETTINGS, **meeting.settings}
        meeting.participants = {}
        meeting.waiting = {}
        meeting.status = LIVE
        meeting.ender = ""
        meeting.breakout = None
        meeting.stream_host = None
        meeting.empty_since = time.time()
        self._meetings[meeting.meeting_id] = _Meeting(meeting)
        return True

    async def meeting(self, meeting_id: str) -> LiveMeeting | None:
        record = self._meetings.get(meeting_id)
        return _snapshot(record.live) if record else None

    async def meetings(self) -> list[LiveMeeting]:
        return [_snapshot(r.live) for r in self._meetings.values()]

    async def update_settings(self, meeting_id: str, changes: dict) -> LiveMeeting | None:
        record = self._live(meeting_id)
        if record is None:
            return None
        meeting = record.live
        if "title" in changes:
            meeting.title = changes["title"]
        meeting.settings.update({k: v for k, v in changes.items() if k in DEFAULT_SETTINGS})
        return _snapshot(meeting)

    async def begin_end(
        self, meeting_id: str, node: str, *, empty_since_before: float | None = None
    ) -> LiveMeeting | None:
        record = self._live(meeting_id)
        if record is None:
            return None
        if empty_since_before is not None and (
            record.live.empty_since is None or record.live.empty_since > empty_since_before
        ):
            return None
        record.live.status = ENDING_STATUS
        record.live.ender = node
        for participant in record.live.participants.values():
            self._sockets.pop(participant.sid, None)
        return _snapshot(record.live)

    async def finish_end(self, meeting_id: str) -> None:
        record = self._meetings.pop(meeting_id, None)
        if record is None:
            return
        for participant in record.live.participants.values():
            self._sockets.pop(participant.sid, None)
        for sid in record.live.waiting:
            self._waiting.get(sid, set()).discard(meeting_id)

    async def empty_before(self, cutoff: float) -> list[str]:
        return [
            m.live.meeting_id
            for m in self._meetings.values()
            if m.live.status == LIVE
            and m.live.empty_since is not None
            and m.live.empty_since <= cutoff
        ]

    async def endings_of(self, node: str) -> list[str]:
        return [
            m.live.meeting_id
            for m in self._meetings.values()
            if m.live.status == ENDING_STATUS and m.live.ender == node
        ]

    async def join(
        self,
        meeting_id: str,
        request: JoinRequest,
        *,
        is_admin: bool = False,
        admit_sid: str | None = None,
        announce: Announcement | None = None,
    ) -> JoinOutcome:
        record = self._meetings.get(meeting_id)
        if record is None:
            return JoinOutcome(refused=MISSING)
        meeting = record.live
        if meeting.status != LIVE:
            return JoinOutcome(refused=ENDING)
        is_admin = is_admin or (
            request.admin_hash is not None
            and hmac.compare_digest(request.admin_hash, meeting.admin_token_hash)
        )
        replaced = self._find_resumed(meeting, request.resume_hash)
        admitted = admit_sid is not None and admit_sid in record.admitted
        invited = (
            not is_admin
            and not admitted
            and request.invite_hash is not None
            and request.invite_hash in record.invites
        )
        let_in = is_admin or admitted or invited
        if not let_in and meeting.settings["locked"]:
            return JoinOutcome(refused=LOCKED)
        if not let_in and meeting.settings["waitingRoom"]:
            return JoinOutcome(refused=WAITING_ROOM)
        count = len(meeting.participants) - (replaced is not None)
        if count >= meeting.settings["maxParticipants"]:
            return JoinOutcome(refused=FULL)
        # Admitted: from here on nothing can refuse, so the one-time passes are spent.
        if admitted:
            record.admitted.discard(admit_sid)
        if invited:
            del record.invites[request.invite_hash]
        if replaced is not None:
            del meeting.participants[replaced.participant_id]
            self._sockets.pop(replaced.sid, None)
        participant = replace(
            request.participant,
            room=MAIN_ROOM,
            is_admin=is_admin,
            is_muted=meeting.settings["muteOnJoin"],
            is_video_off=meeting.settings["videoOffOnJoin"],
        )
        meeting.participants[participant.participant_id] = participant
        meeting.peak_participants = max(meeting.peak_participants, len(meeting.participants))
        meeting.empty_since = None
        self._sockets[participant.sid] = (meeting_id, participant.participant_id)
        return JoinOutcome(
            meeting=_snapshot(meeting),
            participant=replace(participant),
            invited=invited,
            replaced=replaced,
        )

    @staticmethod
    def _find_resumed(meeting: LiveMeeting, resume_hash: str | None) -> Participant | None:
        if not resume_hash:
            return None
        for participant in meeting.participants.values():
            if participant.resume_hash == resume_hash:
                return participant
        return None

    async def leave(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        located = self._sockets.pop(sid, None)
        if located is None:
            return None
        record = self._meetings.get(located[0])
        if record is None:
            return None
        meeting = record.live
        participant = meeting.participants.pop(located[1], None)
        if participant is None:
            return None
        if not meeting.participants:
            meeting.empty_since = time.time()
        return _snapshot(meeting), participant

    async def reap_node(self, node: str) -> list[tuple[LiveMeeting, Participant]]:
        gone = [
            sid
            for record in self._meetings.values()
            for sid in [p.sid for p in record.live.participants.values() if p.node == node]
        ]
        reaped = []
        for sid in gone:
            left = await self.leave(sid)
            if left is not None:
                reaped.append(left)
        return reaped

    async def locate(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        located = self._sockets.get(sid)
        if located is None:
            return None
        record = self._meetings.get(located[0])
        participant = record.live.participants.get(located[1]) if record else None
        if participant is None:
            return None
        return _snapshot(record.live, with_participants=False), replace(participant)

    async def route(self, sid: str, to: str) -> tuple[str, str | None] | None:
        located = self._sockets.get(sid)
        if located is None:
            return None
        record = self._meetings.get(located[0])
        if record is None or located[1] not in record.live.participants:
            return None
        target = record.live.participants.get(to)
        if target is None:
            return located[1], None
        if target.room != record.live.participants[located[1]].room:
            return located[1], ELSEWHERE
        return located[1], target.sid

    async def update_participant(self, sid: str, **changes) -> Participant | None:
        check_changes(changes)
        located = self._sockets.get(sid)
        if located is None:
            return None
        record = self._meetings.get(located[0])
        participant = record.live.participants.get(located[1]) if record else None
        if participant is None:
            return None
        updated = replace(participant, **changes)
        record.live.participants[participant.participant_id] = updated
        return replace(updated)

    async def create_breakout(
        self, meeting_id: str, rooms: list[dict]
    ) -> tuple[LiveMeeting, LiveMeeting] | None:
        record = self._live(meeting_id)
        if record is None:
            return None
        meeting = record.live
        before = _snapshot(meeting)
        rooms = [{"id": r["id"], "name": r["name"]} for r in rooms]
        meeting.breakout = {"rooms": rooms, "assigned": {}}
        self._to_main_room(meeting)
        return before, _snapshot(meeting)

    @staticmethod
    def _to_main_room(meeting: LiveMeeting) -> None:
        for pid, p in list(meeting.participants.items()):
            if p.room != MAIN_ROOM:
                meeting.participants[pid] = replace(p, room=MAIN_ROOM)

    async def assign_breakout(
        self, meeting_id: str, assignments: list[tuple[str, str]]
    ) -> BreakoutStep:
        record = self._live(meeting_id)
        if record is None or record.live.breakout is None:
            return BreakoutStep(refused=NO_BREAKOUT)
        meeting = record.live
        room_ids = {r["id"] for r in meeting.breakout["rooms"]}
        for pid, room_id in assignments:
            if room_id != MAIN_ROOM and room_id not in room_ids:
                return BreakoutStep(refused=UNKNOWN_ROOM)
            if pid not in meeting.participants:
                return BreakoutStep(refused=UNKNOWN_PARTICIPANT)
        assigned = meeting.breakout["assigned"]
        for pid, room_id in assignments:
            if room_id == MAIN_ROOM:
                assigned.pop(pid, None)
            else:
                assigned[pid] = room_id
        return BreakoutStep(meeting=_snapshot(meeting))

    async def move_breakout(self, sid: str, room_id: str) -> BreakoutStep:
        located = self._sockets.get(sid)
        record = self._meetings.get(located[0]) if located else None
        me = record.live.participants.get(located[1]) if record else None
        if me is None:
            return BreakoutStep(refused=NOT_JOINED)
        meeting = record.live
        if meeting.breakout is None:
            return BreakoutStep(refused=NO_BREAKOUT)
        if room_id == MAIN_ROOM:
            if me.room == MAIN_ROOM:
                return BreakoutStep(refused=NOT_IN_ROOM)
        elif room_id not in {r["id"] for r in meeting.breakout["rooms"]}:
            return BreakoutStep(refused=UNKNOWN_ROOM)
        elif not me.is_admin and meeting.breakout["assigned"].get(me.participant_id) != room_id:
            return BreakoutStep(refused=NOT_ASSIGNED)
        moved = meeting.participants[me.participant_id] = replace(me, room=room_id)
        return BreakoutStep(
            meeting=_snapshot(meeting), participant=replace(moved), previous=me.room
        )

    async def close_breakout(self, meeting_id: str) -> LiveMeeting | None:
        record = self._live(meeting_id)
        if record is None or record.live.breakout is None:
            return None
        before = _snapshot(record.live)
        record.live.breakout = None
        self._to_main_room(record.live)
        return before

    async def set_stream(self, meeting_id: str, host_name: str | None) -> bool:
        record = self._live(meeting_id)
        if record is None or (record.live.stream_host is None) == (host_name is None):
            return False
        record.live.stream_host = host_name
        return True

    async def participant(self, meeting_id: str, participant_id: str) -> Participant | None:
        record = self._meetings.get(meeting_id)
        participant = record.live.participants.get(participant_id) if record else None
        return replace(participant) if participant else None

    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool:
        record = self._live(meeting_id)
        if record is None:
            return False
        record.invites[token_hash] = name
        return True

    async def set_recording(self, meeting_id: str, host_name: str | None) -> bool:
        record = self._live(meeting_id)
        if record is None:
            return False
        record.live.recording_host = host_name
        return True

    async def add_waiting(self, meeting_id: str, sid: str, name: str) -> int | None:
        record = self._live(meeting_id)
        if record is None:
            return None
        record.live.waiting[sid] = name
        self._waiting.setdefault(sid, set()).add(meeting_id)
        return len(record.live.waiting)

    async def remove_waiting(self, meeting_id: str, sid: str) -> tuple[str, int] | None:
        record = self._meetings.get(meeting_id)
        if record is None or sid not in record.live.waiting:
            return None
        name = record.live.waiting.pop(sid)
        self._waiting.get(sid, set()).discard(meeting_id)
        return name, len(record.live.waiting)

    async def leave_waiting_rooms(self, sid: str) -> list[tuple[str, int]]:
        left = []
        for meeting_id in self._waiting.pop(sid, set()):
            record = self._meetings.get(meeting_id)
            if record is None:
                continue
            if record.live.waiting.pop(sid, None) is not None:
                left.append((meeting_id, len(record.live.waiting)))
            record.admitted.discard(sid)
        return left

    async def admit(self, meeting_id: str, sid: str) -> None:
        record = self._live(meeting_id)
        if record is not None:
            record.admitted.add(sid)
            self._waiting.setdefault(sid, set()).add(meeting_id)

    async def remember_ended(self, meeting_id: str) -> None:
        """Guest meetings leave no row: remember recent endings (first in, first out)."""
        self._ended[meeting_id] = None
        if len(self._ended) > MAX_REMEMBERED_ENDINGS:
            del self._ended[next(iter(self._ended))]

    async def was_ended(self, meeting_id: str) -> bool:
        return meeting_id in self._ended

    async def remember_message(self, meeting_id: str, message_id: str) -> None:
        record = self._meetings.get(meeting_id)
        if record is None:
            return
        record.message_ids[message_id] = None
        if len(record.message_ids) > MAX_REMEMBERED_MESSAGES:
            del record.message_ids[next(iter(record.message_ids))]

    async def has_message(self, meeting_id: str, message_id: str) -> bool:
        record = self._meetings.get(meeting_id)
        return record is not None and message_id in record.message_ids
