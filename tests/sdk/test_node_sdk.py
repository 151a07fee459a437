"""The JavaScript SDK (sdk/) against a live server: `node --test` runs sdk/test/*.test.mjs with
the server's URL, a funded account's API key and the platform admin's login in the environment.

Without node or sdk/node_modules (npm ci in sdk/, as scripts/test does) the test is skipped
naming what is missing; with ONEPIZZA_REQUIRE_BROWSER=1 (CI) it fails instead."""

from __future__ import annotations

import os
import shutil
import subprocess
from uuid import uuid4

import pytest

from tests.api.meeting_helpers import db_rows
from tests.sdk.conftest import ROOT

SDK = ROOT / "sdk"
NODE = shutil.which("node")
REQUIRED = os.environ.get("ONEPIZZA_REQUIRE_BROWSER") == "1"
NODE_TIMEOUT = 300  # seconds for the whole Node test run


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"ONEPIZZA_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"JavaScript SDK tests skipped: {reason}")


def test_the_javascript_sdk_passes_its_node_tests_against_a_live_server(sdk_server, database_url):
    if NODE is None:
        _unavailable("node is not installed (Node.js 18.17 or newer)")
    if not (SDK / "node_modules" / "socket.io-client").is_dir():
        _unavailable("sdk/node_modules is missing (npm ci in sdk/, as scripts/test does)")
    email = f"sdk-{uuid4().hex[:12]}@example.com"
    account = sdk_server.post("/api/auth/register", {"email": email, "password": "sdk password 1"})
    db_rows(database_url, "UPDATE users SET balance = 100 WHERE email = %s", (email,))

    files = sorted(str(p.relative_to(SDK)) for p in (SDK / "test").glob("*.test.mjs"))
    assert files, "sdk/test has no *.test.mjs"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONEPIZZA_")},
        "ONEPIZZA_API_URL": sdk_server.url,
        "ONEPIZZA_API_KEY": account["apiKey"],
        "ONEPIZZA_ADMIN_EMAIL": sdk_server.admin_email,
        "ONEPIZZA_ADMIN_PASSWORD": sdk_server.admin_password,
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
            f"\n--- stderr\n{result.stderr}\n--- server log (tail)\n{sdk_server.log_tail()}",
            pytrace=False,
        )
    assert "fail 0" in result.stdout, result.stdout
