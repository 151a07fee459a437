"""Meeting templates over REST (collaboration.md, Templates): x-api-key, or the session."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.format import iso
from onepizza.api.meetings import meeting_owner
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, path_id
from onepizza.schemas.templates import CreateTemplateSchema
from onepizza.services.registry import TEMPLATES


def template_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "title": row["title"],
        "settings": row["settings"],
        "createdAt": iso(row["created_at"]),
    }


class TemplateHandlers:
    @rate_limited("api")
    async def create(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        body = await load_body(request, CreateTemplateSchema())
        row = await request.app[TEMPLATES].create(
            owner, name=body["name"], title=body["title"], settings=body["settings"]
        )
        return json_response(template_body(row), status=201)

    @rate_limited("api")
    async def list(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        rows = await request.app[TEMPLATES].list(owner)
        return json_response({"templates": [template_body(row) for row in rows]})

    @rate_limited("api")
    async def get(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        row = await request.app[TEMPLATES].get(owner, path_id(request))
        return json_response(template_body(row))

    @rate_limited("api")
    async def delete(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        template_id = path_id(request)
        await request.app[TEMPLATES].delete(owner, template_id)
        return json_response({"message": "Template deleted", "id": template_id})
