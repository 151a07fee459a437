"""onepizza load generators: `bench.py [scenario ...] [--json]` (see README.md).

Each scenario gets its own freshly started server (same database), its own account with
credit, and an overall timeout; the server is stopped with SIGTERM afterwards and its exit
is reported."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time

import psutil
import realtime
import rest
from common import (
    Context,
    Database,
    Profiler,
    Server,
    dump_json,
    install_uvloop,
    log,
    make_account,
    table,
)

SCENARIOS = {
    # name: (run, render, overall timeout in seconds)
    "rest": (rest.run, rest.render, 240),
    "joins": (realtime.run_joins, realtime.render_joins, 150),
    "chat": (realtime.run_chat, realtime.render_chat, 120),
    "signaling": (realtime.run_signaling, realtime.render_signaling, 120),
    "memory": (realtime.run_memory, realtime.render_memory, 150),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="scripts/bench/run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        default=[],
        help=f"any of {', '.join(SCENARIOS)} (default: all, in that order)",
    )
    p.add_argument("--json", action="store_true", help="print all results as JSON at the end")
    p.add_argument(
        "--procs", type=int, default=1, help="client processes for chat and signaling (default 1)"
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="record the server with py-spy (raw collapsed stacks) into DIR",
    )
    p.add_argument(
        "--server-root",
        metavar="DIR",
        help="run the server of another checkout (e.g. `git archive` of an older commit)",
    )
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (repeatable)",
    )
    g = p.add_argument_group("rest")
    g.add_argument(
        "--rest-concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 16, 64],
        metavar="1,16,64",
    )
    g.add_argument("--rest-creates", type=int, default=2000)
    g.add_argument("--rest-gets", type=int, default=4000)
    g.add_argument("--rest-cap", type=float, default=60.0, help="seconds per phase")
    g = p.add_argument_group("joins")
    g.add_argument("--joins-participants", type=int, default=200)
    g.add_argument("--joins-per-meeting", type=int, default=4)
    g.add_argument("--joins-concurrency", type=int, default=20)
    g = p.add_argument_group("chat")
    g.add_argument("--chat-participants", type=int, default=50)
    g.add_argument("--chat-messages", type=int, default=3000)
    g.add_argument("--chat-rate", type=float, default=300.0, help="messages per second, total")
    g.add_argument("--chat-senders", type=int, default=3)
    g.add_argument(
        "--chat-guest",
        action="store_true",
        help="use a guest meeting (messages are not stored: no database write)",
    )
    g.add_argument(
        "--chat-drain",
        type=float,
        default=10.0,
        help="seconds to wait for deliveries after the last send",
    )
    g = p.add_argument_group("signaling")
    g.add_argument("--sig-pairs", type=int, default=16)
    g.add_argument("--sig-rounds", type=int, default=2000, help="round trips per pair")
    g.add_argument("--sig-cap", type=float, default=30.0, help="seconds")
    g.add_argument("--sig-sdp-bytes", type=int, default=200)
    g = p.add_argument_group("memory")
    g.add_argument("--mem-participants", type=int, default=500)
    g.add_argument("--mem-per-meeting", type=int, default=5)
    g.add_argument(
        "--mem-settle", type=float, default=2.0, help="seconds to wait before each RSS reading"
    )
    args = p.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.scenarios = args.scenarios or list(SCENARIOS)
    if args.procs < 1 or args.procs > 8:
        p.error("--procs must be 1 to 8")
    return args


async def run_scenario(name: str, args, database: Database) -> dict:
    run, render, timeout = SCENARIOS[name]
    extra = dict(item.split("=", 1) for item in args.server_env)
    server = Server(database.dsn, extra, root=args.server_root)
    started = time.monotonic()
    out: dict = {"scenario": name}
    try:
        await server.start()
        log(
            f"{name}: server pid {server.pid} on {server.url} "
            f"(up in {time.monotonic() - started:.1f}s)"
        )
        api_key = await make_account(server.url, database.dsn)
        ctx = Context(server, database, api_key, args)
        out["server_rss_kb_start"] = server.rss_kb()
        profiler = Profiler(args.profile, name, server.pid)
        try:
            out["result"] = await asyncio.wait_for(run(ctx), timeout)
        finally:
            out["profile"] = profiler.stop()
        out["server_rss_kb_end"] = server.rss_kb()
        print(render(out["result"]), flush=True)
    except TimeoutError:
        out["error"] = f"scenario timed out after {timeout}s"
    except Exception as exc:  # report and go on with the next scenario
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        out["server_exit"] = server.stop()
    if "error" in out:
        print(f"{name}: FAILED: {out['error']}", flush=True)
        if server.stop_result.get("log_file"):
            print(f"  server log: {server.stop_result['log_file']}", flush=True)
    ex = out["server_exit"]
    print(
        f"  server: SIGTERM -> exit {ex.get('exit_code')} in {ex.get('stop_seconds')} s"
        f"{' (killed)' if ex.get('killed') else ''}, {ex.get('log_errors')} error line(s)"
        f" in its log; scenario took {time.monotonic() - started:.1f} s\n",
        flush=True,
    )
    return out


async def main(argv=None) -> int:
    args = parse_args(argv)
    uvloop_on = "uvloop" in type(asyncio.get_running_loop()).__module__
    database = Database().open()
    log(f"database: {database.kind}")
    results = []
    t0 = time.monotonic()
    try:
        for name in args.scenarios:
            results.append(await run_scenario(name, args, database))
    finally:
        database.close()
    summary = [
        [
            r["scenario"],
            "FAILED" if "error" in r else "ok",
            r["server_exit"].get("exit_code"),
            r["server_exit"].get("stop_seconds"),
            r["server_exit"].get("log_errors"),
        ]
        for r in results
    ]
    print(
        table("summary", ["scenario", "status", "server exit", "stop s", "log errors"], summary),
        flush=True,
    )
    print(f"total {time.monotonic() - t0:.1f} s", flush=True)
    if args.json:
        print(
            dump_json(
                {
                    "environment": {
                        "python": platform.python_version(),
                        "cpus": os.cpu_count(),
                        "memory_mb": psutil.virtual_memory().total // 2**20,
                        "load_generator_uvloop": uvloop_on,
                        "database": database.kind,
                        "client_processes": args.procs,
                    },
                    "scenarios": {r["scenario"]: r for r in results},
                }
            ),
            flush=True,
        )
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    install_uvloop()
    sys.exit(asyncio.run(main()))
