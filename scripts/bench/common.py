"""Shared pieces of the onepizza load generators: the database and server they start, the
account they use, CPU and memory meters, client shards in child processes, statistics and
tables.

Everything is bounded: every wait has a timeout, every loop a count, and the server and
child processes are stopped by their own handles at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
import psutil
import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

# The server's per-socket event limits (SOCKET_LIMIT_<GROUP>, onepizza/config.py), raised
# so that a benchmark measures the server and not its flood protection (still counted).
SOCKET_LIMITS_RAISED = {
    f"SOCKET_LIMIT_{group}": "1000000/minute"
    for group in (
        "CHAT",
        "CHAT_REACTION",
        "REACTION",
        "CAPTIONS",
        "HAND",
        "MEDIA",
        "SIGNALING",
        "WAITING_ROOM",
        "JOIN",
        "EVENTS",
        "FLOOD",
    )
}
SERVER_START_TIMEOUT = 60.0  # seconds for /health to answer 200 (migrations included)
SERVER_STOP_TIMEOUT = 40.0  # seconds after SIGTERM before SIGKILL (the server promises 30)
MIN_CPU_WALL = 0.5  # seconds: shorter phases get no CPU percentages


# --- small helpers -----------------------------------------------------------------------


def log(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only tables and the JSON."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_uvloop() -> bool:
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def run_async(coro):
    """asyncio.run on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


class OrjsonForSocketIO:
    """The json-module interface python-socketio expects, backed by orjson (as the server)."""

    @staticmethod
    def dumps(obj, **_kwargs) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(data, **_kwargs):
        return orjson.loads(data)


# --- statistics and tables ---------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def latency_ms(values_s: list[float]) -> dict:
    """p50 / p90 / p99 / max / mean in milliseconds of latencies given in seconds."""
    values = sorted(values_s)
    if not values:
        return {
            "n": 0,
            "p50_ms": None,
            "p90_ms": None,
            "p99_ms": None,
            "max_ms": None,
            "mean_ms": None,
        }

    def ms(v):
        return None if v is None else round(v * 1000, 3)

    return {
        "n": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p90_ms": ms(percentile(values, 90)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(values[-1]),
        "mean_ms": ms(sum(values) / len(values)),
    }


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: list[str], rows: list[list]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [
        max(len(col), *(len(r[i]) for r in cells)) if cells else len(col)
        for i, col in enumerate(columns)
    ]
    line = "  ".join("-" * w for w in widths)
    out = [title, "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)), line]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


# --- the database ------------------------------------------------------------------------


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


class Database:
    """Where the server keeps its data, chosen in this order:

    1. BENCH_DATABASE_URL or DATABASE_URL from the environment, used as it is;
    2. a fresh database on the PostgreSQL at 127.0.0.1:5432 (dropped afterwards);
    3. an embedded PostgreSQL in a temporary folder (deleted afterwards).
    """

    def __init__(self, *, fresh: bool = False):
        self.fresh = fresh  # ignore BENCH_DATABASE_URL / DATABASE_URL: always a new database
        self.dsn: str | None = None
        self.kind = ""
        self._admin_dsn: str | None = None
        self._name: str | None = None
        self._tmp: str | None = None

    def open(self) -> Database:
        given = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
        if given and not self.fresh:
            self.dsn, self.kind = given, "given DATABASE_URL"
            return self
        name = "onepizza_bench_" + secrets.token_hex(4)
        try:
            conn = psycopg2.connect(LOCAL_POSTGRES, connect_timeout=3)
        except psycopg2.OperationalError:
            conn = None
        if conn is not None:
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            finally:
                conn.close()
            self._admin_dsn, self._name = LOCAL_POSTGRES, name
            self.dsn, self.kind = _with_database(LOCAL_POSTGRES, name), "fresh db on 127.0.0.1:5432"
            return self
        sys.path.insert(0, str(ROOT))
        from onepizza.db.embedded import start_embedded

        self._tmp = tempfile.mkdtemp(prefix="onepizza-bench-pg-")
        self.dsn = start_embedded(Path(self._tmp), "bench", temporary=True)
        self.kind = "embedded PostgreSQL (temporary)"
        return self

    def backend_pids(self) -> list[int]:
        """PostgreSQL backends serving this database (for their CPU time)."""
        name = urlsplit(self.dsn).path.lstrip("/") if self.dsn else ""
        pids = []
        for proc in psutil.process_iter(["cmdline"]):
            cmd = proc.info.get("cmdline") or []
            if cmd and cmd[0].startswith("postgres:") and f" {name} " in cmd[0] + " ":
                pids.append(proc.pid)
        return pids

    def close(self) -> None:
        if self._name:
            try:
                conn = psycopg2.connect(self._admin_dsn, connect_timeout=3)
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(self._name)
                        )
                    )
                conn.close()
            except psycopg2.Error as exc:
                log(f"could not drop database {self._name}: {exc}")
        if self._tmp:
            # The embedded server stops (and deletes its data) when this process exits.
            shutil.rmtree(self._tmp, ignore_errors=True)


# --- the server --------------------------------------------------------------------------


