"""Server CPU per operation with one process (memory state), one process on Redis and two
processes on one Redis: `scripts/bench/run cluster [joins chat signaling rtt] [--json]`.

The clients are browser-like (socket.io-client over websocket, permessage-deflate offered:
node/cluster.mjs); the servers run as a deployment runs them (access log on, LOG_LEVEL
INFO, rate limits raised). For every configuration and scenario: a fresh database on
127.0.0.1:5432 (dropped afterwards), an emptied Redis database, fresh servers; their CPU
time (utime + stime from /proc) is read before and after each measured phase, summed over
the server processes, and reported per operation, with the Redis server's, PostgreSQL's and
the clients' CPU beside it. See README.md ("Two processes")."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from common import (
    ROOT,
    Database,
    Profiler,
    Server,
    create_meetings,
    dump_json,
    free_port,
    install_uvloop,
    log,
    make_account,
    table,
)
from redis import Redis, RedisError

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
CONFIGS = {
    # name: (server processes, with Redis)
    "memory": (1, False),
    "redis": (1, True),
    "redis2": (2, True),
    "redis2m": (2, True),
}
CONFIG_TITLES = {
    "memory": "1 process, memory state",
    "redis": "1 process, Redis",
    "redis2": "2 processes, Redis",
    "redis2m": "2 processes, Redis, by meeting",
}
# redis2 splits every meeting between the processes (the worst case: each chat message and
# signal crosses); redis2m puts each meeting's clients on one process (meeting k on process
# k mod 2), as deploy/haproxy.cfg routes connections that name their meeting.
AFFINITY = {"redis2m"}
SCENARIOS = ("joins", "chat", "signaling", "rtt")
SCENARIO_TIMEOUT = 180.0  # seconds for one scenario of one configuration, servers included
RAISED = "1000000/minute"


# --- Redis -------------------------------------------------------------------------------


class RedisDb:
    """The Redis the servers share, and its server's pid (for its CPU time).

    By default a private `redis-server` on a free loopback port, started for this run and
    stopped at its end: the Socket.IO channel is the same name in every database of a Redis,
    so servers that tests run against a shared Redis would otherwise hear the bench's
    traffic, and the bench servers theirs. With --redis-url, a numbered database of that
    Redis which this run may empty (it must be empty at the start)."""

    def __init__(self, url: str | None):
        self.given = url
        self.url = ""
        self.pid: int | None = None
        self.ps: psutil.Process | None = None
        self.proc: subprocess.Popen | None = None

    def open(self) -> RedisDb:
        if self.given:
            return self._use(self.given)
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        port = free_port()
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                "",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            client = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            try:
                client.ping()
                break
            except (RedisError, OSError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("the private redis-server did not answer") from None
                time.sleep(0.1)
            finally:
                client.close()
        return self._use(url)

    def _use(self, url: str) -> RedisDb:
        parts = urlsplit(url)
        if not parts.path.strip("/").isdigit():
            raise RuntimeError(f"--redis-url needs a database number: {url}/DB")
        client = Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        try:
            if client.dbsize() != 0:
                raise RuntimeError(
                    f"{url} is not empty: name an empty database that this run may empty"
                )
            self.pid = int(client.info("server")["process_id"])
        finally:
            client.close()
        self.url = url
        with contextlib.suppress(psutil.Error):
            self.ps = psutil.Process(self.pid)  # only when Redis runs on this machine
        return self

    @property
    def kind(self) -> str:
        return "private redis-server" if self.proc else "given"

    def flush(self) -> None:
        client = Redis.from_url(self.url, socket_timeout=5)
        try:
            client.flushdb()
        finally:
            client.close()

    def cpu_seconds(self) -> float | None:
        return _cpu(self.ps)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# --- meters ------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a whole process (every thread, living or gone), to the nanosecond:
    Linux's CPU-time clock of that process (clock_gettime on its CPUCLOCK_SCHED clock id),
    where /proc/PID/stat counts 10 ms ticks; /proc/PID/stat through psutil if that fails."""
    try:
        return time.clock_gettime((~pid << 3) | 2)
    except OSError:
        pass
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return t.user + t.system


