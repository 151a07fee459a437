"""Every error is JSON {"error": ...} with the right status, and no traceback leaks."""

import pytest

from onepizza.api.request import json_response, read_json
from onepizza.app import create_app
from onepizza.errors import Conflict


async def echo(request):
    return json_response(await read_json(request))


async def explode(request):
    raise RuntimeError("secret internals: password=hunter2")


async def conflict(request):
    raise Conflict("Email already in use")


@pytest.fixture
async def app_client(aiohttp_client, make_settings):
    app = create_app(make_settings(max_body_bytes=2048))
    app.router.add_post("/_test/echo", echo)
    app.router.add_get("/_test/explode", explode)
    app.router.add_get("/_test/conflict", conflict)
    return await aiohttp_client(app)


async def test_unknown_path_is_json_404(app_client):
    resp = await app_client.get("/api/does-not-exist")
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "Not found"}


async def test_wrong_method_is_json_405_with_allow(app_client):
    resp = await app_client.delete("/health")
    assert resp.status == 405
    assert (await resp.json())["error"] == "Method DELETE not allowed"
    assert "GET" in resp.headers["Allow"]


@pytest.mark.parametrize("body", [b"{not json", b'{"a": ', b"\xff\xfe"])
async def test_malformed_json_is_400(app_client, body):
    resp = await app_client.post(
        "/_test/echo", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert await resp.json() == {"error": "Malformed JSON body"}


async def test_json_that_is_not_an_object_is_400(app_client):
    resp = await app_client.post("/_test/echo", data=b"[1, 2]")
    assert resp.status == 400
    assert await resp.json() == {"error": "JSON body must be an object"}


async def test_valid_json_passes(app_client):
    resp = await app_client.post("/_test/echo", json={"title": "Standup"})
    assert resp.status == 200
    assert await resp.json() == {"title": "Standup"}


async def test_body_over_limit_is_json_413(app_client):
    resp = await app_client.post("/_test/echo", data=b'{"a": "' + b"x" * 5000 + b'"}')
    assert resp.status == 413
    assert await resp.json() == {"error": "Request body too large"}


async def test_unhandled_exception_is_json_500_without_traceback(app_client, caplog):
    resp = await app_client.get("/_test/explode")
    assert resp.status == 500
    text = await resp.text()
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "Internal server error"}
    assert "Traceback" not in text and "hunter2" not in text
    assert "RuntimeError" in caplog.text  # the operator still sees it in the log


async def test_app_errors_keep_their_status(app_client):
    resp = await app_client.get("/_test/conflict")
    assert resp.status == 409
    assert await resp.json() == {"error": "Email already in use"}
