"""§20 recordings: upload (multipart, streamed), list, download (with Range), delete."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_user_or_api_key
from onepizza.api.format import iso
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, path_id
from onepizza.errors import BadRequest
from onepizza.services.registry import RECORDINGS

CHUNK = 256 * 1024
MALFORMED_MULTIPART = "Malformed multipart body: its boundary is missing or not the one declared"


def recording_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "filename": row["filename"],
        "size_bytes": row["size_bytes"],
        "created_at": iso(row["created_at"]),
    }


class RecordingHandlers:
    @rate_limited("api")
    async def upload(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        meeting_id = request.match_info["meeting_id"]
        service = request.app[RECORDINGS]
        await service.check_upload(user, meeting_id, request.content_length)
        if not request.content_type.startswith("multipart/"):
            raise BadRequest("Send the file as multipart/form-data in the field 'recording'")
        try:
            reader = await request.multipart()
            part = await reader.next()
            while part is not None and part.name != "recording":
                await part.release()
                part = await reader.next()
        except ValueError:  # aiohttp: no boundary, or not the one the body uses
            raise BadRequest(MALFORMED_MULTIPART) from None
        if part is None or not hasattr(part, "read_chunk"):
            raise BadRequest("The multipart field 'recording' is required")

        async def chunks():
            while True:
                try:
                    chunk = await part.read_chunk(CHUNK)
                except ValueError:
                    raise BadRequest(MALFORMED_MULTIPART) from None
                if not chunk:
                    return
                yield chunk

        row = await service.store(
            user,
            meeting_id,
            filename=part.filename,
            content_type=part.headers.get("Content-Type", "application/octet-stream"),
            chunks=chunks(),
        )
        return json_response(recording_body(row), status=201)

    @rate_limited("api")
    async def list(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        rows = await request.app[RECORDINGS].list(user, request.match_info["meeting_id"])
        return json_response({"recordings": [recording_body(r) for r in rows]})

    @rate_limited("api")
    async def download(self, request: web.Request) -> web.StreamResponse:
        user = await require_user_or_api_key(request)
        path, row = await request.app[RECORDINGS].file(user, path_id(request))
        quoted = row["filename"].replace('"', "")
        return web.FileResponse(
            path,
            headers={
                "Content-Disposition": f'attachment; filename="{quoted}"',
                "Content-Type": row["content_type"],
                "Cache-Control": "private, no-store",
            },
        )

    @rate_limited("api")
    async def delete(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        await request.app[RECORDINGS].delete(user, path_id(request))
        return json_response({"message": "Recording deleted"})
