"""OnepizzaClient: one typed async method per REST endpoint; errors raise OnepizzaError."""

from __future__ import annotations

import json
from typing import Any

import aiohttp


class OnepizzaError(Exception):
    """An API error: the HTTP status and the server's message (and details, if any)."""

    code: str | None = None  # a Socket.IO `error` event's stable code (Bot refusals)

    def __init__(
        self, status: int, message: str, details: dict | None = None, body: dict | None = None
    ):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.details = details
        self.body = body  # the whole JSON error body (a notes 409 carries the current pad)


class OnepizzaClient:
    """Async client for the onepizza REST API.

    `api_key` authenticates meeting calls (x-api-key); `login()` starts a session for the
    dashboard endpoints. Admin tokens of meetings created through this client are kept,
    so host actions on them need no token argument."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.admin_tokens: dict[str, str] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> OnepizzaClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=self._timeout, cookie_jar=aiohttp.CookieJar(unsafe=True)
            )
        return self._http

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params=None,
        admin_token: str | None = None,
        data: Any = None,
        raw: bool = False,
    ) -> Any:
        headers = {}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        if admin_token:
            headers["x-admin-token"] = admin_token
        async with self._session().request(
            method, self.base_url + path, json=json, params=params, headers=headers, data=data
        ) as resp:
            body = await resp.read()
            if resp.status >= 400:
                raise _error(resp.status, body)
            if raw:
                return body
            return await resp.json(content_type=None) if body else None

    def _token(self, meeting_id: str, admin_token: str | None) -> str:
        token = admin_token or self.admin_tokens.get(meeting_id)
        if not token:
            raise OnepizzaError(403, f"No admin token known for meeting {meeting_id}")
        return token

    # --- accounts (§1), keys (§2), companies (§14) ------------------------------------

    async def register(
        self,
        email: str,
        password: str,
        *,
        account_type: str = "personal",
        company_name: str | None = None,
    ) -> dict:
        body = {"email": email, "password": password, "accountType": account_type}
        if company_name:
            body["companyName"] = company_name
        result = await self.request("POST", "/api/auth/register", json=body)
        self.api_key = self.api_key or result.get("apiKey")
        return result

    async def login(self, email: str, password: str) -> dict:
        body = {"email": email, "password": password}
        return await self.request("POST", "/api/auth/login", json=body)

    async def logout(self) -> dict:
        return await self.request("POST", "/api/auth/logout")

    async def me(self) -> dict:
        return await self.request("GET", "/api/auth/me")

    async def forgot_password(self, email: str) -> dict:
        return await self.request("POST", "/api/auth/forgot-password", json={"email": email})

    async def check_reset_token(self, token: str) -> dict:
        return await self.request("GET", "/api/auth/reset-password", params={"token": token})

    async def reset_password(self, token: str, password: str) -> dict:
        body = {"token": token, "password": password}
        return await self.request("POST", "/api/auth/reset-password", json=body)

    async def change_password(self, current: str, new: str) -> dict:
        body = {"currentPassword": current, "newPassword": new}
        return await self.request("POST", "/api/auth/change-password", json=body)

    async def list_keys(self) -> list[dict]:
        return (await self.request("GET", "/api/user/keys"))["keys"]

    async def create_key(self, label: str | None = None) -> dict:
        return await self.request("POST", "/api/user/keys", json={"label": label})

    async def revoke_key(self, key_id: int) -> dict:
        return await self.request("DELETE", f"/api/user/keys/{key_id}")

    async def join_company(self, invite_code: str) -> dict:
        return await self.request("POST", "/api/company/join", json={"inviteCode": invite_code})

    async def company_members(self) -> list[dict]:
        return (await self.request("GET", "/api/company/members"))["members"]

    async def remove_member(self, member_id: int) -> dict:
        return await self.request("DELETE", f"/api/company/members/{member_id}")

    # --- meetings (§3 to §8, §19, §20) ---------------------------------------------------

    async def create_meeting(
        self,
        title: str | None = None,
        *,
        scheduled_at: str | None = None,
        mute_on_join: bool | None = None,
        video_off_on_join: bool | None = None,
        max_participants: int | None = None,
        waiting_room: bool | None = None,
        template_id: int | None = None,
    ) -> dict:
        """A meeting now, or at `scheduled_at`; with `template_id`, that template's title
        and settings for those not given."""
        body = _without_none(
            title=title,
            scheduledAt=scheduled_at,
            muteOnJoin=mute_on_join,
            videoOffOnJoin=video_off_on_join,
            maxParticipants=max_participants,
            waitingRoom=waiting_room,
            templateId=template_id,
        )
        meeting = await self.request("POST", "/api/meetings", json=body)
        self.admin_tokens[meeting["meetingId"]] = meeting["adminToken"]
        return meeting

    async def create_guest_meeting(self, title: str | None = None) -> dict:
        meeting = await self.request("POST", "/api/meetings/guest", json=_without_none(title=title))
        self.admin_tokens[meeting["meetingId"]] = meeting["adminToken"]
        return meeting

    async def list_meetings(self) -> list[dict]:
        return (await self.request("GET", "/api/meetings"))["meetings"]

    async def scheduled_meetings(self) -> list[dict]:
        return (await self.request("GET", "/api/meetings/scheduled/list"))["meetings"]

    async def get_meeting(self, meeting_id: str) -> dict:
        return await self.request("GET", f"/api/meetings/{meeting_id}")

    async def end_meeting(self, meeting_id: str, admin_token: str | None = None) -> dict:
        token = self._token(meeting_id, admin_token)
        return await self.request("DELETE", f"/api/meetings/{meeting_id}", admin_token=token)

    async def update_settings(
        self, meeting_id: str, admin_token: str | None = None, **settings: Any
    ) -> dict:
        token = self._token(meeting_id, admin_token)
        return await self.request(
            "PATCH", f"/api/meetings/{meeting_id}/settings", json=settings, admin_token=token
        )

    async def lock(self, meeting_id: str, admin_token: str | None = None) -> dict:
        return await self._host("POST", meeting_id, "/lock", admin_token)

    async def unlock(self, meeting_id: str, admin_token: str | None = None) -> dict:
        return await self._host("POST", meeting_id, "/unlock", admin_token)

    async def invite(
        self, meeting_id: str, name: str | None = None, admin_token: str | None = None
    ) -> dict:
        return await self._host("POST", meeting_id, "/invite", admin_token, {"name": name})

    async def mute(
        self, meeting_id: str, participant_id: str, admin_token: str | None = None
    ) -> dict:
        return await self._host(
            "POST", meeting_id, f"/participants/{participant_id}/mute", admin_token
        )

    async def unmute(
        self, meeting_id: str, participant_id: str, admin_token: str | None = None
    ) -> dict:
        return await self._host(
            "POST", meeting_id, f"/participants/{participant_id}/unmute", admin_token
        )

    async def kick(
        self,
        meeting_id: str,
        participant_id: str,
        reason: str | None = None,
        admin_token: str | None = None,
    ) -> dict:
        return await self._host(
            "POST",
            meeting_id,
            f"/participants/{participant_id}/kick",
            admin_token,
            {"reason": reason},
        )

    async def mute_all(self, meeting_id: str, admin_token: str | None = None) -> dict:
        return await self._host("POST", meeting_id, "/mute-all", admin_token)

    async def _host(self, method, meeting_id, suffix, admin_token, body=None) -> dict:
        token = self._token(meeting_id, admin_token)
        return await self.request(
            method, f"/api/meetings/{meeting_id}{suffix}", json=body, admin_token=token
        )

    async def history(self, *, limit: int = 50, offset: int = 0) -> list[dict]:
        params = {"limit": limit, "offset": offset}
        return (await self.request("GET", "/api/meetings/history", params=params))["meetings"]

    async def transcript(self, meeting_id: str) -> list[dict]:
        return (await self.request("GET", f"/api/meetings/{meeting_id}/transcript"))["messages"]

    async def transcript_text(self, meeting_id: str) -> str:
        body = await self.request(
            "GET", f"/api/meetings/{meeting_id}/transcript/download", raw=True
        )
        return body.decode()

    async def upload_recording(
        self,
        meeting_id: str,
        data: bytes,
        *,
        filename: str = "recording.webm",
        content_type: str = "video/webm",
    ) -> dict:
        form = aiohttp.FormData()
        form.add_field("recording", data, filename=filename, content_type=content_type)
        return await self.request("POST", f"/api/meetings/{meeting_id}/recordings", data=form)

    async def list_recordings(self, meeting_id: str) -> list[dict]:
        path = f"/api/meetings/{meeting_id}/recordings"
        return (await self.request("GET", path))["recordings"]

    async def download_recording(self, recording_id: int) -> bytes:
        return await self.request("GET", f"/api/recordings/{recording_id}/download", raw=True)

    async def delete_recording(self, recording_id: int) -> dict:
        return await self.request("DELETE", f"/api/recordings/{recording_id}")

    # --- polls, Q&A, shared notes, attendance (collaboration.md) ---------------------
    # The client's API key when it has one; otherwise the meeting's host token (given, or
    # kept from create_meeting).

    async def _collab(self, method, meeting_id, suffix, admin_token=None, **kwargs) -> Any:
        token = admin_token or (None if self.api_key else self._token(meeting_id, None))
        path = f"/api/meetings/{meeting_id}{suffix}"
        return await self.request(method, path, admin_token=token, **kwargs)

    async def create_poll(
        self,
        meeting_id: str,
        question: str,
        options: list[str] | None = None,
        *,
        kind: str = "multiple",
        anonymous: bool = False,
        admin_token: str | None = None,
    ) -> dict:
        """A poll everyone in the meeting can vote on (`poll:created`); `kind` "yesno" and
        "rating" have fixed options."""
        body = _without_none(question=question, kind=kind, options=options, anonymous=anonymous)
        return (await self._collab("POST", meeting_id, "/polls", admin_token, json=body))["poll"]

    async def list_polls(self, meeting_id: str, admin_token: str | None = None) -> list[dict]:
        return (await self._collab("GET", meeting_id, "/polls", admin_token))["polls"]

    async def close_poll(
        self, meeting_id: str, poll_id: int, admin_token: str | None = None
    ) -> dict:
        suffix = f"/polls/{int(poll_id)}/close"
        return (await self._collab("POST", meeting_id, suffix, admin_token))["poll"]

    async def get_questions(
        self, meeting_id: str, *, include_dismissed: bool = False, admin_token: str | None = None
    ) -> list[dict]:
        params = {"include": "dismissed"} if include_dismissed else None
        answer = await self._collab("GET", meeting_id, "/questions", admin_token, params=params)
        return answer["questions"]

    async def get_notes(self, meeting_id: str, admin_token: str | None = None) -> dict:
        return await self._collab("GET", meeting_id, "/notes", admin_token)

    async def update_notes(
        self,
        meeting_id: str,
        text: str,
        *,
        base_version: int | None = None,
        admin_token: str | None = None,
    ) -> dict:
        """Write the notes; with `base_version`, a 409 OnepizzaError when they changed since
        (its `body` has the current text and version)."""
        body = _without_none(text=text, baseVersion=base_version)
        return await self._collab("PUT", meeting_id, "/notes", admin_token, json=body)

    async def get_attendance(self, meeting_id: str, admin_token: str | None = None) -> dict:
        return await self._collab("GET", meeting_id, "/attendance", admin_token)

    async def get_attendance_csv(self, meeting_id: str, admin_token: str | None = None) -> str:
        params = {"format": "csv"}
        body = await self._collab(
            "GET", meeting_id, "/attendance", admin_token, params=params, raw=True
        )
        return body.decode()

    # --- templates and recurring meetings (collaboration.md) ---------------------------

    async def create_template(
        self, name: str, settings: dict | None = None, *, title: str | None = None
    ) -> dict:
        """A template: a title and any of muteOnJoin, videoOffOnJoin, maxParticipants,
        locked, waitingRoom, for create_meeting and create_recurring's `template_id`."""
        body = _without_none(name=name, title=title, settings=settings or {})
        return await self.request("POST", "/api/templates", json=body)

    async def list_templates(self) -> list[dict]:
        return (await self.request("GET", "/api/templates"))["templates"]

    async def get_template(self, template_id: int) -> dict:
        return await self.request("GET", f"/api/templates/{int(template_id)}")

    async def delete_template(self, template_id: int) -> dict:
        return await self.request("DELETE", f"/api/templates/{int(template_id)}")

    async def create_recurring(
        self,
        rrule: str,
        start_at: str,
        *,
        title: str | None = None,
        timezone: str | None = None,
        duration_minutes: int | None = None,
        template_id: int | None = None,
        settings: dict | None = None,
    ) -> dict:
        """A recurring meeting: an RFC 5545 rule (e.g. "FREQ=WEEKLY;BYDAY=MO") from
        `start_at` (ISO 8601; without an offset, a wall-clock time in `timezone`)."""
        body = _without_none(
            title=title,
            rrule=rrule,
            startAt=start_at,
            timezone=timezone,
            durationMinutes=duration_minutes,
            templateId=template_id,
            settings=settings,
        )
        return await self.request("POST", "/api/recurring", json=body)

    async def list_recurring(self) -> list[dict]:
        return (await self.request("GET", "/api/recurring"))["recurring"]

    async def get_recurring(self, recurring_id: int) -> dict:
        """The rule with the meetings it made; their admin tokens are kept, so host
        actions on them need only the meeting id."""
        rule = await self.request("GET", f"/api/recurring/{int(recurring_id)}")
        for meeting in rule["meetings"]:
            if meeting.get("adminToken"):
                self.admin_tokens[meeting["meetingId"]] = meeting["adminToken"]
        return rule

    async def delete_recurring(self, recurring_id: int) -> dict:
        """Delete the rule; its meetings not yet started are cancelled (`cancelled`)."""
        return await self.request("DELETE", f"/api/recurring/{int(recurring_id)}")

    # --- platform (§13, §15, §21) ----------------------------------------------------

    async def ice_servers(self) -> list[dict]:
        return (await self.request("GET", "/api/config/ice-servers"))["iceServers"]

    async def health(self) -> dict:
        return await self.request("GET", "/health")

    async def billing_history(self, *, limit: int = 50, offset: int = 0) -> dict:
        params = {"limit": limit, "offset": offset}
        return await self.request("GET", "/api/billing/history", params=params)

    async def stripe_checkout(self, amount_usd: float) -> dict:
        return await self.request(
            "POST", "/api/billing/stripe/checkout", json={"amountUsd": amount_usd}
        )


def _without_none(**values: Any) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _error(status: int, body: bytes) -> OnepizzaError:
    try:
        payload = json.loads(body)
        message, details = str(payload.get("error", "")), payload.get("details")
        return OnepizzaError(status, message, details, payload)
    except (ValueError, AttributeError):
        return OnepizzaError(status, body.decode(errors="replace")[:200] or "HTTP error")
