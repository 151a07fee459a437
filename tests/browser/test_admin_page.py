"""/admin in Chromium: the platform admin changes the per-minute rate and grants credit from
the page (the API shows both afterwards), sees them in the ledger, the analytics drawn as
charts and the server's health; a non-admin gets no admin page and no admin data, and a
visitor without a session is sent to the login page."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.account.helpers import PHONE, fits_phone
from tests.browser.axe import assert_accessible
from tests.browser.dashboard_admin_helpers import (  # noqa: F401  (fixtures)
    ADMIN_EMAIL,
    admin_env_fixture,
    admin_server,
    api_json,
    log_in,
    log_in_admin,
    register,
)

CHARTS = ["trends-chart", "revenue-chart", "peak-chart", "features-chart", "retention-chart"]
ADMIN_DATA = [
    ("GET", "/admin/api/settings"),
    ("PATCH", "/admin/api/settings"),
    ("POST", "/admin/api/billing/credit"),
    ("GET", "/admin/api/billing/transactions"),
    ("GET", "/admin/api/analytics/overview"),
    ("GET", "/admin/api/analytics/users"),
    ("GET", "/admin/api/analytics/health"),
]


def balance(page, server) -> Decimal:
    status, me = api_json(page, server, "GET", "/api/auth/me")
    assert status == 200, me
    return Decimal(me["balance"])


def open_console(page, server) -> None:
    page.goto(server.url + "/admin")
    expect(page.locator("#setting-rate_per_participant_minute")).to_be_visible()
    # Every chart is a Chart.js chart on its canvas, with a summary for screen readers.
    page.wait_for_function(
        "ids => window.Chart && ids.every(id => window.Chart.getChart(id))", arg=CHARTS
    )
    for chart in CHARTS:
        expect(page.locator(f"#{chart.replace('-chart', '-summary')}")).not_to_be_empty()
    expect(page.locator("#health-figures")).to_contain_text("connected")


def test_admin_changes_the_rate_and_grants_credit_from_the_page(server, new_page):
    page = new_page()
    log_in_admin(page, server)
    open_console(page, server)
    assert_accessible(page)
    _, before = api_json(page, server, "GET", "/admin/api/settings")
    rate = page.get_by_label("Rate per participant-minute (US dollars)")
    expect(rate).to_have_value(before["rate_per_participant_minute"])
    welcome = page.get_by_label("Welcome credit for new accounts (US dollars)")
    expect(welcome).to_have_value(before["welcome_credit_usd"])

    # A bad value gets the server's reason, and nothing changes.
    rate.fill("-1")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-error")).to_contain_text("Rate per participant-minute")
    assert api_json(page, server, "GET", "/admin/api/settings")[1] == before

    rate.fill("0.005")
    welcome.fill("2.5")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings-ok")).to_contain_text("Saved: Rate per participant-minute")
    _, after = api_json(page, server, "GET", "/admin/api/settings")
    assert after == {
        **before,
        "rate_per_participant_minute": "0.0050",
        "welcome_credit_usd": "2.5000",
    }
    page.reload()
    expect(page.get_by_label("Rate per participant-minute (US dollars)")).to_have_value("0.0050")
    expect(welcome).to_have_value("2.5000")

    # Credit for an account, with a reason: its balance grows and the ledger shows it.
    user = register(server, "credited")
    user_page = new_page()
    log_in(user_page, server, user["email"], user["password"])
    start = balance(user_page, server)
    assert start == Decimal("2.5")  # the welcome credit set above
    page.get_by_label("Account e-mail or user id").fill(user["email"])
    page.get_by_label("Amount in US dollars").fill("12.5")
    page.get_by_label("Reason").fill("Refund for the outage")
    page.get_by_role("button", name="Grant credit").click()
    expect(page.locator("#credit-ok")).to_contain_text(f"Granted $12.50 to {user['email']}")
    assert balance(user_page, server) == start + Decimal("12.5")
    row = page.locator("#ledger-rows tr", has_text=user["email"]).filter(has_text="outage")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("+$12.50")
    _, ledger = api_json(page, server, "GET", "/admin/api/billing/transactions?type=admin_credit")
    [grant] = [t for t in ledger["transactions"] if t["email"] == user["email"]]
    assert grant["amount_usd"] == "12.5000" and "Refund for the outage" in grant["description"]

    # An unknown account is refused with the server's message; nothing is written.
    page.get_by_label("Account e-mail or user id").fill("nobody@example.com")
    page.get_by_label("Amount in US dollars").fill("5")
    page.get_by_label("Reason").fill("typo")
    page.get_by_role("button", name="Grant credit").click()
    expect(page.locator("#credit-error")).not_to_be_empty()
    _, again = api_json(page, server, "GET", "/admin/api/billing/transactions?type=admin_credit")
    assert len(again["transactions"]) == len(ledger["transactions"])

    # The ledger filters by type.
    page.get_by_label("Type").select_option("admin_credit")
    page.get_by_role("button", name="Show", exact=True).first.click()
    expect(page.locator("#ledger-rows tr")).to_have_count(len(ledger["transactions"]))


def test_the_console_fits_a_phone(server, new_page):
    page = new_page(**PHONE)
    log_in_admin(page, server)
    open_console(page, server)
    _, settings = api_json(page, server, "GET", "/admin/api/settings")
    expect(page.get_by_label("Low-balance alert threshold (US dollars)")).to_have_value(
        settings["low_balance_threshold"]
    )
    expect(page.locator("#realtime")).to_contain_text("Active meetings")
    expect(page.locator("#users-rows")).to_contain_text(ADMIN_EMAIL)
    fits_phone(page)
    assert_accessible(page)


def test_a_non_admin_gets_no_admin_page_and_no_admin_data(server, new_page):
    user = register(server, "curious")
    page = new_page()
    log_in(page, server, user["email"], user["password"])
    response = page.goto(server.url + "/admin")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    html = page.content()
    assert "admin/main.js" not in html and "settings-form" not in html
    assert page.goto(server.url + "/static/admin.html").status == 403
    for method, path in ADMIN_DATA:
        status, body = api_json(page, server, method, path, {} if method != "GET" else None)
        assert status == 403, (method, path, status, body)
        assert body == {"error": "Admin access required"}

    # Without a session: the login page for the console, 401 for its data.
    visitor = new_page()
    redirect = visitor.request.get(server.url + "/admin", max_redirects=0)
    assert redirect.status == 302
    assert redirect.headers["location"] == "/login?next=/admin"
    assert "frame-ancestors 'none'" in redirect.headers["content-security-policy"]
    for method, path in ADMIN_DATA:
        status, _ = api_json(visitor, server, method, path, {} if method != "GET" else None)
        assert status == 401, (method, path)
