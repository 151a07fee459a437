"""The dashboard's templates and recurring meetings in Chromium: a template saved on the page,
a recurring meeting made from it (a wall-clock time in a time zone), the server's reason for a
bad rule, deleting after a confirmation (its scheduled meeting cancelled), and axe."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.dashboard_admin_helpers import api_json, log_in, register


def next_monday_next_year() -> date:
    day = date(date.today().year + 1, 3, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_templates_and_recurring_meetings_from_the_dashboard(server, new_page):
    user = register(server, "schedule")
    page = new_page(width=1000, height=900)
    log_in(page, server, user["email"], user["password"])
    page.goto(server.url + "/dashboard#schedule")
    section = page.locator("#schedule")

    section.get_by_label("Name", exact=True).fill("Board")
    section.get_by_label("Meeting title").fill("Board meeting")
    section.get_by_label("Maximum participants").fill("12")
    section.get_by_label("Mute people when they join").check()
    section.get_by_role("button", name="Save template").click()
    expect(section.locator("#template-list li")).to_contain_text("Board meeting")
    _, templates = api_json(page, server, "GET", "/api/templates")
    [template] = templates["templates"]
    assert template["settings"] == {"muteOnJoin": True, "maxParticipants": 12}

    monday = next_monday_next_year()
    section.get_by_label("Repeats").fill("FREQ=SOMETIMES")
    section.get_by_label("First meeting").fill(f"{monday.isoformat()}T09:00")
    section.get_by_label("Time zone").fill("America/New_York")
    section.get_by_label("Template", exact=True).select_option(label="Board")
    section.get_by_role("button", name="Create recurring meeting").click()
    expect(page.locator("#recurring-error")).to_contain_text("FREQ")
    assert api_json(page, server, "GET", "/api/recurring")[1]["recurring"] == []

    section.get_by_label("Repeats").fill("FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    section.get_by_role("button", name="Create recurring meeting").click()
    expect(page.locator("#recurring-ok")).to_contain_text("Created")
    expect(section.locator("#recurring-list li")).to_contain_text("FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    _, listed = api_json(page, server, "GET", "/api/recurring")
    [rule] = listed["recurring"]
    assert rule["title"] == "Board meeting" and rule["templateId"] == template["id"]
    assert rule["settings"]["muteOnJoin"] is True
    assert rule["timezone"] == "America/New_York"
    assert rule["nextOccurrences"][0].startswith(f"{monday.isoformat()}T")
    _, detail = api_json(page, server, "GET", f"/api/recurring/{rule['id']}")
    first = detail["meetings"][0]
    host = section.get_by_role("link", name="Open as host: the next Board meeting")
    expect(host).to_have_attribute(
        "href", f"/join/{first['meetingId']}#admin={first['adminToken']}"
    )
    assert_accessible(page, include="#schedule")

    section.get_by_role("button", name="Delete recurring meeting Board meeting").click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#recurring-ok")).to_contain_text("1 scheduled meeting cancelled")
    expect(section.locator("#recurring-list li")).to_have_count(0)
    section.get_by_role("button", name="Delete template Board").click()
    page.locator("#confirm-ok").click()
    expect(section.locator("#template-list li")).to_have_count(0)
