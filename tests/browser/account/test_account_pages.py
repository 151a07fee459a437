"""The account pages in Chromium: register, log in and out, the dashboard's API keys,
password reset from the e-mail link, company members and changing the password. Every page
is checked with axe-core and on a 390px phone screen."""

from __future__ import annotations

import hashlib
import re

from playwright.sync_api import expect

from tests.browser.account.helpers import (
    PASSWORD,
    PHONE,
    fits_phone,
    log_in,
    new_email,
    register_api,
    register_on_page,
    reset_link,
    sql,
    status_of,
    wait_for_mail,
)
from tests.browser.axe import assert_accessible
from tests.browser.restart_helpers import api

UNUSABLE = "has expired or has already been used"


def test_register_then_create_a_key_shown_once_that_works_until_revoked(site, new_page):
    page = new_page(**PHONE)
    page.goto(site.url + "/register")
    assert_accessible(page)
    fits_phone(page)
    email = new_email("keys")
    register_on_page(page, site, email)

    # The account's first key, from registration, is shown once on the dashboard.
    expect(page.locator("#new-key-value")).to_have_text(re.compile(r"^mk_\S{20,}$"))
    assert_accessible(page)
    fits_phone(page)
    page.get_by_role("button", name="I have saved it").click()
    expect(page.locator("#new-key")).to_be_hidden()

    page.get_by_label("Label").fill("CI bot")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    expect(page.locator("#new-key-label")).to_contain_text("CI bot")
    key = page.locator("#new-key-value").inner_text()
    assert key.startswith("mk_")
    row = page.locator("#key-list li", has_text="CI bot")
    expect(row).to_have_count(1)
    masked = row.locator("code").inner_text()
    assert masked.endswith(key[-4:]) and "..." in masked and key not in masked
    assert page.get_by_role("button", name="Copy key").is_visible()

    # The key authenticates API calls.
    meetings = api(site.url, "GET", "/api/meetings", **{"x-api-key": key})
    assert "meetings" in meetings

    # Shown once: done with it, or on the next visit, the full key is nowhere on the page.
    page.get_by_role("button", name="I have saved it").click()
    assert key not in page.content()
    page.reload()
    expect(row).to_have_count(1)
    expect(page.locator("#new-key")).to_be_hidden()
    assert key not in page.content()

    # Revoking asks first; cancelling (Escape) keeps the key.
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("CI bot")
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    assert status_of(lambda: api(site.url, "GET", "/api/meetings", **{"x-api-key": key})) == 200

    row.get_by_role("button", name=re.compile("^Revoke")).click()
    dialog.get_by_role("button", name="Revoke key").click()
    expect(row).to_have_count(0)
    assert status_of(lambda: api(site.url, "GET", "/api/meetings", **{"x-api-key": key})) == 401


def test_dashboard_sends_a_visitor_to_login_and_logout_ends_the_session(site, new_page):
    email = new_email("login")
    register_api(site, email)
    page = new_page(**PHONE)
    page.goto(site.url + "/dashboard")
    page.wait_for_url("**/login")
    assert_accessible(page)
    fits_phone(page)

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid")
    assert page.url.endswith("/login")

    log_in(page, site, email)
    expect(page.locator("#header-balance")).to_contain_text("$")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?loggedout=1")
    expect(page.locator("#login-notice")).to_have_text("You have been logged out.")
    page.goto(site.url + "/dashboard")
    page.wait_for_url("**/login")


