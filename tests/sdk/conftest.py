"""A live server for the JavaScript SDK's tests: `python -m onepizza serve` on a free port,
sharing the session's database, with a platform admin to log in as."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import pytest

from tests.browser.conftest import browser  # noqa: F401 (Chromium for the browser test)
from tests.cluster.conftest import CLUSTER_ENV, ServerProcess
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# Settings of the machine running the tests that must not leak into the server.
FOREIGN = ("DATABASE_", "REDIS_URL", "TEST_", "ONEPIZZA_", "PORT", "HOST", "RATE_LIMIT_")


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


@pytest.fixture(scope="module")
def sdk_server(database_url, tmp_path_factory):
    """The server, with room in the rate limits (the password group kept small: a test
    reaches its 429) and webhooks allowed to a receiver on 127.0.0.1. One a module, stopped
    after it: a server left running on the session's database would hold the jobs' leases
    (tests/services/test_recurring.py's restarted server waited in vain for its lease)."""
    folder = tmp_path_factory.mktemp("sdk-server")
    admin_email = f"sdk-admin-{uuid4().hex[:8]}@example.com"
    admin_password = "admin password 1"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.update(CLUSTER_ENV)
    env.update(
        {
            "DATABASE_URL": database_url,
            "APP_URL": url,
            "ALLOWED_ORIGINS": url,
            "ONEPIZZA_DATA_DIR": str(folder / "data"),
            "RECORDINGS_DIR": str(folder / "recordings"),
            "ADMIN_EMAIL": admin_email,
            "ADMIN_PASSWORD": admin_password,
            "RATE_LIMIT_PASSWORD": "3/15 minutes",
            "WEBHOOK_ALLOW_INSECURE": "1",
            "WEBHOOK_POLL_INTERVAL": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    node = ServerProcess(env, folder / "server.log", port)
    asyncio.run(node.start())
    try:
        yield SdkServer(url, admin_email, admin_password, node.log_path)
    finally:
        if node.running:
            asyncio.run(node.terminate())
