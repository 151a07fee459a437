"""Checks for Socket.IO payloads: a bad one gets an `error` event and changes nothing."""

from __future__ import annotations

import orjson

MAX_SIGNAL_BYTES = 64 * 1024


class BadPayload(Exception):
    pass


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
