"""brotli and gzip for text responses when the client asks, identity otherwise."""

import asyncio

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
    import gzip

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
