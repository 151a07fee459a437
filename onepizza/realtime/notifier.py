"""Tells a meeting's sockets about lifecycle changes made outside an event (REST, timers)."""

from __future__ import annotations

import socketio

from onepizza.live.state import public_settings


def meeting_room(meeting_id: str) -> str:
    return f"meeting:{meeting_id}"


def hosts_room(meeting_id: str) -> str:
    return f"meeting:{meeting_id}:hosts"


def breakout_room(meeting_id: str, room_id: str) -> str:
    """The Socket.IO room of one breakout room (realtime/breakout.py)."""
    return f"meeting:{meeting_id}:room:{room_id}"


class SocketMeetingEvents:
    def __init__(self, sio: socketio.AsyncServer):
        self._sio = sio

    async def meeting_ended(self, meeting_id: str, reason: str) -> None:
        room = meeting_room(meeting_id)
        await self._sio.emit("meeting:ended", {"reason": reason}, room=room)
        await self._sio.close_room(room)

    async def settings_updated(self, meeting_id: str, settings: dict) -> None:
        await self._sio.emit(
            "meeting:settings-updated", public_settings(settings), room=meeting_room(meeting_id)
        )

    async def to_socket(self, sid: str, event: str, data: dict) -> None:
        await self._sio.emit(event, data, to=sid)

    async def to_meeting(self, meeting_id: str, event: str, data: dict, skip_sid=None) -> None:
        await self._sio.emit(event, data, room=meeting_room(meeting_id), skip_sid=skip_sid)

    async def participant_left(self, meeting_id: str, participant) -> None:
        await self._sio.emit(
            "participant:left",
            {"participantId": participant.participant_id, "name": participant.name},
            room=meeting_room(meeting_id),
        )

    async def remove_socket(self, sid: str, meeting_id: str, room: str = "") -> None:
        await self._sio.leave_room(sid, meeting_room(meeting_id))
        await self._sio.leave_room(sid, hosts_room(meeting_id))
        if room:  # the breakout room it was in
            await self._sio.leave_room(sid, breakout_room(meeting_id, room))
