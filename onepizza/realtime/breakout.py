"""Breakout room events (§10), and the room a participant's events go to.

Each breakout room is a Socket.IO room, `meeting:<id>:room:<room id>`, entered and left as
the store moves a participant; the main room is the meeting's room without the sockets in
breakout rooms (a skip list, taken only while rooms are open). Chat, reactions, captions and
participant:updated go to the sender's current room (`emit_in_room`); signals are refused
between rooms (realtime/signaling.py)."""

from __future__ import annotations

import contextlib

import socketio
from aiohttp import web

from onepizza.live.state import (
    MAIN_ROOM,
    NO_BREAKOUT,
    NOT_ASSIGNED,
    NOT_JOINED,
    UNKNOWN_PARTICIPANT,
    UNKNOWN_ROOM,
    LiveMeeting,
    LiveState,
    Participant,
)
from onepizza.realtime import payloads
from onepizza.realtime.notifier import breakout_room, hosts_room, meeting_room
from onepizza.realtime.server import ROUTES, only_here
from onepizza.services import breakout as rules
from onepizza.services.registry import LIVE


async def emit_to_room(
    sio: socketio.AsyncServer,
    meeting: LiveMeeting,
    room_id: str,
    event: str,
    data: dict,
    *,
    skip_sid: str | None = None,
) -> None:
    """To the members of room `room_id` of `meeting` (a snapshot with its participants when
    rooms are open: the main room's members are those in none)."""
    meeting_id = meeting.meeting_id
    here = only_here(sio, meeting)
    if room_id != MAIN_ROOM:
        await sio.emit(
            event,
            data,
            room=breakout_room(meeting_id, room_id),
            skip_sid=skip_sid,
            ignore_queue=here,
        )
        return
    skip = [p.sid for p in meeting.participants.values() if p.room != MAIN_ROOM]
    if skip_sid is not None:
        skip.append(skip_sid)
    await sio.emit(
        event, data, room=meeting_room(meeting_id), skip_sid=skip or None, ignore_queue=here
    )


async def emit_in_room(
    sio: socketio.AsyncServer,
    live: LiveState,
    meeting: LiveMeeting,
    me: Participant,
    event: str,
    data: dict,
    *,
    skip_sid: str | None = None,
) -> None:
    """To the members of `me`'s current room. Without breakout rooms, the meeting's room
    as before (no store call); in the main room while rooms are open, one snapshot to
    know whom to skip."""
    if me.room == MAIN_ROOM and meeting.breakout is None:
        await sio.emit(
            event,
            data,
            room=meeting_room(meeting.meeting_id),
            skip_sid=skip_sid,
            ignore_queue=only_here(sio, meeting),
        )
        return
    if me.room == MAIN_ROOM:
        meeting = await live.meeting(meeting.meeting_id) or meeting
    await emit_to_room(sio, meeting, me.room, event, data, skip_sid=skip_sid)


async def close_rooms(sio: socketio.AsyncServer, before: LiveMeeting) -> None:
    """`breakout:closed` to each room's members, everyone out of the rooms' Socket.IO rooms,
    then `breakout:all-closed` to the whole meeting."""
    meeting_id = before.meeting_id
    for room in before.breakout["rooms"]:
        name = breakout_room(meeting_id, room["id"])
        await sio.emit("breakout:closed", {}, room=name)
        await sio.close_room(name)
    await sio.emit("breakout:all-closed", {}, room=meeting_room(meeting_id))


async def tell_hosts(sio: socketio.AsyncServer, meeting: LiveMeeting) -> None:
    rooms = rules.rooms_view(meeting, with_assigned=True)
    await sio.emit("breakout:updated", {"rooms": rooms}, room=hosts_room(meeting.meeting_id))


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    # realtime.meetings imports this module (emit_in_room): its guard is imported here.
    from onepizza.realtime.meetings import handler_for, located

    on = handler_for(sio)
    routes = app[ROUTES]

    async def host(sid):
        meeting, me = await located(app, sid)
        if not me.is_admin:
            raise payloads.NotAllowed("Only a host can do that")
        return meeting, me

    @on("breakout:create")
    async def create(sid, data):
        names = payloads.as_dict(data).get("rooms")
        meeting, _ = await host(sid)
        with ruled():
            before, after = await rules.create(app[LIVE], meeting, names)
        if before.breakout is not None:  # creating again replaces: as if closed first
            await close_rooms(sio, before)
        await sio.emit(
            "breakout:created",
            {"rooms": rules.created_view(after)},
            room=hosts_room(meeting.meeting_id),
        )

    @on("breakout:assign")
    async def assign(sid, data):
        value = payloads.as_dict(data).get("assignments")
        meeting, _ = await host(sid)
        with ruled():
            pairs = rules.assignments_of(value)
            step = rules.checked(await app[LIVE].assign_breakout(meeting.meeting_id, pairs))
        after = step.meeting
        for pid, room_id in dict(pairs).items():
            await sio.emit(
                "breakout:assigned",
                {"roomId": room_id or None, "roomName": rules.room_name(after, room_id)},
                to=after.participants[pid].sid,
            )
        await tell_hosts(sio, after)

    async def move(sid, room_id: str):
        routes.moving(sid)  # before the store can put it in a room: no local shortcut
        with ruled():
            step = rules.checked(await app[LIVE].move_breakout(sid, room_id))
        me, after = step.participant, step.meeting
        if step.previous == me.room:
            return  # already there
        pid = me.participant_id
        if step.previous != MAIN_ROOM:
            await sio.leave_room(sid, breakout_room(after.meeting_id, step.previous))
        left = {"participantId": pid}
        await emit_to_room(sio, after, step.previous, "breakout:participant-left", left)
        if me.room != MAIN_ROOM:
            await sio.enter_room(sid, breakout_room(after.meeting_id, me.room))
        joined = {"participantId": pid, "roomId": me.room or None}
        await emit_to_room(sio, after, me.room, "breakout:participant-joined", joined)
        await tell_hosts(sio, after)

    @on("breakout:join")
    async def join(sid, data):
        with ruled():
            room_id = rules.room_id_of(payloads.as_dict(data).get("roomId"))
        await move(sid, room_id)

    @on("breakout:leave")
    async def leave(sid, data):
        await move(sid, MAIN_ROOM)

    @on("breakout:broadcast")
    async def broadcast(sid, data):
        text = payloads.as_dict(data).get("message")
        meeting, me = await host(sid)
        with ruled():
            message = rules.broadcast(me, text)
        if meeting.breakout is None:
            raise payloads.BadPayload(rules.REFUSALS[NO_BREAKOUT])
        await sio.emit("breakout:message", message, room=meeting_room(meeting.meeting_id))

    @on("breakout:close")
    async def close(sid, data):
        meeting, _ = await host(sid)
        before = await app[LIVE].close_breakout(meeting.meeting_id)
        if before is None:
            raise payloads.BadPayload(rules.REFUSALS[NO_BREAKOUT])
        await close_rooms(sio, before)


# The `error` code of a store's refusal (payloads' codes); bad_payload otherwise.
CODES = {
    NOT_JOINED: payloads.NOT_JOINED,
    UNKNOWN_ROOM: payloads.NOT_FOUND,
    UNKNOWN_PARTICIPANT: payloads.NOT_FOUND,
    NOT_ASSIGNED: payloads.NOT_ALLOWED,
}


@contextlib.contextmanager
def ruled():
    """A refusal of the rules becomes an `error` event."""
    try:
        yield
    except rules.BreakoutRefused as exc:
        raise payloads.BadPayload(str(exc), CODES.get(exc.reason)) from None
