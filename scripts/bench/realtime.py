"""Socket.IO scenarios: `joins`, `chat`, `signaling` and `memory`.

The python-socketio clients run in child processes ("shards", one event loop each, uvloop
when installed); the parent makes meetings over REST, releases the shards phase by phase
and meters the server between phases. With --procs 1 every client lives in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time

import aiohttp
import socketio
from common import (
    Context,
    OrjsonForSocketIO,
    Shards,
    create_meetings,
    latency_ms,
    log,
    process_cpu_seconds,
    table,
)

CONNECT_CONCURRENCY = 20
EVENT_TIMEOUT = 10.0  # seconds for any one expected event


class GcWatch:
    """Pauses of the load generator's own garbage collector (they add to its latencies)."""

    def __init__(self):
        self.pauses: list[float] = []
        self._t = 0.0

    def _callback(self, phase, _info):
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._t)

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict:
        return {
            "collections": len(self.pauses),
            "total_ms": round(1000 * sum(self.pauses), 2),
            "max_ms": round(1000 * max(self.pauses), 3) if self.pauses else 0.0,
        }


# --- the client side (runs inside a shard) --------------------------------------------------


class Peer:
    """One python-socketio client over websocket, with what the scenarios measure."""

    def __init__(self, url: str, http: aiohttp.ClientSession):
        self.url = url
        self.sio = socketio.AsyncClient(
            reconnection=False,
            http_session=http,
            handle_sigint=False,
            json=OrjsonForSocketIO,
            request_timeout=10,
        )
        self.participant_id: str | None = None
        self.pending: asyncio.Future | None = None  # the join or answer being waited for
        self.pending_seq = -1
        self.errors: list = []
        self.sio.on("joined", self._on_joined)
        self.sio.on("error", self._on_error)

    def _on_joined(self, data):
        now = time.perf_counter()
        if self.pending is not None and not self.pending.done():
            self.pending.set_result((now, data))

    def _on_error(self, data):
        self.errors.append(data)
        if self.pending is not None and not self.pending.done():
            self.pending.set_exception(RuntimeError(f"server error event: {data}"))

    async def connect(self) -> float:
        t0 = time.perf_counter()
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=EVENT_TIMEOUT)
        return time.perf_counter() - t0

    async def join(self, meeting_id: str, name: str) -> float:
        """Emit join-meeting and wait for `joined`; the latency in seconds."""
        self.pending = asyncio.get_running_loop().create_future()
        t0 = time.perf_counter()
        await self.sio.emit("join-meeting", {"meetingId": meeting_id, "name": name})
        arrived, data = await asyncio.wait_for(self.pending, EVENT_TIMEOUT)
        self.pending = None
        self.participant_id = data["participantId"]
        return arrived - t0

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class Pool:
    """Peers sharing one aiohttp session (no connection limit: each websocket holds one)."""

    def __init__(self, url: str):
        self.url = url
        self.http: aiohttp.ClientSession | None = None
        self.peers: list[Peer] = []

    async def __aenter__(self) -> Pool:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close_all()
        await self.http.close()

    def new(self, count: int) -> list[Peer]:
        peers = [Peer(self.url, self.http) for _ in range(count)]
        self.peers += peers
        return peers

    async def connect(self, peers: list[Peer], concurrency: int = CONNECT_CONCURRENCY):
        sem = asyncio.Semaphore(concurrency)

        async def one(p):
            async with sem:
                return await p.connect()

        return await asyncio.wait_for(asyncio.gather(*(one(p) for p in peers)), 120)

    async def close_all(self) -> None:
        peers, self.peers = self.peers, []
        sem = asyncio.Semaphore(50)

        async def one(p):
            async with sem:
                await p.close()

        await asyncio.wait_for(asyncio.gather(*(one(p) for p in peers), return_exceptions=True), 60)


async def join_all(peers: list[Peer], targets: list[str], concurrency: int | None) -> list[float]:
    """Join peers[i] to targets[i]; at most `concurrency` joins in flight (None: all)."""
    sem = asyncio.Semaphore(concurrency or len(peers))

    async def one(i, p):
        async with sem:
            return await p.join(targets[i], f"p{i}")

    return await asyncio.wait_for(asyncio.gather(*(one(i, p) for i, p in enumerate(peers))), 120)


# --- joins ---------------------------------------------------------------------------------


