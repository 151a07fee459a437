"""Tells a meeting's sockets about lifecycle changes made outside an event (REST, timers)."""

from __future__ import annotations

import socketio


def meeting_room(meeting_id: str) -> str:
    return f"meeting:{meeting_id}"


SETTING_KEYS = ("muteOnJoin", "videoOffOnJoin", "maxParticipants", "locked", "waitingRoom")


class SocketMeetingEvents:
    def __init__(self, sio: socketio.AsyncServer):
        self._sio = sio

    async def meeting_ended(self, meeting_id: str, reason: str) -> None:
        room = meeting_room(meeting_id)
        await self._sio.emit("meeting:ended", {"reason": reason}, room=room)
        await self._sio.close_room(room)

    async def settings_updated(self, meeting_id: str, settings: dict) -> None:
        payload = {key: settings[key] for key in SETTING_KEYS}
        await self._sio.emit("meeting:settings-updated", payload, room=meeting_room(meeting_id))
