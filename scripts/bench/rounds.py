"""Memory that comes back: the reference generator's join scenario (../shared/bench/node,
socket.io-client as a browser connects) repeated on one server, its RSS read after each round.

    .venv/bin/python scripts/bench/rounds.py [--rounds 12] [--clients 1000] [--per-meeting 4]

Each round: `node bench.mjs join --clients N --per-meeting 4` (N sockets connect, join
meetings of 4, and disconnect), then a pause; the server's RSS (VmRSS) after each round is
reported with the round's join p50/p99. The server runs as deployed (access log on), on a
fresh database, rate limits raised. With `--tracemalloc DIR` the server runs with
PYTHONTRACEMALLOC and writes a snapshot after each round (SIGUSR2, see onepizza/cli.py):
the top growing allocation sites between the first and the last round are printed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Database, Server, log, make_account, table  # noqa: E402

REFERENCE = HERE.parents[1].parent / "shared" / "bench" / "node"


def reference_generator() -> Path:
    """A copy of the reference generator (bench.mjs and its lockfile) in the temporary
    folder, its packages installed with npm ci on first use."""
    source = Path(os.environ.get("ONEPIZZA_REFERENCE_BENCH", REFERENCE))
    if not (source / "bench.mjs").exists():
        raise SystemExit(f"no reference generator at {source} (set ONEPIZZA_REFERENCE_BENCH)")
    folder = Path(tempfile.gettempdir()) / "onepizza-reference-bench"
    folder.mkdir(exist_ok=True)
    for name in ("bench.mjs", "package.json", "package-lock.json"):
        shutil.copy2(source / name, folder / name)
    if not (folder / "node_modules").exists():
        log(f"npm ci in {folder}")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, check=True)
    return folder


def join_round(folder: Path, server: Server, api_key: str, a) -> dict:
    env = dict(
        os.environ,
        ONEPIZZA_URL=server.url,
        ONEPIZZA_API_KEY=api_key,
        ONEPIZZA_SERVER_PID=str(server.pid),
    )
    cmd = ["node", "bench.mjs", "--max-seconds", "120", "join"]
    cmd += ["--clients", str(a.clients), "--per-meeting", str(a.per_meeting)]
    done = subprocess.run(
        cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    runs = (result.get("results") or {}).get("runs") or [{}]
    return runs[-1]


def snapshot_path(folder: Path, n: int) -> Path:
    return folder / f"round-{n:02d}.tracemalloc"


async def take_snapshot(server: Server, folder: Path, n: int) -> None:
    """Ask the server for a tracemalloc snapshot (SIGUSR2) and wait for the file."""
    target = snapshot_path(folder, n)
    os.kill(server.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        written = folder / "latest.tracemalloc"
        if written.exists():
            written.rename(target)
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the server wrote no tracemalloc snapshot within 60 s")


def growth(folder: Path, first: int, last: int, top: int) -> list[list]:
    before = tracemalloc.Snapshot.load(str(snapshot_path(folder, first)))
    after = tracemalloc.Snapshot.load(str(snapshot_path(folder, last)))
    rows = []
    grown = [stat for stat in after.compare_to(before, "lineno") if stat.size_diff > 0]
    for stat in grown[:top]:
        frame = stat.traceback[0]
        rows.append([f"{frame.filename}:{frame.lineno}", stat.size_diff // 1024, stat.count_diff])
    return rows


async def main(a) -> int:
    folder = reference_generator()
    db = Database(fresh=True).open()
    env = {"LOG_LEVEL": "INFO"}  # as deployed: the access log on
    if a.tracemalloc:
        a.tracemalloc.mkdir(parents=True, exist_ok=True)
        env |= {"PYTHONTRACEMALLOC": "1", "ONEPIZZA_TRACEMALLOC_DIR": str(a.tracemalloc)}
    server = Server(db.dsn, env)
    rows = []
    try:
        await server.start()
        api_key = await make_account(server.url, db.dsn)
        start_kb = server.rss_kb()
        for n in range(1, a.rounds + 1):
            run = join_round(folder, server, api_key, a)
            await asyncio.sleep(a.pause)
            rss = server.rss_kb()
            join = run.get("join") or {}
            rows.append(
                [n, round(rss / 1024, 1), run.get("joined"), join.get("p50_ms"), join.get("p99_ms")]
            )
            log(f"round {n}: RSS {rss / 1024:.1f} MB, joined {run.get('joined')}")
            if a.tracemalloc:
                await take_snapshot(server, a.tracemalloc, n)
    finally:
        stopped = server.stop()
        db.close()
    print(
        table(
            f"{a.rounds} rounds of {a.clients} sockets joining meetings of {a.per_meeting} "
            f"(RSS before the first: {start_kb / 1024:.1f} MB)",
            ["round", "RSS MB", "joined", "join p50 ms", "join p99 ms"],
            rows,
        )
    )
    if len(rows) >= 2:
        print(f"RSS after round {len(rows)} / after round 1: {rows[-1][1] / rows[0][1]:.2f}")
    if a.tracemalloc and len(rows) >= 3:
        # round 2 against the last: the first round's one-off allocations (imports,
        # caches, pools) left out
        print(
            table(
                f"allocation sites grown from round 2 to round {len(rows)} (tracemalloc; "
                "the largest growth first)",
                ["site", "kB", "blocks"],
                growth(a.tracemalloc, 2, len(rows), a.top),
            )
        )
    print(f"server stopped: {stopped}")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--per-meeting", type=int, default=4)
    p.add_argument("--pause", type=float, default=3.0, help="seconds after each round")
    p.add_argument("--tracemalloc", type=Path, help="folder for the server's snapshots")
    p.add_argument("--top", type=int, default=15)
    a = p.parse_args(argv)
    if not 1 <= a.rounds <= 50 or not 2 <= a.clients <= 5000:
        p.error("rounds 1-50, clients 2-5000")
    return a


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