class Server:
    """`python -m onepizza serve` on a free loopback port, stopped with SIGTERM."""

    def __init__(self, dsn: str, extra_env: dict | None = None, root: Path | None = None):
        self.dsn = dsn
        self.root = Path(root or ROOT)  # the checkout whose `onepizza` package is served
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.ps: psutil.Process | None = None
        fd, self.log_path = tempfile.mkstemp(prefix="onepizza-bench-server-", suffix=".log")
        os.close(fd)
        self.stop_result: dict = {}

    def env(self) -> dict:
        env = dict(os.environ)
        for name in ("DATABASE_PUBLIC_URL", "REDIS_URL", "ONEPIZZA_ENV"):
            env.pop(name, None)
        env.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            LOG_LEVEL="WARNING",
            RATE_LIMIT_API="1000000/minute",
            RATE_LIMIT_AUTH="1000000/minute",
            RATE_LIMIT_GUEST="1000000/minute",
            RATE_LIMIT_SESSION="1000000/minute",
            **SOCKET_LIMITS_RAISED,
            BCRYPT_ROUNDS="4",
            NODE_ENV="development",
            DATABASE_URL=self.dsn,
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def launch(self) -> None:
        with open(self.log_path, "wb") as log_file:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "onepizza", "serve"],
                cwd=str(self.root),
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        self.ps = psutil.Process(self.proc.pid)

    async def start(self) -> None:
        """Launch, then wait (bounded) for GET /health to answer 200."""
        self.launch()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(self.url + "/health") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(
            f"server did not answer /health within {SERVER_START_TIMEOUT}s:\n{self.tail()}"
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def tail(self, lines: int = 30) -> str:
        text = Path(self.log_path).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def log_problems(self) -> list[str]:
        text = Path(self.log_path).read_text(errors="replace").splitlines()
        return [
            line
            for line in text
            if " ERROR " in line or "Traceback" in line or " CRITICAL " in line
        ]

    def stop(self) -> dict:
        """SIGTERM, wait (bounded), SIGKILL if it must; return how it went."""
        if self.proc is None:
            return {}
        started = time.monotonic()
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                killed = True
        problems = self.log_problems()
        self.stop_result = {
            "exit_code": self.proc.returncode,
            "stop_seconds": round(time.monotonic() - started, 2),
            "killed": killed,
            "log_errors": len(problems),
            "log_error_sample": problems[:5],
            "log_file": self.log_path,
        }
        if not problems and not killed and self.proc.returncode == 0:
            os.unlink(self.log_path)
            self.stop_result["log_file"] = None
        return self.stop_result


# --- the account the load uses ------------------------------------------------------------


async def make_account(base_url: str, dsn: str) -> str:
    """Register an account, give it credit, and return its API key."""
    email = f"bench-{secrets.token_hex(6)}@example.com"
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(
            base_url + "/api/auth/register",
            json={"email": email, "password": "bench password 123"},
        ) as resp,
    ):
        body = await resp.json()
        if resp.status != 201:
            raise RuntimeError(f"register answered {resp.status}: {body}")
    conn = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 1000000 WHERE email = %s", (email,))
            if cur.rowcount != 1:
                raise RuntimeError("could not give the bench account credit")
    finally:
        conn.close()
    return body["apiKey"]


async def create_meetings(
    base_url: str,
    api_key: str,
    count: int,
    *,
    title: str = "bench",
    concurrency: int = 8,
    **settings,
) -> list[dict]:
    """`count` meetings over REST (bounded concurrency, 30 s overall)."""
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=10)
    ) as http:

        async def one(i):
            async with (
                sem,
                http.post(
                    base_url + "/api/meetings",
                    json={"title": f"{title} {i}", **settings},
                    headers={"x-api-key": api_key},
                ) as resp,
            ):
                body = await resp.json()
                if resp.status != 201:
                    raise RuntimeError(f"create meeting answered {resp.status}: {body}")
                return body

        return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(count))), 30)


# --- CPU meter ---------------------------------------------------------------------------


@dataclass
class CpuSnapshot:
    wall: float
    server: float
    own: float
    db: dict[int, float]
    machine_busy: float


class CpuMeter:
    """CPU seconds of the server, the database backends and this process between two
    points, as % of one core; plus the machine's busy % (of all cores)."""

    def __init__(self, server: Server, database: Database | None):
        self.server = server
        self.database = database
        self.me = psutil.Process()

    def _db_times(self) -> dict[int, float]:
        if self.database is None:
            return {}
        times = {}
        for pid in self.database.backend_pids():
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                times[pid] = t.user + t.system
        return times

    def snapshot(self) -> CpuSnapshot:
        t = psutil.cpu_times()
        busy = t.user + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + t.nice
        own = self.me.cpu_times()
        return CpuSnapshot(
            time.monotonic(),
            self.server.cpu_seconds(),
            own.user + own.system,
            self._db_times(),
            busy,
        )

    def since(self, start: CpuSnapshot, *, clients_cpu_s: float | None = None) -> dict:
        end = self.snapshot()
        wall = max(end.wall - start.wall, 1e-9)
        db = sum(v - start.db.get(pid, 0.0) for pid, v in end.db.items())
        result = {
            "wall_s": round(wall, 3),
            "server_cpu_pct": round(100 * (end.server - start.server) / wall, 1),
            "db_cpu_pct": round(100 * db / wall, 1),
            "machine_busy_pct": round(100 * (end.machine_busy - start.machine_busy) / wall, 1),
        }
        clients = end.own - start.own if clients_cpu_s is None else clients_cpu_s
        result["client_cpu_pct"] = round(100 * clients / wall, 1)
        if wall < MIN_CPU_WALL:  # CPU times tick every 10 ms: too coarse to mean anything
            for key in ("server_cpu_pct", "db_cpu_pct", "machine_busy_pct", "client_cpu_pct"):
                result[key] = None
        return result


