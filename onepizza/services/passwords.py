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
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self._rounds)
        hashed = await _in_executor(bcrypt.hashpw, password.encode(), salt)
        return hashed.decode()

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Check a password; with no hash (unknown account) check against a dummy one of
        the same cost, so that both answers take the same time."""
        if hashed is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("onepizza-dummy-password")
            await _in_executor(bcrypt.checkpw, password.encode(), self._dummy_hash.encode())
            return False
        return await _in_executor(bcrypt.checkpw, password.encode(), hashed.encode())


async def _in_executor(func, *args):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(func, *args))
