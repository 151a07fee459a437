"""Checks for Socket.IO payloads and frames: a bad one gets an `error` event with a stable
`code` and changes nothing."""

from __future__ import annotations

import orjson
from engineio import payload
from engineio.async_drivers import aiohttp as aiohttp_driver
from socketio import packet

MAX_SIGNAL_BYTES = 64 * 1024
MAX_NESTING = 32  # levels of objects and arrays in an event's arguments
# A frame python-socketio could not use becomes this event (see CheckedPacket); the guard
# answers it with a bad_payload `error`. Nothing else sends it.
BAD_FRAME_EVENT = "onepizza:bad-frame"

# The `error` event's codes (README, "Socket.IO errors"); clients switch on these, never on
# the message, which is for people.
BAD_PAYLOAD = "bad_payload"
NOT_ALLOWED = "not_allowed"
NOT_JOINED = "not_joined"
NOT_FOUND = "not_found"
OTHER_ROOM = "other_room"  # a signal to a participant in another breakout room
RATE_LIMITED = "rate_limited"
INTERNAL_ERROR = "internal_error"


class BadPayload(Exception):
    """A refused event: `str(exc)` is the message, `code` the stable code."""

    code = BAD_PAYLOAD

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class NotAllowed(BadPayload):
    code = NOT_ALLOWED


class NotJoined(BadPayload):
    code = NOT_JOINED


def as_dict(data) -> dict:
    if not isinstance(data, dict):
        raise BadPayload("Payload must be an object")
    return data


def text(data: dict, key: str, *, max_length: int, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadPayload(f"{key} is required")
    value = value.strip()
    if "\x00" in value:
        raise BadPayload(f"{key} must not contain NUL characters")
    if len(value) > max_length:
        raise BadPayload(f"{key} is at most {max_length} characters")
    return value


def flag(data: dict, key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise BadPayload(f"{key} must be true or false")
    return value


def bounded(value, limit: int = MAX_SIGNAL_BYTES):
    """A JSON-able value no larger than `limit` bytes once encoded."""
    try:
        size = len(orjson.dumps(value))
    except TypeError:
        raise BadPayload("Payload is not JSON") from None
    if size > limit:
        raise BadPayload(f"Payload is larger than {limit} bytes")
    return value


def too_deep(value, limit: int = MAX_NESTING) -> bool:
    """Whether objects and arrays nest deeper than `limit` (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class CheckedPacket(packet.Packet):
    """python-socketio's packet, given to the server as its `serializer`: a frame it could not
    use (not JSON, nested too deeply, an event without a name, a binary frame or attachment,
    a packet type no client sends) decodes as the event BAD_FRAME_EVENT carrying the reason,
    instead of raising inside python-socketio's message handler (which logs a traceback and
    answers nothing). Our clients send no binary, so binary frames are refused outright."""

    def decode(self, encoded_packet):
        try:
            if not isinstance(encoded_packet, str):
                raise BadPayload("Binary frames are not accepted")
            attachments = super().decode(encoded_packet)
            _check(self)
            return attachments
        except BadPayload as exc:
            reason = str(exc)
        except Exception:  # whatever the parser raised: not a frame we can use
            reason = "Malformed frame"
        self.packet_type, self.namespace, self.id = packet.EVENT, None, None
        self.data = [BAD_FRAME_EVENT, reason]
        self.attachment_count, self.attachments = 0, []
        return 0


def _check(pkt: packet.Packet) -> None:
    if pkt.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
        raise BadPayload("Binary payloads are not accepted")
    if pkt.packet_type not in (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK):
        raise BadPayload("Unexpected packet type")
    if pkt.packet_type == packet.EVENT and not (
        isinstance(pkt.data, list) and pkt.data and isinstance(pkt.data[0], str)
    ):
        raise BadPayload("An event needs a name")
    if too_deep(pkt.data, MAX_NESTING + 1):  # the arguments' list is one level
        raise BadPayload(f"Payload nests deeper than {MAX_NESTING} levels")


# --- engine.io frames -------------------------------------------------------------------
# python-engineio decodes each websocket message and each long-polling body itself, and a
# message that is no engine.io packet (no packet-type digit first, such as "x" or "9"; a body
# that is not UTF-8, or has more packets than it takes) raises inside it and is logged with a
# traceback, once per message. It has no option for its packet class, so its transport
# adapter (the aiohttp driver's entries in `eio._async`) drops such messages before it sees
# them; there is no socket.io event to answer them with.
ENGINEIO_TYPES = frozenset("0123456")


def is_engineio_packet(text: str) -> bool:
    return bool(text) and text[0] in ENGINEIO_TYPES


class _CheckedWebSocket(aiohttp_driver.WebSocket):
    """Skips websocket text messages that are not engine.io packets."""

    async def wait(self):
        while True:
            data = await super().wait()
            if not isinstance(data, str) or is_engineio_packet(data):
                return data


class _CheckedBody:
    """A long-polling POST body with what is not an engine.io packet taken out."""

    def __init__(self, stream, max_packets: int):
        self._stream = stream
        self._max = max_packets

    async def read(self, length: int = -1) -> bytes:
        raw = await self._stream.read(length)
        try:
            packets = raw.decode("utf-8").split("\x1e")
        except UnicodeDecodeError:
            return b""
        kept = [p for p in packets if is_engineio_packet(p)]
        return "\x1e".join(kept).encode() if len(kept) <= self._max else b""


def check_engineio_frames(eio) -> None:
    """Install the checks above on an engine.io server using the aiohttp driver."""
    translate = eio._async["translate_request"]
    max_packets = payload.Payload.max_decode_packets

    def translated(*args, **kwargs):
        environ = translate(*args, **kwargs)
        environ["wsgi.input"] = _CheckedBody(environ["wsgi.input"], max_packets)
        return environ

    eio._async = {**eio._async, "websocket": _CheckedWebSocket, "translate_request": translated}
