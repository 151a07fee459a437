"""The dashboard's meetings in Chromium: create a meeting, open its host link and join as
host, end it from the dashboard and find it in the history with duration, peak and cost;
schedule one with every §3 setting and cancel it; a meeting made with an API key is listed
through the session, and revoking every key leaves the section working (it keeps no key);
a recording uploaded to a meeting appears in the dashboard, downloads and can be deleted."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.account.helpers import PHONE, fits_phone
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

RECORDING = b"\x1a\x45\xdf\xa3 not really a webm, but the server stores what it gets"


@pytest.fixture
def account(server, new_page):
    """A new account with credit, and a page logged in as it on the dashboard."""

    def make(**viewport):
        user = register(server, "meetings")
        admin = new_page()
        log_in_admin(admin, server)
        grant_credit(admin, server, user["email"])
        page = new_page(**viewport)
        log_in(page, server, user["email"], user["password"])
        page.goto(server.url + "/dashboard")
        expect(page.locator("#dm-create")).to_be_visible()
        return user, page

    return make


def meeting_id_of(link: str) -> str:
    match = re.search(r"/join/([a-z]{3}-[a-z]{4}-[a-z]{3})", link)
    assert match, link
    return match.group(1)


def keyed(user: dict) -> dict:
    return {"x-api-key": user["apiKey"]}


def meeting_of(page, server, user: dict, meeting_id: str) -> dict:
    path = f"/api/meetings/{meeting_id}"
    status, meeting = api_json(page, server, "GET", path, None, keyed(user))
    assert status == 200, meeting
    return meeting


def stored_in_the_browser(page) -> dict:
    """What the page's origin keeps in localStorage."""
    return page.evaluate("() => ({ ...localStorage })")


def assert_no_api_key_stored(page, user: dict) -> None:
    """The dashboard keeps no API key in the browser: only the host tokens of its meetings."""
    stored = stored_in_the_browser(page)
    assert all(name.endswith(".hostTokens") for name in stored), stored
    assert all("mk_" not in value and user["apiKey"] not in value for value in stored.values())


def key_count(page, server) -> int:
    status, keys = api_json(page, server, "GET", "/api/user/keys")
    assert status == 200, keys
    return len(keys["keys"])


def confirm(page) -> None:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    page.locator("#confirm-ok").click()
    expect(dialog).to_be_hidden()


def test_create_open_the_host_link_join_as_host_end_and_find_it_in_history(account, server):
    user, page = account()
    assert_accessible(page)
    form = page.locator("#dm-create")
    form.get_by_label("Title").fill("Dashboard standup")
    form.get_by_label("Maximum participants").fill("8")
    form.get_by_label("Mute people when they join").check()
    form.get_by_role("button", name="Create meeting").click()

    created = page.locator("#dm-created")
    expect(created).to_contain_text("Created: Dashboard standup")
    expect(form.get_by_label("Now")).to_be_checked()  # the form is ready for the next one
    host_link = page.get_by_label("Host link", exact=True)
    expect(host_link).to_have_value(re.compile(r"/join/[a-z-]+#admin=\S{20,}$"))
    meeting_id = meeting_id_of(host_link.input_value())
    join_link = page.get_by_label("Join link", exact=True)
    assert join_link.input_value() == f"{server.url}/join/{meeting_id}"
    # The meeting the API knows has the form's settings.
    meeting = meeting_of(page, server, user, meeting_id)
    assert meeting["title"] == "Dashboard standup" and meeting["status"] == "active"
    assert meeting["settings"] == {
        "muteOnJoin": True,
        "videoOffOnJoin": False,
        "maxParticipants": 8,
        "locked": False,
        "waitingRoom": False,
    }
    row = page.locator(f"#dm-active li[data-meeting-id='{meeting_id}']")
    expect(row.get_by_role("link", name="Open as host: Dashboard standup")).to_be_visible()
    assert_accessible(page)
    # Made on the session: no key was created for it, none is kept in the browser, and the
    # host token of the new meeting is (it is what the host link and End need).
    assert key_count(page, server) == 1  # the registration's
    assert_no_api_key_stored(page, user)
    assert meeting_id in "".join(stored_in_the_browser(page).values())

    # The host link opens the meeting as its host: the room shows the host controls.
    page.locator("#dm-open-host").click()
    page.wait_for_url(re.compile(f"/join/{meeting_id}"))
    expect(page.locator("#host-note")).to_be_visible()
    page.fill("#name-input", "Host")
    page.click("#join-button")
    expect(page.locator("#room")).to_be_visible()
    page.click("#btn-people")
    expect(page.locator("#host-tools")).to_be_visible()
    assert "admin=" not in page.url  # the token left the address bar

    # The same browser's dashboard, in another tab, lists it with the host in it, and ends it.
    dashboard = page.context.new_page()
    dashboard.goto(server.url + "/dashboard")
    row = dashboard.locator(f"#dm-active li[data-meeting-id='{meeting_id}']")
    expect(row).to_contain_text("1 in the meeting now")
    row.get_by_role("button", name="End: Dashboard standup").click()
    confirm(dashboard)
    expect(page.get_by_text("The host ended the meeting")).to_be_visible()
    expect(row).to_have_count(0)

    past = dashboard.locator(f"#dm-history li[data-meeting-id='{meeting_id}']")
    _, history = api_json(dashboard, server, "GET", "/api/meetings/history")
    [ended] = [m for m in history["meetings"] if m["meeting_id"] == meeting_id]
    assert ended["peak_participants"] == 1
    expect(past).to_contain_text("Dashboard standup")
    expect(past.locator("dd").nth(2)).to_have_text("1 person")
    expect(past.locator("dd").nth(3)).to_have_text(re.compile(r"^\$\d+\.\d{2,4}$"))
    assert float(past.locator("dd").nth(3).inner_text().lstrip("$")) == pytest.approx(
        float(ended["cost_usd"]), abs=0.005
    )
    expect(past.locator("dd").nth(1)).to_have_text(re.compile(r"^\d+ s$|^\d+(\.\d)? min$"))
    assert_accessible(dashboard)


