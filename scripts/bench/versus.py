"""onepizza against the library's ceiling (../shared/bench/bare_sio.py: aiohttp + python-socketio
with nothing but join, relay and chat), both driven by the reference generator
(../shared/bench/node/bench.mjs, socket.io-client as a browser connects) in one sitting.

    .venv/bin/python scripts/bench/versus.py [--repeat 2] [--scenarios signal,fanout,join]

For each scenario and repeat, bare_sio and onepizza (each freshly started; onepizza as
deployed: access log on, a fresh database, rate limits raised) run alternately under the same
generator command; the table gives each figure for both and onepizza's ratio, with server CPU
per operation (CPU seconds of the server process / operations)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import PYTHON, Database, Server, free_port, log, make_account, table  # noqa: E402
from rounds import REFERENCE, reference_generator  # noqa: E402

BARE = REFERENCE.parent / "bare_sio.py"
SCENARIOS = {
    # name: the generator's arguments (the table; `fanout20` is its 200 msgs at 20/s)
    "signal": ["signal", "--pairs", "1,16", "--duration", "10"],
    "fanout": ["fanout", "--participants", "50", "--messages", "3000", "--rate", "300"],
    "fanout20": ["fanout", "--participants", "50", "--messages", "200", "--rate", "20"],
    "join": ["join", "--clients", "200,1000", "--per-meeting", "4"],
}


class Bare:
    """bare_sio.py on a free port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def launch(self) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(BARE), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def start(self) -> None:
        self.launch()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError("bare_sio.py did not listen")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def generate(folder: Path, url: str, api_key: str, pid: int, args: list[str]) -> list[dict]:
    env = dict(os.environ, ONEPIZZA_URL=url, ONEPIZZA_API_KEY=api_key, ONEPIZZA_SERVER_PID=str(pid))
    done = subprocess.run(
        ["node", "bench.mjs", "--max-seconds", "200", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.mjs {args[0]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["results"]["runs"]


def figures(scenario: str, runs: list[dict]) -> dict[str, float | None]:
    """label -> figure, for one run of a scenario on one server."""
    out: dict[str, float | None] = {}
    for r in runs:
        cpu = r.get("server_cpu_s")
        if scenario == "signal":
            k = f"{r['pairs']} pairs"
            out[f"signal {k}: relays/s"] = r.get("relays_per_s")
            out[f"signal {k}: rtt p99 ms"] = (r.get("rtt") or {}).get("p99_ms")
            relays = 2 * (r.get("round_trips") or 0)
            out[f"signal {k}: server µs/relay"] = cpu * 1e6 / relays if cpu and relays else None
        elif scenario.startswith("fanout"):
            k = f"{r['participants']} x {r['messages']} at {r['target_rate_msg_s']:g}/s"
            lat = r.get("latency") or {}
            out[f"chat {k}: p50 ms"] = lat.get("p50_ms")
            out[f"chat {k}: p99 ms"] = lat.get("p99_ms")
            out[f"chat {k}: lost"] = r.get("lost")
            n = r.get("delivered") or 0
            out[f"chat {k}: server µs/delivery"] = cpu * 1e6 / n if cpu and n else None
        elif scenario == "join":
            k = f"{r['clients']} joins at once"
            out[f"{k}: p50 ms"] = (r.get("join") or {}).get("p50_ms")
            out[f"{k}: p99 ms"] = (r.get("join") or {}).get("p99_ms")
            phase = r.get("join_phase") or {}
            joined = r.get("joined") or 0
            scpu = phase.get("server_cpu_s")
            out[f"{k}: server ms/join"] = scpu * 1e3 / joined if scpu and joined else None
    return out


async def one(scenario: str, which: str, folder: Path, db: Database | None) -> dict:
    if which == "bare":
        server = Bare()
        await server.start()
        try:
            return figures(
                scenario, generate(folder, server.url, "any", server.pid, SCENARIOS[scenario])
            )
        finally:
            server.stop()
    server = Server(db.dsn, {"LOG_LEVEL": "INFO"})
    try:
        await server.start()
        key = await make_account(server.url, db.dsn)
        return figures(scenario, generate(folder, server.url, key, server.pid, SCENARIOS[scenario]))
    finally:
        server.stop()


async def main(a) -> int:
    folder = reference_generator()
    if not BARE.exists():
        raise SystemExit(f"no {BARE}")
    rows = []
    for scenario in a.scenarios:
        got: dict[str, dict[str, list]] = {"bare": {}, "onepizza": {}}
        for n in range(a.repeat):
            for which in ("bare", "onepizza") if n % 2 == 0 else ("onepizza", "bare"):
                db = Database(fresh=True).open() if which == "onepizza" else None
                try:
                    log(f"{scenario} on {which} ({n + 1}/{a.repeat})")
                    for label, value in (await one(scenario, which, folder, db)).items():
                        got[which].setdefault(label, []).append(value)
                finally:
                    if db:
                        db.close()
        for label, values in got["onepizza"].items():
            ours = median(values)
            bare = median(got["bare"].get(label, []))
            rows.append([label, bare, ours, round(ours / bare, 2) if ours and bare else None])
    busy = psutil.cpu_percent(interval=1.0)
    print(
        table(
            f"reference generator against bare_sio.py and onepizza, medians of {a.repeat} "
            f"(machine busy after: {busy:.0f}%)",
            ["figure", "bare_sio", "onepizza", "onepizza / bare"],
            rows,
        )
    )
    return 0


def median(values: list) -> float | None:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return round(statistics.median(numbers), 2) if numbers else None


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--scenarios", default="signal,fanout,fanout20,join")
    a = p.parse_args(argv)
    a.scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    bad = [s for s in a.scenarios if s not in SCENARIOS]
    if bad or not 1 <= a.repeat <= 5:
        p.error(f"scenarios among {', '.join(SCENARIOS)}; repeat 1-5")
    return a


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
