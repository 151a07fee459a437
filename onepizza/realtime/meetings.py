"""Socket.IO events of a meeting: join, leave, media and hand state, reactions, recording
notices and captions (§10)."""

from __future__ import annotations

import functools
import logging

import socketio
from aiohttp import web

from onepizza.live.state import LiveMeeting, Participant, public_settings
from onepizza.realtime import payloads
from onepizza.realtime.notifier import hosts_room, meeting_room
from onepizza.services.chat import REACTIONS
from onepizza.services.meetings import JoinRefused
from onepizza.services.registry import ANALYTICS, LIVE, MEETINGS

log = logging.getLogger(__name__)


def participant_state(p: Participant) -> dict:
    return {
        "participantId": p.participant_id,
        "name": p.name,
        "isMuted": p.is_muted,
        "isVideoOff": p.is_video_off,
        "isScreenSharing": p.is_screen_sharing,
        "isHandRaised": p.is_hand_raised,
        "isAdmin": p.is_admin,
    }


def guarded(sio: socketio.AsyncServer):
    """Wrap a handler: a bad payload or refusal becomes an `error` event; nothing a
    client sends escapes as an exception."""

    def decorate(handler):
        @functools.wraps(handler)
        async def wrapper(sid, data=None):
            try:
                await handler(sid, data)
            except (payloads.BadPayload, JoinRefused) as exc:
                await sio.emit("error", {"message": str(exc)}, to=sid)
            except Exception:
                log.exception("socket event %s failed", handler.__name__)
                await sio.emit("error", {"message": "Something went wrong"}, to=sid)

        return wrapper

    return decorate


async def located(app: web.Application, sid: str) -> tuple[LiveMeeting, Participant]:
    """The meeting and participant of a socket; an `error` for a socket in none."""
    found = await app[LIVE].locate(sid)
    if found is None:
        raise payloads.BadPayload("Join a meeting first")
    return found


def handler_for(sio: socketio.AsyncServer):
    """`@on(event)`: register a guarded handler."""

    def on(event: str):
        def decorate(handler):
            sio.on(event, guarded(sio)(handler))
            return handler

        return decorate

    return on


