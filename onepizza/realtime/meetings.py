"""Socket.IO events of a meeting: join, leave, media and hand state, reactions, recording
notices and captions (§10). One small function per event; the rules are the meeting
service's, these only translate events into its calls and its answers into events."""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref

import psycopg2
import socketio
from aiohttp import web

from onepizza.live.state import (
    Announcement,
    LiveMeeting,
    Participant,
    participant_state,
    public_settings,
)
from onepizza.realtime import limits, payloads
from onepizza.realtime.breakout import emit_in_room
from onepizza.realtime.notifier import breakout_room, hosts_room, meeting_room
from onepizza.realtime.server import ROUTES, only_here
from onepizza.services import breakout as breakout_rules
from onepizza.services.chat import REACTIONS
from onepizza.services.meetings import Joined, JoinRefused
from onepizza.services.registry import ANALYTICS, JOINED_COLLAB, LIVE, MEETINGS, POLLS, QUESTIONS

log = logging.getLogger(__name__)
COLLAB_READ_SECONDS = 3.0  # the most a join waits for its polls and notes version

__all__ = ["handler_for", "located", "participant_state", "register"]


def guarded(sio: socketio.AsyncServer, event: str | None = None):
    """Wrap the handler of `event`: the one guard every Socket.IO event goes through. The
    socket's limit for the event's group comes first (realtime/limits.py); then a payload
    of more than one argument, a bad payload or a refusal becomes an `error` event with a
    code; nothing a client sends escapes as an exception."""

    def decorate(handler):
        name = event or getattr(handler, "__name__", "event")

        @functools.wraps(handler)
        async def wrapper(sid, *args):
            if await _over_limit(sio, name, sid):
                return
            try:
                if len(args) > 1:
                    raise payloads.BadPayload("Send one payload, not several arguments")
                await handler(sid, args[0] if args else None)
            except (payloads.BadPayload, JoinRefused) as exc:
                await refuse(sio, sid, exc.code, str(exc))
            except Exception:
                log.exception("socket event %s failed", name)
                await refuse(sio, sid, payloads.INTERNAL_ERROR, "Something went wrong")

        return wrapper

    return decorate


async def refuse(sio: socketio.AsyncServer, sid: str, code: str, message: str, **extra) -> None:
    """The `error` event: a stable code for clients, a message for people."""
    await sio.emit("error", {"code": code, "message": message, **extra}, to=sid)


async def _over_limit(sio: socketio.AsyncServer, event: str, sid: str) -> bool:
    """Count the event against the socket's limit; over it, an `error` naming the limit, and
    a socket that keeps on past the flood limit is disconnected."""
    event_limits = limits.of(sio)
    if event_limits is None:
        return False
    group = await event_limits.refused(event, sid)
    if group is None:
        return False
    message = f"Too many {group} events (at most {event_limits.policy(group)}): slow down"
    await refuse(sio, sid, payloads.RATE_LIMITED, message, limit=group)
    if await event_limits.flooding(sid):
        log.warning("disconnecting socket %s: it kept sending past its %s limit", sid, group)
        await sio.disconnect(sid)
    return True


async def located(app: web.Application, sid: str) -> tuple[LiveMeeting, Participant]:
    """The meeting and participant of a socket; an `error` for a socket in none."""
    found = await app[LIVE].locate(sid)
    if found is None:
        raise payloads.NotJoined("Join a meeting first")
    return found


def handler_for(sio: socketio.AsyncServer):
    """`@on(event)`: register a guarded handler."""

    def on(event: str):
        def decorate(handler):
            sio.on(event, guarded(sio, event)(handler))
            return handler

        return decorate

    return on


class Room:
    """What every meeting event handler needs: the server and the app's services."""

    def __init__(self, sio: socketio.AsyncServer, app: web.Application):
        self.sio = sio
        self.app = app
        # A store that publishes announces each join inside its atomic step; otherwise the
        # joins of one meeting take turns here, so each is announced before the next.
        self._join_turns: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def join_turn(self, meeting_id: str) -> asyncio.Lock:
        lock = self._join_turns.get(meeting_id)
        if lock is None:
            lock = self._join_turns[meeting_id] = asyncio.Lock()
        return lock


