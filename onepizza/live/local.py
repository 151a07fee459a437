"""The participants whose sockets are connected to this process, so that a signal between
two of them is relayed without a round trip to a shared live store."""

from __future__ import annotations

from collections.abc import Callable


class LocalRoutes:
    """Who each socket of this process joined as. An entry is trusted only while
    `in_meeting(sid, meeting_id)` holds for both sockets (realtime answers it from the
    meeting's Socket.IO room here: every way out of a meeting (leave, kick, end, a rejoin
    elsewhere) takes the socket out of the room, on every process in the order the store
    decided it), so a stale entry is never used; the store answers whatever is not found
    here."""

    def __init__(self, in_meeting: Callable[[str, str], bool]):
        self._in_meeting = in_meeting
        self._by_sid: dict[str, tuple[str, str]] = {}  # sid -> (meeting id, participant id)
        self._by_participant: dict[tuple[str, str], str] = {}  # (meeting, participant) -> sid
        self._joining: set[str] = set()  # sockets that asked to join, until they disconnect
        # Sockets that asked to enter a breakout room: their signals go through the store,
        # which knows who is in which room (until they leave the meeting or disconnect).
        self._moved: set[str] = set()

    def joining(self, sid: str) -> None:
        self._joining.add(sid)

    def may_be_in_a_meeting(self, sid: str) -> bool:
        """False for a socket that never asked this process to join: it is in no meeting
        (a socket joins only through the process it is connected to)."""
        return sid in self._joining

    def joined(self, sid: str, meeting_id: str, participant_id: str) -> None:
        if sid not in self._joining:  # disconnected while its join was under way
            return
        self.forget(sid)
        self._by_sid[sid] = (meeting_id, participant_id)
        self._by_participant[(meeting_id, participant_id)] = sid

    def disconnected(self, sid: str) -> None:
        self.forget(sid)
        self._joining.discard(sid)

    def moving(self, sid: str) -> None:
        """The socket asks to enter a breakout room (marked before the store can move it)."""
        self._moved.add(sid)

    def forget(self, sid: str) -> None:
        self._moved.discard(sid)
        found = self._by_sid.pop(sid, None)
        if found is not None and self._by_participant.get(found) == sid:
            del self._by_participant[found]

    def route(self, sid: str, to: str) -> tuple[str, str] | None:
        """(sender's participant id, target's sid) when both are here and in the meeting."""
        found = self._by_sid.get(sid)
        if found is None:
            return None
        meeting_id, sender = found
        target = self._by_participant.get((meeting_id, to))
        if target is None:
            return None
        if self._moved and (sid in self._moved or target in self._moved):
            return None
        if not (self._in_meeting(sid, meeting_id) and self._in_meeting(target, meeting_id)):
            return None
        return sender, target
