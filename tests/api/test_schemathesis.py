"""schemathesis against a live server, every operation, with valid credentials: no 5xx,
and every response conforms to its documented schema."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import orjson
import psycopg2
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conftest import free_port


class Live:
    url: str
    key: str
    cookie: str


def _post(url: str, body: dict) -> tuple[dict, str]:
    request = urllib.request.Request(
        url, data=orjson.dumps(body), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        cookie = resp.headers.get("Set-Cookie", "").split(";")[0].split("=", 1)[-1]
        return orjson.loads(resp.read()), cookie


class StripeStandIn(BaseHTTPRequestHandler):
    """Answers Checkout Session creation as Stripe's API would (it cannot be reached here)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = orjson.dumps(
            {
                "id": "cs_test_fuzz",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_fuzz",
            }
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stripe_stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StripeStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory, stripe_stand_in):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NODE_ENV": "test",
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_API": "1000000/minute",
        "RATE_LIMIT_AUTH": "1000000/minute",
        "RATE_LIMIT_PASSWORD": "1000000/minute",
        "RATE_LIMIT_GUEST": "1000000/minute",
        "RECORDINGS_DIR": str(tmp_path_factory.mktemp("recordings")),
        "STRIPE_SECRET_KEY": "sk_test_fuzz",
        "STRIPE_WEBHOOK_SECRET": "whsec_fuzz",
        "STRIPE_API_BASE": stripe_stand_in,
    }
    proc = subprocess.Popen([sys.executable, "-m", "onepizza", "serve"], env=env)
    live = Live()
    live.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(live.url + "/health/liveness", timeout=1)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
    email = f"fuzz-{uuid4().hex[:10]}@example.com"
    account, live.cookie = _post(
        live.url + "/api/auth/register", {"email": email, "password": "a good password"}
    )
    live.key = account["apiKey"]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = 1000 WHERE email = %s", (email,))
    yield live
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_no_server_errors_and_responses_match_the_document(live):
    """Every documented operation, fuzzed by schemathesis (hypothesis under the hood)."""
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(case):
            case.headers = {**(case.headers or {}), "x-api-key": live.key}
            case.cookies = {**(case.cookies or {}), "onepizza_session": live.cookie}
            response = case.call(base_url=live.url)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            exercise()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