def joined_payload(joined: Joined) -> dict:
    """The `joined` event (RedisLiveState builds the same in its join script)."""
    meeting, me = joined.meeting, joined.participant
    settings = public_settings(meeting.settings)
    return {
        "participantId": me.participant_id,
        "participants": [
            participant_state(p) for p in meeting.participants.values() if p.sid != me.sid
        ],
        "settings": settings,
        "title": meeting.title,
        "isAdmin": me.is_admin,
        "muteOnJoin": settings["muteOnJoin"],
        "videoOffOnJoin": settings["videoOffOnJoin"],
        "isRecording": meeting.recording_host is not None,
        "recordingHostName": meeting.recording_host,
        "resumeToken": joined.resume_token,
        **breakout_rules.joined_fields(meeting),
    }


def arrival(me: Participant) -> dict:
    return {
        "participantId": me.participant_id,
        "name": me.name,
        "isMuted": me.is_muted,
        "isVideoOff": me.is_video_off,
        "isAdmin": me.is_admin,
    }


async def leave_current(room: Room, sid: str) -> None:
    routes = room.app[ROUTES]
    if not routes.may_be_in_a_meeting(sid):
        return
    routes.forget(sid)
    left = await room.app[MEETINGS].leave(sid)
    if left is None:
        return
    meeting, participant = left
    await room.sio.leave_room(sid, meeting_room(meeting.meeting_id))
    await room.sio.leave_room(sid, hosts_room(meeting.meeting_id))
    if participant.room:
        await room.sio.leave_room(sid, breakout_room(meeting.meeting_id, participant.room))
    await room.sio.emit(
        "participant:left",
        {"participantId": participant.participant_id, "name": participant.name},
        room=meeting_room(meeting.meeting_id),
        ignore_queue=only_here(room.sio, meeting),
    )


async def join_meeting(room: Room, sid: str, data) -> None:
    data = payloads.as_dict(data)
    meeting_id = payloads.text(data, "meetingId", max_length=64)
    name = payloads.text(data, "name", max_length=60, required=False) or "Guest"
    admin_token = payloads.text(data, "adminToken", max_length=200, required=False)
    invite = payloads.text(
        data,
        "inviteToken" if "inviteToken" in data else "invite",
        max_length=200,
        required=False,
    )
    resume = payloads.text(data, "resumeToken", max_length=200, required=False)
    collab = await collab_fields(room.app, meeting_id)
    await leave_current(room, sid)  # a socket is in at most one meeting
    room.app[ROUTES].joining(sid)
    join = functools.partial(
        room.app[MEETINGS].join,
        meeting_id,
        sid=sid,
        name=name,
        admin_token=admin_token,
        invite_token=invite,
        resume_token=resume,
    )
    if room.app[LIVE].announces:
        joined = await join(announce=functools.partial(_announcement, meeting_id, collab))
    else:
        # The joins of one meeting take turns from their atomic step to their announcement
        # (not through the attendance write that follows).
        turn = room.join_turn(meeting_id)
        await turn.acquire()
        taken = True

        async def announce(joined: Joined) -> None:
            nonlocal taken
            try:
                await _announce(room, sid, joined, collab)
            finally:
                taken = False
                turn.release()

        try:
            joined = await join(admitted=announce)
        finally:
            if taken:
                turn.release()
    room.app[ROUTES].joined(sid, meeting_id, joined.participant.participant_id)
    if joined.replaced is not None:
        old = joined.replaced
        await carry_over(room.app, meeting_id, old.participant_id, joined.participant)
        await room.sio.leave_room(old.sid, meeting_room(meeting_id))
        await room.sio.leave_room(old.sid, hosts_room(meeting_id))
        await room.sio.emit(
            "participant:left",
            {"participantId": old.participant_id, "name": old.name},
            room=meeting_room(meeting_id),
            skip_sid=sid,
        )
    if joined.participant.is_admin:  # a host arriving sees who is already waiting
        waiting = joined.meeting.waiting
        for waiting_sid, waiting_name in list(waiting.items()):
            await room.sio.emit(
                "waiting-room:participant-waiting",
                {"socketId": waiting_sid, "name": waiting_name, "count": len(waiting)},
                to=sid,
            )
        if joined.meeting.breakout is not None:  # and who is assigned to which room
            rooms = breakout_rules.rooms_view(joined.meeting, with_assigned=True)
            await room.sio.emit("breakout:updated", {"rooms": rooms}, to=sid)