async def joins_shard(
    ch, url: str, variants: list[tuple[str, list[str], int | None]], per_meeting: int
) -> None:
    async with Pool(url) as pool:
        for name, meeting_ids, concurrency in variants:
            targets = [m for m in meeting_ids for _ in range(per_meeting)]
            peers = pool.new(len(targets))
            connects = await pool.connect(peers)
            ch.report("connected", {"connect": latency_ms(connects)})
            await ch.wait("go")
            cpu0, t0 = process_cpu_seconds(), time.perf_counter()
            latencies = await join_all(peers, targets, concurrency)
            wall = time.perf_counter() - t0
            ch.report(
                "joined",
                {
                    "variant": name,
                    "latencies": latencies,
                    "wall_s": wall,
                    "cpu_s": process_cpu_seconds() - cpu0,
                    "errors": sum(len(p.errors) for p in peers),
                },
            )
            await ch.wait("next")
            await pool.close_all()
        ch.report("done")


async def run_joins(ctx: Context) -> dict:
    a = ctx.args
    meetings = a.joins_participants // a.joins_per_meeting
    rows = await create_meetings(ctx.url, ctx.api_key, 2 * meetings, title="joins")
    ids = [m["meetingId"] for m in rows]
    variants = [
        (f"bounded {a.joins_concurrency}", ids[:meetings], a.joins_concurrency),
        ("all at once", ids[meetings:], None),
    ]
    shards = Shards(joins_shard, [(ctx.url, variants, a.joins_per_meeting)]).start()
    results = []
    try:
        for name, _, _ in variants:
            log(f"joins: {a.joins_participants} clients connecting ({name})")
            (connected,) = await shards.collect("connected", 120)
            rss0 = ctx.server.rss_kb()
            cpu0 = ctx.cpu.snapshot()
            shards.release("go")
            (joined,) = await shards.collect("joined", 120)
            cpu = ctx.cpu.since(cpu0, clients_cpu_s=joined["cpu_s"])
            results.append(
                {
                    "variant": name,
                    "participants": len(joined["latencies"]),
                    "meetings": meetings,
                    "join": latency_ms(joined["latencies"]),
                    "joins_per_s": round(len(joined["latencies"]) / joined["wall_s"], 1),
                    "wall_s": round(joined["wall_s"], 3),
                    "connect": connected["connect"],
                    "errors": joined["errors"],
                    "server_rss_kb_before_join": rss0,
                    "cpu": cpu,
                }
            )
            shards.release("next")
        await shards.collect("done", 60)
    finally:
        shards.stop()
    return {"variants": results}


def render_joins(result: dict) -> str:
    rows = [
        [
            r["variant"],
            r["participants"],
            r["meetings"],
            r["join"]["p50_ms"],
            r["join"]["p99_ms"],
            r["join"]["max_ms"],
            r["joins_per_s"],
            r["connect"]["p50_ms"],
            r["connect"]["p99_ms"],
            r["errors"],
            r["cpu"]["server_cpu_pct"],
            r["cpu"]["client_cpu_pct"],
        ]
        for r in result["variants"]
    ]
    return table(
        "joins: emit join-meeting -> `joined` (meetings of "
        f"{rows[0][1] // rows[0][2] if rows else '?'})",
        [
            "variant",
            "clients",
            "meetings",
            "p50 ms",
            "p99 ms",
            "max ms",
            "joins/s",
            "conn p50",
            "conn p99",
            "errors",
            "srv cpu%",
            "cli cpu%",
        ],
        rows,
    )


# --- chat ----------------------------------------------------------------------------------


