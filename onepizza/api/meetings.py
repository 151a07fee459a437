"""§3 to §8: meetings over REST: create, list, get, end, guest, scheduled, settings, history."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import quote

from aiohttp import web

from onepizza.api.auth import SAFE_METHODS, require_api_key, require_user_or_api_key
from onepizza.api.format import epoch_ms, iso, iso_ms
from onepizza.api.ratelimit import rate_limited
from onepizza.api.request import json_response, load_body, load_query
from onepizza.api.sessions import session_user_id
from onepizza.errors import BadRequest, Forbidden, NotFound
from onepizza.live.state import SETTING_KEYS, LiveMeeting, public_settings
from onepizza.schemas.meetings import (
    CreateMeetingSchema,
    GuestMeetingSchema,
    InviteSchema,
    KickSchema,
    SettingsSchema,
)
from onepizza.schemas.query import PageQuerySchema
from onepizza.services.registry import CHAT, MEETINGS, TEMPLATES
from onepizza.services.tokens import digest, new_invite_code


def participant_body(p) -> dict:
    return {
        "participantId": p.participant_id,
        "name": p.name,
        "isMuted": p.is_muted,
        "isVideoOff": p.is_video_off,
        "isScreenSharing": p.is_screen_sharing,
        "joinedAt": p.joined_at,
    }


class MeetingHandlers:
    @rate_limited("api")
    async def create(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        body = await load_body(request, CreateMeetingSchema())
        settings = {key: body[key] for key in SETTING_KEYS if key in body}
        title, settings = await request.app[TEMPLATES].apply(
            owner, body["templateId"], title=body["title"], settings=settings
        )
        row, token = await request.app[MEETINGS].create(
            owner,
            title=title or "Untitled Meeting",
            scheduled_at=body["scheduledAt"],
            settings=settings,
        )
        payload = {
            "meetingId": row["id"],
            "adminToken": token,
            "joinUrl": f"/join/{row['id']}",
            "title": row["title"],
        }
        if row["scheduled_at"] is not None:
            payload["scheduledAt"] = iso_ms(row["scheduled_at"])
        payload["status"] = row["status"]
        payload["settings"] = public_settings(row["settings"])
        return json_response(payload, status=201)

    @rate_limited("guest")
    async def create_guest(self, request: web.Request) -> web.Response:
        body = await load_body(request, GuestMeetingSchema())
        meeting, token = await request.app[MEETINGS].create_guest(body["title"])
        return json_response(
            {
                "meetingId": meeting.meeting_id,
                "adminToken": token,
                "joinUrl": f"/join/{meeting.meeting_id}",
                "title": meeting.title,
            },
            status=201,
        )

    @rate_limited("api")
    async def list(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        service = request.app[MEETINGS]
        meetings = []
        for row in await service.list(owner):
            live = await service.live(row["id"])
            item = {"meetingId": row["id"], "title": row["title"], "status": row["status"]}
            if row["scheduled_at"] is not None:
                item["scheduledAt"] = iso_ms(row["scheduled_at"])
            item["participantCount"] = len(live.participants) if live else 0
            item["createdAt"] = epoch_ms(row["created_at"])
            meetings.append(item)
        return json_response({"meetings": meetings})

    @rate_limited("api")
    async def scheduled(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        rows = await request.app[MEETINGS].list(owner, scheduled_only=True)
        meetings = [
            {
                "meetingId": row["id"],
                "title": row["title"],
                "scheduledAt": iso_ms(row["scheduled_at"]),
                "status": row["status"],
                "createdAt": epoch_ms(row["created_at"]),
            }
            for row in rows
        ]
        return json_response({"meetings": meetings})

    @rate_limited("api")
    async def get(self, request: web.Request) -> web.Response:
        owner = await meeting_owner(request)
        service = request.app[MEETINGS]
        row = await service.owned(owner, request.match_info["meeting_id"])
        live = await service.live(row["id"])
        participants = [participant_body(p) for p in live.participants.values()] if live else []
        payload = {
            "meetingId": row["id"],
            "title": live.title if live else row["title"],
            "status": row["status"],
        }
        if row["scheduled_at"] is not None:
            payload["scheduledAt"] = iso_ms(row["scheduled_at"])
        payload.update(
            {
                "createdAt": epoch_ms(row["created_at"]),
                "participantCount": len(participants),
                "participants": participants,
                "settings": public_settings(live.settings if live else row["settings"]),
            }
        )
        return json_response(payload)

    @rate_limited("api")
    async def delete(self, request: web.Request) -> web.Response:
        """End an active meeting or cancel a scheduled one (x-api-key and x-admin-token;
        a guest meeting needs only its admin token)."""
        meeting_id = request.match_info["meeting_id"]
        service = request.app[MEETINGS]
        target = await _managed_meeting(request, meeting_id)
        if isinstance(target, LiveMeeting):
            await service.end(meeting_id, "The host ended the meeting")
            return json_response({"message": "Meeting ended", "meetingId": meeting_id})
        if target["status"] == "scheduled":
            await service.cancel(meeting_id)
            return json_response({"message": "Meeting cancelled", "meetingId": meeting_id})
        await service.end(meeting_id, "The host ended the meeting")
        return json_response({"message": "Meeting ended", "meetingId": meeting_id})

    @rate_limited("api")
    async def update_settings(self, request: web.Request) -> web.Response:
        meeting_id = request.match_info["meeting_id"]
        await _managed_meeting(request, meeting_id)
        changes = await load_body(request, SettingsSchema())
        settings = await request.app[MEETINGS].update_settings(meeting_id, changes)
        return json_response({"meetingId": meeting_id, "settings": public_settings(settings)})

    @rate_limited("api")
    async def lock(self, request: web.Request) -> web.Response:
        return await self._set_lock(request, True)

    @rate_limited("api")
    async def unlock(self, request: web.Request) -> web.Response:
        return await self._set_lock(request, False)

    async def _set_lock(self, request: web.Request, locked: bool) -> web.Response:
        meeting_id = request.match_info["meeting_id"]
        await _managed_meeting(request, meeting_id)
        settings = await request.app[MEETINGS].update_settings(meeting_id, {"locked": locked})
        return json_response({"meetingId": meeting_id, "locked": settings["locked"]})

    @rate_limited("api")
    async def invite(self, request: web.Request) -> web.Response:
        meeting_id = request.match_info["meeting_id"]
        await _managed_meeting(request, meeting_id)
        body = await load_body(request, InviteSchema())
        name = (body["name"] or "").strip() or None
        token = new_invite_code()
        if not await request.app[MEETINGS].add_invite(meeting_id, digest(token), name):
            raise BadRequest("Invites can be made once the meeting is active")
        join_url = f"/join/{meeting_id}?invite={token}"
        if name:
            join_url += f"&name={quote(name)}"
        return json_response({"joinUrl": join_url, "inviteToken": token})

    @rate_limited("api")
    async def mute(self, request: web.Request) -> web.Response:
        meeting_id, participant_id = await _controlled_participant(request)
        await request.app[MEETINGS].mute(meeting_id, participant_id)
        return json_response({"message": "Participant muted", "participantId": participant_id})

    @rate_limited("api")
    async def unmute(self, request: web.Request) -> web.Response:
        meeting_id, participant_id = await _controlled_participant(request)
        await request.app[MEETINGS].request_unmute(meeting_id, participant_id)
        return json_response({"message": "Unmute request sent", "participantId": participant_id})

    @rate_limited("api")
    async def kick(self, request: web.Request) -> web.Response:
        meeting_id, participant_id = await _controlled_participant(request)
        body = await load_body(request, KickSchema())
        reason = (body["reason"] or "").strip() or None
        await request.app[MEETINGS].kick(meeting_id, participant_id, reason)
        return json_response({"message": "Participant removed", "participantId": participant_id})

    @rate_limited("api")
    async def mute_all(self, request: web.Request) -> web.Response:
        meeting_id = request.match_info["meeting_id"]
        await _managed_meeting(request, meeting_id)
        count = await request.app[MEETINGS].mute_all(meeting_id)
        return json_response({"message": "All participants muted", "count": count})

    @rate_limited("api")
    async def transcript(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        rows = await request.app[CHAT].transcript(user, request.match_info["meeting_id"])
        messages = [
            {
                "participant_name": r["participant_name"],
                "text": r["text"],
                "created_at": iso(r["created_at"]),
                "room": r["room_name"],  # the breakout room it was sent in; null: main
            }
            for r in rows
        ]
        return json_response({"messages": messages})

    @rate_limited("api")
    async def transcript_download(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        meeting_id = request.match_info["meeting_id"]
        rows = await request.app[CHAT].transcript(user, meeting_id)
        lines = [
            f"[{r['created_at'].astimezone(UTC).strftime('%H:%M:%S')}] "
            + (f"[{r['room_name']}] " if r["room_name"] else "")
            + f"{r['participant_name']}: {r['text']}"
            for r in rows
        ]
        return web.Response(
            text="\n".join(lines) + ("\n" if lines else ""),
            content_type="text/plain",
            headers={"Content-Disposition": f'attachment; filename="transcript-{meeting_id}.txt"'},
        )

    @rate_limited("api")
    async def history(self, request: web.Request) -> web.Response:
        user = await require_user_or_api_key(request)
        page = load_query(request, PageQuerySchema())
        rows = await request.app[MEETINGS].history(user, limit=page["limit"], offset=page["offset"])
        meetings = [
            {
                "id": r["seq"],
                "meeting_id": r["id"],
                "title": r["title"],
                "started_at": iso(r["started_at"]),
                "ended_at": iso(r["ended_at"]),
                "duration_minutes": f"{r['duration_minutes']:.2f}",
                "peak_participants": r["peak_participants"],
                "cost_usd": f"{r['cost_usd']:.4f}",
            }
            for r in rows
        ]
        return json_response({"meetings": meetings})


async def meeting_owner(request: web.Request) -> dict:
    """Who owns what an owner route touches: the x-api-key's user, as the spec says, or (our
    extension, for the dashboard) the session's user. Without either: 401 "Missing x-api-key
    header", as before. A write on the session cookie must come from our origin (403) and be
    JSON (403): a cross-site form can send neither, and a cross-site fetch of JSON needs a
    CORS preflight that only the allowed origins pass."""
    if "x-api-key" in request.headers or await session_user_id(request) is None:
        return await require_api_key(request)
    owner = await require_user_or_api_key(request)  # the session user; checks the origin
    if request.method not in SAFE_METHODS and request.content_type != "application/json":
        raise Forbidden("A request on the session cookie must send Content-Type: application/json")
    return owner


async def _managed_meeting(request: web.Request, meeting_id: str):
    """The meeting the caller may manage: a live guest meeting with its admin token, or
    the caller's own (x-api-key, or the session) with its admin token. 401 / 403 / 404 as
    the spec says."""
    service = request.app[MEETINGS]
    token = request.headers.get("x-admin-token")
    live = await service.live(meeting_id)
    if live is not None and live.guest:
        service.check_admin_token(live.admin_token_hash, token)
        return live
    owner = await meeting_owner(request)
    row = await service.owned(owner, meeting_id)
    service.check_admin_token(bytes(row["admin_token_hash"]), token)
    return live if live is not None else row


async def _controlled_participant(request: web.Request) -> tuple[str, str]:
    meeting_id = request.match_info["meeting_id"]
    target = await _managed_meeting(request, meeting_id)
    if not isinstance(target, LiveMeeting):
        raise NotFound("Participant not found")
    return meeting_id, request.match_info["participant_id"]
