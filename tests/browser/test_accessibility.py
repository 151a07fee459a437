"""Accessibility of the existing pages: axe-core (tests/browser/axe.py) finds no serious or
critical violation on the home page (light and dark), the 404 page, the join lobby and the
meeting room (with a second participant, the chat and the participants panel open); the pages
work from the keyboard alone; the home page and the room fit a 390px-wide phone screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import guest_url, host_url, join, open_lobby

PHONE = (390, 844)  # CSS pixels of a current phone held upright
MEETING_URL = re.compile(r"/join/[a-z]{3}-[a-z]{4}-[a-z]{3}$")


def overflowing(page: Page) -> dict:
    """The page's scroll width against its viewport, and the visible elements that stick out
    past either side (selector-like descriptions)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (!box.width || !box.height) continue;
                if (getComputedStyle(el).visibility === 'hidden') continue;
                if (el.closest('.visually-hidden, .sprite')) continue;
                if (box.right > width + 1 || box.left < -1) {
                    out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
                }
            }
            return { scrollWidth: document.documentElement.scrollWidth, width, out };
        }"""
    )


def assert_fits(page: Page) -> None:
    fit = overflowing(page)
    assert fit["scrollWidth"] <= fit["width"], fit
    assert fit["out"] == [], fit


def focus_order(page: Page, presses: int) -> list[str]:
    """Press Tab `presses` times; the accessible name (or id) of what has the focus each time."""
    names = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        names.append(
            page.evaluate(
                """() => {
                    const el = document.activeElement;
                    if (!el || el === document.body) return '';
                    return el.getAttribute('aria-label') || el.textContent.trim() || el.id;
                }"""
            )
        )
    return names


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_page_passes_axe(server, new_page, scheme):
    page = new_page()
    page.emulate_media(color_scheme=scheme)
    page.goto(server.url + "/")
    expect(page.get_by_role("button", name="Start a meeting")).to_be_enabled()
    assert_accessible(page)


def test_home_page_links_to_the_account_pages_and_the_docs(server, new_page):
    page = new_page()
    page.goto(server.url + "/")
    nav = page.get_by_role("navigation", name="Account and documentation")
    for name, href in (
        ("Sign up", "/register"),
        ("Log in", "/login"),
        ("Dashboard", "/dashboard"),
        ("API docs", "/docs"),
    ):
        expect(nav.get_by_role("link", name=name)).to_have_attribute("href", href)
    nav.get_by_role("link", name="API docs").click()
    page.wait_for_url(server.url + "/docs")


def test_home_page_is_usable_from_the_keyboard(server, new_page):
    page = new_page()
    page.goto(server.url + "/")
    order = focus_order(page, 8)
    assert order == [
        "Sign up",
        "Log in",
        "Dashboard",
        "API docs",
        "meeting-title",
        "Start a meeting",
        "meeting-code",
        "Join",
    ]
    # Every control shows where the focus is.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Start a meeting")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(MEETING_URL)
    expect(page.locator("#name-input")).to_be_focused()
    page.keyboard.type("Kim")
    page.keyboard.press("Enter")  # submits the lobby's form
    expect(page.locator("#room")).to_be_visible()


def test_home_page_fits_a_phone(server, new_page):
    page = new_page(*PHONE)
    page.goto(server.url + "/")
    expect(page.get_by_role("button", name="Start a meeting")).to_be_visible()
    assert_fits(page)
    assert_accessible(page)


def test_not_found_page_passes_axe_and_leads_home(server, new_page):
    page = new_page()
    response = page.goto(server.url + "/no/such/page")
    assert response.status == 404
    expect(page).to_have_title("Page not found — onepizza")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Go to the home page").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    expect(page.get_by_role("button", name="Start a meeting")).to_be_visible()


def test_join_lobby_passes_axe(server, new_page):
    meeting = server.guest_meeting()
    page = new_page()
    open_lobby(page, host_url(server, meeting))
    expect(page.locator("#host-note")).to_be_visible()
    assert_accessible(page)
    # Error state: joining without a name says so, and the message is checked too.
    page.fill("#name-input", "")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_have_text("Enter your name to join")
    assert_accessible(page)


def test_meeting_room_passes_axe_with_a_second_person_chat_and_people_open(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    guest_id = join(guest, guest_url(server, meeting), "Bob")
    expect(host.locator(f".tile[data-participant-id='{guest_id}']")).to_be_visible()

    host.keyboard.press("c")
    expect(host.locator("#chat-panel")).to_be_visible()
    host.keyboard.type("hello **everyone**")
    host.keyboard.press("Enter")
    expect(guest.locator("#chat-messages .msg")).to_have_count(1)
    assert_accessible(host)

    guest.keyboard.press("c")
    expect(guest.locator("#chat-messages .msg")).to_have_count(1)
    assert_accessible(guest)

    host.get_by_role("button", name="Show participants (P)").click()  # with the host tools
    expect(host.get_by_role("button", name="Mute all")).to_be_visible()
    expect(host.get_by_role("button", name="Remove Bob")).to_be_visible()
    assert_accessible(host)

    host.keyboard.press("?")
    expect(host.locator("#help-dialog")).to_be_visible()
    assert_accessible(host)

    # Panels closed: a new message shows the unread badge and a toast with its action.
    host.keyboard.press("Escape")
    expect(host.locator("#help-dialog")).to_be_hidden()
    host.keyboard.press("Escape")
    expect(host.locator("#people-panel")).to_be_hidden()
    guest.fill("#chat-input", "are you there?")
    guest.keyboard.press("Enter")
    expect(host.locator("#chat-badge")).to_have_text("1")
    expect(host.get_by_role("button", name="Open chat", exact=True)).to_be_visible()
    assert_accessible(host)


def test_meeting_room_controls_are_reachable_and_work_from_the_keyboard(server, new_page):
    meeting = server.guest_meeting()
    page = new_page()
    join(page, host_url(server, meeting), "Ann")
    expect(page.locator("#room-title")).to_be_focused()
    order = focus_order(page, 20)
    for name in (
        "Copy link to this meeting",
        "Mute microphone (M)",
        "Turn camera off (V)",
        "Share your screen (S)",
        "Raise hand (H)",
        "Send a reaction",
        "Open chat (C)",
        "Show participants (P)",
        "Start recording (R)",
        "Keyboard shortcuts (?)",
        "Leave the meeting",
    ):
        assert name in order, (name, order)

    # Enter on a focused control uses it; Escape closes the panel and gives the focus back.
    page.locator("#btn-chat").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#chat-panel")).to_be_visible()
    expect(page.locator("#chat-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#chat-panel")).to_be_hidden()
    expect(page.locator("#btn-chat")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#btn-people")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#people-panel")).to_be_visible()
    expect(page.get_by_role("button", name="Close participants")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Mute all")).to_be_focused()


def test_meeting_room_fits_a_phone(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(*PHONE), new_page(*PHONE)
    join(host, host_url(server, meeting), "Ann")
    join(guest, guest_url(server, meeting), "Bob")
    expect(host.locator("#grid .tile")).to_have_count(2)
    assert_fits(host)
    for button in host.locator("#controls button:visible").all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], button
    host.keyboard.press("c")
    expect(host.locator("#chat-input")).to_be_visible()
    assert_fits(host)
    expect(host.get_by_role("button", name="Send", exact=True)).to_be_in_viewport()
    assert_accessible(host)


def test_waiting_room_passes_axe_for_the_host_and_the_waiting_guest(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    host.keyboard.press("p")
    host.get_by_label("Waiting room").check()
    host.keyboard.press("Escape")
    expect(host.locator("#people-panel")).to_be_hidden()

    open_lobby(guest, guest_url(server, meeting))
    guest.fill("#name-input", "Walt")
    guest.keyboard.press("Enter")
    expect(guest.locator("#status-title")).to_have_text("Waiting to be let in")
    assert_accessible(guest)

    # The people button's badge counts who waits, and its name says so.
    expect(host.locator("#people-badge")).to_have_text("1")
    expect(host.locator("#btn-people")).to_have_attribute(
        "aria-label", "Show participants (P), 1 waiting"
    )
    assert_accessible(host)
    host.keyboard.press("p")
    expect(host.get_by_role("button", name="Admit Walt")).to_be_visible()
    assert_accessible(host)


def test_status_screens_pass_axe(server, new_page):
    page = new_page()
    open_lobby(page, server.url + "/join/zzz-zzzz-zzz")
    page.fill("#name-input", "Nia")
    page.keyboard.press("Enter")
    expect(page.locator("#status-title")).to_have_text("Meeting not found")
    assert_accessible(page)

    meeting = server.guest_meeting()
    join(page, host_url(server, meeting), "Ann")
    page.get_by_role("button", name="Leave the meeting").click()
    expect(page.locator("#status-title")).to_have_text("You left the meeting")
    expect(page.get_by_role("button", name="Rejoin")).to_be_focused()
    assert_accessible(page)
