"""Fixtures for multi-process tests: `onepizza serve` as separate OS processes sharing one
database (and, when asked, one Redis), as a deployment of N nodes runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from redis import Redis, RedisError

from tests.api.meeting_helpers import User, register
from tests.conftest import TEST_ENV, free_port

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 30.0
LOG_TAIL_LINES = 60
SERVE = (sys.executable, "-m", "onepizza", "serve", "--host", "127.0.0.1")
# Room in every rate-limit group for the many requests a cluster test makes.
CLUSTER_ENV = {
    **TEST_ENV,
    "RATE_LIMIT_API": "10000/minute",
    "RATE_LIMIT_GUEST": "10000/minute",
    "RATE_LIMIT_AUTH": "10000/minute",
}
# Settings of the machine running the tests that must not leak into a node.
_FOREIGN = ("DATABASE_", "REDIS_URL", "TEST_", "ONEPIZZA_", "PORT", "HOST", "RATE_LIMIT_")


def required(flag: str) -> bool:
    return os.environ.get(flag) == "1"


def missing(what: str, *flags: str) -> None:
    """Skip a test for lack of `what`, or fail it when one of `flags` says it is required."""
    if any(required(flag) for flag in flags):
        pytest.fail(f"{what} ({' or '.join(flags)}=1 makes it required)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL (default redis://127.0.0.1:6379/0), once it answers a PING."""
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        missing(
            f"no Redis answers at {url} ({exc}); scripts/test starts one", "ONEPIZZA_REQUIRE_REDIS"
        )
    finally:
        client.close()
    return url


class ServerProcess:
    """One `onepizza serve` process on 127.0.0.1, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None):
        self.env = env
        self.log_path = log_path
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Start the process and wait until GET /health answers 200."""
        assert not self.running, f"already running (pid {self.pid})"
        with self.log_path.open("a") as log:
            log.write(f"--- onepizza serve on port {self.port}\n")
            log.flush()
            self.proc = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        await self._wait_healthy(timeout)
        return self

    async def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while time.monotonic() < deadline:
                if not self.running:
                    code = self.proc.returncode
                    pytest.fail(f"{self} exited with {code} at start:\n{self.log_tail()}")
                try:
                    async with http.get(self.url + "/health") as resp:
                        if resp.status == 200:
                            return
                except (TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(0.1)
        self.kill()
        pytest.fail(f"{self} did not answer /health within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL, and wait for the process to be gone."""
        if self.running:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    async def terminate(self, timeout: float = 60.0) -> float:
        """SIGTERM; return the seconds until the process exited (the loop keeps running
        meanwhile, so clients of this test still hear what the process says as it stops)."""
        assert self.running, f"{self} is not running"
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        while self.proc.poll() is None:
            if time.monotonic() - started > timeout:
                self.kill()
                pytest.fail(f"{self} still running {timeout:.0f} s after SIGTERM")
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    async def restart(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Start again, on the same port with the same environment (killing it first if it
        still runs)."""
        self.kill()
        return await self.start(timeout)

    def __repr__(self) -> str:
        pid = self.proc.pid if self.proc else None
        return f"<onepizza node :{self.port} pid {pid}>"


class Cluster:
    """Starts nodes that share the session's database (and Redis, when asked)."""

    def __init__(self, tmp_path: Path, database_url: str, request: pytest.FixtureRequest):
        self.tmp_path = tmp_path
        self.database_url = database_url
        self._request = request
        self.nodes: list[ServerProcess] = []

    def environment(self, *, redis: bool, env: dict[str, str] | None) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        environ.update(CLUSTER_ENV)
        environ.update(
            {
                "DATABASE_URL": self.database_url,
                "ONEPIZZA_DATA_DIR": str(self.tmp_path / "data"),
                # One folder for all nodes, as a deployment shares it (NFS or the like).
                "RECORDINGS_DIR": str(self.tmp_path / "recordings"),
            }
        )
        if redis:
            environ["REDIS_URL"] = self._request.getfixturevalue("redis_url")
        environ.update(env or {})
        return environ

    async def start(
        self, n: int = 2, env: dict[str, str] | None = None, *, redis: bool = False
    ) -> list[ServerProcess]:
        """Start `n` nodes (concurrently) and return them once each answers /health."""
        environ = self.environment(redis=redis, env=env)
        first = len(self.nodes)
        nodes = [
            ServerProcess(dict(environ), self.tmp_path / f"node{number}.log")
            for number in range(first + 1, first + n + 1)
        ]
        self.nodes.extend(nodes)
        # Every start runs to its end before a failure is raised, so none is left pending.
        results = await asyncio.gather(*(node.start() for node in nodes), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return nodes

    def kill_all(self) -> None:
        for node in self.nodes:
            node.kill()


@pytest.fixture
def cluster(tmp_path, database_url, request):
    """`await cluster.start(n=2, env=None, redis=False)` -> [ServerProcess, ...];
    every node is killed at teardown."""
    nodes = Cluster(tmp_path, database_url, request)
    yield nodes
    nodes.kill_all()


@pytest.fixture
def funded_user(database_url):
    """`await funded_user(node_or_url, balance=10)` -> User: a new account registered
    through that node, its balance set in SQL; `user.api_key`, `user.headers`."""

    async def make(node: ServerProcess | str, balance=10) -> User:
        base = node if isinstance(node, str) else node.url
        async with aiohttp.ClientSession(base_url=base) as http:
            return await register(http, database_url, balance=balance)

    return make
