"""The login page in Chromium goes back to the page `?next=` names, but only to a path on this
site (no open redirect); the dashboard's header links the platform admin to /admin, and
nobody else."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.browser.account.helpers import PHONE, fits_phone
from tests.browser.axe import assert_accessible
from tests.browser.dashboard_admin_helpers import (  # noqa: F401  (fixtures)
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    admin_env_fixture,
    admin_server,
    register,
)

# What must never take the browser off the site, or anywhere but the dashboard.
NOT_A_PATH_HERE = [
    "//evil.example/steal",
    "https://evil.example/",
    "http:/evil.example/",
    "/\\evil.example/",
    "/\t/evil.example/",
    "javascript:alert(document.domain)",
    "dashboard#billing",
    "",
]


def log_in_with_form(page, server, email: str, password: str, next_path: str | None = None):
    query = "?" + urlencode({"next": next_path}) if next_path is not None else ""
    page.goto(server.url + "/login" + query)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_goes_to_the_path_next_names_on_this_site_only(server, new_page):
    user = register(server, "next")
    page = new_page()
    log_in_with_form(page, server, user["email"], user["password"], "/dashboard?from=mail#webhooks")
    page.wait_for_url(server.url + "/dashboard?from=mail#webhooks")
    expect(page.locator("#account-email")).to_have_text(user["email"])
    log_in_with_form(page, server, user["email"], user["password"], "/docs")
    page.wait_for_url(server.url + "/docs")

    for bad in NOT_A_PATH_HERE:
        log_in_with_form(page, server, user["email"], user["password"], bad)
        page.wait_for_url(server.url + "/dashboard")
        expect(page.locator("#account-email")).to_have_text(user["email"])
    # Without ?next= at all: the dashboard, as before.
    log_in_with_form(page, server, user["email"], user["password"])
    page.wait_for_url(server.url + "/dashboard")


def test_the_admin_comes_back_to_admin_and_finds_it_from_the_dashboard(server, new_page):
    page = new_page(**PHONE)
    page.goto(server.url + "/admin")
    page.wait_for_url(re.compile(r"/login\?next=(/|%2F)admin$"))
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server.url + "/admin")
    expect(page.locator("#admin-nav")).to_be_visible()

    page.goto(server.url + "/dashboard")
    expect(page.locator("#account-email")).to_have_text(ADMIN_EMAIL)
    link = page.locator("#dash-account").get_by_role("link", name="Admin console")
    expect(link).to_have_attribute("href", "/admin")
    fits_phone(page)
    assert_accessible(page)
    link.click()
    page.wait_for_url(server.url + "/admin")
    expect(page.locator("#admin-nav")).to_be_visible()


def test_a_user_gets_no_admin_link(server, new_page):
    user = register(server, "plain")
    page = new_page()
    log_in_with_form(page, server, user["email"], user["password"])
    page.wait_for_url(server.url + "/dashboard")
    expect(page.locator("#account-email")).to_have_text(user["email"])
    expect(page.locator("#dash-nav")).to_be_visible()  # the header is filled in by now
    expect(page.get_by_role("link", name="Admin console")).to_have_count(0)
    expect(page.locator("a[href='/admin']")).to_have_count(0)
