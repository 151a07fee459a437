"""The password rule and bcrypt hashing, run in an executor so its ~200 ms never blocks the
event loop.

The rule lives here only: a new password (register, reset, change) is 8 characters to 72
UTF-8 bytes, since bcrypt reads no further (bcrypt 5 raises ValueError past 72 bytes); a
longer password offered at login or as the current password simply does not match."""

from __future__ import annotations

import asyncio
import functools

import bcrypt

from onepizza.errors import BadRequest

MIN_LENGTH = 8
MAX_BYTES = 72  # bcrypt ignores anything past 72 bytes; longer passwords are refused


def check_new_password(password: str, field: str = "password") -> None:
    """400 naming the field unless the password may be set: MIN_LENGTH characters to MAX_BYTES
    UTF-8 bytes."""
    if len(password) < MIN_LENGTH:
        raise BadRequest(
            f"Password must be at least {MIN_LENGTH} characters",
            details={field: [f"Must be at least {MIN_LENGTH} characters."]},
        )
    if not fits(password):
        raise BadRequest(
            f"Password must be at most {MAX_BYTES} bytes",
            details={field: [f"Must be at most {MAX_BYTES} bytes."]},
        )


def fits(password: str) -> bool:
    """Whether bcrypt can take the password whole (no password past MAX_BYTES is ever set)."""
    return len(password.encode()) <= MAX_BYTES


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
        the same cost, so that both answers take the same time. A password too long to have
        been set matches nothing (checked at the same cost too)."""
        if not fits(password):
            await self.verify(password.encode()[:MAX_BYTES].decode(errors="ignore"), None)
            return False
        if hashed is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("onepizza-dummy-password")
            await _in_executor(bcrypt.checkpw, password.encode(), self._dummy_hash.encode())
            return False
        return await _in_executor(bcrypt.checkpw, password.encode(), hashed.encode())


async def _in_executor(func, *args):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(func, *args))