def test_forgot_password_mail_link_sets_a_new_password(site, mailbox, new_page):
    email = new_email("reset")
    register_api(site, email)
    page = new_page(**PHONE)
    page.goto(site.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/forgot")
    assert_accessible(page)
    fits_phone(page)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the reset link").click()
    expect(page.locator("#forgot-sent")).to_contain_text("on its way")

    link = reset_link(wait_for_mail(mailbox, email, "Reset your"))
    assert link.startswith(site.url + "/reset?token=")
    page.goto(link)
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    assert_accessible(page)
    fits_phone(page)

    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("New password again").fill("not the same one")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#reset-error")).to_have_text("The two passwords are not the same.")
    page.get_by_label("New password again").fill("a brand new password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    page.get_by_role("link", name="Log in", exact=True).click()
    page.wait_for_url("**/login")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid")
    log_in(page, site, email, "a brand new password")

    # The same link again: used, and said so before any form is shown.
    again = new_page(**PHONE)
    again.goto(link)
    expect(again.locator("#reset-invalid-text")).to_contain_text(UNUSABLE)
    expect(again.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
    expect(again.locator("#reset-form")).to_be_hidden()
    assert_accessible(again)
    again.get_by_role("link", name="Send me a new link").click()
    again.wait_for_url("**/forgot")


def test_an_expired_reset_link_says_so(site, mailbox, new_page):
    email = new_email("expired")
    register_api(site, email)
    api(site.url, "POST", "/api/auth/forgot-password", {"email": email})
    link = reset_link(wait_for_mail(mailbox, email, "Reset your"))
    token = link.split("token=", 1)[1]
    sql(
        site,
        "UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' "
        "WHERE token_hash = %s",
        hashlib.sha256(token.encode()).digest(),
    )
    page = new_page(**PHONE)
    page.goto(link)
    expect(page.locator("#reset-invalid-text")).to_contain_text(UNUSABLE)
    expect(page.locator("#reset-form")).to_be_hidden()

    page.goto(site.url + "/reset")  # no token at all
    expect(page.locator("#reset-invalid-text")).to_contain_text("has no token")


def test_company_owner_sees_the_invite_code_and_removes_a_member(site, new_page):
    owner = new_page(**PHONE)
    owner_email = new_email("owner")
    register_on_page(owner, site, owner_email, company="Acme Pizza")
    invite = owner.locator("#company-invite-code")
    expect(invite).to_have_text(re.compile(r"^\S{8,}$"))
    code = invite.inner_text()
    expect(owner.locator("#company-owner")).to_be_visible()
    expect(owner.locator("#member-list li")).to_have_count(1)  # the owner alone
    expect(owner.locator("#member-list li")).to_contain_text(owner_email)
    owner.locator("#company").scroll_into_view_if_needed()
    assert_accessible(owner)
    fits_phone(owner)

    # A teammate joins with the code from their own dashboard.
    member = new_page(**PHONE)
    member_email = new_email("member")
    register_on_page(member, site, member_email)
    member.get_by_role("textbox", name="Invite code").fill(code)
    member.get_by_role("button", name="Join company").click()
    expect(member.locator("#company-ok")).to_contain_text("You joined Acme Pizza")
    expect(member.locator("#company-join")).to_be_hidden()

    owner.reload()
    row = owner.locator("#member-list li", has_text=member_email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Member")
    row.get_by_role("button", name=f"Remove {member_email}").click()
    owner.locator("#confirm-dialog").get_by_role("button", name="Remove member").click()
    expect(owner.locator("#company-ok")).to_contain_text(f"{member_email} was removed")
    expect(row).to_have_count(0)
    expect(owner.locator("#member-list li")).to_have_count(1)
    # The invite code was shown once: a reload no longer shows it.
    owner.reload()
    expect(owner.locator("#member-list li")).to_have_count(1)
    expect(owner.locator("#company-invite")).to_be_hidden()

    # The removed member is a personal account again, offered to join a company.
    member.reload()
    expect(member.locator("#company-join")).to_be_visible()


def test_change_password_from_the_dashboard(site, new_page):
    email = new_email("change")
    register_api(site, email)
    page = new_page(**PHONE)
    log_in(page, site, email)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("another good password")
    page.get_by_label("New password again").fill("another good password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-error")).to_have_text("Current password is incorrect")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-ok")).to_contain_text("Your password has been changed")
    expect(page.get_by_label("Current password")).to_have_value("")
    page.locator("#password").scroll_into_view_if_needed()
    assert_accessible(page)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?loggedout=1")
    log_in(page, site, email, "another good password")


def test_sign_up_and_a_first_key_with_the_keyboard_alone(site, new_page):
    page = new_page(**PHONE)
    page.goto(site.url + "/register")
    email = new_email("keyboard")
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")  # the account type: Personal
    expect(page.get_by_role("radio", name="Personal")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("^Company"))).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Company name")).to_be_focused()
    page.keyboard.type("Keyboard Co")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")

    # The first key's panel takes the focus; its buttons follow, then the label field.
    expect(page.locator("#new-key")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Copy key")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # I have saved it
    expect(page.locator("#new-key")).to_be_hidden()
    expect(page.get_by_label("Label")).to_be_focused()
    page.keyboard.type("Typed")
    page.keyboard.press("Enter")
    expect(page.locator("#key-list li", has_text="Typed")).to_have_count(1)
    expect(page.locator("#new-key")).to_be_focused()