def register(sio: socketio.AsyncServer, app: web.Application) -> None:
    on = handler_for(sio)

    async def leave_current(sid) -> None:
        left = await app[MEETINGS].leave(sid)
        if left is None:
            return
        meeting, participant = left
        await sio.leave_room(sid, meeting_room(meeting.meeting_id))
        await sio.leave_room(sid, hosts_room(meeting.meeting_id))
        await sio.emit(
            "participant:left",
            {"participantId": participant.participant_id, "name": participant.name},
            room=meeting_room(meeting.meeting_id),
        )

    @on("join-meeting")
    async def join_meeting(sid, data):
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
        await leave_current(sid)  # a socket is in at most one meeting
        meeting, me, _ = await app[MEETINGS].join(
            meeting_id, sid=sid, name=name, admin_token=admin_token, invite_token=invite
        )
        room = meeting_room(meeting_id)
        await sio.enter_room(sid, room)
        if me.is_admin:
            await sio.enter_room(sid, hosts_room(meeting_id))
        others = [participant_state(p) for p in meeting.participants.values() if p.sid != sid]
        settings = public_settings(meeting.settings)
        await sio.emit(
            "joined",
            {
                "participantId": me.participant_id,
                "participants": others,
                "settings": settings,
                "title": meeting.title,
                "isAdmin": me.is_admin,
                "muteOnJoin": settings["muteOnJoin"],
                "videoOffOnJoin": settings["videoOffOnJoin"],
                "isRecording": meeting.recording_host is not None,
                "recordingHostName": meeting.recording_host,
            },
            to=sid,
        )
        await sio.emit(
            "participant:joined",
            {
                "participantId": me.participant_id,
                "name": me.name,
                "isMuted": me.is_muted,
                "isVideoOff": me.is_video_off,
                "isAdmin": me.is_admin,
            },
            room=room,
            skip_sid=sid,
        )
        if me.is_admin:  # a host arriving sees who is already waiting
            for waiting_sid, waiting_name in list(meeting.waiting.items()):
                await sio.emit(
                    "waiting-room:participant-waiting",
                    {"socketId": waiting_sid, "name": waiting_name, "count": len(meeting.waiting)},
                    to=sid,
                )

    @on("leave-meeting")
    async def leave_meeting(sid, data):
        await leave_current(sid)

    @sio.on("disconnect")
    async def disconnect(sid, *args):
        try:
            await leave_current(sid)
            for meeting_id, count in await app[LIVE].leave_waiting_rooms(sid):
                await sio.emit(
                    "waiting-room:participant-waiting",
                    {"socketId": sid, "name": None, "count": count, "removed": True},
                    room=hosts_room(meeting_id),
                )
        except Exception:
            log.exception("cleaning up after a disconnect failed")

    async def update_state(sid, **changes):
        meeting, _ = await located(app, sid)
        updated = await app[LIVE].update_participant(sid, **changes)
        payload = {"participantId": updated.participant_id}
        for field, value in changes.items():
            payload[_camel(field)] = value
        await sio.emit(
            "participant:updated", payload, room=meeting_room(meeting.meeting_id), skip_sid=sid
        )

    @on("media:toggle-audio")
    async def toggle_audio(sid, data):
        await update_state(sid, is_muted=payloads.flag(payloads.as_dict(data), "isMuted"))

    @on("media:toggle-video")
    async def toggle_video(sid, data):
        await update_state(sid, is_video_off=payloads.flag(payloads.as_dict(data), "isVideoOff"))

    @on("media:screen-share")
    async def screen_share(sid, data):
        value = payloads.flag(payloads.as_dict(data), "isScreenSharing")
        meeting, me = await located(app, sid)
        if value != me.is_screen_sharing:  # a repeated toggle is not another use
            action = "start" if value else "stop"
            app[ANALYTICS].track_feature(meeting, "screen_share", {"action": action})
        await update_state(sid, is_screen_sharing=value)

    @on("raise-hand")
    async def raise_hand(sid, data):
        value = payloads.flag(payloads.as_dict(data), "isHandRaised")
        meeting, me = await located(app, sid)
        if value != me.is_hand_raised:
            app[ANALYTICS].track_feature(meeting, "hand_raise", {"raised": value})
        await update_state(sid, is_hand_raised=value)

    @on("react")
    async def react(sid, data):
        emoji = payloads.as_dict(data).get("emoji")
        if emoji not in REACTIONS:
            raise payloads.BadPayload("Unsupported reaction")
        meeting, me = await located(app, sid)
        app[ANALYTICS].track_feature(meeting, "reaction", {"emoji": emoji})
        await sio.emit(
            "react",
            {"participantId": me.participant_id, "emoji": emoji},
            room=meeting_room(meeting.meeting_id),
        )

    async def recording_notice(sid, host_name: str | None):
        meeting, me = await located(app, sid)
        if not me.is_admin:
            raise payloads.BadPayload("Only a host can do that")
        if (meeting.recording_host is None) != (host_name is None):
            action = "stop" if host_name is None else "start"
            app[ANALYTICS].track_feature(meeting, "recording", {"action": action})
        await app[LIVE].set_recording(meeting.meeting_id, host_name)
        event, payload = (
            ("recording:started", {"hostName": host_name})
            if host_name is not None
            else ("recording:stopped", {})
        )
        await sio.emit(event, payload, room=meeting_room(meeting.meeting_id), skip_sid=sid)

    @on("recording:broadcast-started")
    async def recording_started(sid, data):
        data = payloads.as_dict(data or {})
        _, me = await located(app, sid)
        host = payloads.text(data, "hostName", max_length=60, required=False) or me.name
        await recording_notice(sid, host)

    @on("recording:broadcast-stopped")
    async def recording_stopped(sid, data):
        await recording_notice(sid, None)

    @on("captions:update")
    async def captions(sid, data):
        data = payloads.as_dict(data)
        text = data.get("text")
        if not isinstance(text, str) or len(text) > 1000:
            raise payloads.BadPayload("text is required (at most 1000 characters)")
        final = bool(data.get("final"))
        meeting, me = await located(app, sid)
        app[ANALYTICS].track_feature(meeting, "captions", once_for=me.participant_id)
        await sio.emit(
            "captions:update",
            {"pid": me.participant_id, "text": text, "final": final},
            room=meeting_room(meeting.meeting_id),
            skip_sid=sid,
        )


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)
