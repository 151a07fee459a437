"""onepizza's MCP tools and the `meetings://active` resource, over stdio or HTTP (streamable
HTTP at /mcp and SSE at /sse on one port)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import aiohttp
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError

from onepizza.client import Bot, OnepizzaClient, OnepizzaError

INSTRUCTIONS = (
    "Create and run onepizza video meetings. Admin tokens of meetings created here are kept "
    "by this server: host actions (end, settings, mute, kick) need only the meeting id. "
    "join_meeting connects a bot that buffers what happens; leave_meeting returns it."
)


async def _call(awaitable):
    """The API's own message as the tool error, never a traceback."""
    try:
        return await awaitable
    except OnepizzaError as exc:
        raise ToolError(f"onepizza API error {exc.status}: {exc.message}") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise ToolError(f"Cannot reach the onepizza API: {type(exc).__name__}") from None


def _public(meeting: dict) -> dict:
    return {key: value for key, value in meeting.items() if key != "adminToken"}


CAMEL = {
    "title": "title",
    "mute_on_join": "muteOnJoin",
    "video_off_on_join": "videoOffOnJoin",
    "max_participants": "maxParticipants",
    "locked": "locked",
    "waiting_room": "waitingRoom",
}


def _given(**fields) -> dict:
    """The meeting fields a tool was given, under their API names."""
    return {CAMEL[name]: value for name, value in fields.items() if value is not None}


