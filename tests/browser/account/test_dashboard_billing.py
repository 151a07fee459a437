"""The dashboard's billing section in Chromium: a card top-up through the local Stripe
stand-in (Checkout and back, then the webhook Stripe signs), the balance and history it
leaves, a cancelled checkout, and the USDC deposit address with its QR code."""

from __future__ import annotations

import json
import re
import urllib.request
from decimal import Decimal

from playwright.sync_api import expect

from tests.api.test_billing_stripe import checkout_event, sign
from tests.browser.account.helpers import (
    PHONE,
    fits_phone,
    new_email,
    register_on_page,
)
from tests.browser.axe import assert_accessible


def balance_of(text: str) -> Decimal:
    return Decimal(re.search(r"\$([\d,]+\.\d+)", text).group(1).replace(",", ""))


def deliver_webhook(site, payload: str) -> dict:
    request = urllib.request.Request(
        site.url + "/api/billing/stripe/webhook",
        data=payload.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_card_top_up_credits_the_balance_shown_on_return(site, stripe_stand_in, new_page):
    page = new_page(**PHONE)
    register_on_page(page, site, new_email("topup"))
    page.get_by_role("link", name="Billing").click()
    balance = page.locator("#balance")
    expect(balance).to_have_text(re.compile(r"^\$"))
    before = balance_of(balance.inner_text())
    # A new account's only transaction: its welcome credit, which is its balance.
    welcome = page.locator("#history-rows tr")
    expect(welcome).to_have_count(1)
    expect(welcome).to_have_attribute("data-type", "welcome_credit")
    expect(welcome).to_contain_text("Welcome credit")
    assert balance_of(welcome.locator("td.num").inner_text()) == before > 0
    assert_accessible(page)
    fits_phone(page)

    page.get_by_label("Amount in US dollars").fill("3")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#topup-error")).to_have_text("Enter an amount from $5 to $1,000.")

    page.get_by_label("Amount in US dollars").fill("20")
    # Stripe's page (the stand-in) sends the browser back as a paid checkout does.
    with page.expect_navigation(url=re.compile(r"/dashboard\?topup=success$")):
        page.get_by_role("button", name="Continue to payment").click()
    session_id, form = stripe_stand_in.last_session()
    assert form["line_items[0][price_data][unit_amount]"] == "2000"
    assert form["success_url"] == site.url + "/dashboard?topup=success"
    status = page.locator("#topup-status")
    expect(status).to_contain_text("your payment went through")
    page.wait_for_url("**/dashboard#billing")  # a reload will not announce it again
    expect(balance).to_have_text(f"${before:,.2f}")  # not credited before Stripe confirms

    reference = form["client_reference_id"]
    result = deliver_webhook(site, checkout_event(reference, 2000, session_id))
    assert result == {"received": True, "result": "credited"}

    after = before + 20
    expect(status).to_contain_text("Your top-up of $20.00 has arrived", timeout=10_000)
    expect(status).to_contain_text(f"${after:,.2f}")
    expect(balance).to_have_text(f"${after:,.2f}")
    expect(page.locator("#header-balance")).to_have_text(f"Balance ${after:,.2f}")
    row = page.locator("#history-rows tr[data-type='stripe_topup']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Stripe top-up $20")
    expect(row).to_contain_text("+$20.00")
    assert_accessible(page)
    fits_phone(page)

    # A reload does not announce it again (the ?topup= is gone from the address).
    page.reload()
    expect(balance).to_have_text(f"${after:,.2f}")
    expect(status).to_have_text("")


def test_cancelled_checkout_says_nothing_was_charged(site, new_page):
    page = new_page()
    register_on_page(page, site, new_email("cancel"))
    page.goto(site.url + "/dashboard?topup=cancelled")
    expect(page.locator("#topup-status")).to_have_text("Top-up cancelled: nothing was charged.")
    assert page.url.endswith("/dashboard#billing")


def test_usdc_deposit_address_with_its_qr_code(site, new_page):
    page = new_page(**PHONE)
    register_on_page(page, site, new_email("usdc"))
    address = page.locator("#usdc-address")
    expect(address).to_have_text(re.compile(r"^0x[0-9a-fA-F]{40}$"))
    qr = page.get_by_role("img", name=re.compile("^QR code of the deposit address"))
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/gif;base64,")
    assert address.inner_text() in qr.get_attribute("alt")
    # The QR code was drawn: a square image of dark and light modules, not a blank box.
    drawn = page.evaluate(
        """() => {
            const img = document.getElementById('usdc-qr');
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let dark = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
            return { w: img.naturalWidth, h: img.naturalHeight, dark, total: data.length / 4 };
        }"""
    )
    assert drawn["w"] == drawn["h"] > 80
    assert 0.2 < drawn["dark"] / drawn["total"] < 0.8
    page.locator("#usdc").scroll_into_view_if_needed()
    assert_accessible(page)
    fits_phone(page)
