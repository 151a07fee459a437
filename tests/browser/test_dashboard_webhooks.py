"""The dashboard's webhooks in Chromium: a webhook registered on the page (its secret shown
once) receives a signed delivery at a local aiohttp receiver when a meeting ends, and the
delivery appears in its log; a delivery that failed (the receiver answering 500) is retried
from the page and then shows as delivered; deleting asks first."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import orjson
import pytest
from aiohttp import web
from playwright.sync_api import expect

from tests.api.test_webhooks import verify
from tests.browser.axe import assert_accessible
from tests.browser.dashboard_admin_helpers import (  # noqa: F401  (fixtures)
    admin_env_fixture,
    admin_server,
    api_json,
    grant_credit,
    log_in,
    log_in_admin,
    register,
)


class Receiver:
    """A webhook receiver on 127.0.0.1 (aiohttp, on its own thread) answering `status`."""

    def __init__(self):
        self.status = 200
        self.requests: list[dict] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            {"headers": dict(request.headers), "body": body, "answered": self.status}
        )
        return web.Response(status=self.status, text="ok")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def wait(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"{len(self.requests)} of {count} deliveries"
            time.sleep(0.05)
        return self.requests


@pytest.fixture
def receiver():
    hook = Receiver()
    hook.start()
    yield hook
    hook.stop()


def end_a_meeting(page, server, user: dict, title: str) -> str:
    """Create and end a meeting through the API (as a script of the account would)."""
    keyed = {"x-api-key": user["apiKey"]}
    status, made = api_json(page, server, "POST", "/api/meetings", {"title": title}, keyed)
    assert status == 201, made
    meeting_id = made["meetingId"]
    headers = {**keyed, "x-admin-token": made["adminToken"]}
    status, body = api_json(page, server, "DELETE", f"/api/meetings/{meeting_id}", None, headers)
    assert status == 200, body
    return meeting_id


def show_log_until(log, status: str, timeout: float = 20.0):
    """Refresh the delivery log on the page until a delivery has `status`; return it."""
    deadline = time.monotonic() + timeout
    row = log.locator(f"li[data-status='{status}']")
    while row.count() == 0:
        assert time.monotonic() < deadline, f"no {status} delivery: {log.inner_text()}"
        log.get_by_role("button", name="Refresh the log").click()
        time.sleep(0.3)
    return row.first


def test_a_webhook_from_the_dashboard_gets_a_delivery_and_a_failed_one_is_retried(
    server, new_page, receiver
):
    user = register(server, "hooks")
    admin = new_page()
    log_in_admin(admin, server)
    grant_credit(admin, server, user["email"])
    page = new_page()
    log_in(page, server, user["email"], user["password"])
    page.goto(server.url + "/dashboard")
    section = page.locator("#webhooks")
    expect(section.get_by_role("button", name="Register webhook")).to_be_visible()

    # A bad URL gets the server's reason; nothing is registered.
    section.get_by_label("Endpoint URL").fill("ftp://example.com/hook")
    section.get_by_role("button", name="Register webhook").click()
    expect(page.locator("#wh-create-error")).not_to_be_empty()

    section.get_by_label("Endpoint URL").fill(receiver.url)
    expect(section.get_by_label("meeting.ended: a meeting ended", exact=False)).to_be_checked()
    section.get_by_role("button", name="Register webhook").click()
    secret_field = section.get_by_label("Signing secret", exact=True)
    expect(secret_field).to_have_value(re.compile(r"^whsec_\S{20,}$"))
    secret = secret_field.input_value()
    row = section.locator("#wh-list li", has_text=receiver.url)
    expect(row).to_contain_text("meeting.ended")
    assert_accessible(page)
    section.get_by_role("button", name="I have saved it").click()
    assert secret not in page.content()
    page.reload()
    expect(row).to_have_count(1)
    assert secret not in page.content()
    _, listed = api_json(page, server, "GET", "/api/webhooks")
    [hook] = listed["webhooks"]
    assert hook["url"] == receiver.url and hook["events"] == ["meeting.ended"]

    # A meeting ends: the receiver gets the signed event, and the log shows it delivered.
    meeting_id = end_a_meeting(page, server, user, "Hooked")
    [first] = receiver.wait(1)
    payload = orjson.loads(first["body"])
    assert payload["event"] == "meeting.ended" and payload["meetingId"] == meeting_id
    assert verify(secret, first["headers"]["X-Onepizza-Signature"], first["body"])
    row.get_by_text("Delivery log").click()
    log = row.locator(".dm-files")
    delivered = show_log_until(log, "delivered")
    expect(delivered).to_contain_text("meeting.ended")
    expect(delivered).to_contain_text("HTTP 200")
    expect(delivered.get_by_role("button", name="Retry")).to_have_count(0)

    # The receiver fails: six attempts, then the delivery is failed, with a Retry button.
    receiver.status = 500
    end_a_meeting(page, server, user, "Unlucky")
    failed = show_log_until(log, "failed")
    expect(failed).to_contain_text("failed after 6 attempts: HTTP 500")
    delivery_id = failed.get_attribute("data-delivery-id")
    assert len(receiver.requests) == 1 + 6
    assert_accessible(page)

    receiver.status = 200
    failed.get_by_role("button", name="Retry").click()
    again = log.locator(f"li[data-delivery-id='{delivery_id}']")
    expect(again).to_have_attribute("data-status", "delivered", timeout=15_000)
    expect(again).to_contain_text("HTTP 200")
    expect(section.get_by_role("status")).to_contain_text("The meeting.ended delivery: delivered")
    last = receiver.requests[-1]
    assert last["answered"] == 200 and last["headers"]["X-Onepizza-Delivery"] == delivery_id
    _, log_api = api_json(page, server, "GET", f"/api/webhooks/{hook['id']}/deliveries")
    [retried] = [d for d in log_api["deliveries"] if d["id"] == delivery_id]
    assert retried["status"] == "delivered" and retried["attempts"] == 7

    # Deleting asks first; then the webhook is gone.
    row.get_by_role("button", name=f"Delete: {receiver.url}").click()
    page.locator("#confirm-ok").click()
    expect(row).to_have_count(0)
    expect(section.locator("#wh-list")).to_contain_text("No webhooks yet.")
    assert api_json(page, server, "GET", "/api/webhooks")[1] == {"webhooks": []}
