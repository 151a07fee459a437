"""Webhooks: endpoints (https, public addresses only), signed payloads, and durable delivery
through an outbox table with retries."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from onepizza.db import cursor, transaction
from onepizza.db import webhooks as webhook_sql
from onepizza.errors import BadRequest, Conflict, NotFound

log = logging.getLogger(__name__)

EVENTS = (
    "meeting.started",
    "meeting.ended",
    "participant.joined",
    "participant.left",
    "recording.uploaded",
    "stream.started",
    "stream.stopped",
)
MAX_WEBHOOKS = 20  # per account
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)

DELIVERY_TIMEOUT = 5.0  # seconds for one POST, connection included
# Seconds to wait after failed attempt n before attempt n+1 (scaled by WEBHOOK_RETRY_SCALE);
# the attempt after the last delay is the final one: 6 attempts over about 55 minutes.
RETRY_DELAYS = (30.0, 120.0, 480.0, 900.0, 1800.0)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE_SECONDS = 60.0  # a claimed delivery is due again after this if its worker vanished
CONCURRENCY = 16  # deliveries in flight per process
RESOLVE_TIMEOUT = 3.0  # seconds to resolve a webhook host at registration
BUFFER_MAX = 10_000  # events waiting to be written to the outbox
WRITE_BATCH = 500

REFUSED_ADDRESS = (
    "Webhook URL must not point to a loopback, private, link-local or reserved address"
)


@dataclass(frozen=True)
class WebhookEvent:
    """Something that happened, for the webhooks of `user_id` subscribed to `event`."""

    user_id: int
    event: str
    meeting_id: str
    data: dict
    timestamp_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def body(self) -> str:
        """The payload of §9, exactly as it is sent and signed."""
        payload = {
            "event": self.event,
            "meetingId": self.meeting_id,
            "timestamp": self.timestamp_ms,
            "data": self.data,
        }
        return orjson.dumps(payload).decode()

    def row(self) -> tuple[int, str, str, str]:
        return self.user_id, self.event, self.meeting_id, self.body()


def meeting_ended(row: dict) -> WebhookEvent:
    """meeting.ended from the row the end wrote (duration, peak and cost as billed)."""
    minutes = row["duration_minutes"] or Decimal(0)
    return WebhookEvent(
        row["owner_id"],
        "meeting.ended",
        row["id"],
        {
            "title": row["title"],
            "durationMinutes": int(minutes) if minutes == int(minutes) else float(minutes),
            "peakParticipants": row["peak_participants"],
            "costUsd": f"{(row['cost_usd'] or Decimal(0)):.4f}",
        },
        timestamp_ms=int(row["ended_at"].timestamp() * 1000),
    )


def meeting_started(owner_id: int, meeting_id: str, title: str) -> WebhookEvent:
    return WebhookEvent(owner_id, "meeting.started", meeting_id, {"title": title})


def stream_stopped(owner_id: int, meeting_id: str) -> WebhookEvent:
    return WebhookEvent(owner_id, "stream.stopped", meeting_id, {})


def participant_event(event: str, owner_id: int, meeting_id: str, participant) -> WebhookEvent:
    data = {"participantId": participant.participant_id, "name": participant.name}
    return WebhookEvent(owner_id, event, meeting_id, data)


def recording_uploaded(owner_id: int, meeting_id: str, row: dict) -> WebhookEvent:
    data = {"recordingId": row["id"], "filename": row["filename"], "sizeBytes": row["size_bytes"]}
    return WebhookEvent(owner_id, "recording.uploaded", meeting_id, data)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Onepizza-Signature value: `t=<unix seconds>,v1=<hex HMAC-SHA256>` of
    "<t>.<raw body>" under the endpoint's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


# --- where a webhook may point ---------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for loopback, private, link-local (cloud metadata), unspecified, multicast,
    reserved and shared addresses, and for IPv6 forms that embed one of those."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal_address(host: str):
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp's default and drops every non-public address, so a name that
    changes to a private address after registration (DNS rebinding) is not followed."""

    def __init__(self):
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if is_public_address(ipaddress.ip_address(r["host"]))]
        if not public:
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


