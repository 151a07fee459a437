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


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/join", "/join/abc-defg-hij/extra", "/docs/nope"]
)
async def test_unknown_page_is_an_html_404_for_a_browser(app_client, path):
    resp = await app_client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert resp.status == 404
    assert resp.content_type == "text/html"
    text = await resp.text()
    assert "<title>Page not found — onepizza</title>" in text
    assert '<a class="button primary" href="/">Go to the home page</a>' in text
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    "path", ["/api/does-not-exist", "/admin/api/nope", "/socket.io/x", "/health/x", "/api"]
)
async def test_unknown_api_path_stays_json_404_even_for_a_browser(app_client, path):
    resp = await app_client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "Not found"}


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_unknown_page_is_json_404_for_a_client_that_does_not_ask_for_html(app_client, accept):
    headers = {"Accept": accept} if accept else {}
    resp = await app_client.get("/no-such-page", headers=headers)
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "Not found"}


async def test_unknown_page_posted_to_stays_json(app_client):
    resp = await app_client.post("/no-such-page", headers={"Accept": BROWSER_ACCEPT})
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == {"error": "Not found"}
