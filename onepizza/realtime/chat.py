"""Chat events (§10): messages with replies, and reactions to messages."""

from __future__ import annotations

import socketio
from aiohttp import web

from onepizza.realtime import payloads
from onepizza.realtime.breakout import emit_in_room
from onepizza.realtime.meetings import handler_for, located
from onepizza.services.breakout import room_name
from onepizza.services.chat import ChatRefused
from onepizza.services.registry import ANALYTICS, CHAT, LIVE


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)

    @on("chat:message")
    async def chat_message(sid, data):
        data = payloads.as_dict(data)
        meeting, me = await located(app, sid)
        try:
            message = await app[CHAT].post(
                meeting,
                me,
                data.get("text"),
                data.get("replyTo"),
                room_name=room_name(meeting, me.room),
            )
        except ChatRefused as exc:
            raise payloads.BadPayload(str(exc)) from None
        app[ANALYTICS].track_feature(meeting, "chat", {"length": len(message["text"])})
        await emit_in_room(sio, app[LIVE], meeting, me, "chat:message", message)

    @on("chat:react")
    async def chat_react(sid, data):
        data = payloads.as_dict(data)
        meeting, me = await located(app, sid)
        try:
            reaction = await app[CHAT].react(meeting, me, data.get("msgId"), data.get("emoji"))
        except ChatRefused as exc:
            raise payloads.BadPayload(str(exc)) from None
        app[ANALYTICS].track_feature(meeting, "chat_reaction", {"emoji": reaction["emoji"]})
        await emit_in_room(sio, app[LIVE], meeting, me, "chat:react", reaction)
