"""A test participant: a real python-socketio client over TCP that records what it hears."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import socketio

from onepizza.client.bot import SERVER_EVENTS

EVENTS = ("joined", *SERVER_EVENTS)


class Bot:
    def __init__(self, url: str):
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list] = defaultdict(list)
        self._arrived = asyncio.Condition()
        for event in EVENTS:
            self.sio.on(event, self._recorder(event))

    def _recorder(self, event):
        async def record(data=None):
            async with self._arrived:
                self.events[event].append(data)
                self._arrived.notify_all()

        return record

    async def connect(self) -> Bot:
        await self.sio.connect(self.url, transports=["websocket"])
        return self

    async def emit(self, event, data=None):
        await self.sio.emit(event, data)

    async def expect(self, event: str, count: int = 1, timeout: float = 3.0):
        """Wait until `count` `event`s have arrived; return the last."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.events[event]) >= count), timeout
            )
        return self.events[event][count - 1]

    async def join(self, meeting_id: str, name: str, **extra) -> dict:
        before = len(self.events["joined"])
        await self.emit("join-meeting", {"meetingId": meeting_id, "name": name, **extra})
        return await self.expect("joined", before + 1)

    async def refused(self, meeting_id: str, name: str = "X", **extra) -> str:
        before = len(self.events["error"])
        await self.emit("join-meeting", {"meetingId": meeting_id, "name": name, **extra})
        return (await self.expect("error", before + 1))["message"]

    async def close(self):
        if self.sio.connected:
            await self.sio.disconnect()