def test_schedule_with_every_setting_then_cancel(account, server):
    user, page = account()
    start = (datetime.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    local = start.strftime("%Y-%m-%dT%H:%M")
    form = page.locator("#dm-create")
    form.get_by_label("Title").fill("Planning")
    form.get_by_label("Schedule for later").check()
    form.get_by_label("Start time").fill(local)
    form.get_by_label("Maximum participants").fill("3")
    form.get_by_label("Turn cameras off when people join").check()
    form.get_by_label("Waiting room: the host admits each person").check()
    form.get_by_label("Locked: nobody new joins until the host unlocks it").check()
    form.get_by_role("button", name="Create meeting").click()
    expect(page.locator("#dm-created")).to_contain_text("Scheduled: Planning")
    meeting_id = meeting_id_of(page.get_by_label("Join link", exact=True).input_value())

    meeting = meeting_of(page, server, user, meeting_id)
    assert meeting["status"] == "scheduled"
    expected = page.evaluate("v => new Date(v).toISOString()", local)
    assert meeting["scheduledAt"] == expected
    assert meeting["settings"] == {
        "muteOnJoin": False,
        "videoOffOnJoin": True,
        "maxParticipants": 3,
        "locked": True,
        "waitingRoom": True,
    }
    row = page.locator(f"#dm-active li[data-meeting-id='{meeting_id}']")
    expect(row).to_contain_text("scheduled")
    expect(row).to_contain_text("opens")

    # Form mistakes are said next to the form and create nothing.
    form.get_by_label("Schedule for later").check()
    form.get_by_label("Start time").fill("2001-01-01T10:00")
    form.get_by_role("button", name="Create meeting").click()
    expect(page.locator("#dm-create-error")).to_have_text("The start time must be in the future")
    form.get_by_label("Now").check()
    form.get_by_label("Maximum participants").fill("500")
    form.get_by_role("button", name="Create meeting").click()
    expect(page.locator("#dm-create-error")).to_contain_text("from 1 to 100")
    _, listed = api_json(page, server, "GET", "/api/meetings", None, keyed(user))
    assert [m["meetingId"] for m in listed["meetings"]] == [meeting_id]

    row.get_by_role("button", name="Cancel: Planning").click()
    confirm(page)
    expect(row).to_have_count(0)
    _, listed = api_json(page, server, "GET", "/api/meetings", None, keyed(user))
    assert listed["meetings"] == []


def test_a_meeting_made_with_a_key_is_listed_through_the_session_and_revoking_keys_breaks_nothing(
    account, server
):
    user, page = account()
    expect(page.locator("#dm-active")).to_contain_text("No active or scheduled meetings.")
    expect(page.get_by_label("Or use one of your API keys")).to_have_count(0)  # no key asked
    status, made = api_json(
        page, server, "POST", "/api/meetings", {"title": "From a script"}, keyed(user)
    )
    assert status == 201, made
    page.locator("#meetings").get_by_role("button", name="Refresh").click()
    row = page.locator(f"#dm-active li[data-meeting-id='{made['meetingId']}']")
    expect(row).to_contain_text("its host link is where it was created")
    expect(row.get_by_role("link", name="Join: From a script")).to_have_attribute(
        "href", f"{server.url}/join/{made['meetingId']}"
    )
    expect(row.get_by_role("link", name=re.compile("^Open as host"))).to_have_count(0)

    # With the keyboard alone: Enter creates, focus goes to the result.
    page.locator("#dm-create").get_by_label("Title").focus()
    page.keyboard.type("By keyboard")
    page.keyboard.press("Enter")
    created = page.locator("#dm-created")
    expect(created).to_be_focused()
    expect(created).to_contain_text("Created: By keyboard")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Join link", exact=True)).to_be_focused()
    _, listed = api_json(page, server, "GET", "/api/meetings", None, keyed(user))
    assert {m["title"] for m in listed["meetings"]} == {"From a script", "By keyboard"}
    assert key_count(page, server) == 1  # the registration's: no key was made
    assert_no_api_key_stored(page, user)

    # Revoking the account's only key on the dashboard leaves the meetings section working.
    key_row = page.locator("#key-list li")
    key_row.get_by_role("button", name=re.compile("^Revoke")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Revoke key").click()
    expect(key_row).to_have_count(0)
    assert key_count(page, server) == 0
    page.reload()
    meetings = page.locator("#meetings")
    expect(meetings.locator("#dm-active li[data-meeting-id]")).to_have_count(2)
    expect(meetings.locator("[role=alert]:not(:empty)")).to_have_count(0)  # no error said
    page.locator("#dm-create").get_by_label("Title").fill("After the revocation")
    page.get_by_role("button", name="Create meeting").click()
    expect(created).to_contain_text("Created: After the revocation")
    expect(meetings.locator("#dm-active li[data-meeting-id]")).to_have_count(3)
    after = meeting_id_of(page.get_by_label("Join link", exact=True).input_value())
    row = page.locator(f"#dm-active li[data-meeting-id='{after}']")
    row.get_by_role("button", name="End: After the revocation").click()
    confirm(page)
    expect(row).to_have_count(0)
    expect(page.locator(f"#dm-history li[data-meeting-id='{after}']")).to_be_visible()


def test_a_recording_appears_downloads_and_is_deleted(account, server):
    user, page = account(**PHONE)
    status, made = api_json(
        page, server, "POST", "/api/meetings", {"title": "Recorded"}, keyed(user)
    )
    assert status == 201, made
    meeting_id = made["meetingId"]
    upload = page.request.post(
        f"{server.url}/api/meetings/{meeting_id}/recordings",
        headers=keyed(user),
        multipart={
            "recording": {"name": "standup.webm", "mimeType": "video/webm", "buffer": RECORDING}
        },
    )
    assert upload.status == 201, upload.text()
    status, _ = api_json(
        page,
        server,
        "DELETE",
        f"/api/meetings/{meeting_id}",
        None,
        {**keyed(user), "x-admin-token": made["adminToken"]},
    )
    assert status == 200

    page.reload()
    row = page.locator(f"#dm-history li[data-meeting-id='{meeting_id}']")
    row.get_by_text("Transcript and recordings").click()
    item = row.locator("li", has_text="standup.webm")
    expect(item).to_contain_text(f"{len(RECORDING)} B")
    fits_phone(page)
    assert_accessible(page)

    with page.expect_download() as info:
        item.get_by_role("link", name="Download: standup.webm").click()
    download = info.value
    assert download.suggested_filename == "standup.webm"
    with open(download.path(), "rb") as saved:
        assert saved.read() == RECORDING
    with page.expect_download() as info:
        row.get_by_role("link", name="Download the chat transcript: Recorded").click()
    assert info.value.suggested_filename == f"transcript-{meeting_id}.txt"

    item.get_by_role("button", name="Delete: standup.webm").click()
    confirm(page)
    expect(row.locator(".dm-recordings")).to_contain_text("No recordings.")
    status, listed = api_json(
        page, server, "GET", f"/api/meetings/{meeting_id}/recordings", None, keyed(user)
    )
    assert status == 200 and listed["recordings"] == []
