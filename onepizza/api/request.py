"""Helpers for reading requests: the client address and JSON bodies."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web
from marshmallow import Schema, ValidationError

from onepizza.api.keys import SETTINGS
from onepizza.api.sessions import COOKIE_NAME
from onepizza.errors import BadRequest, Forbidden, NotFound

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ASCII_ID = re.compile(r"[0-9]{1,19}")  # re's \d would match any Unicode digit
MAX_BIGINT = 2**63 - 1


def client_ip(request: web.Request) -> str:
    """The client's address; X-Forwarded-For is believed only for TRUST_PROXY hops.

    With TRUST_PROXY=N, the Nth address from the right of X-Forwarded-For is the one the
    outermost trusted proxy saw; anything left of it could be forged by the client."""
    hops = request.app[SETTINGS].trust_proxy
    peer = request.remote or "unknown"
    if hops:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if forwarded:
            return forwarded[max(0, len(forwarded) - hops)]
    return peer


def cookie_write(request: web.Request) -> bool:
    """A state-changing request a browser could send on our session cookie: it carries the
    cookie and no x-api-key (with a key the key decides, and no browser adds one cross-site)."""
    return (
        request.method not in SAFE_METHODS
        and COOKIE_NAME in request.cookies
        and "x-api-key" not in request.headers
    )


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, or a 400 naming what is wrong with it. On the session cookie
    the body must be sent as application/json (403): a cross-site form can send text/plain or
    a form encoding, but JSON only after a CORS preflight that only allowed origins pass."""
    body = await request.read()
    if not body.strip():
        return {}
    if cookie_write(request) and request.content_type != "application/json":
        raise Forbidden("A request on the session cookie must send Content-Type: application/json")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("Malformed JSON body") from None
    if b"\\u0000" in body:  # PostgreSQL text cannot hold NUL; refuse it up front
        raise BadRequest("Text must not contain NUL characters")
    if not isinstance(data, dict):
        raise BadRequest("JSON body must be an object")
    return data


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None):
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def load_body(request: web.Request, schema: Schema) -> dict[str, Any]:
    """The JSON body validated by a marshmallow schema; 400 with details when invalid."""
    try:
        return schema.load(await read_json(request))
    except ValidationError as err:
        details = err.normalized_messages()
        raise BadRequest(_first_message(details), details=details) from None


def load_query(request: web.Request, schema: Schema) -> dict[str, Any]:
    """The query string validated by a marshmallow schema; 400 naming the bad parameter."""
    try:
        return schema.load(dict(request.query))
    except ValidationError as err:
        details = err.normalized_messages()
        raise BadRequest(_first_message(details), details=details) from None


def _first_message(details) -> str:
    field, messages = next(iter(details.items()))
    while isinstance(messages, dict):
        field, messages = next(iter(messages.items()))
    message = messages[0] if isinstance(messages, list) else str(messages)
    return message if field == "_schema" or field in message else f"{field}: {message}"


def path_id(request: web.Request, name: str = "id") -> int:
    """An integer path parameter: ASCII digits naming a positive PostgreSQL bigint, else 404
    (it names nothing). Every route with an integer id reads it here: str.isdigit and int()
    would take a superscript two (and fail) or an Arabic-Indic one (and read it as 1)."""
    raw = request.match_info[name]
    if not ASCII_ID.fullmatch(raw):
        raise NotFound("Not found")
    value = int(raw)
    if not 0 < value <= MAX_BIGINT:
        raise NotFound("Not found")
    return value
