"""Meeting recordings: streamed to RECORDINGS_DIR under a size limit, listed, served, removed."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from onepizza.db import cursor
from onepizza.db import meetings as meeting_sql
from onepizza.db import recordings as recording_sql
from onepizza.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from onepizza.services.webhooks import recording_uploaded

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


class RecordingService:
    def __init__(self, pool, directory: Path, *, max_bytes: int, webhooks=None):
        self._pool = pool
        self._dir = directory
        self._max = max_bytes
        self._webhooks = webhooks

    async def _meeting_owners(self, user: dict, meeting_id: str) -> dict:
        async with cursor(self._pool) as cur:
            owners = await meeting_sql.owners(cur, meeting_id)
        if not _may_see(owners, user):
            raise NotFound("Meeting not found")
        return owners

    async def check_upload(self, user: dict, meeting_id: str, declared_size: int | None) -> None:
        """Refuse early what can be refused before the body is read."""
        await self._meeting_owners(user, meeting_id)
        if declared_size is not None and declared_size > self._max + 64 * 1024:
            raise PayloadTooLarge(f"Recordings are at most {self._max // (1024 * 1024)} MB")

    async def store(
        self,
        user: dict,
        meeting_id: str,
        *,
        filename: str | None,
        content_type: str,
        chunks: AsyncIterator[bytes],
    ) -> dict:
        """Write the upload to disk chunk by chunk; over the limit, remove it and 413."""
        owners = await self._meeting_owners(user, meeting_id)
        kind = content_type.split(";")[0].strip().lower()
        if not kind.startswith(("video/", "audio/")):
            raise UnsupportedMediaType("Recordings must be video/* or audio/*")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: self._dir.mkdir(parents=True, exist_ok=True))
        stored_name = f"{meeting_id}-{secrets.token_hex(8)}"
        path = self._dir / stored_name
        size = 0
        handle = await loop.run_in_executor(None, path.open, "wb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self._max:
                    raise PayloadTooLarge(f"Recordings are at most {self._max // (1024 * 1024)} MB")
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
