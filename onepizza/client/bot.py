"""Bot: a meeting participant over Socket.IO, with events as callbacks or an async iterator,
that rejoins its meeting by itself when the connection is lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import socketio

from onepizza.client.rest import OnepizzaError

log = logging.getLogger(__name__)

SERVER_EVENTS = (
    "participant:joined",
    "participant:left",
    "participant:updated",
    "signal:offer",
    "signal:answer",
    "signal:ice-candidate",
    "admin:mute",
    "admin:unmute",
    "admin:kick",
    "meeting:ended",
    "meeting:all-muted",
    "meeting:settings-updated",
    "chat:message",
    "react",
    "recording:started",
    "recording:stopped",
    "chat:react",
    "captions:update",
    "error",
    "waiting-room:waiting",
    "waiting-room:admitted",
    "waiting-room:denied",
    "waiting-room:participant-waiting",
    "breakout:created",
    "breakout:updated",
    "breakout:assigned",
    "breakout:participant-joined",
    "breakout:participant-left",
    "breakout:message",
    "breakout:closed",
    "breakout:all-closed",
    "stream:started",
    "stream:stopped",
    "poll:created",
    "poll:updated",
    "poll:closed",
    "qa:asked",
    "qa:updated",
    "notes:updated",
    "notes:conflict",
    "notes:current",
    "qa:questions",
)

# Events the Bot itself queues (they do not come from the server).
DISCONNECTED = "disconnected"
REJOIN_FAILED = "rejoin:failed"

REJOIN_WAIT = 5.0  # seconds to wait for `joined` after a reconnection
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 1.0  # seconds between rounds over the server URLs


def _meeting_is_gone(refused: OnepizzaError) -> bool:
    return refused.code in ("meeting_ended", "meeting_not_found")


def _refusal(data: Any) -> OnepizzaError:
    """An `error` event as an OnepizzaError carrying the server's stable `code`."""
    data = data if isinstance(data, dict) else {}
    error = OnepizzaError(400, str(data.get("message", "")))
    error.code = data.get("code")
    return error


class _Retry(Exception):
    """This attempt to rejoin failed for a reason that may pass (server down, timeout)."""