async def collab_fields(app: web.Application, meeting_id: str) -> dict:
    """`joined`'s open polls and notes version (collaboration.md), read before the join. A
    join goes on while the database is away (attendance waits for it too): then without
    them, as if there were none."""
    try:
        return await asyncio.wait_for(app[JOINED_COLLAB].fields(meeting_id), COLLAB_READ_SECONDS)
    except (TimeoutError, OSError, psycopg2.Error) as exc:
        log.warning("joined without polls and notes of %s: %s", meeting_id, exc)
        return {"polls": [], "notesVersion": 0}


async def carry_over(app: web.Application, meeting_id: str, old: str, me: Participant) -> None:
    """A resumed participant (a new id in the old one's place) keeps its poll votes, its
    questions and its upvotes (collaboration.md: one vote per participant)."""
    try:
        await asyncio.wait_for(
            asyncio.gather(
                app[POLLS].carry_over(meeting_id, old, me.participant_id),
                app[QUESTIONS].carry_over(meeting_id, old, me.participant_id),
            ),
            COLLAB_READ_SECONDS,
        )
    except (TimeoutError, OSError, psycopg2.Error) as exc:
        log.warning("votes of %s not carried over to %s: %s", old, me.participant_id, exc)


def _announcement(meeting_id: str, collab: dict, participant_id: str, token: str):
    return Announcement(
        room=meeting_room(meeting_id),
        rooms=(meeting_room(meeting_id),),
        host_rooms=(hosts_room(meeting_id),),
        joined={"participantId": participant_id, "resumeToken": token},
        extra=collab,
    )


async def _announce(room: Room, sid: str, joined: Joined, collab: dict) -> None:
    """Rooms first, then `joined` to the socket and `participant:joined` to the others."""
    meeting_id = joined.meeting.meeting_id
    await room.sio.enter_room(sid, meeting_room(meeting_id))
    if joined.participant.is_admin:
        await room.sio.enter_room(sid, hosts_room(meeting_id))
    await room.sio.emit("joined", {**joined_payload(joined), **collab}, to=sid)
    await room.sio.emit(
        "participant:joined",
        arrival(joined.participant),
        room=meeting_room(meeting_id),
        skip_sid=sid,
    )


async def leave_meeting(room: Room, sid: str, data) -> None:
    await leave_current(room, sid)


async def disconnect(room: Room, sid: str, *args) -> None:
    try:
        await leave_current(room, sid)
        for meeting_id, count in await room.app[LIVE].leave_waiting_rooms(sid):
            await room.sio.emit(
                "waiting-room:participant-waiting",
                {"socketId": sid, "name": None, "count": count, "removed": True},
                room=hosts_room(meeting_id),
            )
    except Exception:
        log.exception("cleaning up after a disconnect failed")
    finally:
        room.app[ROUTES].disconnected(sid)


async def update_state(room: Room, sid: str, **changes) -> None:
    meeting, _ = await located(room.app, sid)
    updated = await room.app[LIVE].update_participant(sid, **changes)
    if updated is None:
        raise payloads.NotJoined("Join a meeting first")
    payload = {"participantId": updated.participant_id}
    for field, value in changes.items():
        payload[_camel(field)] = value
    await emit_in_room(
        room.sio, room.app[LIVE], meeting, updated, "participant:updated", payload, skip_sid=sid
    )


async def toggle_audio(room: Room, sid: str, data) -> None:
    await update_state(room, sid, is_muted=payloads.flag(payloads.as_dict(data), "isMuted"))


async def toggle_video(room: Room, sid: str, data) -> None:
    value = payloads.flag(payloads.as_dict(data), "isVideoOff")
    await update_state(room, sid, is_video_off=value)


