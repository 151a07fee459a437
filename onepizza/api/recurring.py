"""Recurring meetings over REST (collaboration.md, Recurring meetings): x-api-key, or the
session."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.format import iso, iso_ms
from onepizza.api.meetings import meeting_owner
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, path_id
from onepizza.live.state import public_settings
from onepizza.schemas.templates import CreateRecurringSchema
from onepizza.services.recurring import RecurringService, admin_token
from onepizza.services.registry import RECURRING


def rule_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "title": row["title"],
        "rrule": row["rrule"],
        "startAt": iso_ms(row["start_at"]),
        "timezone": row["timezone"],
        "durationMinutes": row["duration_minutes"],
        "templateId": row["template_id"],
        "settings": public_settings(row["settings"]),
        "nextOccurrences": [iso_ms(at) for at in RecurringService.next_occurrences(row)],
        "createdAt": iso(row["created_at"]),
    }


def meeting_body(rule: dict, meeting: dict) -> dict:
    body = {
        "meetingId": meeting["id"],
        "title": meeting["title"],
        "status": meeting["status"],
        "occurrenceAt": iso_ms(meeting["occurs_at"]),
        "scheduledAt": iso_ms(meeting["scheduled_at"]),
        "joinUrl": f"/join/{meeting['id']}",
    }
    if meeting["status"] in ("scheduled", "active"):
        body["adminToken"] = admin_token(rule["token_key"], meeting["id"])
    return body


class RecurringHandlers:
    @rate_limited("api")
    async def create(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        body = await load_body(request, CreateRecurringSchema())
        row = await request.app[RECURRING].create(owner, body)
        return json_response(rule_body(row), status=201)

    @rate_limited("api")
    async def list(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        rows = await request.app[RECURRING].list(owner)
        return json_response({"recurring": [rule_body(row) for row in rows]})

    @rate_limited("api")
    async def get(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        row, meetings = await request.app[RECURRING].get(owner, path_id(request))
        return json_response(
            {**rule_body(row), "meetings": [meeting_body(row, m) for m in meetings]}
        )

    @rate_limited("api")
    async def delete(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        rule_id = path_id(request)
        cancelled = await request.app[RECURRING].delete(owner, rule_id)
        return json_response(
            {"message": "Recurring meeting deleted", "id": rule_id, "cancelled": cancelled}
        )
