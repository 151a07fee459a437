"""HTTP middlewares: JSON errors, CORS, security headers and response compression."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading
from pathlib import Path

import brotli
import orjson
from aiohttp import hdrs, web
from aiohttp.helpers import ETag
from aiohttp.typedefs import Handler
from aiohttp.web_fileresponse import CONTENT_TYPES

from onepizza.api.auth import check_same_origin
from onepizza.api.pages import WEB_DIR
from onepizza.api.request import cookie_write
from onepizza.config import Settings
from onepizza.errors import AppError, Forbidden

log = logging.getLogger(__name__)

# A CSP for our own pages: scripts only from us (ES modules, no inline script), media and
# WebRTC from the browser itself, Socket.IO over same-origin WebSockets.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

CORS_ALLOW_HEADERS = "Content-Type, x-api-key, x-admin-token, Authorization"
CORS_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_EXPOSE_HEADERS = (
    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy"
)

SOCKETIO_PATH = "/socket.io/"
COMPRESS_MIN_BYTES = 1024
COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "image/svg+xml",
    "application/yaml",
    "application/x-yaml",
)
# Paths that are never a page: their 404 stays JSON whatever the client accepts.
MACHINE_PATHS = ("/api/", "/admin/api/", "/socket.io/", "/health", "/openapi.")
NOT_FOUND_PAGE = WEB_DIR / "404.html"
COMPRESSIBLE_SUFFIXES = {".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".map", ".yaml"}


def error_body(status: int, message: str, details=None) -> web.Response:
    payload: dict = {"error": message}
    if details:
        payload["details"] = details
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as JSON {"error": ...}; no traceback reaches a client."""
    try:
        if "\x00" in request.path or "%00" in request.rel_url.raw_query_string:
            raise AppError("Text must not contain NUL characters")
        return await handler(request)
    except AppError as exc:
        response = error_body(exc.status, exc.message, exc.details)
        response.headers.update(exc.headers)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if isinstance(exc, web.HTTPNotFound) and wants_page(request):
            return await not_found_page()
        response = error_body(exc.status, _http_error_message(exc))
        for name in (hdrs.ALLOW, hdrs.RETRY_AFTER, hdrs.WWW_AUTHENTICATE):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.rel_url.path)
        return error_body(500, "Internal server error")


def wants_page(request: web.Request) -> bool:
    """A browser navigating to a page: a GET or HEAD that accepts text/html, for a path that is
    not one of the API's (an API client, a script or curl gets JSON)."""
    if request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
        return False
    path = request.path
    if path.startswith(MACHINE_PATHS) or path in ("/api", "/admin/api", "/socket.io"):
        return False
    return "text/html" in request.headers.get(hdrs.ACCEPT, "").lower()


