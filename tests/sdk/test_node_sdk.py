"""The JavaScript SDK (sdk/) against a live server: `node --test` runs sdk/test/*.test.mjs with
the server's URL, a funded account's API key and the platform admin's login in the environment.

Without node or sdk/node_modules (npm ci in sdk/, as scripts/test does) the test is skipped
naming what is missing; with ONEPIZZA_REQUIRE_BROWSER=1 (CI) it fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

import pytest

from tests.api.meeting_helpers import db_rows
from tests.conftest import TEST_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
NODE = shutil.which("node")
REQUIRED = os.environ.get("ONEPIZZA_REQUIRE_BROWSER") == "1"
NODE_TIMEOUT = 300  # seconds for the whole Node test run
# Settings of the machine running the tests that must not leak into the server.
FOREIGN = ("DATABASE_", "REDIS_URL", "TEST_", "ONEPIZZA_", "PORT", "HOST", "RATE_LIMIT_")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"ONEPIZZA_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"JavaScript SDK tests skipped: {reason}")


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /health in 60 s:\n{log.read_text()}")


@pytest.fixture
def live_server(database_url, tmp_path):
    """`python -m onepizza serve` on a free port, with a platform admin, room in the rate
    limits (the password group kept small: a test reaches its 429), and webhooks allowed
    to a receiver on 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin = {"email": f"sdk-admin-{uuid4().hex[:8]}@example.com", "password": "admin password 1"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.update(TEST_ENV)
    env.update(
        {
            "DATABASE_URL": database_url,
            "APP_URL": url,
            "ALLOWED_ORIGINS": url,
            "ONEPIZZA_DATA_DIR": str(tmp_path / "data"),
            "RECORDINGS_DIR": str(tmp_path / "recordings"),
            "ADMIN_EMAIL": admin["email"],
            "ADMIN_PASSWORD": admin["password"],
            "RATE_LIMIT_API": "10000/minute",
            "RATE_LIMIT_AUTH": "10000/minute",
            "RATE_LIMIT_GUEST": "10000/minute",
            "RATE_LIMIT_PASSWORD": "3/15 minutes",
            "WEBHOOK_ALLOW_INSECURE": "1",
            "WEBHOOK_POLL_INTERVAL": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    try:
        _wait_healthy(url, proc, log)
        yield url, admin, log
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_javascript_sdk_passes_its_node_tests_against_a_live_server(live_server, database_url):
    if NODE is None:
        _unavailable("node is not installed (Node.js 18.17 or newer)")
    if not (SDK / "node_modules" / "socket.io-client").is_dir():
        _unavailable("sdk/node_modules is missing (npm ci in sdk/, as scripts/test does)")
    url, admin, log = live_server
    email = f"sdk-{uuid4().hex[:12]}@example.com"
    account = _post(url + "/api/auth/register", {"email": email, "password": "sdk password 1"})
    db_rows(database_url, "UPDATE users SET balance = 100 WHERE email = %s", (email,))

    files = sorted(str(p.relative_to(SDK)) for p in (SDK / "test").glob("*.test.mjs"))
    assert files, "sdk/test has no *.test.mjs"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONEPIZZA_")},
        "ONEPIZZA_API_URL": url,
        "ONEPIZZA_API_KEY": account["apiKey"],
        "ONEPIZZA_ADMIN_EMAIL": admin["email"],
        "ONEPIZZA_ADMIN_PASSWORD": admin["password"],
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [NODE, "--test", "--test-reporter=spec", *files],
        cwd=SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    if result.returncode != 0:
        pytest.fail(
            f"node --test exited with {result.returncode}\n--- stdout\n{result.stdout}"
            f"\n--- stderr\n{result.stderr}\n--- server log (tail)\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-60:]),
            pytrace=False,
        )
    assert "# fail 0" in result.stdout or "fail 0" in result.stdout, result.stdout