async def chat_shard(
    ch,
    url: str,
    meeting_id: str,
    first: int,
    count: int,
    senders: int,
    total: int,
    rate: float,
    drain_s: float,
) -> None:
    async with Pool(url) as pool:
        peers = pool.new(count)
        await pool.connect(peers)
        for i, p in enumerate(peers):  # one meeting: join one at a time
            await p.join(meeting_id, f"p{first + i}")

        latencies: list[float] = []
        first_lat = [None] * total  # per message: its first and last arrival in this shard
        last_lat = [None] * total
        state = {"dups": 0, "bad": 0, "last": 0.0, "complete": 0}
        all_in = asyncio.Event()

        def recorder():
            seen = bytearray(total)
            got = [0]

            def on_chat(data):
                now = time.monotonic()
                try:
                    seq_text, sent_text = data["text"].split(" ", 1)
                    seq, sent = int(seq_text), float(sent_text)
                except (KeyError, ValueError, AttributeError):
                    state["bad"] += 1
                    return
                if seen[seq]:
                    state["dups"] += 1
                    return
                seen[seq] = 1
                got[0] += 1
                latency = now - sent
                latencies.append(latency)
                if first_lat[seq] is None:
                    first_lat[seq] = latency
                last_lat[seq] = latency
                state["last"] = now
                if got[0] == total:
                    state["complete"] += 1
                    if state["complete"] == len(peers):
                        all_in.set()

            return on_chat, got

        counters = []
        for p in peers:
            handler, got = recorder()
            p.sio.on("chat:message", handler)
            counters.append(got)
        ch.report("ready", {"peers": len(peers)})

        t0 = await ch.wait("go")
        gc.collect()
        watch = GcWatch().__enter__()
        cpu0 = process_cpu_seconds()
        lags: list[float] = []
        first_send = None
        if senders:
            delay = t0 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stop_at = t0 + total / rate + drain_s
            for seq in range(total):
                target = t0 + seq / rate
                delay = target - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = time.monotonic()
                if now > stop_at:
                    break
                lags.append(now - target)
                first_send = first_send or now
                await peers[seq % senders].sio.emit("chat:message", {"text": f"{seq} {now:.6f}"})
        deadline = t0 + total / rate + drain_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), max(0.1, deadline - time.monotonic()))
        watch.__exit__()
        ch.report(
            "result",
            {
                "received": [c[0] for c in counters],
                "latencies": latencies,
                "first_lat": first_lat,
                "last_lat": last_lat,
                "gc": watch.summary(),
                "dups": state["dups"],
                "bad": state["bad"],
                "last_arrival": state["last"],
                "first_send": first_send,
                "send_lag": latency_ms(lags) if senders else None,
                "cpu_s": process_cpu_seconds() - cpu0,
                "errors": sum(len(p.errors) for p in peers),
                "error_sample": [e for p in peers for e in p.errors][:3],
            },
        )
        await ch.wait("finish")
    ch.report("done")


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    """(first, count) of `parts` nearly equal slices of range(n)."""
    out, first = [], 0
    for k in range(parts):
        count = n // parts + (1 if k < n % parts else 0)
        out.append((first, count))
        first += count
    return out


async def run_chat(ctx: Context) -> dict:
    a = ctx.args
    if a.chat_guest:  # no database write per message: isolates the database's share
        async with (
            aiohttp.ClientSession() as http,
            http.post(ctx.url + "/api/meetings/guest", json={"title": "chat"}) as resp,
        ):
            if resp.status != 201:
                raise RuntimeError(f"guest meeting: {resp.status} {await resp.text()}")
            mid = (await resp.json())["meetingId"]
    else:
        (meeting,) = await create_meetings(
            ctx.url, ctx.api_key, 1, title="chat", maxParticipants=max(a.chat_participants, 2)
        )
        mid = meeting["meetingId"]
    args = [
        (
            ctx.url,
            mid,
            first,
            count,
            a.chat_senders if k == 0 else 0,
            a.chat_messages,
            a.chat_rate,
            a.chat_drain,
        )
        for k, (first, count) in enumerate(_split(a.chat_participants, a.procs))
    ]
    shards = Shards(chat_shard, args).start()
    try:
        log(
            f"chat: {a.chat_participants} participants joining one meeting "
            f"({len(shards)} client process(es))"
        )
        await shards.collect("ready", 120)
        rss0 = ctx.server.rss_kb()
        t0 = time.monotonic() + 0.5
        cpu0 = ctx.cpu.snapshot()
        log(
            f"chat: {a.chat_messages} messages at {a.chat_rate:g}/s from {a.chat_senders} sender(s)"
        )
        shards.release("go", t0)
        results = await shards.collect("result", a.chat_messages / a.chat_rate + a.chat_drain + 30)
        cpu = ctx.cpu.since(cpu0, clients_cpu_s=sum(r["cpu_s"] for r in results))
        rss1 = ctx.server.rss_kb()
        shards.release("finish")
        await shards.collect("done", 60)
    finally:
        shards.stop()
    received = sum(sum(r["received"]) for r in results)
    expected = a.chat_messages * a.chat_participants
    latencies = [x for r in results for x in r["latencies"]]
    first_send = results[0]["first_send"]
    last = max(r["last_arrival"] for r in results)
    span = (last - first_send) if first_send and last else None
    short = sorted(c for r in results for c in r["received"] if c < a.chat_messages)
    firsts, lasts = [], []
    for seq in range(a.chat_messages):
        got = [r["first_lat"][seq] for r in results if r["first_lat"][seq] is not None]
        if got:
            firsts.append(min(got))
            lasts.append(max(r["last_lat"][seq] for r in results if r["last_lat"][seq] is not None))
    return {
        "participants": a.chat_participants,
        "messages": a.chat_messages,
        "rate_per_s": a.chat_rate,
        "senders": a.chat_senders,
        "client_processes": len(args),
        "expected_deliveries": expected,
        "received": received,
        "lost": expected - received,
        "duplicates": sum(r["dups"] for r in results),
        "unparsable": sum(r["bad"] for r in results),
        "receivers_short": len(short),
        "delivery": latency_ms(latencies),
        "first_receiver": latency_ms(firsts),
        "last_receiver": latency_ms(lasts),
        "fanout_spread": latency_ms([b - f for f, b in zip(firsts, lasts, strict=True)]),
        "client_gc": [r["gc"] for r in results],
        "guest_meeting": a.chat_guest,
        "delivered_per_s": round(received / span, 1) if span else None,
        "span_s": round(span, 3) if span else None,
        "send_lag": results[0]["send_lag"],
        "errors": sum(r["errors"] for r in results),
        "error_sample": [e for r in results for e in r["error_sample"]][:3],
        "server_rss_kb": {"before": rss0, "after": rss1},
        "cpu": cpu,
    }


