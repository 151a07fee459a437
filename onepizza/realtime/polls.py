"""Poll events (collaboration.md): the host creates and closes, everyone votes. Also what
the Q&A and notes events share: payloads checked by the REST schemas, refusals as `error`."""

from __future__ import annotations

import contextlib

import socketio
from aiohttp import web
from marshmallow import Schema, ValidationError

from onepizza.errors import AppError, Forbidden, NotFound
from onepizza.realtime import payloads
from onepizza.realtime.meetings import handler_for, located
from onepizza.schemas.collab import CreatePollSchema, PollRefSchema, VoteSchema
from onepizza.services.registry import POLLS


def load(schema: Schema, data) -> dict:
    """The payload checked by `schema`; a BadPayload naming the first bad field."""
    try:
        return schema.load(payloads.as_dict(data))
    except ValidationError as err:
        field, messages = next(iter(err.normalized_messages().items()))
        while isinstance(messages, dict):
            field, messages = next(iter(messages.items()))
        message = messages[0] if isinstance(messages, list) else str(messages)
        raise payloads.BadPayload(f"{field}: {message}") from None


@contextlib.contextmanager
def refusals():
    """A service's refusal becomes the socket's `error` event: 403 not_allowed, 404
    not_found, anything else (400, 409) bad_payload."""
    try:
        yield
    except Forbidden as exc:
        raise payloads.NotAllowed(exc.message) from None
    except NotFound as exc:
        raise payloads.BadPayload(exc.message, payloads.NOT_FOUND) from None
    except AppError as exc:
        raise payloads.BadPayload(exc.message) from None


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)

    @on("poll:create")
    async def create(sid, data):
        body = load(CreatePollSchema(), data)
        meeting, me = await located(app, sid)
        with refusals():
            await app[POLLS].create(meeting.meeting_id, body, me)

    @on("poll:close")
    async def close(sid, data):
        body = load(PollRefSchema(), data)
        meeting, me = await located(app, sid)
        with refusals():
            await app[POLLS].close(meeting.meeting_id, body["pollId"], me)

    @on("poll:vote")
    async def vote(sid, data):
        body = load(VoteSchema(), data)
        meeting, me = await located(app, sid)
        with refusals():
            await app[POLLS].vote(meeting.meeting_id, me, body["pollId"], body["choice"])
