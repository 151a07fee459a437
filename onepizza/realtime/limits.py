"""Per-socket limits on Socket.IO events: which group each event counts against, and the
limiter the one guard around every handler (realtime/meetings.py) consults first."""

from __future__ import annotations

import weakref

import socketio

from onepizza.config import Settings
from onepizza.services.ratelimit import RateLimiter

DEFAULT_GROUP = "events"
# Events by name; then by prefix; anything else (polls, Q&A, notes, breakout rooms, live
# streams, recording notices, and events added later) counts against DEFAULT_GROUP.
GROUPS = {
    "chat:message": "chat",
    "chat:react": "chat_reaction",
    "react": "reaction",
    "captions:update": "captions",
    "raise-hand": "hand",
    "join-meeting": "join",
    "leave-meeting": "join",
    # A host lets a crowd in at once: admitting is not limited like asking to come in.
    "waiting-room:admit": DEFAULT_GROUP,
    "waiting-room:deny": DEFAULT_GROUP,
}
PREFIXES = (("signal:", "signaling"), ("waiting-room:", "waiting_room"), ("media:", "media"))
FLOOD = "flood"  # refused events; past this limit the socket is disconnected


def group_of(event: str) -> str:
    group = GROUPS.get(event)
    if group is not None:
        return group
    for prefix, group in PREFIXES:
        if event.startswith(prefix):
            return group
    return DEFAULT_GROUP


class EventLimits:
    """Token counts per (group, socket), in this process's memory even with Redis: a socket
    is served by one process for its whole life, so no other process counts its events, and
    a Redis round trip per event would cost more than most handlers."""

    def __init__(self, settings: Settings):
        self._groups = dict(settings.socket_limits)
        self._limiter: RateLimiter | None = None  # made on the loop, at first use

    def _get(self) -> RateLimiter:
        if self._limiter is None:
            self._limiter = RateLimiter(self._groups)
        return self._limiter

    def policy(self, group: str) -> str:
        return self._groups[group]

    async def refused(self, event: str, sid: str) -> str | None:
        """Count the event; the name of the group whose limit it is over, or None."""
        group = group_of(event)
        return None if await self._get().consume(group, sid) else group

    async def flooding(self, sid: str) -> bool:
        """Count one refused event; whether the socket is past the flood limit."""
        return not await self._get().consume(FLOOD, sid)

    async def close(self) -> None:
        if self._limiter is not None:
            await self._limiter.close()


_LIMITS: weakref.WeakKeyDictionary[socketio.AsyncServer, EventLimits] = weakref.WeakKeyDictionary()


def install(sio: socketio.AsyncServer, settings: Settings) -> None:
    _LIMITS[sio] = EventLimits(settings)


def of(sio: socketio.AsyncServer) -> EventLimits | None:
    return _LIMITS.get(sio)