def render_chat(r: dict) -> str:
    d = r["delivery"]
    split = table(
        "chat: where the delivery time goes (per message: first and last receiver to get it)",
        ["", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [name, x.get("p50_ms"), x.get("p90_ms"), x.get("p99_ms"), x.get("max_ms")]
            for name, x in (
                ("first receiver", r["first_receiver"]),
                ("last receiver", r["last_receiver"]),
                ("last - first", r["fanout_spread"]),
                ("sender lag", r["send_lag"] or {}),
            )
        ]
        + [
            [f"client gc (proc {i}): {g['collections']} runs", None, None, None, g["max_ms"]]
            for i, g in enumerate(r["client_gc"])
        ],
    )
    return (
        table(
            f"chat: {r['participants']} participants, {r['messages']} messages at "
            f"{r['rate_per_s']:g}/s, {r['senders']} sender(s), {r['client_processes']} client proc"
            f"{', guest meeting (no db write)' if r['guest_meeting'] else ''}",
            [
                "expected",
                "received",
                "lost",
                "dups",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "deliv/s",
                "send lag p99",
                "errors",
                "srv cpu%",
                "db cpu%",
                "cli cpu%",
                "machine%",
            ],
            [
                [
                    r["expected_deliveries"],
                    r["received"],
                    r["lost"],
                    r["duplicates"],
                    d["p50_ms"],
                    d["p90_ms"],
                    d["p99_ms"],
                    d["max_ms"],
                    r["delivered_per_s"],
                    r["send_lag"]["p99_ms"] if r["send_lag"] else None,
                    r["errors"],
                    r["cpu"]["server_cpu_pct"],
                    r["cpu"]["db_cpu_pct"],
                    r["cpu"]["client_cpu_pct"],
                    r["cpu"]["machine_busy_pct"],
                ]
            ],
        )
        + "\n"
        + split
    )


# --- signaling -----------------------------------------------------------------------------


