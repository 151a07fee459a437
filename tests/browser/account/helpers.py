"""What the account-page browser tests share: the local Stripe stand-in, and the steps a
person takes on the pages."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import psycopg2
from playwright.sync_api import Page, expect

from tests.browser.restart_helpers import api
from tests.conftest import Outbox

PASSWORD = "a good password"
PHONE = {"width": 390, "height": 844}


class StripeStandIn(ThreadingHTTPServer):
    """Stripe's API (create a Checkout Session) and its hosted page, on 127.0.0.1: the page
    sends the browser straight back to the session's success_url, as a paid checkout does."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _StripeHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.sessions: dict[str, dict] = {}  # session id → the form our server sent

    def last_session(self) -> tuple[str, dict]:
        session_id = list(self.sessions)[-1]
        return session_id, self.sessions[session_id]


class _StripeHandler(BaseHTTPRequestHandler):
    server: StripeStandIn

    def log_message(self, *args):
        pass

    def do_POST(self):
        if self.path != "/v1/checkout/sessions":
            return self._json(404, {"error": {"type": "invalid_request_error"}})
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        session_id = f"cs_test_{uuid4().hex}"
        self.server.sessions[session_id] = form
        self._json(
            200,
            {
                "id": session_id,
                "object": "checkout.session",
                "url": f"{self.server.base}/pay/{session_id}",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "client_reference_id": form.get("client_reference_id"),
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "currency": "usd",
            },
        )

    def do_GET(self):
        session = self.server.sessions.get(self.path.removeprefix("/pay/"))
        if session is None:
            return self._json(404, {"error": "no such session"})
        self.send_response(303)
        self.send_header("Location", session["success_url"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def new_email(what: str = "user") -> str:
    return f"{what}-{uuid4().hex[:10]}@example.com"


def register_api(site, email: str, **extra) -> dict:
    body = {"email": email, "password": PASSWORD, **extra}
    return api(site.url, "POST", "/api/auth/register", body)


def status_of(call) -> int:
    """The HTTP status a urllib call ends with (200 when it succeeds)."""
    try:
        call()
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def sql(site, query: str, *params) -> None:
    with psycopg2.connect(site.database_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)


def wait_for_mail(mailbox: Outbox, to: str, subject: str, timeout: float = 15.0):
    """The newest mail to `to` whose subject contains `subject`, once it has arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mailbox.to(to) if subject in m["Subject"]]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no mail '{subject}' for {to} in {timeout} s"
        time.sleep(0.1)


def reset_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/reset\?token=[\w-]+", text).group(0)


def register_on_page(page: Page, site, email: str, company: str | None = None) -> None:
    page.goto(site.url + "/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if company:
        page.get_by_role("radio", name=re.compile("^Company")).check()
        page.get_by_label("Company name").fill(company)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("#account-email")).to_have_text(email)


def log_in(page: Page, site, email: str, password: str = PASSWORD) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("#account-email")).to_have_text(email)


def fits_phone(page: Page) -> None:
    """Nothing sticks out sideways on a 390px-wide screen."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"
