#!/usr/bin/env node
// Browser-like Socket.IO clients for scripts/bench/cluster.py: socket.io-client over websocket
// with the client's default extensions (permessage-deflate offered, as a browser does), the
// clients of one scenario spread over one or more server URLs as the plan says.
//
//   node cluster.mjs PLAN.json
//
// The parent (cluster.py) meters the servers between phases: before each measured phase this
// prints {"event":"ready","phase":...} on stdout and waits for a line "go" on stdin; when the
// phase is over it prints {"event":"done","phase":...,"result":{...}} at once. The last line is
// {"event":"exit"}. Progress goes to stderr. Loopback URLs only; every loop is bounded in count
// and time, every wait has a timeout, and the whole run stops itself after plan.max_seconds.
import { io } from 'socket.io-client';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const MAX_CLIENTS = 2000;
const EVENT_TIMEOUT_MS = 10000;
const CONNECT_CONCURRENCY = 20;

const log = (...a) => process.stderr.write(`[bench-node ${plan.scenario}] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

for (const url of plan.urls) {
  const host = new URL(url).hostname;
  if (!(host.startsWith('127.') || host === 'localhost' || host === '[::1]')) {
    process.stderr.write(`refusing non-loopback target ${url}\n`);
    process.exit(2);
  }
}
const hardStop = setTimeout(() => {
  send({ event: 'error', error: `max_seconds ${plan.max_seconds} exceeded` });
  process.exit(1);
}, plan.max_seconds * 1000);
hardStop.unref();

// ── talking to the parent ────────────────────────────────────────────────────────────────
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function barrier(phase, info = {}) {
  send({ event: 'ready', phase, ...info });
  const next = await Promise.race([lines.next(), sleep(120000).then(() => ({ done: true }))]);
  if (next.done || next.value.trim() !== 'go') throw new Error(`no "go" for phase ${phase}`);
}
const done = (phase, result) => send({ event: 'done', phase, result });

// ── statistics ───────────────────────────────────────────────────────────────────────────
function latSummary(values) {
  const s = Float64Array.from(values).sort();
  const at = (p) => (s.length ? s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))] : null);
  const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  let sum = 0;
  for (const v of s) sum += v;
  return { n: s.length, p50_ms: r3(at(50)), p90_ms: r3(at(90)), p99_ms: r3(at(99)),
    max_ms: r3(s.length ? s[s.length - 1] : null), mean_ms: r3(s.length ? sum / s.length : null) };
}
const cpuS = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// ── a browser-like participant ───────────────────────────────────────────────────────────
class Participant {
  constructor(idx, url) {
    this.idx = idx; this.url = url; this.pid = null; this.errors = []; this.wait = null; this.joinedData = null;
    // forceNew: one engine.io connection each, as separate browser tabs have.
    this.sock = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false,
      timeout: EVENT_TIMEOUT_MS });
    this.sock.on('joined', (d) => { this.pid = d && d.participantId; this.joinedData = d; this._settle('joined'); });
    this.sock.on('error', (d) => { const m = d && d.message ? d.message : String(d); this.errors.push(m); this._settle('error:' + m); });
    this.sock.on('disconnect', () => this._settle('disconnected'));
  }
  _settle(kind) { if (this.wait) { const w = this.wait; this.wait = null; w([kind, performance.now()]); } }
  get deflate() {
    const ws = this.sock.io.engine && this.sock.io.engine.transport && this.sock.io.engine.transport.ws;
    return Boolean(ws && typeof ws.extensions === 'string' && ws.extensions.includes('permessage-deflate'));
  }
  connect() {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const timer = setTimeout(() => { off(); reject(new Error('connect timeout')); }, EVENT_TIMEOUT_MS + 5000);
      const ok = () => { off(); resolve(performance.now() - t0); };
      const bad = (e) => { off(); reject(e instanceof Error ? e : new Error(String(e))); };
      const off = () => { clearTimeout(timer); this.sock.off('connect', ok); this.sock.off('connect_error', bad); };
      this.sock.once('connect', ok); this.sock.once('connect_error', bad);
      this.sock.connect();
    });
  }
  async join(meetingId, name) {
    const settled = new Promise((r) => { this.wait = r; });
    const t0 = performance.now();
    this.sock.emit('join-meeting', { meetingId, name, isAdmin: false, adminToken: null });
    const [kind, t1] = await Promise.race([settled, sleep(EVENT_TIMEOUT_MS).then(() => ['timeout', null])]);
    this.wait = null;
    return kind === 'joined' ? t1 - t0 : kind;
  }
  close() { try { this.sock.disconnect(); } catch { /* gone already */ } }
}

function participants(count, urlOf, first = 0) {
  if (count > MAX_CLIENTS) throw new Error(`at most ${MAX_CLIENTS} clients`);
  return Array.from({ length: count }, (_, i) => new Participant(first + i, plan.urls[urlOf(first + i)]));
}
const alternate = (i) => i % plan.urls.length; // clients alternate between the servers
// plan.affinity: a meeting's clients all on one server (meeting k on server k mod N), as
// deploy/haproxy.cfg routes connections that name their meeting
const byMeeting = (per, first) => (i) => Math.floor((i - first) / per) % plan.urls.length;

async function connectAll(parts) {
  const latencies = [], failures = {};
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, parts.length) }, async () => {
    while (next < parts.length) {
      const p = parts[next++];
      try { latencies.push(await p.connect()); } catch (e) { failures[e.message] = (failures[e.message] || 0) + 1; }
    }
  }));
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  if (failed) throw new Error(`${failed} connection(s) failed: ${JSON.stringify(failures)}`);
  return { connect: latSummary(latencies), deflate: parts.filter((p) => p.deflate).length, sockets: parts.length };
}
async function closeAll(parts) { parts.forEach((p) => p.close()); await sleep(300); }
function checkJoins(results) {
  const bad = {};
  for (const r of results) if (typeof r !== 'number') bad[r] = (bad[r] || 0) + 1;
  return bad;
}

// A realistic-looking SDP (random ids, fingerprints and candidates, so that it compresses as
// a real one does) of exactly `bytes` bytes.
function fakeSdp(bytes, seed) {
  let x = seed * 2654435761 % 4294967296 || 1;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const hex = (n) => Array.from({ length: n }, () => (rnd() % 256).toString(16).padStart(2, '0')).join('');
  const fp = Array.from({ length: 32 }, () => (rnd() % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  let s = `v=0\r\no=- ${rnd()}${rnd()} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n` +
    `a=msid-semantic: WMS ${hex(16)}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n` +
    `a=ice-ufrag:${hex(2)}\r\na=ice-pwd:${hex(12)}\r\na=fingerprint:sha-256 ${fp}\r\na=setup:actpass\r\na=mid:0\r\n` +
    'a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n';
  let k = 0;
  while (s.length < bytes) {
    s += `a=candidate:${rnd()} 1 udp ${rnd() % 2122260223} 127.0.0.${1 + (k % 250)} ${1024 + (rnd() % 60000)} typ host generation 0 network-id ${k % 4}\r\n` +
      `a=ssrc:${rnd()} cname:${hex(8)}\r\na=ssrc:${rnd()} msid:${hex(16)} ${hex(16)}\r\n`;
    k++;
  }
  return s.slice(0, bytes);
}
const SDP_SIZES = plan.sdp_bytes || [2000, 3000, 4000, 5000, 6000];
const SDPS = SDP_SIZES.map((b, i) => fakeSdp(b, i + 1));
const sdpFor = (seq) => SDPS[seq % SDPS.length];

// ── joins ────────────────────────────────────────────────────────────────────────────────
async function scenarioJoins() {
  let first = 0;
  for (const v of plan.variants) {
    const per = plan.per_meeting;
    const parts = participants(v.meetings.length * per, plan.affinity ? byMeeting(per, first) : alternate, first);
    first += parts.length;
    const learned = new Map(parts.map((p) => [p, []]));
    for (const p of parts) p.sock.on('participant:joined', (d) => learned.get(p).push(d.participantId));
    await barrier(`connect ${v.name}`);
    const c0 = cpuS(), t0 = performance.now();
    const conn = await connectAll(parts);
    done(`connect ${v.name}`, { ...conn, connects: parts.length, wall_s: (performance.now() - t0) / 1000, client_cpu_s: cpuS() - c0 });

    await barrier(`join ${v.name}`);
    const j0 = cpuS(), start = performance.now();
    let next = 0;
    const results = new Array(parts.length);
    const concurrency = v.concurrency || parts.length;
    await Promise.all(Array.from({ length: Math.min(concurrency, parts.length) }, async () => {
      while (next < parts.length) {
        const i = next++;
        results[i] = await parts[i].join(v.meetings[Math.floor(i / per)], `p${parts[i].idx}`);
      }
    }));
    const joinWall = (performance.now() - start) / 1000;
    // Every participant must learn of every other one exactly once (`joined` list or
    // `participant:joined`); wait (bounded) for the announcements, which are part of a join's cost.
    const expected = v.meetings.length * per * (per - 1) / 2;
    const count = () => [...learned.values()].reduce((a, l) => a + l.length, 0);
    const until = performance.now() + 5000;
    while (count() < expected && performance.now() < until) await sleep(10);
    const wall = (performance.now() - start) / 1000;
    let dups = 0, missing = 0;
    for (let m = 0; m < v.meetings.length; m++) {
      const members = parts.slice(m * per, (m + 1) * per).filter((p) => p.pid);
      for (const p of members) {
        const seen = [...(p.joinedData.participants || []).map((x) => x.participantId), ...learned.get(p)];
        const set = new Set(seen);
        dups += seen.length - set.size;
        for (const o of members) if (o !== p && !set.has(o.pid)) missing++;
      }
    }
    const lat = results.filter((r) => typeof r === 'number');
    done(`join ${v.name}`, { variant: v.name, clients: parts.length, per_meeting: per, meetings: v.meetings.length,
      concurrency: v.concurrency || null, joined: lat.length, join_failures: checkJoins(results), join: latSummary(lat),
      joins_per_s: Math.round((lat.length / joinWall) * 10) / 10, join_wall_s: joinWall, wall_s: wall,
      announced: count(), announced_expected: expected, learned_twice: dups, never_learned: missing,
      errors: parts.reduce((a, p) => a + p.errors.length, 0), client_cpu_s: cpuS() - j0 });
    await closeAll(parts);
  }
}

// ── chat ─────────────────────────────────────────────────────────────────────────────────
async function scenarioChat() {
  const n = plan.participants, M = plan.messages, rate = plan.rate, senders = Math.min(plan.senders, n);
  const parts = participants(n, plan.affinity ? () => 0 : alternate);
  await connectAll(parts);
  for (const p of parts) {
    const r = await p.join(plan.meeting, `p${p.idx}`);
    if (typeof r !== 'number') throw new Error(`chat join failed: ${r}`);
  }
  const pad = 'x'.repeat(plan.text_bytes || 32);
  let received = 0, dups = 0, bad = 0, lastArrival = 0;
  const latencies = [], firstLat = new Float64Array(M).fill(-1), lastLat = new Float64Array(M).fill(-1);
  const perReceiver = new Int32Array(n);
  for (const p of parts) {
    const seen = new Uint8Array(M);
    p.sock.on('chat:message', (d) => {
      const now = performance.now();
      const f = typeof d?.text === 'string' ? d.text.split('|') : [];
      const seq = parseInt(f[1], 10), sent = parseFloat(f[2]);
      if (!(seq >= 0 && seq < M) || !(sent > 0)) { bad++; return; }
      if (seen[seq]) { dups++; return; }
      seen[seq] = 1; received++; perReceiver[p.idx]++; lastArrival = now;
      const lat = now - sent;
      latencies.push(lat);
      if (firstLat[seq] < 0) firstLat[seq] = lat;
      lastLat[seq] = lat;
    });
  }
  await sleep(300);
  await barrier('chat', { deflate: parts.filter((p) => p.deflate).length, sockets: n });
  const c0 = cpuS(), t0 = performance.now(), interval = 1000 / rate, lags = [];
  let sent = 0;
  for (let i = 0; i < M; i++) {
    const target = t0 + i * interval, d = target - performance.now();
    if (d > 1) await sleep(d); else if (i % 64 === 0) await sleep(0);
    const now = performance.now();
    if (now - t0 > plan.cap_s * 1000) break;
    lags.push(Math.max(0, now - target));
    parts[i % senders].sock.emit('chat:message', { text: `B|${i}|${now.toFixed(3)}|${pad}` });
    sent++;
  }
  const expected = sent * n; // the sender gets its own message too
  const until = performance.now() + plan.drain_s * 1000;
  while (received < expected && performance.now() < until) await sleep(20);
  const span = lastArrival ? (lastArrival - t0) / 1000 : null;
  const firsts = [], lasts = [], spread = [];
  for (let s = 0; s < sent; s++) if (firstLat[s] >= 0) { firsts.push(firstLat[s]); lasts.push(lastLat[s]); spread.push(lastLat[s] - firstLat[s]); }
  done('chat', { participants: n, senders, messages: sent, planned_messages: M, rate_per_s: rate,
    expected_deliveries: expected, delivered: received, lost: expected - received, duplicates: dups, unparsable: bad,
    receivers_short: [...perReceiver].filter((c) => c < sent).length,
    delivered_per_s: span ? Math.round((received / span) * 10) / 10 : null, span_s: span,
    delivery: latSummary(latencies), first_receiver: latSummary(firsts), last_receiver: latSummary(lasts),
    fanout_spread: latSummary(spread), send_lag: latSummary(lags),
    errors: parts.reduce((a, p) => a + p.errors.length, 0), error_sample: parts.flatMap((p) => p.errors).slice(0, 3),
    deflate: parts.filter((p) => p.deflate).length, sockets: n, client_cpu_s: cpuS() - c0 });
  await closeAll(parts);
}

// ── signaling: offer/answer round trips ──────────────────────────────────────────────────
// One pair: A sends an offer, B answers it on receipt, A sends the next offer on the answer.
function runPair(a, b, rounds, deadline, rtts) {
  return new Promise((resolve) => {
    let seq = 0, t0 = 0, timer = null, lost = 0;
    b.sock.on('signal:offer', (d) => {
      b.sock.emit('signal:answer', { to: d.from, answer: { type: 'answer', sdp: sdpFor(d.offer.seq + 1), seq: d.offer.seq } });
    });
    const next = () => {
      if (seq >= rounds || performance.now() >= deadline) { a.sock.off('signal:answer'); b.sock.off('signal:offer'); resolve(lost); return; }
      t0 = performance.now();
      const mine = seq;
      timer = setTimeout(() => { lost++; seq++; next(); }, EVENT_TIMEOUT_MS);
      a.sock.emit('signal:offer', { to: b.pid, offer: { type: 'offer', sdp: sdpFor(mine), seq: mine } });
    };
    a.sock.on('signal:answer', (d) => {
      if (!d || !d.answer || d.answer.seq !== seq) return; // a stale answer after a timeout
      clearTimeout(timer);
      rtts.push(performance.now() - t0);
      seq++;
      next();
    });
    next();
  });
}

async function setupPairs(specs) {
  // specs: [{meeting, a_url, b_url}]: A and B of each pair on the servers the plan names
  const pairs = [];
  for (const [k, s] of specs.entries()) {
    const a = new Participant(2 * k, plan.urls[s.a_url]), b = new Participant(2 * k + 1, plan.urls[s.b_url]);
    pairs.push([a, b]);
  }
  const all = pairs.flat();
  const conn = await connectAll(all);
  for (const [k, [a, b]] of pairs.entries()) {
    for (const p of [a, b]) {
      const r = await p.join(specs[k].meeting, `s${p.idx}`);
      if (typeof r !== 'number') throw new Error(`signaling join failed: ${r}`);
    }
  }
  return { pairs, deflate: conn.deflate, sockets: all.length };
}

async function scenarioSignaling() {
  const { pairs, deflate, sockets } = await setupPairs(plan.pairs);
  await barrier('signaling', { deflate, sockets });
  const c0 = cpuS(), t0 = performance.now(), rtts = [];
  const lost = await Promise.all(pairs.map(([a, b]) => runPair(a, b, plan.rounds, t0 + plan.cap_s * 1000, rtts)));
  const wall = (performance.now() - t0) / 1000;
  done('signaling', { pairs: pairs.length, sdp_bytes: SDP_SIZES, round_trips: rtts.length,
    relays: 2 * rtts.length, lost: lost.reduce((a, b) => a + b, 0), wall_s: wall,
    round_trips_per_s: Math.round((rtts.length / wall) * 10) / 10, relays_per_s: Math.round((2 * rtts.length / wall) * 10) / 10,
    rtt: latSummary(rtts), errors: pairs.flat().reduce((a, p) => a + p.errors.length, 0),
    error_sample: pairs.flat().flatMap((p) => p.errors).slice(0, 3), deflate, sockets, client_cpu_s: cpuS() - c0 });
  await closeAll(pairs.flat());
}

// ── rtt: one pair at a time, nothing else running: the round trip itself ──────────────────
async function scenarioRtt() {
  for (const v of plan.variants) {
    const { pairs, deflate, sockets } = await setupPairs([v]);
    const [[a, b]] = pairs;
    await runPair(a, b, plan.warmup, performance.now() + 5000, []);
    await barrier(`rtt ${v.name}`, { deflate, sockets });
    const c0 = cpuS(), t0 = performance.now(), rtts = [];
    const lost = await runPair(a, b, plan.rounds, t0 + plan.cap_s * 1000, rtts);
    const wall = (performance.now() - t0) / 1000;
    done(`rtt ${v.name}`, { variant: v.name, a_server: v.a_url, b_server: v.b_url, sdp_bytes: SDP_SIZES,
      round_trips: rtts.length, relays: 2 * rtts.length, lost, wall_s: wall, rtt: latSummary(rtts),
      errors: a.errors.length + b.errors.length, deflate, sockets, client_cpu_s: cpuS() - c0 });
    await closeAll([a, b]);
  }
}

const scenarios = { joins: scenarioJoins, chat: scenarioChat, signaling: scenarioSignaling, rtt: scenarioRtt };
try {
  await scenarios[plan.scenario]();
  send({ event: 'exit' });
  process.exit(0);
} catch (e) {
  send({ event: 'error', error: String(e && e.stack || e) });
  process.exit(1);
}
