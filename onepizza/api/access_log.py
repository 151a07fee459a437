"""The access log: one line a request, with secrets in query strings redacted."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

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
    query = request.rel_url.query_string
    if not query:
        return request.rel_url.path
    pairs = [
        (k, "[redacted]" if k.lower().replace("-", "").replace("_", "") in SECRET_PARAMS else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{request.rel_url.path}?{urlencode(pairs, safe='[]')}"


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
