"""The README's Quick start (the reference's §22) runs as written against a fresh server.

The shell blocks of the README's "Quick start" section are run with bash against
`onepizza serve` (what `scripts/run` starts) on a fresh database. Two things differ from a
reader's terminal, both to make the test strict, not lenient: the base URL
`http://localhost:3000` becomes the test server's `http://127.0.0.1:<port>`, and the script runs
under `set -euo pipefail` with `curl` made to fail on an HTTP error status
(`--fail-with-body`), so every command must succeed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import TEST_ENV, free_port
from tests.served import server_environ, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
README_URL = "http://localhost:3000"
STRICT = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n'

pytestmark = pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="the Quick start needs curl and jq"
)


def quick_start_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", section.group(1), re.M | re.S)
    assert blocks, "the Quick start section has no shell block"
    return blocks


def test_the_readme_quick_start_runs_as_written(fresh_database, tmp_path):
    script = STRICT + "\n".join(quick_start_blocks())
    assert README_URL in script
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = server_environ(**{**TEST_ENV, "APP_URL": base, "ALLOWED_ORIGINS": base})
    env.update(DATABASE_URL=fresh_database, NODE_ENV="development")  # as scripts/run starts it
    command = [sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1", "--port"]
    with log.open("w") as sink:
        server = subprocess.Popen(
            [*command, str(port)], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(server, base, log)
        result = subprocess.run(
            ["bash", "-c", script.replace(README_URL, base)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{log.read_text()[-3000:]}"

    guest_join = re.search(r'"joinUrl":\s*"([^"]+)"', result.stdout)  # step 1
    assert guest_join and "/join/" in guest_join.group(1), result.stdout
    meeting_id = re.search(rf"^Join: {re.escape(base)}/join/(\S+)$", result.stdout, re.M)
    assert meeting_id, result.stdout
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT m.id, m.title, m.status, u.email, u.balance FROM meetings m "
            "JOIN users u ON u.id = m.owner_id ORDER BY m.created_at"
        )
        meetings = cur.fetchall()
    assert [row[1:] for row in meetings] == [
        ("Team Standup", "ended", "you@example.com", Decimal("1.0000")),
        ("Daily Standup", "scheduled", "you@example.com", Decimal("1.0000")),
    ]  # the welcome credit is all there is: a meeting nobody joined costs nothing
    assert meetings[0][0] == meeting_id.group(1)
