"""Q&A events (collaboration.md): anyone asks and upvotes; the host answers and dismisses.
Our addition: `qa:list` answers the sender with `qa:questions {questions}` (not dismissed,
in the REST order), so a page that joined late shows what was asked before."""

from __future__ import annotations

import socketio
from aiohttp import web

from onepizza.realtime import payloads
from onepizza.realtime.meetings import handler_for, located
from onepizza.realtime.polls import load, refusals
from onepizza.schemas.collab import AskSchema, QuestionRefSchema
from onepizza.services.registry import QUESTIONS


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)

    @on("qa:ask")
    async def ask(sid, data):
        body = load(AskSchema(), data)
        meeting, me = await located(app, sid)
        with refusals():
            await app[QUESTIONS].ask(meeting.meeting_id, me, body["text"])

    @on("qa:list")
    async def listing(sid, data):
        payloads.as_dict(data)  # {}: like every event, an object
        meeting, _ = await located(app, sid)
        questions = await app[QUESTIONS].list(meeting.meeting_id)
        await sio.emit("qa:questions", {"questions": questions}, to=sid)

    def marking(event: str, action: str):
        @on(event)
        async def handle(sid, data):
            body = load(QuestionRefSchema(), data)
            meeting, me = await located(app, sid)
            with refusals():
                await getattr(app[QUESTIONS], action)(meeting.meeting_id, me, body["questionId"])

        handle.__name__ = action

    marking("qa:upvote", "upvote")
    marking("qa:answer", "answer")
    marking("qa:dismiss", "dismiss")
