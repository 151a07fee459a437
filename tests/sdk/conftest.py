"""A live server for the JavaScript SDK's tests: `python -m onepizza serve` on a free port,
sharing the session's database, with a platform admin to log in as."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import pytest

from tests.browser.conftest import browser  # noqa: F401 (Chromium for the browser test)
from tests.conftest import TEST_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]
# Settings of the machine running the tests that must not leak into the server.
FOREIGN = ("DATABASE_", "REDIS_URL", "TEST_", "ONEPIZZA_", "PORT", "HOST", "RATE_LIMIT_")
START_TIMEOUT = 60


@dataclass
class SdkServer:
    url: str
    admin_email: str
    admin_password: str
    log: Path

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
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
    pytest.fail(f"the server did not answer /health in {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def sdk_server(database_url, tmp_path_factory):
    """The server, with room in the rate limits (the password group kept small: a test
    reaches its 429) and webhooks allowed to a receiver on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("sdk-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin_email = f"sdk-admin-{uuid4().hex[:8]}@example.com"
    admin_password = "admin password 1"
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.update(TEST_ENV)
    env.update(
        {
            "DATABASE_URL": database_url,
            "APP_URL": url,
            "ALLOWED_ORIGINS": url,
            "ONEPIZZA_DATA_DIR": str(folder / "data"),
            "RECORDINGS_DIR": str(folder / "recordings"),
            "ADMIN_EMAIL": admin_email,
            "ADMIN_PASSWORD": admin_password,
            "RATE_LIMIT_API": "10000/minute",
            "RATE_LIMIT_AUTH": "10000/minute",
            "RATE_LIMIT_GUEST": "10000/minute",
            "RATE_LIMIT_PASSWORD": "3/15 minutes",
            "WEBHOOK_ALLOW_INSECURE": "1",
            "WEBHOOK_POLL_INTERVAL": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    log = folder / "server.log"
    command = [sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    try:
        _wait_healthy(url, proc, log)
        yield SdkServer(url, admin_email, admin_password, log)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
