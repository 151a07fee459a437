"""The meeting page across a server restart (SIGTERM, then a start on the same port and
database): back in a registered meeting with the same name and host role, peers connected
again; told that a guest meeting, which did not survive, has ended."""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from onepizza.client import Bot
from tests.browser.helpers import guest_url, host_url, join, wait_connected, wait_for
from tests.browser.restart_helpers import RestartableServer, api, registered_meeting

BACK_WITHIN = 20_000  # ms from the restart's end to the page being in the meeting again


@pytest.fixture
def node(browser, database_url, tmp_path):
    server = RestartableServer(database_url, tmp_path / "server.log")
    server.start()
    yield server
    server.stop()
    server.close()


def rejoined(page: Page, old_id: str) -> str:
    """Wait until the page is in the room again under a new participantId; return it."""
    wait_for(
        page,
        "window.onepizza.participantId && window.onepizza.participantId !== arg",
        old_id,
        timeout=BACK_WITHIN,
    )
    expect(page.locator("#room")).to_be_visible()
    expect(page.locator("#reconnecting")).to_be_hidden()
    return page.evaluate("() => window.onepizza.participantId")


def bot_view(url: str, meeting_id: str) -> list[dict]:
    """The participants a Bot joining now is told about (run outside Playwright's loop)."""

    async def look() -> list[dict]:
        bot = Bot(url, "Observer", reconnect=False)
        try:
            return (await bot.join(meeting_id))["participants"]
        finally:
            await bot.leave()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, look()).result(timeout=30)


def test_host_and_guest_pages_are_back_in_a_registered_meeting_after_a_restart(
    node, database_url, new_page
):
    meeting = registered_meeting(node.url, database_url, "Restart drill")
    host, guest = new_page(), new_page()
    old_host = join(host, host_url(node, meeting), "Ann")
    old_guest = join(guest, guest_url(node, meeting), "Bob")
    wait_connected(host, 1)
    assert host.evaluate("() => window.onepizza.state.isAdmin") is True

    node.restart(signal.SIGTERM)

    new_host, new_guest = rejoined(host, old_host), rejoined(guest, old_guest)
    for page in (host, guest):
        expect(page.locator("#status-screen")).to_be_hidden()
        expect(page.locator("#room-title")).to_have_text("Restart drill")
        expect(page.locator("#grid .tile")).to_have_count(2)  # no stale tile of an old id
        wait_connected(page, 1)
    expect(host.locator(f".tile[data-participant-id='{new_guest}']")).to_be_visible()
    expect(guest.locator(f".tile[data-participant-id='{new_host}']")).to_be_visible()
    # Still the host: the page's own view, and the server's (what a newcomer is told).
    assert host.evaluate("() => window.onepizza.state.isAdmin") is True
    assert host.locator("#host-tools").get_attribute("hidden") is None  # host controls
    present = {p["participantId"]: p for p in bot_view(node.url, meeting["meetingId"])}
    assert set(present) == {new_host, new_guest}
    assert present[new_host]["name"] == "Ann" and present[new_host]["isAdmin"] is True
    assert present[new_guest]["name"] == "Bob" and present[new_guest]["isAdmin"] is False


def test_a_page_whose_guest_meeting_did_not_survive_a_restart_says_it_ended(node, new_page):
    meeting = api(node.url, "POST", "/api/meetings/guest", {"title": "Gone with the process"})
    host, guest = new_page(), new_page()
    join(host, host_url(node, meeting), "Ann")
    join(guest, guest_url(node, meeting), "Bob")

    node.restart(signal.SIGTERM)

    for page in (host, guest):
        expect(page.locator("#status-title")).to_have_text(
            "The meeting has ended", timeout=BACK_WITHIN
        )
        expect(page.locator("#room")).to_be_hidden()
        assert page.evaluate("() => window.onepizza.state.phase") == "ended"
        assert page.evaluate("() => window.onepizza.socket.connected") is False
