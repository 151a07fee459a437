"""Breakout rooms and the live-stream badge in real Chromium: three people; the host moves two
of them into a room (picking it in the panel), their media connects to each other and not to
the third, the host's broadcast reaches them, and after the host closes the rooms all three
meet again with media flowing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import (
    guest_url,
    host_url,
    join,
    video_flowing,
    wait_connected,
    wait_for,
)


def peer_ids(page) -> list[str]:
    return sorted(page.evaluate("[...window.onepizza.peers.keys()]"))


def test_two_move_into_a_room_and_meet_the_third_again_after_close(server, new_page):
    meeting = server.guest_meeting("Breakout")
    host, bob, cat = new_page(), new_page(), new_page()
    ann_id = join(host, host_url(server, meeting), "Ann")
    bob_id = join(bob, guest_url(server, meeting), "Bob")
    cat_id = join(cat, guest_url(server, meeting), "Cat")
    for page in (host, bob, cat):
        wait_connected(page, 2)
    # a guest sees no breakout button until rooms concern them
    expect(bob.locator("#btn-breakout")).to_be_hidden()

    # The host opens the panel from the keyboard and creates one room
    host.locator("#btn-breakout").focus()
    host.keyboard.press("Enter")
    expect(host.locator("#breakout-panel")).to_be_visible()
    host.fill("#breakout-count", "1")
    host.click("#breakout-create-submit")
    expect(host.locator("#breakout-rooms li")).to_have_count(1)
    expect(host.locator("#breakout-rooms li")).to_contain_text("Room 1")
    room_id = host.evaluate("window.onepizza.breakout.list[0].id")
    # a labelled select per participant: pick the room for Bob; drag Cat onto the room
    select = host.get_by_label("Room for Bob")
    expect(select).to_be_visible()
    select.select_option(room_id)
    wait_for(host, "(window.onepizza.breakout.list[0].assigned || []).length === 1")
    host.locator(".breakout-person", has_text="Room for Cat").drag_to(
        host.locator("#breakout-rooms li").first, source_position={"x": 12, "y": 8}
    )
    wait_for(host, "(window.onepizza.breakout.list[0].assigned || []).length === 2")
    expect(host.get_by_label("Room for Cat")).to_have_value(room_id)
    assert_accessible(host, include="#breakout-panel")

    # Each is told, and joins from their own panel
    for page in (bob, cat):
        expect(page.locator("#btn-breakout")).to_be_visible()
        page.click("#btn-breakout")
        expect(page.locator("#breakout-offer-text")).to_have_text("You've been assigned to Room 1.")
        assert_accessible(page, include=["#breakout-panel", "#btn-breakout"])
        page.click("#breakout-join")
        expect(page.locator("#breakout-here-text")).to_have_text("You are in Room 1.")

    # Bob and Cat are connected to each other only; Ann to nobody
    for page, other in ((bob, cat_id), (cat, bob_id)):
        wait_connected(page, 1)
        assert peer_ids(page) == [other]
        video_flowing(page, seconds=1.0)
        expect(page.locator(f".tile[data-participant-id='{ann_id}']")).to_be_hidden()
    wait_for(host, "window.onepizza.peers.size === 0")
    expect(host.locator(f".tile[data-participant-id='{bob_id}']")).to_be_hidden()

    # The host's broadcast reaches the room
    host.fill("#breakout-message", "Two minutes left")
    host.click("#breakout-broadcast-form button[type=submit]")
    for page in (bob, cat):
        expect(page.locator("#toasts")).to_contain_text("Ann to all rooms: Two minutes left")

    # Close: all three meet again
    host.click("#breakout-close")
    for page in (host, bob, cat):
        wait_connected(page, 2)
        video_flowing(page, seconds=1.0)
    assert peer_ids(host) == sorted([bob_id, cat_id])
    for page in (host, bob, cat):
        expect(page.locator("#grid .tile:visible")).to_have_count(3)
    expect(bob.locator("#breakout-here")).to_be_hidden()


def test_the_live_badge_follows_the_stream(server, new_page):
    meeting = server.guest_meeting("Streaming")
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    join(guest, guest_url(server, meeting), "Bob")
    expect(guest.locator("#stream-indicator")).to_be_hidden()
    # the host's client starts the stream (the page has no RTMP sender of its own)
    host.evaluate(
        "window.onepizza.socket.emit('stream:start', {url: 'rtmp://live.example.com/app/k'})"
    )
    expect(guest.locator("#stream-indicator")).to_be_visible()
    expect(guest.locator("#stream-indicator")).to_have_text("Live")
    late = new_page()
    join(late, guest_url(server, meeting), "Cat")
    expect(late.locator("#stream-indicator")).to_be_visible()
    host.evaluate("window.onepizza.socket.emit('stream:stop')")
    for page in (host, guest, late):
        expect(page.locator("#stream-indicator")).to_be_hidden()
