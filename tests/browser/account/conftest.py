"""Fixtures of the account-page browser tests: a server that mails through a local SMTP
server, pays through a local Stripe stand-in and hands out USDC deposit addresses."""

from __future__ import annotations

import threading

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.api.test_billing_stripe import SECRET_KEY, WEBHOOK_SECRET
from tests.browser.account.helpers import StripeStandIn
from tests.browser.restart_helpers import RestartableServer
from tests.conftest import Outbox, free_port

# The well-known development mnemonic (Hardhat's and Foundry's), as tests/api/test_usdc.py uses.
MNEMONIC = "test test test test test test test test test test test junk"


@pytest.fixture(autouse=True)
def patient_expect():
    """expect() waits up to 15 s here (5 s by default): a dashboard starts six sections at
    once, which takes a while on a busy machine."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting what the site sends."""
    box = Outbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def stripe_stand_in():
    stand_in = StripeStandIn()
    thread = threading.Thread(target=stand_in.serve_forever, daemon=True)
    thread.start()
    yield stand_in
    stand_in.shutdown()
    stand_in.server_close()


@pytest.fixture(scope="module")
def site(browser, database_url, mailbox, stripe_stand_in, tmp_path_factory):
    """`onepizza serve` on the test database, mailing to `mailbox`, paying through the
    Stripe stand-in, with USDC deposit addresses (no chain to watch)."""
    server = RestartableServer(
        database_url,
        tmp_path_factory.mktemp("account-pages") / "server.log",
        SMTP_URL=mailbox.url,
        RATE_LIMIT_PASSWORD="1000/minute",
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_stand_in.base,
        CRYPTO_MNEMONIC=MNEMONIC,
    )
    server.start()
    server.database_url = database_url
    try:
        yield server
    finally:
        server.close()
