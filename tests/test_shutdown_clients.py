"""SIGTERM with browser-like Socket.IO clients connected: `onepizza serve` tells them to
reconnect and exits promptly, instead of waiting out their sockets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import TEST_ENV, free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENTS_SCRIPT = ROOT / "tests" / "node" / "reconnecting_clients.mjs"
NODE = shutil.which("node")

EXIT_WITHIN = 10.0  # seconds from SIGTERM to exit (platforms send SIGKILL at 30)
# Clients per transport: "default" is a browser's own choice, polling upgraded to websocket.
CLIENTS = {"websocket": 8, "polling": 8, "default": 4}

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "web" / "node_modules" / "socket.io-client").is_dir(),
    reason="needs node and web/node_modules (npm ci in web/, as scripts/test does)",
)


def _wait_for(predicate, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    detail = f"\n{log.read_text()[-4000:]}" if log is not None else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _create_guest_meeting(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/meetings/guest",
        data=b"{}",
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())["meetingId"]


def _events(path: Path) -> list[dict]:
    """The JSON lines the node script has written so far (a line being written is skipped)."""
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _start_server(port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL"))}
    env.update(TEST_ENV)
    env.update({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    command = [sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1"]
    with log_path.open("w") as log:
        return subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )


def _start_clients(base: str, transport: str, out: Path) -> subprocess.Popen:
    """CLIENTS[transport] clients joining a new guest meeting; they give up after 60 s."""
    meeting_id = _create_guest_meeting(base)
    command = [NODE, str(CLIENTS_SCRIPT), base, meeting_id, str(CLIENTS[transport]), transport]
    with out.open("w") as sink:
        return subprocess.Popen([*command, "60"], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)


def _ready(out: Path) -> bool:
    return any(e["event"] == "ready" for e in _events(out))


def _tried_to_reconnect(out: Path, count: int) -> bool:
    tried = {e["client"] for e in _events(out) if e["event"] == "reconnect_attempt"}
    return len(tried) == count


def test_sigterm_with_reconnecting_clients_exits_promptly_and_clients_reconnect(
    database_url, tmp_path
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = tmp_path / "server.log"
    server = _start_server(port, database_url, server_log)
    clients: dict[str, tuple[subprocess.Popen, Path]] = {}
    try:
        _wait_for(lambda: _get_ok(base + "/health"), 60, "the server to start", server_log)
        for transport in CLIENTS:
            out = tmp_path / f"{transport}.jsonl"
            clients[transport] = (_start_clients(base, transport, out), out)
        for transport, (_, out) in clients.items():
            _wait_for(partial(_ready, out), 30, f"the {transport} clients to join", out)

        signalled = time.time()
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {EXIT_WITHIN:.0f} s after SIGTERM")
        took = time.time() - signalled
        assert code == 0, server_log.read_text()[-4000:]

        for transport, (_, out) in clients.items():
            tried = partial(_tried_to_reconnect, out, CLIENTS[transport])
            _wait_for(tried, 10, f"every {transport} client to try to reconnect", out)
    finally:
        _kill(server)
        for proc, _ in clients.values():
            _kill(proc)

    for transport, (_, out) in clients.items():
        disconnects = {e["client"]: e for e in _events(out) if e["event"] == "disconnect"}
        assert sorted(disconnects) == list(range(CLIENTS[transport])), transport
        for event in disconnects.values():
            # Told while the server was stopping, not dropped when the process died.
            assert signalled * 1000 <= event["t"] <= (signalled + took + 0.5) * 1000, event
            if transport == "polling":
                # The CLOSE packet on the pending poll ("transport close"); a client whose
                # poll had just returned finds the port closed ("transport error"). Both
                # reconnect; "io server disconnect" would not.
                assert event["reason"] in ("transport close", "transport error"), event
            else:
                # engine.io-client ignores a CLOSE packet on a websocket: the server closes
                # the websocket itself, as going away (1001), not dropped (1006).
                assert (event["reason"], event["code"]) == ("transport close", 1001), event
