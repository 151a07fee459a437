"""§9 webhooks over HTTP: list, register (secret shown once), delete, deliveries, retry."""

from __future__ import annotations

import uuid

from aiohttp import web

from onepizza.api.auth import require_user_or_api_key
from onepizza.api.format import iso
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, load_query, path_id
from onepizza.errors import NotFound
from onepizza.schemas.query import PageQuerySchema
from onepizza.schemas.webhooks import CreateWebhookSchema
from onepizza.services.registry import WEBHOOKS


def webhook_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": list(row["events"]),
        "created_at": iso(row["created_at"]),
    }


def delivery_body(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "event": row["event"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_response_code": row["last_response_code"],
        "last_error": row["last_error"],
        "next_retry_at": iso(row["next_retry_at"]),
        "created_at": iso(row["created_at"]),
        "delivered_at": iso(row["delivered_at"]),
    }


def delivery_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["delivery_id"])
    except ValueError:
        raise NotFound("Delivery not found") from None


class WebhookHandlers:
    @rate_limited("api")
    async def list(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        rows = await request.app[WEBHOOKS].list(user)
        return json_response({"webhooks": [webhook_body(r) for r in rows]})

    @rate_limited("api")
    async def create(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        body = await load_body(request, CreateWebhookSchema())
        row = await request.app[WEBHOOKS].create(user, url=body["url"], events=body["events"])
        return json_response({**webhook_body(row), "secret": row["secret"]}, status=201)

    @rate_limited("api")
    async def delete(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        await request.app[WEBHOOKS].delete(user, path_id(request))
        return json_response({"message": "Webhook deleted"})

    @rate_limited("api")
    async def deliveries(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        query = load_query(request, PageQuerySchema())
        rows = await request.app[WEBHOOKS].deliveries(user, path_id(request), **query)
        return json_response({"deliveries": [delivery_body(r) for r in rows]})

    @rate_limited("api")
    async def retry(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        row = await request.app[WEBHOOKS].retry(user, path_id(request), delivery_id(request))
        return json_response(delivery_body(row), status=202)
