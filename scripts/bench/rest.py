"""Scenario `rest`: POST /api/meetings and GET /api/meetings/:id at fixed concurrency levels.

For each concurrency c: one aiohttp ClientSession whose connector allows c connections,
c workers sharing a fixed budget of requests (creates first, then gets of the meetings just
created), each phase capped in time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import aiohttp
import orjson
from common import Context, latency_ms, log, table


async def _phase(
    ctx: Context,
    http: aiohttp.ClientSession,
    *,
    concurrency: int,
    count: int,
    cap_s: float,
    request,
) -> dict:
    """`count` requests by `concurrency` workers, stopping early at `cap_s`."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    next_index = iter(range(count))
    deadline = time.monotonic() + cap_s

    async def worker():
        for i in next_index:  # shared iterator: each index is taken once
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            try:
                status = await request(http, i)
            except (TimeoutError, aiohttp.ClientError) as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1

    cpu0 = ctx.cpu.snapshot()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    cpu = ctx.cpu.since(cpu0)
    done = sum(statuses.values())
    return {
        "requests": done,
        "planned": count,
        "capped": done + sum(errors.values()) < count,
        "elapsed_s": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        **latency_ms(latencies),
        "cpu": cpu,
    }


async def run(ctx: Context) -> dict:
    args = ctx.args
    headers = {"x-api-key": ctx.api_key}
    results = []
    for concurrency in args.rest_concurrency:
        ids: list[str | None] = [None] * args.rest_creates

        async def create(http, i, ids=ids):
            async with http.post(
                ctx.url + "/api/meetings", json={"title": f"bench {i}"}, headers=headers
            ) as resp:
                body = await resp.read()
                if resp.status == 201:
                    ids[i] = orjson.loads(body)["meetingId"]
                return resp.status

        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            log(f"rest: concurrency {concurrency}: {args.rest_creates} creates")
            created = await _phase(
                ctx,
                http,
                concurrency=concurrency,
                count=args.rest_creates,
                cap_s=args.rest_cap,
                request=create,
            )
            made = [m for m in ids if m]
            if not made:
                raise RuntimeError(f"no meeting was created: {created['statuses']}")

            async def get(http, i, made=made):
                async with http.get(
                    f"{ctx.url}/api/meetings/{made[i % len(made)]}", headers=headers
                ) as resp:
                    await resp.read()
                    return resp.status

            log(f"rest: concurrency {concurrency}: {args.rest_gets} gets")
            fetched = await _phase(
                ctx,
                http,
                concurrency=concurrency,
                count=args.rest_gets,
                cap_s=args.rest_cap,
                request=get,
            )
        results.append({"concurrency": concurrency, "create": created, "get": fetched})
    return {"levels": results}


def render(result: dict) -> str:
    rows = []
    for level in result["levels"]:
        for op in ("create", "get"):
            r = level[op]
            ok = r["statuses"].get("201" if op == "create" else "200", 0)
            rows.append(
                [
                    op,
                    level["concurrency"],
                    r["requests"],
                    ok,
                    r["elapsed_s"],
                    r["rps"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["max_ms"],
                    r["cpu"]["server_cpu_pct"],
                    r["cpu"]["db_cpu_pct"],
                    r["cpu"]["client_cpu_pct"],
                    r["cpu"]["machine_busy_pct"],
                    "yes" if r["capped"] else "",
                ]
            )
    return table(
        "rest: POST /api/meetings and GET /api/meetings/:id",
        [
            "op",
            "conc",
            "requests",
            "ok",
            "secs",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "srv cpu%",
            "db cpu%",
            "cli cpu%",
            "machine%",
            "capped",
        ],
        rows,
    )
