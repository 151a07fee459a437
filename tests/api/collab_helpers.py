"""Helpers for the polls, Q&A, notes and attendance tests: a server, an account with a
meeting, and SDK Bots (real Socket.IO clients over TCP) joined to it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from onepizza.app import create_app
from onepizza.client import Bot
from tests.api.meeting_helpers import API_ENV, User, create_meeting, register
from tests.client.heard import Heard


@dataclass
class Room:
    """A meeting of `owner` on a live server, and Bots joined to it."""

    http: object
    url: str
    owner: User
    meeting: dict
    bots: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.meeting["meetingId"]

    @property
    def token(self) -> str:
        return self.meeting["adminToken"]

    def path(self, tail: str) -> str:
        return f"/api/meetings/{self.id}/{tail}"

    async def bot(self, name: str, *, host: bool = False, meeting: str | None = None):
        """A Bot joined to the meeting (or another); it and what it heard."""
        bot = Bot(self.url, name, reconnect=False)
        self.bots.append(bot)
        heard = Heard(bot)
        token = self.token if host and meeting is None else None
        joined = await bot.join(meeting or self.id, admin_token=token)
        return bot, heard, joined


@pytest.fixture
async def room(serve, make_settings, database_url):
    http = await serve(create_app(make_settings(API_ENV)))
    owner = await register(http, database_url, balance=10)
    made = Room(http, str(http.make_url("")).rstrip("/"), owner, {})
    made.meeting = await create_meeting(http, owner, title="Team sync")
    yield made
    await asyncio.gather(*(bot.leave() for bot in made.bots), return_exceptions=True)


async def heard_error(heard: Heard, after: int) -> str:
    """The message of the first `error` the Bot hears after index `after`."""
    return (await heard.next("error", after))["message"]


async def nothing_more(heard: Heard, event: str, after: int, wait: float = 0.3) -> None:
    """No `event` arrives after index `after` within `wait` seconds."""
    await asyncio.sleep(wait)
    assert event not in heard.names(after), heard.events[after:]


async def until(check, timeout: float = 5.0, step: float = 0.05):
    """Call `check()` (async) until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s: {check}")
        await asyncio.sleep(step)