def _cpu(ps: psutil.Process | None) -> float | None:
    return None if ps is None else process_cpu_seconds(ps.pid)


def _machine_busy() -> float:
    t = psutil.cpu_times()
    return t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


@dataclass
class Snapshot:
    wall: float
    servers: list[float]
    servers_sys: float  # of which in the kernel (system time; 10 ms ticks)
    redis: float | None
    db: dict[int, float]
    client: float | None
    own: float
    machine: float


class Meter:
    """CPU seconds of the servers (each, and summed), the Redis server, the PostgreSQL
    backends of this database and the client process between two points."""

    def __init__(self, servers: list[Server], redis: RedisDb | None, database: Database):
        self.servers = servers
        self.redis = redis
        self.database = database
        self.client: psutil.Process | None = None
        self.me = psutil.Process()

    def snapshot(self) -> Snapshot:
        db = {}
        for pid in self.database.backend_pids():
            seconds = process_cpu_seconds(pid)
            if seconds is not None:
                db[pid] = seconds
        return Snapshot(
            time.monotonic(),
            [process_cpu_seconds(s.pid) or 0.0 for s in self.servers],
            sum(s.ps.cpu_times().system for s in self.servers),
            self.redis.cpu_seconds() if self.redis else None,
            db,
            _cpu(self.client),
            _cpu(self.me),
            _machine_busy(),
        )

    def since(self, a: Snapshot) -> dict:
        b = self.snapshot()
        wall = max(b.wall - a.wall, 1e-9)
        each = [round(y - x, 3) for x, y in zip(a.servers, b.servers, strict=True)]
        out = {
            "wall_s": round(wall, 3),
            "server_cpu_s": round(sum(each), 3),
            "server_cpu_s_each": each,
            "server_system_s": round(b.servers_sys - a.servers_sys, 2),
            "redis_cpu_s": None
            if a.redis is None or b.redis is None
            else round(b.redis - a.redis, 3),
            "db_cpu_s": round(sum(v - a.db.get(pid, 0.0) for pid, v in b.db.items()), 3),
            "client_cpu_s": None
            if a.client is None or b.client is None
            else round(b.client - a.client, 3),
            "machine_busy_s": round(b.machine - a.machine, 3),
        }
        # What else the machine did meanwhile: other processes (a test suite, say) and the
        # kernel's softirq time (loopback networking), which no process is charged with.
        counted = [out["server_cpu_s"], out["redis_cpu_s"], out["db_cpu_s"], out["client_cpu_s"]]
        out["other_cpu_s"] = round(
            out["machine_busy_s"] - sum(v or 0 for v in counted) - (b.own - a.own), 3
        )
        for key in ("server", "redis", "db", "client", "other"):
            v = out[f"{key}_cpu_s"]
            out[f"{key}_cpu_pct"] = None if v is None else round(100 * v / wall, 1)
        out["machine_busy_pct"] = round(100 * out["machine_busy_s"] / wall, 1)
        return out


# --- the client process ------------------------------------------------------------------


