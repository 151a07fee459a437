"""What the browser tests do on a page: join a meeting, wait for the mesh, read stats."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

CONNECT_TIMEOUT = 20_000


def open_lobby(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#join-button")).to_be_enabled()


def join(page: Page, url: str, name: str) -> str:
    """Open `url` (a /join/ link), join as `name`; return our participantId."""
    open_lobby(page, url)
    page.fill("#name-input", name)
    page.click("#join-button")
    expect(page.locator("#room")).to_be_visible()
    pid = page.evaluate("window.onepizza.participantId")
    expect(page.locator(f".tile[data-participant-id='{pid}']")).to_be_visible()
    return pid


def host_url(server, meeting: dict) -> str:
    return f"{server.url}/join/{meeting['meetingId']}#admin={meeting['adminToken']}"


def guest_url(server, meeting: dict) -> str:
    return f"{server.url}/join/{meeting['meetingId']}"


def wait_connected(page: Page, count: int, timeout: float = CONNECT_TIMEOUT) -> None:
    """Wait until the page has `count` peer connections, every one `connected`."""
    page.wait_for_function(
        """n => {
            const peers = window.onepizza && window.onepizza.peers;
            return peers && peers.size === n &&
                [...peers.values()].every(pc => pc.connectionState === 'connected');
        }""",
        arg=count,
        timeout=timeout,
    )


def inbound_video_bytes(page: Page) -> dict[str, int]:
    """participantId → bytes of video received from them so far (getStats inbound-rtp)."""
    return page.evaluate(
        """async () => {
            const result = {};
            for (const [pid, pc] of window.onepizza.peers) {
                const stats = await pc.getStats();
                let bytes = 0;
                stats.forEach(s => {
                    if (s.type === 'inbound-rtp' && s.kind === 'video') bytes += s.bytesReceived;
                });
                result[pid] = bytes;
            }
            return result;
        }"""
    )


def tiles(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "#grid .tile", "tiles => tiles.map(t => t.dataset.participantId)"
    )


def video_flowing(page: Page, seconds: float = 1.5, timeout: float = 15.0) -> None:
    """Assert that video bytes from every peer arrive and keep growing."""
    deadline = time.monotonic() + timeout
    before = inbound_video_bytes(page)
    while not before or min(before.values()) == 0:
        assert time.monotonic() < deadline, f"no video received: {before}"
        time.sleep(0.2)
        before = inbound_video_bytes(page)
    time.sleep(seconds)
    after = inbound_video_bytes(page)
    grew = {pid: after.get(pid, 0) - count for pid, count in before.items()}
    assert all(delta > 0 for delta in grew.values()), f"video stalled: {before} → {after}"


def wait_for(page: Page, expression: str, arg=None, timeout: float = 15_000) -> None:
    """page.wait_for_function for an expression of `arg`. The page's CSP has no
    'unsafe-eval', so the expression must be given to Playwright as a function."""
    page.wait_for_function(f"arg => ({expression})", arg=arg, timeout=timeout)
