"""bcrypt hashing, run in an executor so its ~200 ms never blocks the event loop."""

from __future__ import annotations

import asyncio
import functools

import bcrypt

MIN_LENGTH = 8
MAX_BYTES = 72  # bcrypt ignores anything past 72 bytes; longer passwords are refused


class PasswordHasher:
    def __init__(self, rounds: int = 12):
        self._rounds = rounds
        # Checked against when an email is unknown, so that a login for a missing account
        # costs the same as a wrong password.
        self._dummy_hash = bcrypt.hashpw(b"onepizza-dummy", bcrypt.gensalt(rounds)).decode()

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self._rounds)
        hashed = await _in_executor(bcrypt.hashpw, password.encode(), salt)
        return hashed.decode()

    async def verify(self, password: str, hashed: str | None) -> bool:
        ok = await _in_executor(
            bcrypt.checkpw, password.encode(), (hashed or self._dummy_hash).encode()
        )
        return ok and hashed is not None


async def _in_executor(func, *args):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(func, *args))
