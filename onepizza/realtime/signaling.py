"""WebRTC signaling (§12): offers, answers and ICE candidates, to one named participant of
the sender's own meeting, with `from` set by the server."""

from __future__ import annotations

import orjson
import socketio
from aiohttp import web

from onepizza.live.state import ELSEWHERE
from onepizza.realtime import payloads
from onepizza.realtime.meetings import handler_for
from onepizza.realtime.server import ROUTES
from onepizza.services.registry import LIVE, MEETINGS

SIGNALS = {
    "signal:offer": "offer",
    "signal:answer": "answer",
    "signal:ice-candidate": "candidate",
}


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)
    routes = app[ROUTES]

    def relay(event: str, field: str):
        async def handler(sid, data):
            data = payloads.as_dict(data)
            to = payloads.text(data, "to", max_length=64)
            body = payloads.bounded(data.get(field))
            local = routes.route(sid, to)
            if local is not None:  # both sockets here, in the meeting: no store round trip
                sender, target_sid = local
                await sio.emit(event, {"from": sender, field: body}, to=target_sid)
                return
            # One step of the store: sender and target, and for a target on another
            # process, the signal published to it.
            found = await app[LIVE].relay(
                sid,
                to,
                event=event,
                field=field,
                body=orjson.dumps(body),
                node=app[MEETINGS].node_id,
            )
            if found is None:
                raise payloads.NotJoined("Join a meeting first")
            sender, target_sid, sent = found
            if target_sid is None:
                raise payloads.BadPayload("No such participant in this meeting", payloads.NOT_FOUND)
            if target_sid == ELSEWHERE:  # breakout rooms: only within one's own room
                raise payloads.BadPayload(
                    "That participant is in another room", code=payloads.OTHER_ROOM
                )
            if not sent:
                await sio.emit(event, {"from": sender, field: body}, to=target_sid)

        handler.__name__ = event
        return handler

    for event, field in SIGNALS.items():
        on(event)(relay(event, field))
