"""`onepizza serve` as a user runs it: a real process, a real port, SIGTERM to stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import psycopg2
import pytest
import socketio

from onepizza.db.embedded import create_database, drop_database
from tests.conftest import free_port

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class Server:
    def __init__(self, tmp_path: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = tmp_path / "data"
        self.log = tmp_path / "server.log"
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL"))
        }
        environ.update(
            {"PORT": str(self.port), "HOST": "127.0.0.1", "ONEPIZZA_DATA_DIR": str(self.data_dir)}
        )
        environ.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "onepizza", "serve"],
            env=environ,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, self.log.read_text()
                try:
                    async with http.get(self.url + "/health") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError("server not healthy in time:\n" + self.log.read_text())

    async def get(self, path: str) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as resp:
            return resp.status, await resp.json()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(**env):
        server = Server(tmp_path, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


async def test_fresh_start_with_embedded_database_then_database_dies(start_server):
    server = start_server()
    started = time.monotonic()
    await server.wait_healthy(60)
    assert time.monotonic() - started < 60
    assert await server.get("/health") == (200, {"status": "ok", "db": "connected"})
    log = server.log.read_text()
    assert "embedded PostgreSQL running with its data in" in log
    assert str(server.data_dir / "pgdata") in log

    postmaster = server.postmaster_pid()
    os.kill(postmaster, signal.SIGINT)  # PostgreSQL's fast shutdown
    deadline = time.monotonic() + 10
    while _alive(postmaster) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    started = time.monotonic()
    assert await server.get("/health") == (503, {"status": "error", "db": "unavailable"})
    assert time.monotonic() - started < 3
    assert await server.get("/health/readiness") == (
        503,
        {"status": "not ready", "db": "unavailable"},
    )
    assert await server.get("/health/liveness") == (200, {"status": "alive"})
    code, _ = server.stop()
    assert code == 0


async def test_sigterm_stops_cleanly_with_clients_connected(start_server):
    server = start_server()
    await server.wait_healthy()
    postmaster = server.postmaster_pid()

    bot = socketio.AsyncClient(reconnection=False)
    disconnected = asyncio.Event()
    bot.on("disconnect", lambda *args: disconnected.set())
    await bot.connect(server.url, transports=["websocket"])
    assert bot.connected

    code, elapsed = await asyncio.to_thread(server.stop, signal.SIGTERM)
    assert code == 0
    assert elapsed < 30
    await asyncio.wait_for(disconnected.wait(), 5)
    assert "onepizza stopped" in server.log.read_text()
    deadline = time.monotonic() + 10
    while _alive(postmaster) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not _alive(postmaster), "embedded PostgreSQL left running"


def _local_pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
        psycopg2.connect(LOCAL_PG, connect_timeout=2).close()
        return True
    except (OSError, psycopg2.Error):
        return False


@pytest.mark.skipif(not _local_pg_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432")
async def test_configured_database_is_used_instead_of_embedded(start_server):
    name = f"onepizza_serve_{os.getpid()}"
    create_database(LOCAL_PG, name)
    try:
        server = start_server(DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}")
        await server.wait_healthy()
        assert not (server.data_dir / "pgdata").exists()
        dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM platform_settings")
            assert cur.fetchone()[0] == 3  # the rate, the low-balance threshold, the welcome credit
        code, _ = server.stop()
        assert code == 0
    finally:
        drop_database(LOCAL_PG, name)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "PORT must be a whole number, not 'abc'"),
        ({"NODE_ENV": "production"}, "SESSION_SECRET is required in production"),
        (
            {"NODE_ENV": "production", "SESSION_SECRET": "x" * 40},
            "ADMIN_EMAIL is required in production",
        ),
    ],
)
def test_configuration_errors_are_one_clear_line(env, message):
    environ = {k: v for k, v in os.environ.items() if k not in ("SESSION_SECRET", "ADMIN_EMAIL")}
    result = subprocess.run(
        [sys.executable, "-m", "onepizza", "serve"],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"onepizza: configuration error: {message}" in result.stderr.splitlines()


def test_migrate_command(database_url):
    result = subprocess.run(
        [sys.executable, "-m", "onepizza", "migrate"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "database schema is up to date" in result.stderr


def test_unreachable_database_at_start_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("onepizza.cli.DATABASE_WAIT_SECONDS", 0)
    from onepizza.cli import main

    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    assert main(["migrate"]) == 1
