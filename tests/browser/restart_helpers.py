"""A `python -m onepizza serve` process that a test can stop (SIGTERM or SIGKILL) and start
again on the same port and database, as an operator restarting or losing a node would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

import psycopg2
import pytest

from tests.conftest import TEST_ENV, free_port

SERVE = (sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Settings of the machine running the tests that must not leak into the server.
_FOREIGN = ("DATABASE_", "REDIS_URL", "TEST_", "ONEPIZZA_", "PORT", "HOST", "RATE_LIMIT_")


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
    env.update(TEST_ENV)
    env.update(
        {
            "DATABASE_URL": database_url,
            "APP_URL": url,
            "ALLOWED_ORIGINS": url,
            "RATE_LIMIT_API": "10000/minute",
            "RATE_LIMIT_GUEST": "10000/minute",
            "RATE_LIMIT_AUTH": "10000/minute",
            **extra,
        }
    )
    return env


class RestartableServer:
    """`onepizza serve` on 127.0.0.1:`port`; every start appends to one log file."""

    def __init__(self, database_url: str, log_path: Path, port: int | None = None, **env: str):
        self.port = port or free_port()
        self.env = server_env(database_url, self.port, **env)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log_path.open("a") as out:
            out.write(f"\n--- start on port {self.port} ---\n")
            out.flush()
            self.proc = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._healthy():
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited at start:\n{self.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not healthy in {START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> float:
        """Send `sig` and wait for the process to exit; return how long that took."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the server did not exit within {timeout} s of {sig!r}")
        return time.monotonic() - began

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def fund(database_url: str, email: str, balance: int = 10) -> None:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET balance = %s WHERE email = %s", (balance, email))


def api(base_url: str, method: str, path: str, body: dict | None = None, **headers: str):
    """A JSON request, as a script would make it."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def registered_meeting(base_url: str, database_url: str, title: str = "Restart") -> dict:
    """A meeting of a newly registered, funded account (so it is kept in PostgreSQL)."""
    email = f"restart-{uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": "a good password", "accountType": "personal"}
    account = api(base_url, "POST", "/api/auth/register", body)
    fund(database_url, email)
    key = {"x-api-key": account["apiKey"]}
    return api(base_url, "POST", "/api/meetings", {"title": title}, **key)
