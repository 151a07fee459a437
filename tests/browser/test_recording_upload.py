"""Recording in the meeting room: a signed-in host's recording is uploaded to the meeting (§20)
and the page says so; a guest (no session) gets the file as a download, as before; a failed
upload says why and offers the download."""

from __future__ import annotations

import secrets

from playwright.sync_api import Page, expect

from tests.browser.helpers import guest_url, host_url, join


def sign_up(page: Page, server) -> dict:
    """Register and log in through the API inside the page's browser context, so the context
    holds the session cookie as it would after the login page; return the new account."""
    email = f"host-{secrets.token_hex(4)}@example.com"
    password = "correct horse battery"
    origin = {"Origin": server.url}  # as the page's own fetch() sends it
    response = page.request.post(
        server.url + "/api/auth/register",
        data={"email": email, "password": password},
        headers=origin,
    )
    assert response.status == 201, response.text()
    api_key = response.json()["apiKey"]
    response = page.request.post(
        server.url + "/api/auth/login", data={"email": email, "password": password}, headers=origin
    )
    assert response.status == 200, response.text()
    return {"email": email, "apiKey": api_key}


def create_meeting(page: Page, server, api_key: str) -> dict:
    response = page.request.post(
        server.url + "/api/meetings",
        data={"title": "Recorded standup"},
        headers={"x-api-key": api_key},
    )
    assert response.status == 201, response.text()
    return response.json()


def recordings(page: Page, server, meeting_id: str) -> list[dict]:
    """GET /api/meetings/<id>/recordings with the context's session cookie."""
    response = page.request.get(f"{server.url}/api/meetings/{meeting_id}/recordings")
    assert response.status == 200, response.text()
    return response.json()["recordings"]


def record_a_few_seconds(page: Page) -> None:
    page.keyboard.press("r")
    expect(page.locator("#btn-record")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#rec-indicator")).to_be_visible()
    page.wait_for_timeout(2500)


def test_a_signed_in_host_has_the_recording_uploaded_to_the_meeting(server, new_page):
    host = new_page()
    account = sign_up(host, server)
    meeting = create_meeting(host, server, account["apiKey"])
    assert recordings(host, server, meeting["meetingId"]) == []
    downloads = []
    host.on("download", lambda download: downloads.append(download))

    join(host, host_url(server, meeting), "Hana")
    # Every text the upload panel shows, in order (the progress is gone by the end).
    host.evaluate(
        """() => {
            window.uploadTexts = [];
            const text = document.querySelector('#upload-text');
            new MutationObserver(() => window.uploadTexts.push(text.textContent))
                .observe(text, { childList: true, characterData: true, subtree: true });
        }"""
    )
    record_a_few_seconds(host)
    host.keyboard.press("r")  # stop

    panel = host.locator("#upload-panel")
    expect(panel).to_be_visible()
    expect(host.locator("#upload-text")).to_contain_text("Recording uploaded", timeout=30_000)
    expect(panel).to_have_attribute("data-state", "done")
    expect(host.get_by_role("button", name="Download the recording")).to_be_hidden()

    stored = recordings(host, server, meeting["meetingId"])
    assert len(stored) == 1
    assert stored[0]["filename"].startswith(f"onepizza-{meeting['meetingId']}-")
    assert stored[0]["filename"].endswith(".webm")
    assert stored[0]["size_bytes"] > 10_000  # seconds of video, not an empty file
    size_mb = f"{stored[0]['size_bytes'] / (1024 * 1024):.1f} MB"
    expect(host.locator("#upload-text")).to_contain_text(size_mb)

    # The stored file is the recording: a WebM (EBML header) of that size.
    response = host.request.get(f"{server.url}/api/recordings/{stored[0]['id']}/download")
    assert response.status == 200
    body = response.body()
    assert len(body) == stored[0]["size_bytes"]
    assert body[:4] == b"\x1a\x45\xdf\xa3"
    assert downloads == []  # uploaded, not downloaded
    shown = host.evaluate("window.uploadTexts")
    assert shown[0] == f"Uploading the recording ({size_mb})…", shown
    assert all(t.startswith("Uploading the recording") for t in shown[:-1]), shown
    assert shown[-1].startswith("Recording uploaded to the meeting"), shown

    panel.get_by_role("button", name="Dismiss").click()
    expect(panel).to_be_hidden()

    # The host ends the meeting; the recording is then on the dashboard, on the session.
    response = host.request.delete(
        f"{server.url}/api/meetings/{meeting['meetingId']}",
        headers={"x-api-key": account["apiKey"], "x-admin-token": meeting["adminToken"]},
    )
    assert response.status == 200, response.text()
    host.goto(server.url + "/dashboard")
    row = host.locator(f"#dm-history li[data-meeting-id='{meeting['meetingId']}']")
    row.get_by_text("Transcript and recordings").click()
    listed = row.locator(f"li[data-recording-id='{stored[0]['id']}']")
    expect(listed).to_contain_text(stored[0]["filename"], timeout=15_000)
    expect(listed.get_by_role("link", name=f"Download: {stored[0]['filename']}")).to_be_visible()


def test_a_guest_host_gets_the_recording_as_a_download(server, new_page):
    meeting = server.guest_meeting()
    host = new_page()
    join(host, host_url(server, meeting), "Gus")
    record_a_few_seconds(host)
    with host.expect_download() as download:
        host.keyboard.press("r")
    assert download.value.suggested_filename.startswith(f"onepizza-{meeting['meetingId']}-")
    assert download.value.suggested_filename.endswith(".webm")
    expect(host.locator("#toasts")).to_contain_text("Recording saved to your downloads")
    expect(host.locator("#upload-panel")).to_be_hidden()


def test_a_failed_upload_says_why_and_offers_the_download(server, new_page):
    """Signed in, but hosting a meeting of another account (here a guest meeting, which no
    account owns): the upload is refused, the page says so and offers the file."""
    host = new_page()
    sign_up(host, server)
    meeting = server.guest_meeting()
    join(host, host_url(server, meeting), "Hana")
    record_a_few_seconds(host)
    host.keyboard.press("r")

    text = host.locator("#upload-text")
    expect(text).to_contain_text("The recording could not be uploaded: ", timeout=30_000)
    expect(text).to_contain_text("Download it to keep it")
    expect(host.locator("#upload-panel")).to_have_attribute("data-state", "failed")
    offer = host.get_by_role("button", name="Download the recording")
    expect(offer).to_be_visible()
    with host.expect_download() as download:
        offer.click()
    assert download.value.suggested_filename.startswith(f"onepizza-{meeting['meetingId']}-")


def test_a_guest_in_a_signed_in_hosts_meeting_cannot_record(server, new_page):
    """Only the host records: for a participant who is not, R says so and nothing starts."""
    owner = new_page()
    account = sign_up(owner, server)
    meeting = create_meeting(owner, server, account["apiKey"])
    guest = new_page()
    join(guest, guest_url(server, meeting), "Gil")
    expect(guest.locator("#btn-record")).to_be_hidden()
    guest.keyboard.press("r")
    expect(guest.locator("#toasts")).to_contain_text("Only the host can record")
    expect(guest.locator("#rec-indicator")).to_be_hidden()