def node_ready() -> str:
    """The node executable, with socket.io-client installed from node/package-lock.json."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed (apt-get install npm)")
        log("installing socket.io-client into scripts/bench/node (npm ci)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300
        )
    return node


class Clients:
    """node/cluster.mjs running one scenario's plan; the parent meters each phase between
    the client's "ready" (answered with "go") and its "done"."""

    def __init__(self, node: str, plan: dict, meter: Meter):
        self.node = node
        self.plan = plan
        self.meter = meter
        self.phases: list[dict] = []

    async def run(self, within: float) -> list[dict]:
        fd, plan_path = tempfile.mkstemp(prefix="onepizza-bench-plan-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.plan, f)
        proc = await asyncio.create_subprocess_exec(
            self.node,
            str(NODE_DIR / "cluster.mjs"),
            plan_path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,  # a phase's result is one (long) line
        )
        self.meter.client = psutil.Process(proc.pid)
        try:
            await asyncio.wait_for(self._talk(proc), within)
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            os.unlink(plan_path)
        return self.phases

    async def _talk(self, proc) -> None:
        started: dict[str, Snapshot] = {}
        while True:
            line = await proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the client process exited ({await proc.wait()}) early")
            msg = json.loads(line)
            event = msg["event"]
            if event == "ready":
                started[msg["phase"]] = self.meter.snapshot()
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            elif event == "done":
                cpu = self.meter.since(started.pop(msg["phase"]))
                self.phases.append({"phase": msg["phase"], "result": msg["result"], "cpu": cpu})
            elif event == "exit":
                return
            else:
                raise RuntimeError(f"client: {msg.get('error')}")


# --- one scenario on one configuration ---------------------------------------------------


def plan_for(name: str, config: str, urls: list[str], meetings: dict, a) -> dict:
    two = len(urls) > 1 and config not in AFFINITY
    plan = {
        "scenario": name,
        "urls": urls,
        "max_seconds": SCENARIO_TIMEOUT - 20,
        "affinity": config in AFFINITY,
    }
    if name == "joins":
        plan |= {
            "per_meeting": a.joins_per_meeting,
            "variants": [
                {
                    "name": f"bounded {a.joins_concurrency}",
                    "meetings": meetings["bounded"],
                    "concurrency": a.joins_concurrency,
                },
                {"name": "all at once", "meetings": meetings["burst"], "concurrency": None},
            ],
        }
    elif name == "chat":
        plan |= {
            "meeting": meetings["chat"][0],
            "participants": a.chat_participants,
            "messages": a.chat_messages,
            "rate": a.chat_rate,
            "senders": a.chat_senders,
            "cap_s": a.chat_messages / a.chat_rate + 5,
            "drain_s": 10,
        }
    elif name == "signaling":  # with two processes, A on one and B on the other: all cross
        plan |= {
            "pairs": [
                {"meeting": m, "a_url": a_url, "b_url": 1 if two else a_url}
                for k, m in enumerate(meetings["signaling"])
                for a_url in [k % len(urls) if config in AFFINITY else 0]
            ],
            "rounds": a.sig_rounds,
            "cap_s": a.sig_cap,
        }
    elif name == "rtt":
        ids = meetings["rtt"]
        variants = [{"name": "same process", "meeting": ids[0], "a_url": 0, "b_url": 0}]
        if two:
            variants.append({"name": "across processes", "meeting": ids[1], "a_url": 0, "b_url": 1})
        plan |= {"variants": variants, "rounds": a.rtt_rounds, "cap_s": a.rtt_cap, "warmup": 50}
    return plan


async def make_meetings(name: str, url: str, api_key: str, a) -> dict:
    if name == "joins":
        n = a.joins_clients // a.joins_per_meeting
        burst = a.joins_burst // a.joins_per_meeting
        rows = await create_meetings(
            url, api_key, n + burst, title="joins", maxParticipants=max(a.joins_per_meeting, 2)
        )
        ids = [r["meetingId"] for r in rows]
        return {"bounded": ids[:n], "burst": ids[n:]}
    if name == "chat":
        rows = await create_meetings(
            url, api_key, 1, title="chat", maxParticipants=max(a.chat_participants, 2)
        )
        return {"chat": [rows[0]["meetingId"]]}
    count = a.sig_pairs if name == "signaling" else 2
    rows = await create_meetings(url, api_key, count, title=name, maxParticipants=2)
    return {name: [r["meetingId"] for r in rows]}


def server_env(redis: RedisDb | None, secret: str, extra: dict) -> dict:
    env = {
        "LOG_LEVEL": "INFO",  # the default: access log on, as deployed
        "SESSION_SECRET": secret,
        **{
            f"RATE_LIMIT_{g}": RAISED for g in ("API", "AUTH", "GUEST", "PASSWORD", "CLIENT_ERRORS")
        },
    }
    if redis is not None:
        env["REDIS_URL"] = redis.url
    env.update(extra)
    return env


async def wait_for_quiet(limit_pct: float, within: float) -> float:
    """Wait (at most `within` seconds) until the machine is busy less than `limit_pct` % of
    one core over a second, as other work on it (a test suite) skews every figure; return
    the last reading."""
    deadline = time.monotonic() + within
    while True:
        b0 = _machine_busy()
        await asyncio.sleep(1.0)
        busy = 100 * (_machine_busy() - b0)
        if busy < limit_pct or time.monotonic() > deadline:
            return round(busy, 1)


async def run_one(config: str, name: str, a, node: str, redis: RedisDb | None) -> dict:
    processes, with_redis = CONFIGS[config]
    redis = redis if with_redis else None
    out: dict = {"config": config, "scenario": name}
    out["machine_busy_pct_before"] = await wait_for_quiet(a.quiet, a.quiet_wait)
    if out["machine_busy_pct_before"] >= a.quiet:
        log(
            f"{config} / {name}: the machine is busy ({out['machine_busy_pct_before']}% of a "
            "core) with other work; going on"
        )
    database = Database(fresh=True).open()
    servers: list[Server] = []
    profilers: list[Profiler] = []
    t0 = time.monotonic()
    try:
        if redis:
            redis.flush()
        env = server_env(redis, secrets.token_hex(32), dict(x.split("=", 1) for x in a.server_env))
        for _ in range(processes):  # one after the other: the first applies the migrations
            server = Server(database.dsn, env, root=a.server_root)
            servers.append(server)
            await server.start()
        urls = [s.url for s in servers]
        log(f"{config} / {name}: server pid(s) {[s.pid for s in servers]} on {urls}")
        api_key = await make_account(urls[0], database.dsn)
        meetings = await make_meetings(name, urls[0], api_key, a)
        meter = Meter(servers, redis, database)
        idle = meter.snapshot()
        await asyncio.sleep(a.idle)
        out["idle"] = meter.since(idle)
        for i, s in enumerate(servers):
            profilers.append(Profiler(a.profile, f"{config}-{name}-node{i + 1}", s.pid))
        plan = plan_for(name, config, urls, meetings, a)
        out["phases"] = await Clients(node, plan, meter).run(SCENARIO_TIMEOUT)
        out["server_rss_kb"] = [s.rss_kb() for s in servers]
    except Exception as exc:  # report it and go on with the next one
        out["error"] = f"{type(exc).__name__}: {exc}"
        log(f"{config} / {name}: FAILED: {out['error']}")
    finally:
        out["profiles"] = [p.stop() for p in profilers]
        out["server_exit"] = await asyncio.gather(*(asyncio.to_thread(s.stop) for s in servers))
        database.close()
        if redis:
            with contextlib.suppress(RedisError):
                redis.flush()
    for i, ex in enumerate(out["server_exit"]):
        if ex.get("exit_code") != 0 or ex.get("log_errors") or ex.get("killed"):
            out.setdefault("warnings", []).append(
                f"node {i + 1}: exit {ex.get('exit_code')}, {ex.get('log_errors')} error line(s)"
                f" {ex.get('log_error_sample')} (log {ex.get('log_file')})"
            )
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


# --- figures -----------------------------------------------------------------------------


def per_op(cpu: dict, ops: int, unit: float) -> dict:
    """CPU per operation in `unit` seconds (1e-3: ms, 1e-6: µs) of servers, Redis, database."""

    def one(key):
        v = cpu.get(key)
        return None if v is None or not ops else round(v / ops / unit, 2 if unit == 1e-3 else 1)

    return {
        "ops": ops,
        "server": one("server_cpu_s"),
        "redis": one("redis_cpu_s"),
        "db": one("db_cpu_s"),
        "client": one("client_cpu_s"),
    }


def _sum_cpu(phases: list[dict]) -> dict:
    keys = ("server_cpu_s", "redis_cpu_s", "db_cpu_s", "client_cpu_s", "wall_s")
    out = {}
    for k in keys:
        vals = [p["cpu"][k] for p in phases]
        out[k] = None if any(v is None for v in vals) else sum(vals)
    return out


def figures(run: dict) -> dict:
    """The per-operation figures and the throughput / latency of one scenario run."""
    phases = run.get("phases") or []
    name = run["scenario"]
    f: dict = {}
    if name == "joins":
        connects = [p for p in phases if p["phase"].startswith("connect")]
        joins = [p for p in phases if p["phase"].startswith("join")]
        f["connect"] = per_op(
            _sum_cpu(connects), sum(p["result"]["connects"] for p in connects), 1e-3
        )
        # Per join: the bounded variant (20 in flight), and all at once apart (it queues, and
        # a join refused for want of a resource would make the others look cheaper or dearer).
        for key, js in (("join", joins[:1]), ("join_burst", joins[1:])):
            f[key] = per_op(_sum_cpu(js), sum(p["result"]["joined"] for p in js), 1e-3)
        f["variants"] = [
            {
                "variant": p["result"]["variant"],
                "joined": p["result"]["joined"],
                "clients": p["result"]["clients"],
                "p50_ms": p["result"]["join"]["p50_ms"],
                "p99_ms": p["result"]["join"]["p99_ms"],
                "joins_per_s": p["result"]["joins_per_s"],
                "learned_twice": p["result"]["learned_twice"],
                "never_learned": p["result"]["never_learned"],
                "server_cpu_pct": p["cpu"]["server_cpu_pct"],
                "per_join": per_op(p["cpu"], p["result"]["joined"], 1e-3),
            }
            for p in joins
        ]
        f["deflate"] = [p["result"]["deflate"] for p in connects]
        f["sockets"] = [p["result"]["sockets"] for p in connects]
    elif name == "chat" and phases:
        (p,) = phases
        r = p["result"]
        f["delivery"] = per_op(p["cpu"], r["delivered"], 1e-6)
        f["message"] = per_op(p["cpu"], r["messages"], 1e-3)
        f |= {
            "participants": r["participants"],
            "messages": r["messages"],
            "rate": r["rate_per_s"],
            "delivered": r["delivered"],
            "expected": r["expected_deliveries"],
            "lost": r["lost"],
            "duplicates": r["duplicates"],
            "delivered_per_s": r["delivered_per_s"],
            "p50_ms": r["delivery"]["p50_ms"],
            "p99_ms": r["delivery"]["p99_ms"],
            "server_cpu_pct": p["cpu"]["server_cpu_pct"],
            "errors": r["errors"],
        }
    elif name == "signaling" and phases:
        (p,) = phases
        r = p["result"]
        f["relay"] = per_op(p["cpu"], r["relays"], 1e-6)
        f |= {
            "relays": r["relays"],
            "relays_per_s": r["relays_per_s"],
            "p50_ms": r["rtt"]["p50_ms"],
            "p99_ms": r["rtt"]["p99_ms"],
            "lost": r["lost"],
            "server_cpu_pct": p["cpu"]["server_cpu_pct"],
            "errors": r["errors"],
        }
    elif name == "rtt":
        f["variants"] = [
            {
                "variant": p["result"]["variant"],
                "round_trips": p["result"]["round_trips"],
                "p50_ms": p["result"]["rtt"]["p50_ms"],
                "p90_ms": p["result"]["rtt"]["p90_ms"],
                "p99_ms": p["result"]["rtt"]["p99_ms"],
                "lost": p["result"]["lost"],
                "relay": per_op(p["cpu"], p["result"]["relays"], 1e-6),
            }
            for p in phases
        ]
    return f


def ratio(x, y):
    return None if x is None or not y else round(x / y, 2)


def median_merge(items: list):
    """The element-wise median of figures of the same shape (dicts, lists, numbers); for
    anything else, the first."""
    items = [x for x in items if x is not None]
    if not items:
        return None
    first = items[0]
    if isinstance(first, dict):
        return {k: median_merge([x.get(k) for x in items if isinstance(x, dict)]) for k in first}
    if isinstance(first, list):
        if all(isinstance(x, list) and len(x) == len(first) for x in items):
            return [median_merge([x[i] for x in items]) for i in range(len(first))]
        return first
    if isinstance(first, bool) or not isinstance(first, (int, float)):
        return first
    numbers = [x for x in items if isinstance(x, (int, float))]
    middle = statistics.median(numbers)
    return round(middle) if all(isinstance(x, int) for x in numbers) else middle


def merged_figures(runs: list[dict]) -> dict:
    """(config, scenario) -> the median over the repeats of each figure (failed runs left out)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        if "error" not in r:
            groups.setdefault((r["config"], r["scenario"]), []).append(figures(r))
    return {k: median_merge(v) for k, v in groups.items()}


def render(runs: list[dict], configs: list[str], repeats: int) -> str:
    fig = merged_figures(runs)
    compared = [c for c in configs if c != "memory"]
    out = [f"(each figure: the median of {repeats} runs)" if repeats > 1 else ""]
    # CPU per operation
    rows = []
    ops = [
        ("connect", "joins", "connect", "ms"),
        ("join, 20 at a time", "joins", "join", "ms"),
        ("join, all at once", "joins", "join_burst", "ms"),
        ("chat delivery", "chat", "delivery", "µs"),
        ("chat message (to all)", "chat", "message", "ms"),
        ("relay (2-6 kB SDP)", "signaling", "relay", "µs"),
    ]
    for label, scen, key, unit in ops:
        for part in ("server", "redis", "db"):
            row = [f"{label}: {part} {unit}"]
            vals = {}
            for c in configs:
                v = fig.get((c, scen), {}).get(key, {}).get(part)
                vals[c] = v
                row.append(v)
            base = vals.get("memory")
            row += [ratio(vals.get(c), base) for c in compared]
            if part != "server" and all(v in (None, 0) for v in vals.values()):
                continue
            rows.append(row)
        srv = {c: fig.get((c, scen), {}).get(key, {}).get("server") for c in configs}
        red = {c: fig.get((c, scen), {}).get(key, {}).get("redis") or 0 for c in configs}
        tot = {c: None if srv[c] is None else round(srv[c] + red[c], 2) for c in configs}
        if any(red.values()):
            rows.append(
                [
                    f"{label}: server+redis {unit}",
                    *[tot[c] for c in configs],
                    *[ratio(tot.get(c), tot.get("memory")) for c in compared],
                ]
            )
    out.append(
        table(
            "CPU per operation (summed over the server processes; Redis and PostgreSQL apart)",
            ["", *[CONFIG_TITLES[c] for c in configs], *[f"{c}/mem" for c in compared]],
            rows,
        )
    )
    # throughput and latency
    rows = []
    for c in configs:
        j = fig.get((c, "joins"), {})
        for v in j.get("variants", []):
            rows.append(
                [
                    CONFIG_TITLES[c],
                    f"joins, {v['variant']}",
                    f"{v['joined']}/{v['clients']}",
                    v["joins_per_s"],
                    "joins/s",
                    v["p50_ms"],
                    v["p99_ms"],
                    v["server_cpu_pct"],
                    f"twice {v['learned_twice']}, never {v['never_learned']}",
                ]
            )
        ch = fig.get((c, "chat"))
        if ch and "delivered" in ch:
            rows.append(
                [
                    CONFIG_TITLES[c],
                    f"chat {ch['participants']} x {ch['messages']:,} at {ch['rate']:g}/s",
                    f"{ch['delivered']}/{ch['expected']}",
                    ch["delivered_per_s"],
                    "deliv/s",
                    ch["p50_ms"],
                    ch["p99_ms"],
                    ch["server_cpu_pct"],
                    f"lost {ch['lost']}, dup {ch['duplicates']}, err {ch['errors']}",
                ]
            )
        sg = fig.get((c, "signaling"))
        if sg and "relays" in sg:
            rows.append(
                [
                    CONFIG_TITLES[c],
                    "signaling (rtt)",
                    sg["relays"],
                    sg["relays_per_s"],
                    "relays/s",
                    sg["p50_ms"],
                    sg["p99_ms"],
                    sg["server_cpu_pct"],
                    f"lost {sg['lost']}, err {sg['errors']}",
                ]
            )
    out.append(
        table(
            "throughput and latency "
            "(latency: join -> joined, message -> each receiver, offer -> answer)",
            [
                "config",
                "scenario",
                "done",
                "rate",
                "unit",
                "p50 ms",
                "p99 ms",
                "srv cpu%",
                "checks",
            ],
            rows,
        )
    )
    # round trip of one pair, idle
    rows = []
    for c in configs:
        for v in fig.get((c, "rtt"), {}).get("variants", []):
            rows.append(
                [
                    CONFIG_TITLES[c],
                    v["variant"],
                    v["round_trips"],
                    v["p50_ms"],
                    v["p90_ms"],
                    v["p99_ms"],
                    v["lost"],
                    v["relay"]["server"],
                    v["relay"]["redis"],
                ]
            )
    out.append(
        table(
            "one pair, nothing else running: offer -> answer round trip",
            [
                "config",
                "variant",
                "round trips",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "lost",
                "srv µs/relay",
                "redis µs/relay",
            ],
            rows,
        )
    )
    base = next((v["p50_ms"] for v in fig.get(("memory", "rtt"), {}).get("variants", [])), None)
    cross = next(
        (
            v["p50_ms"]
            for v in fig.get(("redis2", "rtt"), {}).get("variants", [])
            if v["variant"] == "across processes"
        ),
        None,
    )
    if base is not None and cross is not None:
        out.append(
            f"round trip p50 across two processes - one process (memory): "
            f"{cross - base:+.3f} ms (target: at most +1 ms)"
        )
    # what the runs looked like
    rows = []
    for r in runs:
        c, s = r["config"], r["scenario"]
        idle = r.get("idle", {})
        deflate = ""
        for p in r.get("phases") or []:
            res = p["result"]
            if "deflate" in res:
                deflate = f"{res['deflate']}/{res['sockets']}"
        other = [p["cpu"]["other_cpu_pct"] for p in r.get("phases") or []]
        problems: dict[str, int] = {}
        for p in r.get("phases") or []:
            res = p["result"]
            for key in ("learned_twice", "never_learned", "lost", "duplicates", "errors"):
                if res.get(key):
                    problems[key] = problems.get(key, 0) + res[key]
            for kind, n in (res.get("join_failures") or {}).items():
                problems[f"join {kind}"] = problems.get(f"join {kind}", 0) + n
        rows.append(
            [
                r.get("repeat", 1),
                CONFIG_TITLES[c],
                s,
                "FAILED" if "error" in r else "ok",
                r["seconds"],
                r.get("machine_busy_pct_before"),
                max(other) if other else None,
                idle.get("server_cpu_pct"),
                deflate,
                ", ".join(f"{k} {v}" for k, v in problems.items()) or "-",
                "; ".join(r.get("warnings", []))[:60] or "-",
            ]
        )
    out.append(
        table(
            "runs (busy before: the machine before the servers started; other: the most, in one "
            "phase, of CPU used by neither servers, Redis, PostgreSQL nor clients)",
            [
                "run",
                "config",
                "scenario",
                "status",
                "secs",
                "busy before%",
                "other%",
                "idle srv cpu%",
                "deflate on",
                "problems",
                "server exit / log",
            ],
            rows,
        )
    )
    return "\n\n".join(x for x in out if x)


# --- main --------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="scripts/bench/run cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenarios", nargs="*", default=[], help=f"any of {', '.join(SCENARIOS)} (default: all)"
    )
    p.add_argument(
        "--configs",
        default="memory,redis,redis2",
        help="comma-separated, of: memory (1 process, no REDIS_URL), redis (1 process), "
        "redis2 (2 processes, one database, one Redis) (default: all three)",
    )
    p.add_argument(
        "--redis-url",
        help="use this Redis database (redis://HOST:PORT/DB; the tests use 0, 7 and 15) instead "
        "of a private redis-server: it must be empty at the start, and is emptied between "
        "scenarios and at the end",
    )
    p.add_argument(
        "--server-root",
        default=str(ROOT),
        type=Path,
        help="the checkout whose server is run (e.g. a git worktree of an older commit)",
    )
    p.add_argument("--label", help="a note saved with --json (e.g. the server's commit)")
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--profile", metavar="DIR", help="record each server with py-spy into DIR")
    p.add_argument(
        "--repeat", type=int, default=1, help="run everything N times; report the medians"
    )
    p.add_argument("--json", action="store_true", help="print every figure as JSON at the end")
    p.add_argument(
        "--idle", type=float, default=1.0, help="seconds of idle server CPU measured first"
    )
    p.add_argument(
        "--quiet",
        type=float,
        default=25.0,
        help="before each scenario, wait until the machine is busy less than this %% of a "
        "core (other work skews the figures) ...",
    )
    p.add_argument(
        "--quiet-wait", type=float, default=60.0, help="... for at most this many seconds"
    )
    g = p.add_argument_group("joins")
    g.add_argument(
        "--joins-clients", type=int, default=600, help="joining 20 at a time (--joins-concurrency)"
    )
    g.add_argument("--joins-burst", type=int, default=300, help="joining all at once")
    g.add_argument("--joins-per-meeting", type=int, default=4)
    g.add_argument("--joins-concurrency", type=int, default=20)
    g = p.add_argument_group("chat")
    g.add_argument("--chat-participants", type=int, default=50)
    # 300/s to 50 (the reference's heaviest fan-out) is 15,000 deliveries/s: on 2 cores the
    # one client process cannot inflate and parse that many websocket frames and falls behind.
    g.add_argument("--chat-messages", type=int, default=1000)
    g.add_argument("--chat-rate", type=float, default=100.0)
    g.add_argument("--chat-senders", type=int, default=3)
    g = p.add_argument_group("signaling (offer/answer SDPs of 2, 3, 4, 5 and 6 kB in turn)")
    g.add_argument("--sig-pairs", type=int, default=16)
    g.add_argument("--sig-rounds", type=int, default=20000, help="round trips per pair at most")
    g.add_argument("--sig-cap", type=float, default=10.0, help="seconds")
    g = p.add_argument_group("rtt (one pair alone)")
    g.add_argument("--rtt-rounds", type=int, default=1000)
    g.add_argument("--rtt-cap", type=float, default=8.0, help="seconds per variant")
    a = p.parse_args(argv)
    a.scenarios = a.scenarios or list(SCENARIOS)
    bad = [s for s in a.scenarios if s not in SCENARIOS]
    a.configs = [c.strip() for c in a.configs.split(",") if c.strip()]
    bad += [c for c in a.configs if c not in CONFIGS]
    if bad:
        p.error(f"unknown: {', '.join(bad)}")
    if not (1 <= a.joins_clients <= 1000 and 1 <= a.joins_burst <= 1000):
        p.error("--joins-clients and --joins-burst: 1..1000")
    if not 2 <= a.chat_participants <= 500:
        p.error("--chat-participants: 2..500")
    if a.chat_messages > 30000 or a.sig_pairs > 200 or a.sig_cap > 60 or a.rtt_cap > 60:
        p.error("keep it bounded: --chat-messages <= 30000, --sig-pairs <= 200, caps <= 60 s")
    return a


async def main(argv=None) -> int:
    a = parse_args(argv)
    node = node_ready()
    redis = RedisDb(a.redis_url).open() if any(CONFIGS[c][1] for c in a.configs) else None
    try:
        return await run_all(a, node, redis)
    finally:
        if redis:
            redis.close()


async def run_all(a, node: str, redis: RedisDb | None) -> int:
    if redis:
        log(
            f"Redis: {redis.url} (server pid {redis.pid}"
            f"{'' if redis.ps else ', not on this machine: no CPU figure'})"
        )
    runs = []
    t0 = time.monotonic()
    # Configurations side by side for each scenario, so that what they are compared on ran
    # close in time (other work on the machine comes and goes); the whole again --repeat times.
    for repeat in range(1, a.repeat + 1):
        for name in a.scenarios:
            for config in a.configs:
                run = await run_one(config, name, a, node, redis)
                run["repeat"] = repeat
                runs.append(run)
    print(render(runs, a.configs, a.repeat), flush=True)
    print(f"\ntotal {time.monotonic() - t0:.0f} s", flush=True)
    if a.json:
        print(
            dump_json(
                {
                    "environment": {
                        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                        "python": platform.python_version(),
                        "cpus": os.cpu_count(),
                        "cpu_model": _cpu_model(),
                        "server_root": str(a.server_root),
                        "server_commit": _commit(a.server_root),
                        "redis": redis.url if redis else None,
                        "redis_kind": redis.kind if redis else None,
                        "label": a.label,
                    },
                    "args": {k: v for k, v in vars(a).items() if k != "server_root"},
                    "figures": {f"{c}/{s}": f for (c, s), f in merged_figures(runs).items()},
                    "runs": runs,
                }
            ),
            flush=True,
        )
    return 1 if any("error" in r for r in runs) else 0


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _commit(root: Path) -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return (
            subprocess.run(
                ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            or None
        )
    return None


if __name__ == "__main__":
    install_uvloop()
    sys.exit(asyncio.run(main()))