async def screen_share(room: Room, sid: str, data) -> None:
    value = payloads.flag(payloads.as_dict(data), "isScreenSharing")
    meeting, me = await located(room.app, sid)
    if value != me.is_screen_sharing:  # a repeated toggle is not another use
        action = "start" if value else "stop"
        room.app[ANALYTICS].track_feature(meeting, "screen_share", {"action": action})
    await update_state(room, sid, is_screen_sharing=value)


async def raise_hand(room: Room, sid: str, data) -> None:
    value = payloads.flag(payloads.as_dict(data), "isHandRaised")
    meeting, me = await located(room.app, sid)
    if value != me.is_hand_raised:
        room.app[ANALYTICS].track_feature(meeting, "hand_raise", {"raised": value})
    await update_state(room, sid, is_hand_raised=value)


async def react(room: Room, sid: str, data) -> None:
    emoji = payloads.as_dict(data).get("emoji")
    if emoji not in REACTIONS:
        raise payloads.BadPayload("Unsupported reaction")
    meeting, me = await located(room.app, sid)
    room.app[ANALYTICS].track_feature(meeting, "reaction", {"emoji": emoji})
    reaction = {"participantId": me.participant_id, "emoji": emoji}
    await emit_in_room(room.sio, room.app[LIVE], meeting, me, "react", reaction)


async def recording_notice(room: Room, sid: str, host_name: str | None) -> None:
    meeting, me = await located(room.app, sid)
    if not me.is_admin:
        raise payloads.NotAllowed("Only a host can do that")
    if (meeting.recording_host is None) != (host_name is None):
        action = "stop" if host_name is None else "start"
        room.app[ANALYTICS].track_feature(meeting, "recording", {"action": action})
    await room.app[LIVE].set_recording(meeting.meeting_id, host_name)
    event, payload = (
        ("recording:started", {"hostName": host_name})
        if host_name is not None
        else ("recording:stopped", {})
    )
    await room.sio.emit(event, payload, room=meeting_room(meeting.meeting_id), skip_sid=sid)


async def recording_started(room: Room, sid: str, data) -> None:
    data = payloads.as_dict(data or {})
    _, me = await located(room.app, sid)
    host = payloads.text(data, "hostName", max_length=60, required=False) or me.name
    await recording_notice(room, sid, host)


async def recording_stopped(room: Room, sid: str, data) -> None:
    await recording_notice(room, sid, None)


async def bad_frame(room: Room, sid: str, reason) -> None:
    """A frame python-socketio could not use (payloads.CheckedPacket)."""
    raise payloads.BadPayload(reason[:100] if isinstance(reason, str) else "Malformed frame")


async def captions(room: Room, sid: str, data) -> None:
    data = payloads.as_dict(data)
    text = data.get("text")
    if not isinstance(text, str) or len(text) > 1000:
        raise payloads.BadPayload("text is required (at most 1000 characters)")
    final = bool(data.get("final"))
    meeting, me = await located(room.app, sid)
    room.app[ANALYTICS].track_feature(meeting, "captions", once_for=me.participant_id)
    caption = {"pid": me.participant_id, "text": text, "final": final}
    await emit_in_room(
        room.sio, room.app[LIVE], meeting, me, "captions:update", caption, skip_sid=sid
    )


EVENTS = {
    "join-meeting": join_meeting,
    "leave-meeting": leave_meeting,
    "media:toggle-audio": toggle_audio,
    "media:toggle-video": toggle_video,
    "media:screen-share": screen_share,
    "raise-hand": raise_hand,
    "react": react,
    "recording:broadcast-started": recording_started,
    "recording:broadcast-stopped": recording_stopped,
    "captions:update": captions,
    payloads.BAD_FRAME_EVENT: bad_frame,
}


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    room = Room(sio, app)
    for event, handler in EVENTS.items():
        bound = functools.partial(handler, room)
        functools.update_wrapper(bound, handler)
        sio.on(event, guarded(sio, event)(bound))
    sio.on("disconnect", functools.partial(disconnect, room))


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)
