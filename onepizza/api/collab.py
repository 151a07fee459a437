"""Polls, Q&A, shared notes and attendance over REST (collaboration.md): x-api-key (the
meeting owner's account or company, or the session) or the meeting's x-admin-token."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.meetings import meeting_owner
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, load_query, path_id
from onepizza.schemas.collab import (
    AttendanceQuerySchema,
    CreatePollSchema,
    QuestionsQuerySchema,
    UpdateNotesSchema,
)
from onepizza.services.attendance import as_csv
from onepizza.services.meeting_access import MeetingRef
from onepizza.services.notes import NotesConflict
from onepizza.services.registry import ATTENDANCE, MEETING_ACCESS, NOTES, POLLS, QUESTIONS

REST_AUTHOR = "API"  # `updatedBy` of notes written over REST


async def reached(request: web.Request) -> MeetingRef:
    """The path's meeting, for the owner's key (or session) or, without a key, its host
    token: 401 without either, 404 for another account's meeting, 403 for a wrong token."""
    token = request.headers.get("x-admin-token")
    user = None
    if token is None or "x-api-key" in request.headers:
        user = await meeting_owner(request)
    return await request.app[MEETING_ACCESS].reach(
        request.match_info["meeting_id"], user=user, admin_token=token
    )


class CollabHandlers:
    @rate_limited("api")
    async def create_poll(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        body = await load_body(request, CreatePollSchema())
        poll = await request.app[POLLS].create(meeting.meeting_id, body, None)
        return json_response({"poll": poll}, status=201)

    @rate_limited("api")
    async def list_polls(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        return json_response({"polls": await request.app[POLLS].list(meeting.meeting_id)})

    @rate_limited("api")
    async def close_poll(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        poll_id = path_id(request, "poll_id")
        poll = await request.app[POLLS].close(meeting.meeting_id, poll_id, None)
        return json_response({"poll": poll})

    @rate_limited("api")
    async def questions(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        query = load_query(request, QuestionsQuerySchema())
        questions = await request.app[QUESTIONS].list(
            meeting.meeting_id, include_dismissed=query["include"] == "dismissed"
        )
        return json_response({"questions": questions})

    @rate_limited("api")
    async def get_notes(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        return json_response(await request.app[NOTES].get(meeting.meeting_id))

    @rate_limited("api")
    async def put_notes(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        body = await load_body(request, UpdateNotesSchema())
        try:
            notes = await request.app[NOTES].write(
                meeting.meeting_id, body["text"], REST_AUTHOR, body["baseVersion"]
            )
        except NotesConflict as conflict:
            return json_response({"error": conflict.message, **conflict.current}, status=409)
        return json_response(notes)

    @rate_limited("api")
    async def attendance(self, request: web.Request) -> web.Response:
        meeting = await reached(request)
        query = load_query(request, AttendanceQuerySchema())
        report = await request.app[ATTENDANCE].report(meeting)
        if query["format"] == "csv":
            return web.Response(
                text=as_csv(report),
                content_type="text/csv",
                headers={
                    "Content-Disposition": (
                        f'attachment; filename="attendance-{meeting.meeting_id}.csv"'
                    )
                },
            )
        return json_response(report)
