"""Polls, questions and shared notes in real Chromium (collaboration.md): the host asks a poll
from the keyboard, a guest votes, both see the results live and the closed poll; Q&A ordered
by upvotes; notes saved on a version, the second of two edits on one version shown the
conflict and the current text; a late joiner sees the notes; axe on each open panel."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import guest_url, host_url, join, wait_for


def open_panel(page, name: str) -> None:
    """Open a panel from the keyboard: focus its control-bar button, press Enter."""
    page.locator(f"#btn-{name}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{name}-panel")).to_be_visible()
    expect(page.locator(f"#btn-{name}")).to_have_attribute("aria-pressed", "true")


def test_a_poll_asked_voted_on_and_closed(server, new_page):
    meeting = server.guest_meeting("Polls")
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Hana")
    join(guest, guest_url(server, meeting), "Gus")

    open_panel(host, "polls")
    expect(host.locator("#poll-question")).to_be_focused()  # the form's first field
    host.keyboard.type("Lunch?")
    host.get_by_label("Options, one per line (2 to 10)").fill("Pizza\nSushi")
    host.get_by_role("button", name="Ask the poll").click()
    expect(host.locator("#poll-list .poll")).to_have_count(1)

    open_panel(guest, "polls")
    expect(guest.locator("#poll-host")).to_be_hidden()  # only a host asks
    poll = guest.locator("#poll-list .poll")
    expect(poll).to_contain_text("Lunch?")
    assert_accessible(guest, include="#polls-panel")
    guest.get_by_label("Sushi").check()
    guest.get_by_role("button", name="Vote").click()
    expect(host.locator("#poll-list .poll-result").nth(1)).to_contain_text("1 (100%)")
    expect(guest.locator("#poll-list .poll-status")).to_contain_text("1 vote")
    guest.get_by_label("Pizza").check()
    guest.get_by_role("button", name="Change vote").click()  # replaces the first vote
    expect(host.locator("#poll-list .poll-result").nth(0)).to_contain_text("1 (100%)")
    expect(host.locator("#poll-list .poll-result").nth(1)).to_contain_text("0 (0%)")
    assert_accessible(host, include="#polls-panel")

    host.get_by_role("button", name="Close poll: Lunch?").click()
    expect(guest.locator("#poll-list .poll-status")).to_have_text("Closed")
    expect(guest.locator("#poll-list .poll-ballot")).to_have_count(0)
    expect(guest.locator("#poll-list .poll-result").nth(0)).to_contain_text("1 (100%)")

    # Someone joining now gets no open poll; the next one reaches them live.
    late = new_page()
    join(late, guest_url(server, meeting), "Lia")
    wait_for(late, "window.onepizza.polls.size === 0")
    host.get_by_label("Question", exact=True).fill("Again?")
    host.get_by_label("Kind", exact=True).select_option("yesno")
    expect(host.locator("#poll-options-field")).to_be_hidden()
    host.get_by_role("button", name="Ask the poll").click()
    wait_for(late, "window.onepizza.polls.size === 1")


def test_questions_sorted_by_upvotes_and_the_host_marks_them(server, new_page):
    meeting = server.guest_meeting("Q&A")
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Hana")
    join(guest, guest_url(server, meeting), "Gus")
    open_panel(guest, "qa")
    expect(guest.locator("#qa-input")).to_be_focused()
    guest.keyboard.type("First question")
    guest.get_by_role("button", name="Ask", exact=True).click()
    guest.get_by_label("Ask a question").fill("Second question")
    guest.get_by_role("button", name="Ask", exact=True).click()
    expect(guest.locator("#qa-list .question")).to_have_count(2)
    expect(guest.locator("#qa-list .upvote").first).to_be_disabled()  # not one's own

    open_panel(host, "qa")
    expect(host.locator("#qa-list .question")).to_have_count(2)
    host.locator("#qa-list .question", has_text="Second question").get_by_role(
        "button", name="Upvote"
    ).click()
    expect(guest.locator("#qa-list .question").first).to_contain_text("Second question")
    assert_accessible(host, include="#qa-panel")
    host.locator("#qa-list .question", has_text="First question").get_by_role(
        "button", name="Dismiss"
    ).click()
    expect(guest.locator("#qa-list .question")).to_have_count(1)
    expect(host.locator("#qa-list .question")).to_have_count(1)
    host.get_by_role("button", name="Mark answered").click()
    expect(guest.locator("#qa-list .question")).to_contain_text("Answered")

    late = new_page()
    join(late, guest_url(server, meeting), "Lia")
    open_panel(late, "qa")
    expect(late.locator("#qa-list .question")).to_have_count(1)  # asked before they came


def test_notes_saved_on_a_version_and_a_conflict_shown(server, new_page):
    meeting = server.guest_meeting("Notes")
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Hana")
    join(guest, guest_url(server, meeting), "Gus")
    open_panel(host, "notes")
    open_panel(guest, "notes")
    expect(guest.locator("#notes-text")).to_be_focused()
    expect(guest.locator("#notes-status")).to_have_text("Nothing written yet")

    host.get_by_label("Notes everyone in the meeting can edit").fill("Agenda")
    host.get_by_role("button", name="Save notes").click()
    expect(guest.locator("#notes-text")).to_have_value("Agenda")
    expect(guest.locator("#notes-status")).to_have_text("Version 1, saved by Hana")

    # Both edit version 1; the guest saves first, the host's save is refused and shown.
    guest.locator("#notes-text").fill("Agenda\n- guest's point")
    host.locator("#notes-text").fill("Agenda\n- host's point")
    guest.get_by_role("button", name="Save notes").click()
    wait_for(guest, "window.onepizza.notes.version === 2")
    host.get_by_role("button", name="Save notes").click()
    expect(host.locator("#notes-conflict")).to_be_visible()
    expect(host.locator("#notes-current")).to_have_value("Agenda\n- guest's point")
    expect(host.locator("#notes-text")).to_have_value("Agenda\n- host's point")  # kept
    expect(host.locator("#notes-status")).to_contain_text("Not saved")
    assert_accessible(host, include="#notes-panel")
    host.locator("#notes-text").fill("Agenda\n- guest's point\n- host's point")
    host.get_by_role("button", name="Save notes").click()
    expect(guest.locator("#notes-text")).to_have_value("Agenda\n- guest's point\n- host's point")
    expect(host.locator("#notes-conflict")).to_be_hidden()

    late = new_page()
    join(late, guest_url(server, meeting), "Lia")
    open_panel(late, "notes")
    expect(late.locator("#notes-text")).to_have_value("Agenda\n- guest's point\n- host's point")
    expect(late.locator("#notes-status")).to_have_text("Version 3, saved by Hana")