async def signaling_shard(
    ch, url: str, meeting_ids: list[str], rounds: int, cap_s: float, sdp_bytes: int
) -> None:
    sdp = "v=0 " + "x" * max(0, sdp_bytes - 4)
    async with Pool(url) as pool:
        pairs = []
        for mid in meeting_ids:
            a, b = pool.new(2)
            pairs.append((mid, a, b))
        await pool.connect([p for _, a, b in pairs for p in (a, b)])
        for k, (mid, a, b) in enumerate(pairs):
            await a.join(mid, f"A{k}")
            await b.join(mid, f"B{k}")

            def answerer(b=b):
                async def on_offer(data):
                    await b.sio.emit(
                        "signal:answer",
                        {
                            "to": data["from"],
                            "answer": {"type": "answer", "sdp": sdp, "seq": data["offer"]["seq"]},
                        },
                    )

                return on_offer

            def receiver(a=a):
                def on_answer(data):
                    now = time.perf_counter()
                    fut = a.pending
                    if (
                        fut is not None
                        and not fut.done()
                        and data["answer"]["seq"] == a.pending_seq
                    ):
                        fut.set_result(now)

                return on_answer

            b.sio.on("signal:offer", answerer())
            a.sio.on("signal:answer", receiver())
        ch.report("ready", {"pairs": len(pairs)})

        t0 = await ch.wait("go")
        delay = t0 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        gc.collect()
        watch = GcWatch().__enter__()
        cpu0 = process_cpu_seconds()
        start = time.perf_counter()
        deadline = time.monotonic() + cap_s
        rtts: list[float] = []
        timeouts = [0]

        async def run_pair(a: Peer, b: Peer):
            loop = asyncio.get_running_loop()
            for seq in range(rounds):
                if time.monotonic() > deadline:
                    return
                fut = loop.create_future()
                a.pending, a.pending_seq = fut, seq
                sent = time.perf_counter()
                await a.sio.emit(
                    "signal:offer",
                    {
                        "to": b.participant_id,
                        "offer": {"type": "offer", "sdp": sdp, "seq": seq},
                    },
                )
                try:
                    arrived = await asyncio.wait_for(fut, EVENT_TIMEOUT)
                except TimeoutError:
                    timeouts[0] += 1
                    return
                rtts.append(arrived - sent)

        await asyncio.gather(*(run_pair(a, b) for _, a, b in pairs))
        elapsed = time.perf_counter() - start
        watch.__exit__()
        ch.report(
            "result",
            {
                "gc": watch.summary(),
                "round_trips": len(rtts),
                "rtts": rtts,
                "elapsed_s": elapsed,
                "timeouts": timeouts[0],
                "cpu_s": process_cpu_seconds() - cpu0,
                "errors": sum(len(p.errors) for _, a, b in pairs for p in (a, b)),
                "error_sample": [e for _, a, b in pairs for p in (a, b) for e in p.errors][:3],
            },
        )
        await ch.wait("finish")
    ch.report("done")


async def run_signaling(ctx: Context) -> dict:
    a = ctx.args
    rows = await create_meetings(
        ctx.url, ctx.api_key, a.sig_pairs, title="signaling", maxParticipants=2
    )
    ids = [m["meetingId"] for m in rows]
    args = [
        (ctx.url, ids[first : first + count], a.sig_rounds, a.sig_cap, a.sig_sdp_bytes)
        for first, count in _split(len(ids), a.procs)
        if count
    ]
    shards = Shards(signaling_shard, args).start()
    try:
        log(f"signaling: {a.sig_pairs} pairs joining ({len(shards)} client process(es))")
        await shards.collect("ready", 120)
        t0 = time.monotonic() + 0.5
        cpu0 = ctx.cpu.snapshot()
        log(f"signaling: {a.sig_rounds} offer/answer round trips per pair (cap {a.sig_cap:g} s)")
        shards.release("go", t0)
        results = await shards.collect("result", a.sig_cap + 30)
        cpu = ctx.cpu.since(cpu0, clients_cpu_s=sum(r["cpu_s"] for r in results))
        shards.release("finish")
        await shards.collect("done", 60)
    finally:
        shards.stop()
    trips = sum(r["round_trips"] for r in results)
    elapsed = max(r["elapsed_s"] for r in results)
    return {
        "pairs": a.sig_pairs,
        "rounds_per_pair": a.sig_rounds,
        "sdp_bytes": a.sig_sdp_bytes,
        "client_processes": len(args),
        "round_trips": trips,
        "planned_round_trips": a.sig_pairs * a.sig_rounds,
        "elapsed_s": round(elapsed, 3),
        "relays_per_s": round(2 * trips / elapsed, 1),
        "round_trips_per_s": round(trips / elapsed, 1),
        "rtt": latency_ms([x for r in results for x in r["rtts"]]),
        "timeouts": sum(r["timeouts"] for r in results),
        "client_gc": [r["gc"] for r in results],
        "errors": sum(r["errors"] for r in results),
        "error_sample": [e for r in results for e in r["error_sample"]][:3],
        "cpu": cpu,
    }


