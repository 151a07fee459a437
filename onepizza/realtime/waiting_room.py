"""Waiting room events (§11): queue, admit, deny; hosts see the queue."""

from __future__ import annotations

import socketio
from aiohttp import web

from onepizza.realtime import payloads
from onepizza.realtime.meetings import handler_for, located
from onepizza.realtime.notifier import hosts_room
from onepizza.services.registry import ANALYTICS, LIVE


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)
    live = lambda: app[LIVE]  # noqa: E731

    @on("waiting-room:join")
    async def join(sid, data):
        data = payloads.as_dict(data)
        meeting_id = payloads.text(data, "meetingId", max_length=64)
        name = payloads.text(data, "name", max_length=60, required=False) or "Guest"
        meeting = await live().meeting(meeting_id)
        if meeting is None:
            raise payloads.BadPayload("Meeting not found", "meeting_not_found")
        if not meeting.settings["waitingRoom"]:
            raise payloads.BadPayload("This meeting has no waiting room: join it directly")
        count = await live().add_waiting(meeting_id, sid, name)
        await sio.emit(
            "waiting-room:waiting", {"message": "Waiting for the host to let you in"}, to=sid
        )
        await sio.emit(
            "waiting-room:participant-waiting",
            {"socketId": sid, "name": name, "count": count},
            room=hosts_room(meeting_id),
        )

    async def decide(sid, data, admit: bool):
        data = payloads.as_dict(data)
        meeting_id = payloads.text(data, "meetingId", max_length=64)
        target = payloads.text(data, "socketId", max_length=64)
        meeting, me = await located(app, sid)
        if meeting.meeting_id != meeting_id or not me.is_admin:
            raise payloads.NotAllowed("Only a host of this meeting can do that")
        removed = await live().remove_waiting(meeting_id, target)
        if removed is None:
            raise payloads.BadPayload("Nobody with that socketId is waiting", payloads.NOT_FOUND)
        name, count = removed
        action = "admit" if admit else "deny"
        app[ANALYTICS].track_feature(meeting, "waiting_room", {"action": action})
        if admit:
            await live().admit(meeting_id, target)
            await sio.emit("waiting-room:admitted", {}, to=target)
        else:
            await sio.emit(
                "waiting-room:denied", {"message": "The host declined your request"}, to=target
            )
        await sio.emit(
            "waiting-room:participant-waiting",
            {"socketId": target, "name": name, "count": count, "removed": True},
            room=hosts_room(meeting_id),
        )

    @on("waiting-room:admit")
    async def admit(sid, data):
        await decide(sid, data, admit=True)

    @on("waiting-room:deny")
    async def deny(sid, data):
        await decide(sid, data, admit=False)
