"""Billing rules that need no server: account references, what a paid session credits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onepizza.services.billing import _our_reference, account_reference, dollars
from onepizza.services.payments.stripe import CheckoutPayment


def payment(reference="user:7", metadata="user:7", cents=2000, currency="usd"):
    return CheckoutPayment(
        event_id="evt_1",
        session_id="cs_1",
        reference=reference,
        metadata_account=metadata,
        amount_cents=cents,
        currency=currency,
    )


def test_account_reference_names_the_paying_account():
    assert account_reference({"id": 7, "company_id": None}) == "user:7"
    assert account_reference({"id": 7, "company_id": 3}) == "company:3"


@pytest.mark.parametrize(
    ("amount", "text"),
    [("20", "20"), ("20.00", "20"), ("20.5", "20.50"), ("1000", "1000"), ("5.05", "5.05")],
)
def test_dollars(amount, text):
    assert dollars(Decimal(amount)) == text


def test_a_paid_session_credits_the_account_we_named():
    assert _our_reference(payment()) == ("user", 7)
    assert _our_reference(payment("company:12", "company:12")) == ("company", 12)


@pytest.mark.parametrize(
    "untrusted",
    [
        payment(metadata=None),
        payment(metadata="user:8"),
        payment(reference=None),
        payment("admin:1", "admin:1"),
        payment("user:-1", "user:-1"),
        payment("user:07", "user:07"),
        payment("user:7\n", "user:7\n"),
        payment(cents=0),
        payment(cents=-100),
        payment(currency="eur"),
        payment(currency=None),
    ],
)
def test_anything_else_is_not_trusted(untrusted):
    assert _our_reference(untrusted) is None
