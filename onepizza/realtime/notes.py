"""Shared notes events (collaboration.md): `notes:update` on a version; a stale one gets
`notes:conflict` with the current pad, to the sender only. Our addition: `notes:get` answers
the sender with `notes:current` (the pad), so a page that joined late can show the text
before it edits (`joined` carries only the version)."""

from __future__ import annotations

import socketio
from aiohttp import web

from onepizza.realtime import payloads
from onepizza.realtime.meetings import handler_for, located
from onepizza.realtime.polls import load, refusals
from onepizza.schemas.collab import NotesUpdateEventSchema
from onepizza.services.notes import NotesConflict
from onepizza.services.registry import NOTES


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)

    @on("notes:update")
    async def update(sid, data):
        body = load(NotesUpdateEventSchema(), data)
        meeting, me = await located(app, sid)
        with refusals():
            try:
                await app[NOTES].write(
                    meeting.meeting_id, body["text"], me.name, body["baseVersion"]
                )
            except NotesConflict as conflict:
                current = conflict.current
                payload = {"text": current["text"], "version": current["version"]}
                await sio.emit("notes:conflict", payload, to=sid)

    @on("notes:get")
    async def get(sid, data):
        payloads.as_dict(data)  # {}: like every event, an object
        meeting, _ = await located(app, sid)
        await sio.emit("notes:current", await app[NOTES].get(meeting.meeting_id), to=sid)
