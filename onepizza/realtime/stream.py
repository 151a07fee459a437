"""Live stream events (§10): a host starts and stops the meeting's live broadcast; everyone
hears of it (never the URL, which is the stream's secret key); webhooks stream.started and
stream.stopped."""

from __future__ import annotations

import socketio
from aiohttp import web

from onepizza.realtime import payloads
from onepizza.realtime.notifier import meeting_room
from onepizza.services import breakout as rules
from onepizza.services.registry import LIVE, WEBHOOKS


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    from onepizza.realtime.meetings import handler_for, located

    on = handler_for(sio)

    async def host(sid):
        meeting, me = await located(app, sid)
        if not me.is_admin:
            raise payloads.NotAllowed("Only a host can do that")
        return meeting, me

    def webhook(meeting, event: str, host_name: str | None) -> None:
        hook = rules.stream_event(meeting, event, host_name)
        if hook is not None and WEBHOOKS in app:
            app[WEBHOOKS].emit(hook)

    @on("stream:start")
    async def start(sid, data):
        url = payloads.as_dict(data).get("url")
        meeting, me = await host(sid)
        try:
            rules.stream_url(url)  # checked, then forgotten: the server sends nothing there
        except rules.BreakoutRefused as exc:
            raise payloads.BadPayload(str(exc)) from None
        if not await app[LIVE].set_stream(meeting.meeting_id, me.name):
            raise payloads.BadPayload("A live stream is already running")
        await sio.emit(
            "stream:started", {"hostName": me.name}, room=meeting_room(meeting.meeting_id)
        )
        webhook(meeting, "stream.started", me.name)

    @on("stream:stop")
    async def stop(sid, data):
        meeting, _ = await host(sid)
        if not await app[LIVE].set_stream(meeting.meeting_id, None):
            raise payloads.BadPayload("No live stream is running")
        await sio.emit("stream:stopped", {}, room=meeting_room(meeting.meeting_id))
        webhook(meeting, "stream.stopped", None)
