"""Meeting recordings: streamed to RECORDINGS_DIR under a size limit, listed, served, removed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from onepizza.db import cursor
from onepizza.db import meetings as meeting_sql
from onepizza.db import recordings as recording_sql
from onepizza.errors import AppError, Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType
from onepizza.services.webhooks import recording_uploaded

MB = 1024 * 1024


class InsufficientStorage(AppError):
    """507: the server's disk cannot take the upload now."""

    status = 507


SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def clean_filename(name: str | None) -> str:
    """A display name with no path and no odd characters."""
    base = Path(name or "").name.strip()
    base = SAFE_NAME.sub("_", base)[:200].strip(" .")
    return base or "recording.webm"


def _may_see(owners: dict | None, user: dict) -> bool:
    if owners is None:
        return False
    return owners["owner_id"] == user["id"] or (
        owners["company_id"] is not None and owners["company_id"] == user.get("company_id")
    )


def _megabytes(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size < 1024 * MB else f"{size / (1024 * MB):,.1f} GB"


class RecordingService:
    """Uploads are bounded: by size, by the owner's quota (all its recordings), by the disk's
    free space, and in time (while the meeting runs and `upload_window` seconds after)."""

    def __init__(
        self,
        pool,
        directory: Path,
        *,
        max_bytes: int,
        quota_bytes: int = 5 * 1024 * MB,
        min_free_bytes: int = 1024 * MB,
        upload_window: float = 3600.0,
        webhooks=None,
    ):
        self._pool = pool
        self._dir = directory
        self._max = max_bytes
        self._quota = quota_bytes
        self._min_free = min_free_bytes
        self._window = timedelta(seconds=upload_window)
        self._webhooks = webhooks

    async def _meeting_owners(self, user: dict, meeting_id: str) -> dict:
        async with cursor(self._pool) as cur:
            owners = await meeting_sql.owners(cur, meeting_id)
        if not _may_see(owners, user):
            raise NotFound("Meeting not found")
        return owners

    async def check_upload(self, user: dict, meeting_id: str, declared_size: int | None) -> None:
        """Refuse early what can be refused before the body is read."""
        await self._admit(user, meeting_id, declared_size)

    async def _admit(self, user: dict, meeting_id: str, declared_size: int | None):
        """The meeting's owners and the room left in their quota, or the refusal."""
        async with cursor(self._pool) as cur:
            target = await recording_sql.upload_target(cur, meeting_id)
        if not _may_see(target, user):
            raise NotFound("Meeting not found")
        if target["status"] == "scheduled":
            raise Conflict("The meeting has not started: record it first")
        if target["status"] != "active" and (
            target["since_end"] is None or target["since_end"] > self._window
        ):
            minutes = self._window.total_seconds() / 60
            raise Conflict(f"Uploads close {minutes:g} minutes after the meeting ends")
        if declared_size is not None and declared_size > self._max + 64 * 1024:
            raise PayloadTooLarge(f"Recordings are at most {self._max // MB} MB")
        room = self._quota - target["used_bytes"]
        if room <= 0 or (declared_size is not None and declared_size > room + 64 * 1024):
            raise PayloadTooLarge(
                f"This account's recordings may take {_megabytes(self._quota)} in all; "
                f"{_megabytes(max(room, 0))} is left"
            )
        await self._check_disk(min(declared_size or self._max, self._max))
        return target, room

    async def _check_disk(self, size: int) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._make_dir)
        usage = await loop.run_in_executor(None, shutil.disk_usage, self._dir)
        if usage.free < size + self._min_free:
            raise InsufficientStorage("The server has no room for this recording now")

    def _make_dir(self) -> None:
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _create(self, path: Path):
        """A new file only its owner (the server's user) can read or write."""
        return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    async def store(
        self,
        user: dict,
        meeting_id: str,
        *,
        filename: str | None,
        content_type: str,
        chunks: AsyncIterator[bytes],
    ) -> dict:
        """Write the upload to disk chunk by chunk; over the size limit or the owner's quota,
        remove it and 413."""
        owners, room = await self._admit(user, meeting_id, None)
        kind = content_type.split(";")[0].strip().lower()
        if not kind.startswith(("video/", "audio/")):
            raise UnsupportedMediaType("Recordings must be video/* or audio/*")
        loop = asyncio.get_running_loop()
        stored_name = f"{meeting_id}-{secrets.token_hex(8)}"
        path = self._dir / stored_name
        size = 0
        handle = await loop.run_in_executor(None, self._create, path)
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self._max:
                    raise PayloadTooLarge(f"Recordings are at most {self._max // MB} MB")
                if size > room:
                    raise PayloadTooLarge(
                        f"This account's recordings may take {_megabytes(self._quota)} in all"
                    )
                await loop.run_in_executor(None, handle.write, chunk)
        except BaseException:
            await loop.run_in_executor(None, handle.close)
            with contextlib.suppress(OSError):
                await loop.run_in_executor(None, path.unlink)
            raise
        await loop.run_in_executor(None, handle.close)
        async with cursor(self._pool) as cur:
            row = await recording_sql.insert(
                cur,
                meeting_id=meeting_id,
                owner_id=owners["owner_id"],
                company_id=owners["company_id"],
                filename=clean_filename(filename),
                stored_name=stored_name,
                content_type=kind,
                size_bytes=size,
            )
        if self._webhooks is not None:
            self._webhooks.emit(recording_uploaded(owners["owner_id"], meeting_id, row))
        return row

    async def list(self, user: dict, meeting_id: str) -> list[dict]:
        await self._meeting_owners(user, meeting_id)
        async with cursor(self._pool) as cur:
            return await recording_sql.for_meeting(cur, meeting_id)

    async def file(self, user: dict, recording_id: int) -> tuple[Path, dict]:
        async with cursor(self._pool) as cur:
            row = await recording_sql.get(cur, recording_id)
        if row is None or not _may_see(row, user):
            raise NotFound("Recording not found")
        path = self._dir / row["stored_name"]
        if not path.is_file():
            raise NotFound("Recording file is missing")
        return path, row

    async def delete(self, user: dict, recording_id: int) -> None:
        path, row = await self.file(user, recording_id)
        async with cursor(self._pool) as cur:
            await recording_sql.delete(cur, row["id"])
        with contextlib.suppress(OSError):
            await asyncio.get_running_loop().run_in_executor(None, path.unlink)
