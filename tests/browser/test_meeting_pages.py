"""The home page and the meeting room in real Chromium against the real server: starting a
meeting, a WebRTC mesh of two and three people with media flowing, chat (and that it cannot
inject markup), host controls and the waiting room."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    guest_url,
    host_url,
    join,
    tiles,
    video_flowing,
    wait_connected,
    wait_for,
)

MEETING_URL = re.compile(r"/join/[a-z]{3}-[a-z]{4}-[a-z]{3}$")


def test_home_start_a_meeting_enters_the_room_as_host(server, new_page):
    page = new_page()
    page.goto(server.url + "/")
    expect(page.get_by_text("Open-source video meetings")).to_be_visible()
    page.get_by_role("button", name="Start a meeting").click()

    # The admin token came in the URL fragment and was moved into sessionStorage.
    page.wait_for_url(MEETING_URL)
    meeting_id = page.url.rsplit("/", 1)[1]
    token = page.evaluate(f"sessionStorage.getItem('onepizza.admin.{meeting_id}')")
    assert token
    expect(page.locator("#host-note")).to_be_visible()

    page.fill("#name-input", "Hana")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#room")).to_be_visible()
    pid = page.evaluate("window.onepizza.participantId")
    tile = page.locator(f".tile[data-participant-id='{pid}']")
    expect(tile).to_be_visible()
    expect(tile).to_contain_text("Hana (you) · host")
    assert tiles(page) == [pid]
    assert page.evaluate("window.onepizza.state.isAdmin") is True

    page.keyboard.press("p")
    expect(page.locator("#host-tools")).to_be_visible()
    expect(page.get_by_role("button", name="Mute all")).to_be_visible()
    assert token not in server.log.read_text()  # never sent to the server in a URL


def test_second_person_joins_by_link_and_video_flows_both_ways(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    host_id = join(host, host_url(server, meeting), "Hana")
    guest_id = join(guest, guest_url(server, meeting), "Gus")

    for page in (host, guest):
        expect(page.locator("#grid .tile video")).to_have_count(2)
        wait_connected(page, 1)
    assert sorted(tiles(host)) == sorted(tiles(guest)) == sorted([host_id, guest_id])
    expect(host.locator(f".tile[data-participant-id='{guest_id}']")).to_contain_text("Gus")
    expect(guest.locator(f".tile[data-participant-id='{host_id}']")).to_contain_text("Hana")

    for page in (host, guest):
        video_flowing(page)
    # The remote video is playing in its tile.
    for page, other in ((host, guest_id), (guest, host_id)):
        wait_for(
            page,
            "document.querySelector(`.tile[data-participant-id='${arg}'] video`).videoWidth > 0",
            other,
        )


def test_third_person_joins_and_all_three_pairs_connect(server, new_page):
    meeting = server.guest_meeting()
    pages = [new_page(), new_page(), new_page()]
    ids = [
        join(pages[0], host_url(server, meeting), "Ann"),
        join(pages[1], guest_url(server, meeting), "Bob"),
        join(pages[2], guest_url(server, meeting), "Cat"),
    ]
    for page, me in zip(pages, ids, strict=True):
        expect(page.locator("#grid .tile video")).to_have_count(3)
        wait_connected(page, 2)
        peers = page.evaluate("[...window.onepizza.peers.keys()]")
        assert sorted(peers) == sorted(i for i in ids if i != me)
    for page in pages:
        video_flowing(page, seconds=1.0)


def test_chat_reaches_everyone_as_text_only(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    alerts = []
    for page in (host, guest):
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    join(host, host_url(server, meeting), "Ann")
    join(guest, guest_url(server, meeting), "Bob")

    guest.keyboard.press("c")
    expect(guest.locator("#chat-panel")).to_be_visible()
    expect(guest.locator("#chat-input")).to_be_focused()
    guest.keyboard.type("hello **there** and `code`")
    guest.keyboard.press("Enter")
    attack = "<img src=x onerror=alert(1)>"
    guest.fill("#chat-input", attack)
    guest.get_by_role("button", name="Send", exact=True).click()

    for page in (host, guest):
        messages = page.locator("#chat-messages .msg")
        expect(messages).to_have_count(2)
        expect(messages.nth(0).locator(".msg-body")).to_have_text("hello there and code")
        expect(messages.nth(0).locator(".msg-body strong")).to_have_text("there")
        expect(messages.nth(0).locator(".msg-body code")).to_have_text("code")
        expect(messages.nth(1).locator(".msg-body")).to_have_text(attack)
        assert page.locator("#chat-messages img").count() == 0
    expect(host.locator("#chat-badge")).to_have_text("2")

    # A reply and a reaction, from the other side.
    host.keyboard.press("c")
    host.locator("#chat-messages .msg").nth(0).get_by_role("button", name="Reply to Bob").click()
    host.keyboard.type("a *reply*")
    host.keyboard.press("Enter")
    reply = guest.locator("#chat-messages .msg").nth(2)
    expect(reply.locator(".msg-quote")).to_contain_text("hello there")
    expect(reply.locator(".msg-body em")).to_have_text("reply")
    guest.locator("#chat-messages .msg").nth(2).get_by_role("button", name="React to Ann").click()
    guest.get_by_role("button", name="React with party").first.click()
    chip = host.locator("#chat-messages .msg").nth(2).locator(".reaction-chip")
    expect(chip).to_have_text("🎉 1")
    assert alerts == []


def test_host_mutes_a_guest_and_m_toggles_mute(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    guest_id = join(guest, guest_url(server, meeting), "Bob")
    wait_connected(guest, 1)
    mic = guest.locator("#btn-mic")
    own_tile = guest.locator(f".tile[data-participant-id='{guest_id}']")
    tile_at_host = host.locator(f".tile[data-participant-id='{guest_id}']")
    expect(mic).to_have_attribute("aria-pressed", "false")
    expect(tile_at_host).to_have_attribute("data-muted", "false")

    host.keyboard.press("p")
    host.get_by_role("button", name="Mute Bob").click()
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(mic).to_have_attribute("aria-label", "Unmute microphone (M)")
    expect(own_tile).to_have_attribute("data-muted", "true")
    expect(tile_at_host).to_have_attribute("data-muted", "true")
    expect(host.locator(f"#people-list [data-participant-id='{guest_id}']")).to_have_attribute(
        "data-muted", "true"
    )
    assert guest.evaluate(SENDING_AUDIO) is False

    guest.keyboard.press("m")
    expect(mic).to_have_attribute("aria-pressed", "false")
    expect(tile_at_host).to_have_attribute("data-muted", "false")
    assert guest.evaluate(SENDING_AUDIO) is True
    guest.keyboard.press("m")
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(tile_at_host).to_have_attribute("data-muted", "true")


SENDING_AUDIO = """() => {
    const pc = [...window.onepizza.peers.values()][0];
    const sender = pc.getSenders().find(s => s.track && s.track.kind === 'audio');
    return sender.track.enabled;
}"""


def test_waiting_room_guest_waits_until_the_host_admits_them(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    host.keyboard.press("p")
    host.get_by_label("Waiting room").check()
    wait_for(host, "window.onepizza.state.settings.waitingRoom === true")

    guest.goto(guest_url(server, meeting))
    guest.fill("#name-input", "Walt")
    guest.click("#join-button")
    expect(guest.locator("#status-title")).to_have_text("Waiting to be let in")
    expect(guest.locator("#room")).to_be_hidden()

    waiting = host.locator("#waiting-list")
    expect(waiting).to_contain_text("Walt")
    waiting.get_by_role("button", name="Admit Walt").click()
    expect(guest.locator("#room")).to_be_visible()
    expect(waiting.locator("li")).to_have_count(0)
    for page in (host, guest):
        expect(page.locator("#grid .tile")).to_have_count(2)
        wait_connected(page, 1)


def test_refusals_are_explained_and_an_invite_gets_past_the_lock(server, new_page):
    nobody = new_page()
    nobody.goto(server.url + "/join/zzz-zzzz-zzz")
    nobody.fill("#name-input", "Nia")
    nobody.click("#join-button")
    expect(nobody.locator("#status-title")).to_have_text("Meeting not found")
    expect(nobody.locator("#status-message")).to_contain_text("Meeting not found")

    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    host.keyboard.press("l")
    expect(host.locator("#lock-indicator")).to_be_visible()

    guest.goto(guest_url(server, meeting))
    guest.fill("#name-input", "Bob")
    guest.click("#join-button")
    expect(guest.locator("#status-message")).to_contain_text("This meeting is locked")
    expect(guest.get_by_role("button", name="Try again")).to_be_visible()

    invite = server.api(
        "POST",
        f"/api/meetings/{meeting['meetingId']}/invite",
        {"name": "Ivy"},
        headers={"x-admin-token": meeting["adminToken"]},
    )
    invited = new_page()
    invited.goto(server.url + invite["joinUrl"])
    expect(invited.locator("#name-input")).to_have_value("Ivy")
    assert "invite=" not in invited.url  # kept in sessionStorage, out of the address bar
    invited.click("#join-button")
    expect(invited.locator("#room")).to_be_visible()

    host.keyboard.press("l")
    expect(host.locator("#lock-indicator")).to_be_hidden()
    guest.get_by_role("button", name="Try again").click()
    expect(guest.locator("#room")).to_be_visible()
    expect(guest.locator("#grid .tile")).to_have_count(3)


def test_host_removes_a_guest_then_ends_the_meeting(server, new_page):
    meeting = server.guest_meeting()
    host, kept, removed = new_page(), new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    join(kept, guest_url(server, meeting), "Bob")
    removed_id = join(removed, guest_url(server, meeting), "Cy")

    host.keyboard.press("p")
    host.get_by_role("button", name="Remove Cy").click()
    host.locator("#confirm-ok").click()
    expect(removed.locator("#status-title")).to_have_text("You were removed from the meeting")
    for page in (host, kept):
        expect(page.locator(f".tile[data-participant-id='{removed_id}']")).to_have_count(0)
        expect(page.locator("#grid .tile")).to_have_count(2)

    host.get_by_role("button", name="End for everyone").click()
    host.locator("#confirm-ok").click()
    for page in (host, kept):
        expect(page.locator("#status-title")).to_have_text("The meeting has ended")


def test_shortcuts_hand_reactions_help_ui_and_push_to_talk(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    guest_id = join(guest, guest_url(server, meeting), "Bob")
    at_host = host.locator(f".tile[data-participant-id='{guest_id}']")

    guest.keyboard.press("h")
    expect(at_host).to_have_attribute("data-hand", "true")
    expect(guest.locator("#btn-hand")).to_have_attribute("aria-pressed", "true")

    guest.locator("#btn-react").click()
    guest.get_by_role("button", name="React with thumbs up").click()
    expect(at_host.locator(".float-emoji")).to_have_text("👍")

    guest.keyboard.press("?")
    expect(guest.locator("#help-dialog")).to_be_visible()
    guest.keyboard.press("Escape")
    expect(guest.locator("#help-dialog")).to_be_hidden()

    guest.keyboard.press("u")
    expect(guest.locator("#controls")).to_be_hidden()
    guest.keyboard.press("u")
    expect(guest.locator("#controls")).to_be_visible()

    guest.keyboard.press("m")
    expect(at_host).to_have_attribute("data-muted", "true")
    guest.keyboard.down("Space")
    expect(at_host).to_have_attribute("data-muted", "false")
    expect(guest.locator("#btn-mic")).to_have_attribute("aria-pressed", "false")
    guest.keyboard.up("Space")
    expect(at_host).to_have_attribute("data-muted", "true")
    expect(guest.locator("#btn-mic")).to_have_attribute("aria-pressed", "true")


SENT_VIDEO = """() => {
    const pc = [...window.onepizza.peers.values()][0];
    const sender = pc.getSenders().find(s => s.track && s.track.kind === 'video');
    return sender ? sender.track.id : null;
}"""


def test_screen_share_and_blur_replace_the_video_being_sent(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    guest_id = join(guest, guest_url(server, meeting), "Bob")
    wait_connected(guest, 1)
    camera = guest.evaluate(SENT_VIDEO)
    assert camera
    sending_camera = f"({SENT_VIDEO})() === arg"
    sending_other = f"(id => id && id !== arg)(({SENT_VIDEO})())"
    at_host = host.locator(f".tile[data-participant-id='{guest_id}']")

    guest.keyboard.press("s")
    expect(at_host).to_have_attribute("data-screen", "true")
    expect(guest.locator("#btn-screen")).to_have_attribute("aria-pressed", "true")
    wait_for(guest, sending_other, camera)
    video_flowing(host, seconds=1.0)
    guest.keyboard.press("s")
    expect(at_host).to_have_attribute("data-screen", "false")
    wait_for(guest, sending_camera, camera)

    guest.keyboard.press("b")
    expect(guest.locator("#btn-blur")).to_have_attribute("aria-pressed", "true")
    wait_for(guest, sending_other, camera)
    video_flowing(host, seconds=1.0)
    guest.keyboard.press("b")
    expect(guest.locator("#btn-blur")).to_have_attribute("aria-pressed", "false")
    wait_for(guest, sending_camera, camera)


def test_a_dropped_connection_rejoins_the_meeting(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    old_id = join(guest, guest_url(server, meeting), "Bob")
    wait_connected(guest, 1)

    guest.evaluate("() => window.onepizza.socket.io.engine.close()")
    wait_for(
        guest, "window.onepizza.participantId && window.onepizza.participantId !== arg", old_id
    )
    new_id = guest.evaluate("() => window.onepizza.participantId")
    expect(host.locator(f".tile[data-participant-id='{old_id}']")).to_have_count(0)
    expect(host.locator(f".tile[data-participant-id='{new_id}']")).to_be_visible()
    for page in (host, guest):
        expect(page.locator("#grid .tile")).to_have_count(2)
        wait_connected(page, 1)
    video_flowing(host, seconds=1.0)


def test_recording_notice_and_captions_reach_everyone(server, new_page):
    meeting = server.guest_meeting()
    host, guest = new_page(), new_page()
    join(host, host_url(server, meeting), "Ann")
    guest_id = join(guest, guest_url(server, meeting), "Bob")

    host.keyboard.press("r")
    expect(host.locator("#btn-record")).to_have_attribute("aria-pressed", "true")
    banner = guest.locator("#recording-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Ann is recording this meeting")
    host.wait_for_timeout(1000)  # a second of video
    with host.expect_download() as download:
        host.keyboard.press("r")  # a guest meeting has no account to store it in: a download
    assert download.value.suggested_filename.endswith(".webm")
    expect(banner).to_be_hidden()

    # Captions another participant's speech recognition sends are shown to everyone.
    guest.evaluate(
        """pid => window.onepizza.socket.emit('captions:update',
            { pid, text: 'hello <b>everyone</b>', final: true })""",
        guest_id,
    )
    expect(host.locator("#captions")).to_have_text("Bob: hello <b>everyone</b>")