async def not_found_page() -> web.Response:
    """web/404.html with status 404 (JSON when the page is missing from this install)."""
    loop = asyncio.get_running_loop()
    try:
        body = await loop.run_in_executor(None, NOT_FOUND_PAGE.read_bytes)
    except OSError:
        return error_body(404, "Not found")
    return web.Response(
        body=body,
        status=404,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def _http_error_message(exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return "Request body too large"
    if isinstance(exc, web.HTTPNotFound):
        return "Not found"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return f"Method {exc.method} not allowed"
    return exc.reason


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A write on the session cookie must say where it comes from: an Origin (or, without one,
    a Referer) of this site; with neither it is refused too (403), since SameSite=Lax alone
    does not cover every browser and sandboxed frame. Socket.IO checks its origins itself;
    the JSON body rule is in read_json."""
    if cookie_write(request) and not request.path.startswith(SOCKETIO_PATH):
        if hdrs.ORIGIN not in request.headers and hdrs.REFERER not in request.headers:
            raise Forbidden("Cross-site request refused: a cookie write needs Origin or Referer")
        check_same_origin(request)
    return await handler(request)


def make_headers_middleware(settings: Settings):
    origins = frozenset(settings.allowed_origins)

    @web.middleware
    async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """CORS for the allowed origins (preflights answered here) and security headers."""
        origin = request.headers.get(hdrs.ORIGIN)
        # Socket.IO answers CORS itself (cors_allowed_origins); a second header would break it.
        cors = origin is not None and not request.path.startswith(SOCKETIO_PATH)
        allowed = cors and origin in origins
        preflight = hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
        if cors and request.method == hdrs.METH_OPTIONS and preflight:
            response: web.StreamResponse = web.Response(status=204)
        else:
            response = await handler(request)
        if allowed:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = CORS_ALLOW_METHODS
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = CORS_ALLOW_HEADERS
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = CORS_EXPOSE_HEADERS
            response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = "600"
        if cors:
            response.headers.add(hdrs.VARY, "Origin")
        if not response.prepared:
            _security_headers(response, settings)
        return response

    return headers_middleware


def _security_headers(response: web.StreamResponse, settings: Settings) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault(
        "Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)"
    )
    if settings.production:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


@web.middleware
async def compression_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """brotli (preferred) or gzip for text responses the client accepts them for."""
    response = await handler(request)
    accepted = _accepted_encodings(request.headers.get(hdrs.ACCEPT_ENCODING, ""))
    if not accepted or response.prepared or hdrs.CONTENT_ENCODING in response.headers:
        return response
    if isinstance(response, web.FileResponse):
        return await _compressed_file(request, response, accepted)
    if type(response) is not web.Response or not isinstance(response.body, bytes):
        return response
    if len(response.body) < COMPRESS_MIN_BYTES or not response.content_type.startswith(
        COMPRESSIBLE_TYPES
    ):
        return response
    if "br" in accepted:
        response.body = brotli.compress(response.body, quality=4)
        response.headers[hdrs.CONTENT_ENCODING] = "br"
        response.headers.add(hdrs.VARY, "Accept-Encoding")
    elif "gzip" in accepted:
        response.enable_compression(web.ContentCoding.gzip)
    return response


async def _compressed_file(
    request: web.Request, response: web.FileResponse, accepted: set[str]
) -> web.StreamResponse:
    """A page, script or style sheet (judged by the file's own name: /join/... serves
    meeting.html) as brotli when accepted, made once per file version; else gzip by aiohttp.

    A revalidation or a Range request is left to FileResponse as it is: aiohttp would give
    its 304 a gzip body, and the stray bytes break the next response on the connection
    (Chromium: ERR_INVALID_HTTP_RESPONSE); a range is of the plain bytes."""
    path = Path(getattr(response, "_path", request.path))  # aiohttp keeps the file there
    plain = (
        hdrs.IF_MODIFIED_SINCE in request.headers
        or hdrs.IF_NONE_MATCH in request.headers
        or hdrs.RANGE in request.headers
        or request.method not in (hdrs.METH_GET, hdrs.METH_HEAD)
    )
    if plain or path.suffix.lower() not in COMPRESSIBLE_SUFFIXES:
        return response
    if "br" in accepted:
        loop = asyncio.get_running_loop()
        try:
            compressed = await loop.run_in_executor(None, BROTLI_FILES.get, path)
        except OSError:
            return response  # FileResponse answers for a file that is not there
        if compressed is not None:
            body, info = compressed
            # FileResponse's own ETag, weak: a revalidation matches it (If-None-Match is
            # compared weakly) and gets FileResponse's bare 304.
            etag = f"{info.st_mtime_ns:x}-{info.st_size:x}"
            result = web.Response(
                body=body, status=response.status, headers=response.headers.copy()
            )
            result.content_type = CONTENT_TYPES.guess_type(str(path))[0] or "text/plain"
            result.etag = ETag(value=etag, is_weak=True)
            result.last_modified = info.st_mtime
            result.headers[hdrs.CONTENT_ENCODING] = "br"
            result.headers.add(hdrs.VARY, "Accept-Encoding")
            return result
    if "gzip" in accepted:
        response.enable_compression(web.ContentCoding.gzip)
    return response


class BrotliFiles:
    """Brotli bodies of the static text files, each compressed once per version (path, mtime,
    size) at a high quality; a few hundred small files at most, so a bounded dict will do."""

    MAX_ENTRIES = 512
    MAX_FILE_BYTES = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._entries: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> tuple[bytes, os.stat_result] | None:
        """(brotli body, stat) of a regular file worth compressing, else None; run it in an
        executor (it reads and compresses)."""
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None
        if not COMPRESS_MIN_BYTES <= info.st_size <= self.MAX_FILE_BYTES:
            return None
        key = (str(path), info.st_mtime_ns, info.st_size)
        with self._lock:
            body = self._entries.get(key)
        if body is None:
            body = brotli.compress(path.read_bytes(), quality=9)
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = body
        return body, info


BROTLI_FILES = BrotliFiles()


def _accepted_encodings(header: str) -> set[str]:
    """Content codings named in Accept-Encoding with a non-zero q value."""
    accepted = set()
    for part in header.lower().split(","):
        name, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            accepted.add(name)
    return accepted
