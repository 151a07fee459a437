"""Helpers for tests that run `onepizza serve` as a process: its environment, plain HTTP GETs
and waiting until it is healthy (conftest's fresh_database gives it a database)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def server_environ(**extra: str) -> dict[str, str]:
    """This process's environment without what would point the server elsewhere, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_URL", "WEB_NODE_MODULES", "PYTHON"))
    }
    env.update(extra)
    return env


def http_get(url: str) -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def wait_healthy(server: subprocess.Popen, base: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-4000:]
        try:
            if http_get(base + "/health")[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer /health in time:\n" + log.read_text())