class Bot:
    """Join a meeting as `name`; every server event is queued (bounded) for `events()` and
    passed to callbacks registered with `on()`.

    `base_url` is one server URL, or a list of them (processes of one deployment) to fail
    over between. When the connection is lost without `leave()` (the server process was
    killed or restarted, or told its clients to reconnect), the Bot reconnects by itself,
    first to the URL it was on, then to the next ones in turn, with a short backoff
    (0.2 s doubling to 1 s between rounds), for at most `reconnect_timeout` seconds; it
    rejoins the same meeting with the same name, host token and invite, plus the
    `resumeToken` of its last `joined`, so the server drops its stale entry.

    What that looks like from `events()` and `on()`:
    - ("disconnected", {"reason": ...}) when the connection drops and a rejoin starts;
    - ("joined", payload) again when the rejoin succeeded; `participant_id` is then the
      new one (a rejoin is a new participant) and `url` the server it is on;
    - ("meeting:ended", {"reason": message}) when the rejoin is refused because the meeting
      ended or is gone (e.g. a guest meeting after a server restart); the Bot stops;
    - ("rejoin:failed", {"reason": ...}) when it is refused for another reason (locked,
      full, ...) or no server answered in time; the Bot stops.
    `reconnect=False` turns all of this off: a lost connection stays lost."""

    def __init__(
        self,
        base_url: str | Sequence[str],
        name: str = "Bot",
        *,
        max_buffer: int = 1000,
        reconnect: bool = True,
        reconnect_timeout: float = 60.0,
    ):
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("Bot needs at least one server URL")
        self.urls = [url.rstrip("/") for url in urls]
        self.base_url = self.urls[0]
        self.url = self.base_url  # the server the Bot is (or was last) connected to
        self.name = name
        self.participant_id: str | None = None
        self.meeting_id: str | None = None
        self.resume_token: str | None = None
        self.participants: dict[str, dict] = {}  # the others in the meeting, by id
        self.reconnect = reconnect
        self.reconnect_timeout = reconnect_timeout
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=max_buffer)
        self._callbacks: dict[str, list[Callable]] = {}
        self._joined: asyncio.Future | None = None
        # What join-meeting sent, while the Bot means to be in that meeting (None otherwise).
        self._join_payload: dict | None = None
        self._in_meeting = asyncio.Event()
        self._reconnect_task: asyncio.Task | None = None
        self._sio = self._new_client()

    def on(self, event: str, callback: Callable[[Any], Any]) -> None:
        self._callbacks.setdefault(event, []).append(callback)

    @property
    def connected(self) -> bool:
        """Connected and in the meeting (not between a lost connection and its rejoin)."""
        return self._sio.connected and self._in_meeting.is_set()

    @property
    def reconnecting(self) -> bool:
        """A lost connection is being re-established (and the meeting rejoined)."""
        return self._reconnect_task is not None and not self._reconnect_task.done()

    # --- the connection -------------------------------------------------------------------

    def _new_client(self) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False, request_timeout=3)
        for event in (*SERVER_EVENTS, "joined"):
            client.on(event, self._handler(event))

        async def disconnected(reason=None):
            if client is self._sio:  # not a client this Bot already replaced
                await self._on_disconnect(reason)

        client.on("disconnect", disconnected)
        return client

    def _handler(self, event: str):
        async def handle(data=None):
            pending = self._joined if self._joined and not self._joined.done() else None
            if event == "joined" and pending:
                pending.set_result(data)
            elif event == "error" and pending:
                pending.set_exception(_refusal(data))
            elif event in ("meeting:ended", "admin:kick"):
                self._join_payload = None  # over: nothing to rejoin
            self._track(event, data)
            await self._deliver(event, data)

        return handle

    def _track(self, event: str, data: Any) -> None:
        """Keep `participants` (the others, as `joined` and participant:joined show them)."""
        if not isinstance(data, dict):
            return
        if event == "joined":
            others = data.get("participants") or []
            self.participants = {p["participantId"]: p for p in others if isinstance(p, dict)}
        elif event == "participant:joined" and "participantId" in data:
            self.participants[data["participantId"]] = data
        elif event == "participant:left":
            self.participants.pop(data.get("participantId"), None)

    async def _deliver(self, event: str, data: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # keep the newest events
        self._queue.put_nowait((event, data))
        for callback in self._callbacks.get(event, []):
            result = callback(data)
            if asyncio.iscoroutine(result):
                await result

    async def _connect(self, url: str, meeting_id: str | None) -> None:
        # ?meeting= lets a load balancer put a meeting's participants on one node (deploy/).
        query = f"?{urlencode({'meeting': meeting_id})}" if meeting_id else ""
        await self._sio.connect(url + query, transports=["websocket"])
        self.url = url

    async def _connect_any(self, meeting_id: str) -> None:
        """Connect to the first of `urls` that answers (the first join)."""
        error: Exception | None = None
        for url in self.urls:
            try:
                await self._connect(url, meeting_id)
                return
            except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
                error = exc
                await self._replace_client()
        raise OnepizzaError(503, f"No server answered: {error}")

    async def _replace_client(self) -> None:
        old, self._sio = self._sio, self._new_client()
        with contextlib.suppress(Exception):
            await old.disconnect()  # closes its HTTP session

    async def _emit_join(self, payload: dict, timeout: float) -> dict:  # noqa: ASYNC109
        self._joined = asyncio.get_running_loop().create_future()
        await self._sio.emit("join-meeting", payload)
        joined = await asyncio.wait_for(self._joined, timeout)
        self.participant_id = joined["participantId"]
        self.resume_token = joined.get("resumeToken") or self.resume_token
        self._in_meeting.set()
        return joined

    async def join(
        self,
        meeting_id: str,
        *,
        admin_token: str | None = None,
        invite_token: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a plain bound on waiting for `joined`)
    ) -> dict:
        """Connect and join; return the `joined` payload or raise OnepizzaError."""
        if not self._sio.connected:
            await self._connect_any(meeting_id)
        payload = {
            "meetingId": meeting_id,
            "name": self.name,
            "isAdmin": bool(admin_token),
            "adminToken": admin_token,
        }
        if invite_token:
            payload["inviteToken"] = invite_token
        self.resume_token = None
        try:
            joined = await self._emit_join(payload, timeout)
        except _Retry as exc:
            raise OnepizzaError(503, f"Disconnected while joining: {exc}") from None
        self.meeting_id = meeting_id
        self._join_payload = payload
        return joined

    # --- rejoining ------------------------------------------------------------------------

    async def _on_disconnect(self, reason: Any) -> None:
        self._in_meeting.clear()
        if self._joined and not self._joined.done():
            self._joined.set_exception(_Retry("disconnected while joining"))
        if self._join_payload is None or not self.reconnect:
            return
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._rejoin())
            await self._deliver(DISCONNECTED, {"reason": str(reason or "connection lost")})

    async def _rejoin(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout
        first = self.urls.index(self.url) if self.url in self.urls else 0
        attempt = 0
        while self._join_payload is not None:
            if attempt and attempt % len(self.urls) == 0:  # a round over every URL failed
                rounds = attempt // len(self.urls)
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (rounds - 1))
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 (jitter)
            if loop.time() >= deadline:
                await self._give_up(REJOIN_FAILED, "no server answered in time")
                return
            url = self.urls[(first + attempt) % len(self.urls)]
            attempt += 1
            try:
                await self._rejoin_through(url)
            except _Retry as exc:
                log.debug("rejoin through %s failed: %s", url, exc)
                continue
            except OnepizzaError as refused:
                gone = _meeting_is_gone(refused)
                await self._give_up("meeting:ended" if gone else REJOIN_FAILED, refused.message)
                return
            if self._sio.connected:  # still up now that `joined` is handled
                log.info("rejoined %s through %s as %s", self.meeting_id, url, self.participant_id)
                self._reconnect_task = None
                return

    async def _rejoin_through(self, url: str) -> dict:
        await self._replace_client()
        try:
            await self._connect(url, self.meeting_id)
        except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
            raise _Retry(str(exc)) from exc
        payload = dict(self._join_payload or {})
        if self.resume_token:
            payload["resumeToken"] = self.resume_token
        try:
            return await self._emit_join(payload, REJOIN_WAIT)
        except (TimeoutError, socketio.exceptions.SocketIOError) as exc:
            raise _Retry(f"no answer to join-meeting: {exc!r}") from exc

    async def _give_up(self, event: str, reason: str) -> None:
        self._join_payload = None
        self._reconnect_task = None
        self.meeting_id = self.participant_id = None
        with contextlib.suppress(Exception):
            await self._sio.disconnect()
        await self._deliver(event, {"reason": reason})

    # --- events and actions ---------------------------------------------------------------

    async def events(self) -> AsyncIterator[tuple[str, Any]]:
        """Every event as (name, payload), as it arrives."""
        while True:
            yield await self._queue.get()

    def drain(self) -> list[tuple[str, Any]]:
        """The events buffered so far, emptying the buffer."""
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def emit(self, event: str, data: Any = None, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Send a client event (spec §10-§12). While a rejoin is under way, wait for it
        (at most `timeout` seconds) rather than send into a dead connection."""
        if self._reconnect_task is not None and not self._in_meeting.is_set():
            try:
                await asyncio.wait_for(self._in_meeting.wait(), timeout)
            except TimeoutError:
                raise OnepizzaError(503, "Not connected: still reconnecting") from None
        try:
            await self._sio.emit(event, data)
        except socketio.exceptions.BadNamespaceError:
            raise OnepizzaError(503, "Not connected") from None

    async def chat(self, text: str, reply_to: str | None = None) -> None:
        await self.emit("chat:message", {"text": text, "replyTo": reply_to})

    async def react(self, emoji: str) -> None:
        await self.emit("react", {"emoji": emoji})

    async def raise_hand(self, raised: bool = True) -> None:
        await self.emit("raise-hand", {"isHandRaised": raised})

    # --- breakout rooms and the live stream (§10; hosts, but join/leave) ----------------

    async def _ask(self, event: str, data: Any, answer: str, *, mine=None, timeout=10.0) -> Any:  # noqa: ASYNC109
        """Send `event` and wait for the server's `answer` (the first for which `mine(payload)`
        holds, if given): its payload, or the `error` meanwhile as an OnepizzaError."""
        done = asyncio.get_running_loop().create_future()

        def answered(payload):
            if not done.done() and (mine is None or mine(payload)):
                done.set_result(payload)

        def refused(payload):
            if not done.done():
                message = (payload or {}).get("message", "") if isinstance(payload, dict) else ""
                done.set_exception(OnepizzaError(400, message))

        waiting = ((answer, answered), ("error", refused))
        for name, callback in waiting:
            self.on(name, callback)
        try:
            await self.emit(event, data)
            try:
                return await asyncio.wait_for(done, timeout)
            except TimeoutError:
                raise OnepizzaError(504, f"No answer to {event}") from None
        finally:
            for name, callback in waiting:
                self._callbacks[name].remove(callback)

    async def create_breakout_rooms(self, names: Sequence[str]) -> list[dict]:
        """Open rooms (1-20 names), replacing any open ones: [{id, name, participantCount}]."""
        created = await self._ask("breakout:create", {"rooms": list(names)}, "breakout:created")
        return created["rooms"]

    async def assign_breakout(self, assignments: dict[str, str | None]) -> list[dict]:
        """Assign participants (id -> room id; None unassigns): the rooms after it."""
        pairs = [{"participantId": pid, "roomId": room} for pid, room in assignments.items()]

        def done(payload) -> bool:  # the update that shows these assignments
            rooms = {room["id"]: set(room.get("assigned", ())) for room in payload["rooms"]}
            return all(
                pid in rooms.get(room, ()) if room else all(pid not in a for a in rooms.values())
                for pid, room in assignments.items()
            )

        event = {"assignments": pairs}
        updated = await self._ask("breakout:assign", event, "breakout:updated", mine=done)
        return updated["rooms"]

    async def join_breakout(self, room_id: str) -> dict:
        """Enter a room (the one assigned, or any for a host)."""
        return await self._ask(
            "breakout:join", {"roomId": room_id}, "breakout:participant-joined", mine=self._me
        )

    async def leave_breakout(self) -> dict:
        """Back to the main room."""
        return await self._ask("breakout:leave", {}, "breakout:participant-joined", mine=self._me)

    async def broadcast_to_breakouts(self, message: str) -> dict:
        return await self._ask("breakout:broadcast", {"message": message}, "breakout:message")

    async def close_breakout_rooms(self) -> None:
        await self._ask("breakout:close", {}, "breakout:all-closed")

    async def start_stream(self, url: str) -> dict:
        """Start the live broadcast to an rtmp:// or rtmps:// URL (a host)."""
        return await self._ask("stream:start", {"url": url}, "stream:started")

    async def stop_stream(self) -> None:
        await self._ask("stream:stop", {}, "stream:stopped")

    def _me(self, payload) -> bool:
        return isinstance(payload, dict) and payload.get("participantId") == self.participant_id

    # polls, Q&A and shared notes (collaboration.md); a refusal comes back as an `error` event

    async def create_poll(
        self,
        question: str,
        options: list[str] | None = None,
        *,
        kind: str = "multiple",
        anonymous: bool = False,
    ) -> None:
        """Host only: a poll for everyone (`poll:created`)."""
        body = {"question": question, "kind": kind, "anonymous": anonymous}
        if options is not None:
            body["options"] = options
        await self.emit("poll:create", body)

    async def close_poll(self, poll_id: int) -> None:
        await self.emit("poll:close", {"pollId": poll_id})

    async def vote(self, poll_id: int, choice: int) -> None:
        """`choice` is the option's index; a new vote replaces this Bot's earlier one."""
        await self.emit("poll:vote", {"pollId": poll_id, "choice": choice})

    async def ask(self, text: str) -> None:
        await self.emit("qa:ask", {"text": text})

    async def upvote(self, question_id: int) -> None:
        """Toggles this Bot's upvote (never on its own question)."""
        await self.emit("qa:upvote", {"questionId": question_id})

    async def answer_question(self, question_id: int) -> None:
        await self.emit("qa:answer", {"questionId": question_id})

    async def dismiss_question(self, question_id: int) -> None:
        await self.emit("qa:dismiss", {"questionId": question_id})

    async def update_notes(self, text: str, base_version: int) -> None:
        """`notes:updated` to all, or `notes:conflict` (the current pad) to this Bot when
        `base_version` is no longer the current version."""
        await self.emit("notes:update", {"text": text, "baseVersion": base_version})

    async def leave(self) -> None:
        self._join_payload = None  # first: the disconnect below must not start a rejoin
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._in_meeting.clear()
        if self._sio.connected:
            await self._sio.disconnect()
        else:
            with contextlib.suppress(Exception):
                await self._sio.disconnect()  # a client left half-open by a failed attempt
        self.meeting_id = self.participant_id = None
