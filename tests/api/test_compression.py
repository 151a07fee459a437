"""brotli and gzip for text responses when the client asks, identity otherwise."""

import asyncio
import gzip
from pathlib import Path

import brotli
import orjson
import pytest

from onepizza.api.request import json_response
from onepizza.app import create_app

PAYLOAD = {"meetings": [{"meetingId": f"abc-defg-{i:03d}", "title": "Standup"} for i in range(100)]}


async def big(request):
    return json_response(PAYLOAD)


@pytest.fixture
async def app_client(aiohttp_client, settings):
    app = create_app(settings)
    app.router.add_get("/_test/big", big)
    return await aiohttp_client(app, auto_decompress=False)


async def test_brotli_preferred(app_client):
    resp = await app_client.get("/_test/big", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in resp.headers.getall("Vary")
    raw = await resp.read()
    assert len(raw) < len(orjson.dumps(PAYLOAD)) / 3
    assert orjson.loads(brotli.decompress(raw)) == PAYLOAD


async def test_gzip(app_client):
    resp = await app_client.get("/_test/big", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(await resp.read())) == PAYLOAD


async def test_identity_when_not_asked_or_refused(app_client):
    for header in ("identity", "br;q=0, gzip;q=0"):
        resp = await app_client.get("/_test/big", headers={"Accept-Encoding": header})
        assert "Content-Encoding" not in resp.headers
        assert orjson.loads(await resp.read()) == PAYLOAD


async def test_small_responses_left_alone(app_client):
    resp = await app_client.get("/health/liveness", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in resp.headers


async def test_static_text_files_gzipped(app_client):
    resp = await app_client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200
    assert resp.headers["Content-Encoding"] == "gzip"


async def test_a_revalidated_static_file_is_a_bare_304(app_client):
    """A 304 has no body: nothing stray precedes the next response on the connection."""
    first = await app_client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip"})
    modified = first.headers["Last-Modified"]
    reader, writer = await asyncio.open_connection(app_client.host, app_client.port)
    for path in ("/static/css/site.css", "/health/liveness"):
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n"
            f"If-Modified-Since: {modified}\r\n\r\n".encode()
        )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 304") and b"Content-Encoding" not in head
    following = await reader.readuntil(b"\r\n\r\n")
    assert following.startswith(b"HTTP/1.1 200 OK"), following[:80]
    writer.close()


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/join/abc-defg-hij", "web/meeting.html"),
        ("/login", "web/login.html"),
        ("/static/css/meeting.css", "web/css/meeting.css"),
        ("/static/js/chat.js", "web/js/chat.js"),
        ("/sdk/onepizza.js", "sdk/onepizza.js"),
    ],
)
async def test_pages_scripts_and_styles_get_brotli_else_gzip(app_client, path, file):
    original = (ROOT / file).read_bytes()
    assert len(original) > 1024
    resp = await app_client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.status == 200
    assert resp.headers["Content-Encoding"] == "br", path
    assert "Accept-Encoding" in resp.headers.getall("Vary")
    raw = await resp.read()
    assert len(raw) < len(original)
    assert brotli.decompress(raw) == original
    assert resp.headers["Last-Modified"] and resp.headers["ETag"]
    compressed_type = resp.headers["Content-Type"]

    resp = await app_client.get(path, headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip", path
    assert gzip.decompress(await resp.read()) == original

    resp = await app_client.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in resp.headers
    assert await resp.read() == original
    assert resp.headers["Content-Type"] == compressed_type  # the same type, only encoded


async def test_a_brotli_file_revalidates_to_a_bare_304(app_client):
    first = await app_client.get("/static/js/chat.js", headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    again = await app_client.get(
        "/static/js/chat.js",
        headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status == 304
    assert "Content-Encoding" not in again.headers and await again.read() == b""


async def test_a_range_request_gets_the_plain_bytes(app_client):
    original = (ROOT / "web/js/chat.js").read_bytes()
    resp = await app_client.get(
        "/static/js/chat.js", headers={"Accept-Encoding": "br", "Range": "bytes=0-9"}
    )
    assert resp.status == 206
    assert "Content-Encoding" not in resp.headers
    assert await resp.read() == original[:10]
