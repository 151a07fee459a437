"""Test helpers for the SDK Bot: every event it delivers, in order, and waiting for one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from onepizza.client import Bot
from onepizza.client.bot import DISCONNECTED, REJOIN_FAILED, SERVER_EVENTS


class Heard:
    """Every event a Bot delivers (server events and its own), in order, through `on()`."""

    def __init__(self, bot: Bot):
        self.events: list[tuple[str, Any]] = []
        for name in ("joined", *SERVER_EVENTS, DISCONNECTED, REJOIN_FAILED):
            bot.on(name, partial(self._add, name))

    def _add(self, name: str, data: Any) -> None:
        self.events.append((name, data))

    def mark(self) -> int:
        return len(self.events)

    def names(self, after: int = 0) -> list[str]:
        return [name for name, _ in self.events[after:]]

    async def next(self, name: str, after: int, timeout: float = 5.0) -> Any:
        """The first `name` event at or after index `after`, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for event, data in self.events[after:]:
                if event == name:
                    return data
            if time.monotonic() > deadline:
                pytest.fail(f"no {name!r} within {timeout} s; heard {self.names(after)}")
            await asyncio.sleep(0.05)

    def present(self) -> set[str]:
        """Who is in the meeting as this bot last learned it: its last `joined` list, then
        `participant:joined` and `participant:left`."""
        last = max((i for i, (name, _) in enumerate(self.events) if name == "joined"), default=-1)
        if last < 0:
            return set()
        ids = {p["participantId"] for p in self.events[last][1]["participants"]}
        for name, data in self.events[last + 1 :]:
            if name == "participant:joined":
                ids.add(data["participantId"])
            elif name == "participant:left":
                ids.discard(data["participantId"])
        return ids


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)