class WebhookService:
    def __init__(
        self,
        pool,
        *,
        allow_insecure: bool = False,
        retry_scale: float = 1.0,
        poll_interval: float = 5.0,
    ):
        self._pool = pool
        self._allow_insecure = allow_insecure
        self._retry_scale = retry_scale
        self._poll = poll_interval
        self._buffer: list[WebhookEvent] = []
        self._buffered = asyncio.Event()
        self._due = asyncio.Event()  # deliveries were queued in this process
        self._dropped = 0

    # --- endpoints --------------------------------------------------------------------

    async def create(self, user: dict, *, url: str, events: list[str]) -> dict:
        """A new endpoint; the result carries its secret, which is never shown again."""
        url = await self.check_url(url)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        async with transaction(self._pool) as cur:
            row = await webhook_sql.insert(
                cur, user_id=user["id"], url=url, events=events, secret=secret, limit=MAX_WEBHOOKS
            )
        if row is None:
            raise Conflict(f"At most {MAX_WEBHOOKS} webhooks per account: delete one first")
        return {**row, "secret": secret}

    async def list(self, user: dict) -> list[dict]:
        async with cursor(self._pool) as cur:
            return await webhook_sql.for_user(cur, user["id"])

    async def delete(self, user: dict, webhook_id: int) -> None:
        async with cursor(self._pool) as cur:
            if not await webhook_sql.delete(cur, user_id=user["id"], webhook_id=webhook_id):
                raise NotFound("Webhook not found")

    async def deliveries(self, user: dict, webhook_id: int, *, limit: int, offset: int):
        async with cursor(self._pool) as cur:
            if not await webhook_sql.owned(cur, user_id=user["id"], webhook_id=webhook_id):
                raise NotFound("Webhook not found")
            return await webhook_sql.for_webhook(cur, webhook_id, limit=limit, offset=offset)

    async def retry(self, user: dict, webhook_id: int, delivery_id) -> dict:
        """Send one delivery again now, whatever its status (one more attempt)."""
        async with cursor(self._pool) as cur:
            row = await webhook_sql.retry_now(
                cur, user_id=user["id"], webhook_id=webhook_id, delivery_id=delivery_id
            )
        if row is None:
            raise NotFound("Delivery not found")
        self._due.set()
        return row

    async def check_url(self, url: str) -> str:
        """The URL, if a webhook may point there; 400 otherwise. Unless allow_insecure: https
        only, and the host (a literal address or every address it resolves to) public."""
        url = url.strip()
        try:
            parts = urlsplit(url)
            host, _port = parts.hostname, parts.port
        except ValueError:
            raise BadRequest("Webhook URL is not a valid URL") from None
        schemes = ("http", "https") if self._allow_insecure else ("https",)
        if parts.scheme.lower() not in schemes:
            raise BadRequest("Webhook URL must use https")
        if not host:
            raise BadRequest("Webhook URL must name a host")
        if self._allow_insecure:
            return url
        literal = _literal_address(host)
        if literal is not None:
            if not is_public_address(literal):
                raise BadRequest(REFUSED_ADDRESS)
            return url
        for address in await self._resolve(host):
            if not is_public_address(address):
                raise BadRequest(REFUSED_ADDRESS)
        return url

    @staticmethod
    async def _resolve(host: str) -> list:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                infos = await loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        except (TimeoutError, OSError, UnicodeError):
            raise BadRequest(f"Webhook URL host {host!r} could not be resolved") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if not addresses:
            raise BadRequest(f"Webhook URL host {host!r} could not be resolved")
        return addresses

    # --- recording what happened ------------------------------------------------------

    async def record(self, cur, events: Iterable[WebhookEvent]) -> int:
        """Queue deliveries inside the caller's transaction, so they exist exactly when what
        they report does; call notify() once it has committed."""
        return await webhook_sql.enqueue(cur, [e.row() for e in events])

    def notify(self) -> None:
        """Deliveries were committed in this process: deliver them now, not at the next poll."""
        self._due.set()

    def emit(self, event: WebhookEvent) -> None:
        """Queue deliveries without waiting for the database (Socket.IO events, uploads): the
        event is buffered and written by run_writer; never blocks the caller."""
        if len(self._buffer) >= BUFFER_MAX:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.warning("webhook outbox buffer full: %d events dropped", self._dropped)
            return
        self._buffer.append(event)
        self._buffered.set()

    async def run_writer(self, stop: asyncio.Event) -> None:
        """Write buffered events to the outbox in batches, one statement each. At stop, what
        is left is flushed, or dropped (and logged) if the database fails: a dead database
        must not hold the shutdown."""
        while True:
            if not self._buffer:
                if stop.is_set():
                    return
                self._buffered.clear()
                await _first_of(stop, self._buffered)
                continue
            batch = self._buffer[:WRITE_BATCH]
            try:
                async with cursor(self._pool) as cur:
                    queued = await self.record(cur, batch)
            except Exception as exc:  # the database may be away for a while; keep them
                log.warning("writing webhook events failed: %s", type(exc).__name__)
                if stop.is_set():
                    log.error("dropping %d webhook events at shutdown", len(self._buffer))
                    self._buffer.clear()
                    return
                await _first_of(stop, timeout=1.0)
                continue
            del self._buffer[: len(batch)]
            if queued:
                self._due.set()

    # --- delivering -------------------------------------------------------------------

    def retry_delay(self, attempt: int) -> float | None:
        """Seconds until the attempt after failed attempt `attempt`; None after the last."""
        if attempt > len(RETRY_DELAYS):
            return None
        return RETRY_DELAYS[max(attempt, 1) - 1] * self._retry_scale

    async def run_delivery(self, stop: asyncio.Event) -> None:
        """Claim due deliveries (up to CONCURRENCY in flight) and send them; wake when this
        process queues some, else poll. Stopped between rounds; in-flight deliveries finish
        (each bounded by DELIVERY_TIMEOUT), and anything still pending waits in the table for
        the next start."""
        in_flight: set[asyncio.Task] = set()

        def finished(task: asyncio.Task) -> None:
            in_flight.discard(task)
            self._due.set()  # a slot is free

        async with self._client_session() as session:
            while not stop.is_set():
                self._due.clear()
                free = CONCURRENCY - len(in_flight)
                if free > 0:
                    for row in await self._claim(free):
                        task = asyncio.create_task(self._deliver(session, row))
                        in_flight.add(task)
                        task.add_done_callback(finished)
                await _first_of(stop, self._due, timeout=self._poll)
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)

    def _client_session(self) -> aiohttp.ClientSession:
        resolver = None if self._allow_insecure else PublicOnlyResolver()
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONCURRENCY, resolver=resolver),
            timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT),
            cookie_jar=aiohttp.DummyCookieJar(),  # receivers must not see each other's cookies
            headers={"User-Agent": "onepizza-webhooks/1"},
        )

    async def _claim(self, limit: int) -> list[dict]:
        try:
            async with cursor(self._pool) as cur:
                return await webhook_sql.claim_due(cur, limit=limit, lease_seconds=LEASE_SECONDS)
        except Exception as exc:  # the database may be away; the next round tries again
            log.warning("claiming webhook deliveries failed: %s", type(exc).__name__)
            return []

    async def _deliver(self, session: aiohttp.ClientSession, row: dict) -> None:
        status, error = await self._post(session, row)
        attempt = row["attempts"]
        try:
            async with cursor(self._pool) as cur:
                if error is None:
                    await webhook_sql.mark_delivered(
                        cur, row["id"], attempt=attempt, status_code=status
                    )
                else:
                    await webhook_sql.mark_failed(
                        cur,
                        row["id"],
                        attempt=attempt,
                        status_code=status,
                        error=error,
                        retry_in=self.retry_delay(attempt),
                    )
        except Exception as exc:  # its lease runs out and it is sent again
            log.warning("recording webhook delivery %s failed: %s", row["id"], type(exc).__name__)

    async def _post(self, session, row: dict) -> tuple[int | None, str | None]:
        """POST one delivery; (status, None) on a 2xx, else (status or None, what went wrong)."""
        url = row["url"]
        refusal = None if self._allow_insecure else _delivery_refusal(url)
        if refusal is not None:
            return None, refusal
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            "X-Onepizza-Signature": signature(row["secret"], int(time.time()), body),
            "X-Onepizza-Delivery": str(row["id"]),
            "X-Onepizza-Event": row["event"],
        }
        try:
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
                status = resp.status
        except TimeoutError:
            return None, f"Timed out after {DELIVERY_TIMEOUT:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"


def _delivery_refusal(url: str) -> str | None:
    """At delivery, without resolving (PublicOnlyResolver filters names): the scheme or a
    literal address may have been allowed while WEBHOOK_ALLOW_INSECURE was on."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return "Webhook URL must use https"
    literal = _literal_address(parts.hostname or "")
    if literal is not None and not is_public_address(literal):
        return REFUSED_ADDRESS
    return None


async def _first_of(*events: asyncio.Event, timeout: float | None = None) -> None:  # noqa: ASYNC109
    """Wait until any of `events` is set, or `timeout` seconds pass."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)
