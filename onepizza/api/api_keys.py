"""§2 API Keys: list (masked), create (shown once), revoke."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.auth import require_user
from onepizza.api.format import iso
from onepizza.api.request import json_response, load_body, path_id
from onepizza.schemas.accounts import CreateKeySchema
from onepizza.services.registry import API_KEYS


def key_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "key": row["key"],
        "label": row["label"],
        "is_active": row["is_active"],
        "created_at": iso(row["created_at"]),
        "last_used_at": iso(row["last_used_at"]),
    }


class ApiKeyHandlers:
    async def list(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        keys = await request.app[API_KEYS].list(user["id"])
        return json_response({"keys": [key_body(k) for k in keys]})

    async def create(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        body = await load_body(request, CreateKeySchema())
        label = (body["label"] or "").strip() or None
        key = await request.app[API_KEYS].create(user["id"], label)
        return json_response(key_body(key), status=201)

    async def revoke(self, request: web.Request) -> web.Response:
        user = await require_user(request)
        await request.app[API_KEYS].revoke(user["id"], path_id(request))
        return json_response({"message": "API key revoked"})