def render_signaling(r: dict) -> str:
    t = r["rtt"]
    return table(
        f"signaling: {r['pairs']} pairs, offer -> answer round trips ({r['sdp_bytes']} B sdp), "
        f"{r['client_processes']} client proc",
        [
            "round trips",
            "planned",
            "secs",
            "relays/s",
            "rtt p50",
            "rtt p90",
            "rtt p99",
            "rtt max",
            "timeouts",
            "errors",
            "srv cpu%",
            "cli cpu%",
            "machine%",
        ],
        [
            [
                r["round_trips"],
                r["planned_round_trips"],
                r["elapsed_s"],
                r["relays_per_s"],
                t["p50_ms"],
                t["p90_ms"],
                t["p99_ms"],
                t["max_ms"],
                r["timeouts"],
                r["errors"],
                r["cpu"]["server_cpu_pct"],
                r["cpu"]["client_cpu_pct"],
                r["cpu"]["machine_busy_pct"],
            ]
        ],
    )


# --- memory --------------------------------------------------------------------------------


async def memory_shard(
    ch, url: str, warm_id: str, meeting_ids: list[str], per_meeting: int, warmup: int
) -> None:
    async with Pool(url) as pool:
        warm = pool.new(warmup)
        await pool.connect(warm)
        await join_all(warm, [warm_id] * warmup, CONNECT_CONCURRENCY)
        await pool.close_all()
        ch.report("warm")

        await ch.wait("connect")
        targets = [m for m in meeting_ids for _ in range(per_meeting)]
        peers = pool.new(len(targets))
        await pool.connect(peers)
        ch.report("connected")

        await ch.wait("join")
        latencies = await join_all(peers, targets, CONNECT_CONCURRENCY)
        ch.report(
            "joined", {"join": latency_ms(latencies), "errors": sum(len(p.errors) for p in peers)}
        )
        await ch.wait("finish")
    ch.report("done")


async def run_memory(ctx: Context) -> dict:
    a = ctx.args
    meetings = a.mem_participants // a.mem_per_meeting
    rows = await create_meetings(ctx.url, ctx.api_key, meetings + 1, title="memory")
    ids = [m["meetingId"] for m in rows]
    shards = Shards(memory_shard, [(ctx.url, ids[0], ids[1:], a.mem_per_meeting, 10)]).start()
    settle = a.mem_settle
    try:
        await shards.collect("warm", 120)
        await asyncio.sleep(settle)
        rss0 = ctx.server.rss_kb()
        log(f"memory: server RSS {rss0} kB; connecting {meetings * a.mem_per_meeting} clients")
        shards.release("connect")
        await shards.collect("connected", 120)
        await asyncio.sleep(settle)
        rss1 = ctx.server.rss_kb()
        log(f"memory: server RSS {rss1} kB after connecting; joining")
        shards.release("join")
        (joined,) = await shards.collect("joined", 120)
        await asyncio.sleep(settle)
        rss2 = ctx.server.rss_kb()
        log(f"memory: server RSS {rss2} kB after joining")
        shards.release("finish")
        await shards.collect("done", 60)
    finally:
        shards.stop()
    n = meetings * a.mem_per_meeting
    return {
        "participants": n,
        "meetings": meetings,
        "rss_kb": {"before": rss0, "connected": rss1, "joined": rss2},
        "kb_per_participant": round((rss2 - rss0) / n, 1),
        "kb_per_connection": round((rss1 - rss0) / n, 1),
        "kb_per_join": round((rss2 - rss1) / n, 1),
        "join": joined["join"],
        "errors": joined["errors"],
    }


def render_memory(r: dict) -> str:
    k = r["rss_kb"]
    return table(
        f"memory: server RSS around {r['participants']} idle participants "
        f"({r['meetings']} meetings)",
        [
            "RSS before kB",
            "connected kB",
            "joined kB",
            "kB/participant",
            "of which connect",
            "of which join",
            "join p99 ms",
            "errors",
        ],
        [
            [
                k["before"],
                k["connected"],
                k["joined"],
                r["kb_per_participant"],
                r["kb_per_connection"],
                r["kb_per_join"],
                r["join"]["p99_ms"],
                r["errors"],
            ]
        ],
    )