# --- profiling (optional) -----------------------------------------------------------------


class Profiler:
    """py-spy (if installed in .venv) recording the server while a scenario runs; --gil:
    only samples where a thread holds the GIL, i.e. where the CPU time goes."""

    def __init__(self, out_dir: str | None, name: str, pid: int):
        self.proc = None
        self.path = None
        if not out_dir:
            return
        exe = Path(PYTHON).parent / "py-spy"
        if not exe.exists():
            log("--profile: py-spy is not installed in .venv (pip install py-spy); skipped")
            return
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        self.path = str(Path(out_dir) / f"{name}.txt")
        self.proc = subprocess.Popen(
            [
                str(exe),
                "record",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--format",
                "raw",
                *(() if os.environ.get("BENCH_PYSPY_ALL") else ("--gil",)),
                "--output",
                self.path,
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> str | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.path


# --- client shards in child processes -----------------------------------------------------


class ShardFailed(Exception):
    pass


class Channel:
    """A shard's side of the conversation with the parent."""

    def __init__(self, index: int, up, down):
        self.index = index
        self._up = up
        self._down = down

    def report(self, tag: str, data=None) -> None:
        self._up.put((tag, self.index, data))

    async def wait(self, tag: str, within: float = 120.0):
        loop = asyncio.get_running_loop()
        got_tag, data = await loop.run_in_executor(None, self._down.get, True, within)
        if got_tag != tag:
            raise RuntimeError(f"shard {self.index}: expected {tag!r}, got {got_tag!r}")
        return data


def _shard_main(target, index, args, up, down) -> None:
    try:
        run_async(target(Channel(index, up, down), *args))
    except BaseException:  # report anything, then exit
        up.put(("error", index, traceback.format_exc()))
        raise SystemExit(1) from None
    up.put(("exit", index, None))


class Shards:
    """N child processes (spawn) each running `target(channel, *args_i)`; the parent
    collects their reports phase by phase and releases them into the next phase."""

    def __init__(self, target, args_per_shard: list[tuple]):
        ctx = mp.get_context("spawn")
        self._up = ctx.Queue()
        self._downs = [ctx.Queue() for _ in args_per_shard]
        self.procs = [
            ctx.Process(
                target=_shard_main,
                args=(target, i, args, self._up, self._downs[i]),
                daemon=True,
                name=f"bench-shard-{i}",
            )
            for i, args in enumerate(args_per_shard)
        ]

    def __len__(self):
        return len(self.procs)

    def start(self) -> Shards:
        for p in self.procs:
            p.start()
        return self

    async def collect(self, tag: str, within: float) -> list:
        """One `tag` report from every shard, in shard order (within `within` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + within
        got: dict[int, object] = {}
        while len(got) < len(self.procs):
            left = deadline - time.monotonic()
            if left <= 0:
                raise ShardFailed(
                    f"timed out waiting for {tag!r} from shards "
                    f"{sorted(set(range(len(self.procs))) - set(got))}"
                )
            try:
                msg_tag, index, data = await loop.run_in_executor(
                    None, self._up.get, True, min(left, 1.0)
                )
            except Exception:  # queue.Empty
                for i, p in enumerate(self.procs):
                    if i not in got and not p.is_alive():
                        raise ShardFailed(f"shard {i} died (exit {p.exitcode})") from None
                continue
            if msg_tag == "error":
                raise ShardFailed(f"shard {index} failed:\n{data}")
            if msg_tag == "exit":  # a shard that has finished while others still report
                continue
            if msg_tag != tag:
                raise ShardFailed(f"expected {tag!r} from shard {index}, got {msg_tag!r}")
            got[index] = data
        return [got[i] for i in range(len(self.procs))]

    def release(self, tag: str, data=None) -> None:
        for q in self._downs:
            q.put((tag, data))

    def stop(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        for p in self.procs:
            p.join(max(0.1, deadline - time.monotonic()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(5)


def process_cpu_seconds() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


# --- scenario context --------------------------------------------------------------------


@dataclass
class Context:
    server: Server
    database: Database
    api_key: str
    args: object
    cpu: CpuMeter = field(init=False)

    def __post_init__(self):
        self.cpu = CpuMeter(self.server, self.database)

    @property
    def url(self) -> str:
        return self.server.url


def dump_json(data) -> str:
    return json.dumps(data, indent=2, default=str)
