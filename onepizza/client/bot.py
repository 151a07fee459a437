"""Bot: a meeting participant over Socket.IO, with events as callbacks or an async iterator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio

from onepizza.client.rest import OnepizzaError

SERVER_EVENTS = (
    "participant:joined",
    "participant:left",
    "participant:updated",
    "signal:offer",
    "signal:answer",
    "signal:ice-candidate",
    "admin:mute",
    "admin:unmute",
    "admin:kick",
    "meeting:ended",
    "meeting:all-muted",
    "meeting:settings-updated",
    "chat:message",
    "react",
    "recording:started",
    "recording:stopped",
    "chat:react",
    "captions:update",
    "error",
    "waiting-room:waiting",
    "waiting-room:admitted",
    "waiting-room:denied",
    "waiting-room:participant-waiting",
)


class Bot:
    """Join a meeting as `name`; every server event is queued (bounded) for `events()` and
    passed to callbacks registered with `on()`."""

    def __init__(self, base_url: str, name: str = "Bot", *, max_buffer: int = 1000):
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.participant_id: str | None = None
        self.meeting_id: str | None = None
        self._sio = socketio.AsyncClient(reconnection=True)
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=max_buffer)
        self._callbacks: dict[str, list[Callable]] = {}
        self._joined: asyncio.Future | None = None
        for event in (*SERVER_EVENTS, "joined"):
            self._sio.on(event, self._handler(event))

    def on(self, event: str, callback: Callable[[Any], Any]) -> None:
        self._callbacks.setdefault(event, []).append(callback)

    def _handler(self, event: str):
        async def handle(data=None):
            if event == "joined" and self._joined and not self._joined.done():
                self._joined.set_result(data)
            elif event == "error" and self._joined and not self._joined.done():
                self._joined.set_exception(OnepizzaError(400, (data or {}).get("message", "")))
            if self._queue.full():
                self._queue.get_nowait()  # keep the newest events
            self._queue.put_nowait((event, data))
            for callback in self._callbacks.get(event, []):
                result = callback(data)
                if asyncio.iscoroutine(result):
                    await result

        return handle

    async def join(
        self,
        meeting_id: str,
        *,
        admin_token: str | None = None,
        invite_token: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a plain bound on waiting for `joined`)
    ) -> dict:
        """Connect and join; return the `joined` payload or raise OnepizzaError."""
        if not self._sio.connected:
            await self._sio.connect(self.base_url, transports=["websocket"])
        self._joined = asyncio.get_running_loop().create_future()
        payload = {
            "meetingId": meeting_id,
            "name": self.name,
            "isAdmin": bool(admin_token),
            "adminToken": admin_token,
        }
        if invite_token:
            payload["inviteToken"] = invite_token
        await self._sio.emit("join-meeting", payload)
        joined = await asyncio.wait_for(self._joined, timeout)
        self.meeting_id, self.participant_id = meeting_id, joined["participantId"]
        return joined

    async def events(self) -> AsyncIterator[tuple[str, Any]]:
        """Every event as (name, payload), as it arrives."""
        while True:
            yield await self._queue.get()

    def drain(self) -> list[tuple[str, Any]]:
        """The events buffered so far, emptying the buffer."""
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def chat(self, text: str, reply_to: str | None = None) -> None:
        await self._sio.emit("chat:message", {"text": text, "replyTo": reply_to})

    async def react(self, emoji: str) -> None:
        await self._sio.emit("react", {"emoji": emoji})

    async def raise_hand(self, raised: bool = True) -> None:
        await self._sio.emit("raise-hand", {"isHandRaised": raised})

    async def leave(self) -> None:
        if self._sio.connected:
            await self._sio.disconnect()
        self.meeting_id = self.participant_id = None
