"""The access log: one line a request, with secrets in query strings redacted."""

from __future__ import annotations

from urllib.parse import unquote_plus

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

# C0 controls and DEL as \xNN (non-ASCII is escaped by backslashreplace before).
CONTROL_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}

SECRET_PARAMS = {
    "token",
    "invite",
    "key",
    "api_key",
    "apikey",
    "admintoken",
    "secret",
    "password",
    "code",
    "sid",
}


def redacted_path(request: web.BaseRequest) -> str:
    """The path and query as sent (still percent-encoded, so %0a stays three characters),
    secret query values replaced, and any control or non-ASCII character escaped: one request
    is always one log line."""
    path = request.rel_url.raw_path
    query = request.rel_url.raw_query_string
    if query:
        pairs = []
        for pair in query.split("&"):
            key, sep, _value = pair.partition("=")
            if sep and _is_secret(unquote_plus(key)):
                pair = f"{key}=[redacted]"
            pairs.append(pair)
        path = f"{path}?{'&'.join(pairs)}"
    return path.encode("ascii", "backslashreplace").decode("ascii").translate(CONTROL_ESCAPES)


def _is_secret(name: str) -> bool:
    return name.lower().replace("-", "").replace("_", "") in SECRET_PARAMS


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(20):
            return
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            redacted_path(request),
            response.status,
            response.body_length,
            time * 1000,
        )