class ApiKeyVerifier:
    """Over HTTP, an agent's Bearer token is its own onepizza API key: valid while the API
    accepts it (GET /api/auth/me with it), which is asked again after VERIFIED_SECONDS."""

    VERIFIED_SECONDS = 60.0
    MAX_REMEMBERED = 1000

    def __init__(self, api_url: str):
        self.api_url = api_url
        self._verified: dict[str, tuple[float, AccessToken | None]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        known = self._verified.get(digest)
        if known is not None and known[0] > now:
            return known[1]
        client = OnepizzaClient(self.api_url, token)
        try:
            profile = await client.me()
        except OnepizzaError as exc:
            if exc.status not in (401, 403):
                return None  # not remembered: the API may answer next time
            profile = None
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None
        finally:
            await client.close()
        access = None
        if profile is not None:
            # The key's digest names the client: an MCP session stays with the key that made it.
            access = AccessToken(
                token=token, client_id=f"key:{digest}", scopes=[], subject=str(profile["id"])
            )
        if len(self._verified) >= self.MAX_REMEMBERED:
            self._verified.clear()
        self._verified[digest] = (now + self.VERIFIED_SECONDS, access)
        return access


class _Caller:
    def __init__(self, client: OnepizzaClient):
        self.client = client
        self.bots: dict[str, Bot] = {}


class Callers:
    """Each caller's API client and bots: over HTTP, those of the account whose API key came
    as the Bearer token; over stdio (no token), the server's own (ONEPIZZA_API_KEY)."""

    def __init__(self, api_url: str, api_key: str | None):
        self.api_url = api_url
        self._own = _Caller(OnepizzaClient(api_url, api_key))
        self._remote: dict[str, _Caller] = {}

    def current(self) -> _Caller:
        access = get_access_token()
        if access is None:
            return self._own
        caller = self._remote.get(access.client_id)
        if caller is None:
            caller = self._remote[access.client_id] = _Caller(
                OnepizzaClient(self.api_url, access.token)
            )
        return caller


class _CallersClient:
    """The current caller's OnepizzaClient, for the tools."""

    def __init__(self, callers: Callers):
        self._callers = callers

    def __getattr__(self, name: str):
        return getattr(self._callers.current().client, name)


class _CallersBots:
    """The current caller's bots by meeting id, for the tools."""

    def __init__(self, callers: Callers):
        self._callers = callers

    def _bots(self) -> dict[str, Bot]:
        return self._callers.current().bots

    def __contains__(self, meeting_id: str) -> bool:
        return meeting_id in self._bots()

    def __getitem__(self, meeting_id: str) -> Bot:
        return self._bots()[meeting_id]

    def __setitem__(self, meeting_id: str, bot: Bot) -> None:
        self._bots()[meeting_id] = bot

    def pop(self, meeting_id: str, default=None):
        return self._bots().pop(meeting_id, default)


def build_server(
    api_url: str,
    api_key: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 3100,
    remote: bool = False,
) -> FastMCP:
    """The tools; `remote` (HTTP): every request needs a Bearer token, the agent's own API
    key, and the tools act as that account (`api_key` is then not used)."""
    callers = Callers(api_url, None if remote else api_key)
    client = _CallersClient(callers)
    bots = _CallersBots(callers)
    auth = {}
    if remote:
        auth = {
            "token_verifier": ApiKeyVerifier(api_url),
            "auth": AuthSettings(
                issuer_url=api_url,
                resource_server_url=f"http://{host}:{port}/mcp",
                validate_token_resource=False,  # the verifier asks the API itself
            ),
        }
    mcp = FastMCP("onepizza", instructions=INSTRUCTIONS, host=host, port=port, **auth)

    @mcp.tool()
    async def create_meeting(
        title: str | None = None,
        scheduled_at: str | None = None,
        mute_on_join: bool | None = None,
        video_off_on_join: bool | None = None,
        max_participants: int | None = None,
        waiting_room: bool | None = None,
        template_id: int | None = None,
    ) -> dict:
        """Create an instant meeting, or a scheduled one with scheduled_at (ISO 8601 UTC).
        template_id: a template's title and settings for those not given here."""
        meeting = await _call(
            client.create_meeting(
                title,
                scheduled_at=scheduled_at,
                mute_on_join=mute_on_join,
                video_off_on_join=video_off_on_join,
                max_participants=max_participants,
                waiting_room=waiting_room,
                template_id=template_id,
            )
        )
        return {**_public(meeting), "joinUrl": api_url.rstrip("/") + meeting["joinUrl"]}

    @mcp.tool()
    async def list_meetings() -> list[dict]:
        """List your active and scheduled meetings."""
        return await _call(client.list_meetings())

    @mcp.tool()
    async def get_meeting(meeting_id: str) -> dict:
        """A meeting's status, settings and current participants."""
        return await _call(client.get_meeting(meeting_id))

    @mcp.tool()
    async def end_meeting(meeting_id: str) -> dict:
        """End a live meeting (participants are disconnected and it is billed) or cancel a
        scheduled one."""
        return await _call(client.end_meeting(meeting_id))

    @mcp.tool()
    async def update_meeting_settings(
        meeting_id: str,
        title: str | None = None,
        mute_on_join: bool | None = None,
        video_off_on_join: bool | None = None,
        max_participants: int | None = None,
        locked: bool | None = None,
        waiting_room: bool | None = None,
    ) -> dict:
        """Change a meeting's title or settings live."""
        changes = _given(
            title=title,
            mute_on_join=mute_on_join,
            video_off_on_join=video_off_on_join,
            max_participants=max_participants,
            locked=locked,
            waiting_room=waiting_room,
        )
        return await _call(client.update_settings(meeting_id, **changes))

    @mcp.tool()
    async def mute_participant(meeting_id: str, participant_id: str) -> dict:
        """Force-mute one participant."""
        return await _call(client.mute(meeting_id, participant_id))

    @mcp.tool()
    async def unmute_participant(meeting_id: str, participant_id: str) -> dict:
        """Ask one participant to unmute."""
        return await _call(client.unmute(meeting_id, participant_id))

    @mcp.tool()
    async def kick_participant(
        meeting_id: str, participant_id: str, reason: str | None = None
    ) -> dict:
        """Remove a participant, with an optional reason shown to them."""
        return await _call(client.kick(meeting_id, participant_id, reason))

    @mcp.tool()
    async def mute_all(meeting_id: str) -> dict:
        """Mute every participant at once."""
        return await _call(client.mute_all(meeting_id))

    @mcp.tool()
    async def join_meeting(meeting_id: str, name: str = "AI assistant") -> dict:
        """Connect a bot to the meeting (as host if this server created it). Events are
        buffered until leave_meeting."""
        if meeting_id in bots:
            raise ToolError("Already in that meeting")
        bot = Bot(api_url, name)
        try:
            joined = await _call(
                bot.join(meeting_id, admin_token=client.admin_tokens.get(meeting_id))
            )
        except ToolError:
            await bot.leave()
            raise
        bots[meeting_id] = bot
        return {
            "participantId": joined["participantId"],
            "isAdmin": joined["isAdmin"],
            "title": joined["title"],
            "participants": joined["participants"],
        }

    @mcp.tool()
    async def leave_meeting(meeting_id: str) -> dict:
        """Disconnect the bot and return the events it saw."""
        bot = bots.pop(meeting_id, None)
        if bot is None:
            raise ToolError("Not in that meeting: call join_meeting first")
        events = bot.drain()
        await bot.leave()
        return {"events": [{"event": name, "data": data} for name, data in events]}

    def joined_bot(meeting_id: str) -> Bot:
        if meeting_id not in bots:
            raise ToolError("Not in that meeting: call join_meeting first")
        return bots[meeting_id]

    @mcp.tool()
    async def send_chat_message(meeting_id: str, text: str, reply_to: str | None = None) -> dict:
        """Post a chat message from the bot."""
        await _call(joined_bot(meeting_id).chat(text, reply_to))
        return {"sent": True}

    @mcp.tool()
    async def send_reaction(meeting_id: str, emoji: str) -> dict:
        """Send a floating reaction: one of 👍 ❤️ 😂 🎉 👏."""
        await _call(joined_bot(meeting_id).react(emoji))
        return {"sent": True}

    @mcp.tool()
    async def create_breakout_rooms(
        meeting_id: str,
        rooms: list[str],
        assignments: dict[str, str] | None = None,
        auto_assign: bool = False,
    ) -> dict:
        """Open breakout rooms (1-20 names; replaces open ones) through the joined bot, as
        host. assignments maps participantId to a room's name; auto_assign spreads every
        participant but the hosts evenly over the rooms instead."""
        bot = joined_bot(meeting_id)
        created = await _call(bot.create_breakout_rooms(rooms))
        by_name = {room["name"]: room["id"] for room in created}
        wanted: dict[str, str | None] = {}
        if auto_assign:
            guests = sorted(pid for pid, p in bot.participants.items() if not p.get("isAdmin"))
            wanted = {pid: created[i % len(created)]["id"] for i, pid in enumerate(guests)}
        for pid, name in (assignments or {}).items():
            if name not in by_name:
                raise ToolError(f"No room named {name!r}")
            wanted[pid] = by_name[name]
        result = created
        if wanted:
            result = await _call(bot.assign_breakout(wanted))
        return {"rooms": result}

    @mcp.tool()
    async def end_breakout(meeting_id: str) -> dict:
        """Close every breakout room: everyone returns to the main room."""
        await _call(joined_bot(meeting_id).close_breakout_rooms())
        return {"closed": True}

    # polls, Q&A, shared notes and attendance (collaboration.md), over REST

    @mcp.tool()
    async def create_poll(
        meeting_id: str,
        question: str,
        options: list[str] | None = None,
        kind: str = "multiple",
        anonymous: bool = False,
    ) -> dict:
        """Ask the meeting a poll: kind "multiple" (2-10 options), "yesno" or "rating" (1-5;
        no options needed). Participants vote in the meeting page or through their bots."""
        return await _call(
            client.create_poll(meeting_id, question, options, kind=kind, anonymous=anonymous)
        )

    @mcp.tool()
    async def get_poll_results(meeting_id: str, poll_id: int | None = None) -> dict:
        """Results of one poll (poll_id) or of every poll of the meeting: counts per option,
        total votes, open or closed, and who chose what unless the poll is anonymous."""
        polls = await _call(client.list_polls(meeting_id))
        if poll_id is None:
            return {"polls": polls}
        for poll in polls:
            if poll["id"] == poll_id:
                return {"poll": poll}
        raise ToolError(f"No poll {poll_id} in meeting {meeting_id}")

    @mcp.tool()
    async def get_questions(meeting_id: str, include_dismissed: bool = False) -> list[dict]:
        """The meeting's Q&A questions, most upvoted first (then oldest first)."""
        return await _call(client.get_questions(meeting_id, include_dismissed=include_dismissed))

    @mcp.tool()
    async def get_meeting_notes(meeting_id: str) -> dict:
        """The meeting's shared notes: text, version, who wrote last and when."""
        return await _call(client.get_notes(meeting_id))

    @mcp.tool()
    async def update_meeting_notes(
        meeting_id: str, text: str, base_version: int | None = None
    ) -> dict:
        """Replace the shared notes (everyone in the meeting sees them change). Pass the
        version you read as base_version to write only if nobody changed them since: if
        somebody did, nothing is written and the answer is {"conflict": true, "current":
        the notes as they are now}, to merge with and send again."""

        async def write() -> dict:
            try:
                return await client.update_notes(meeting_id, text, base_version=base_version)
            except OnepizzaError as exc:
                if exc.status != 409 or not exc.body:
                    raise
                fields = ("text", "version", "updatedBy", "updatedAt")
                return {"conflict": True, "current": {k: exc.body.get(k) for k in fields}}

        return await _call(write())

    @mcp.tool()
    async def get_attendance(meeting_id: str, as_csv: bool = False) -> dict:
        """Who attended and for how long: one row per stay (joinedAt, leftAt,
        durationSeconds); as_csv gives the same rows as CSV text."""
        if as_csv:
            return {"csv": await _call(client.get_attendance_csv(meeting_id))}
        return await _call(client.get_attendance(meeting_id))

    @mcp.tool()
    async def get_transcript(meeting_id: str) -> list[dict]:
        """The meeting's chat messages, in order."""
        return await _call(client.transcript(meeting_id))

    @mcp.tool()
    async def list_recordings(meeting_id: str) -> list[dict]:
        """Recordings uploaded for a meeting."""
        return await _call(client.list_recordings(meeting_id))

    # templates and recurring meetings (collaboration.md)

    @mcp.tool()
    async def create_template(
        name: str,
        title: str | None = None,
        mute_on_join: bool | None = None,
        video_off_on_join: bool | None = None,
        max_participants: int | None = None,
        locked: bool | None = None,
        waiting_room: bool | None = None,
    ) -> dict:
        """Save a meeting template: a title and settings that create_meeting and
        create_recurring apply with template_id (what they are given wins)."""
        settings = _given(
            mute_on_join=mute_on_join,
            video_off_on_join=video_off_on_join,
            max_participants=max_participants,
            locked=locked,
            waiting_room=waiting_room,
        )
        return await _call(client.create_template(name, settings, title=title))

    @mcp.tool()
    async def list_templates() -> list[dict]:
        """Your meeting templates (and your company's)."""
        return await _call(client.list_templates())

    @mcp.tool()
    async def create_recurring(
        rrule: str,
        start_at: str,
        title: str | None = None,
        timezone: str = "UTC",
        duration_minutes: int | None = None,
        template_id: int | None = None,
    ) -> dict:
        """A recurring meeting. rrule is an RFC 5545 rule such as "FREQ=WEEKLY;BYDAY=MO,WE"
        (COUNT=n or UNTIL=...Z to end it); start_at the first occurrence, ISO 8601 (without
        an offset: a wall-clock time in timezone, an IANA name such as "Europe/Berlin").
        Each occurrence becomes a scheduled meeting with its own join URL (list_recurring);
        times keep their wall-clock time across daylight-saving changes."""
        rule = await _call(
            client.create_recurring(
                rrule,
                start_at,
                title=title,
                timezone=timezone,
                duration_minutes=duration_minutes,
                template_id=template_id,
            )
        )
        return {**rule, "meetings": await _rule_meetings(rule["id"])}

    @mcp.tool()
    async def list_recurring() -> list[dict]:
        """Your recurring meetings, each with its next occurrences and the meetings made so
        far (join URLs; their host actions work here by meeting id)."""
        rules = await _call(client.list_recurring())
        return [{**rule, "meetings": await _rule_meetings(rule["id"])} for rule in rules]

    async def _rule_meetings(rule_id: int) -> list[dict]:
        """The rule's meetings with full join URLs; their admin tokens stay here."""
        rule = await _call(client.get_recurring(rule_id))
        return [
            {**_public(m), "joinUrl": api_url.rstrip("/") + m["joinUrl"]} for m in rule["meetings"]
        ]

    @mcp.resource("meetings://active", mime_type="application/json")
    async def active_meetings() -> str:
        """Every active meeting of this account, live."""
        meetings: list[dict[str, Any]] = await _call(client.list_meetings())
        return json.dumps([m for m in meetings if m["status"] == "active"])

    return mcp


def http_app(mcp: FastMCP):
    """Streamable HTTP (/mcp) and SSE (/sse, /messages/) served together."""
    from starlette.applications import Starlette

    streamable = mcp.streamable_http_app()
    sse = mcp.sse_app()
    return Starlette(
        routes=[*streamable.routes, *sse.routes],
        middleware=streamable.user_middleware,  # the Bearer check, when remote
        lifespan=lambda app: mcp.session_manager.run(),
    )


def run(transport: str, *, api_url: str, api_key: str | None, host: str, port: int) -> None:
    # Over HTTP each agent sends its own API key; the environment's key serves stdio only.
    remote = transport != "stdio"
    mcp = build_server(api_url, api_key, host=host, port=port, remote=remote)
    if transport == "stdio":
        mcp.run("stdio")
        return
    import uvicorn

    uvicorn.run(http_app(mcp), host=host, port=port, log_level="warning")
