#!/usr/bin/env node
// Browser-like Socket.IO clients for the shutdown tests: socket.io-client with its default
// reconnection, each joining a meeting, printing what happens to them as JSON lines on stdout.
//
//   node reconnecting_clients.mjs URL MEETING_IDS COUNT TRANSPORT [MAX_SECONDS]
//   MEETING_IDS: comma-separated; client i joins the (i mod n)th
//   TRANSPORT: websocket | polling (never upgrades) | default (polling, then upgrade to websocket)
//
// Lines: {"event": "joined"|"meeting:ended"|"disconnect"|"reconnect_attempt"|"connect_error",
// "client": i, ...}
// (a disconnect carries socket.io's reason and, for a websocket, the close code) and
// {"event": "ready"} once every client has joined (and, for "default", upgraded).
// Exits after MAX_SECONDS (default 60, at most 300); at most 200 clients.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { io } = require('socket.io-client');

const [url, meetingIds, countArg, transport, maxSecondsArg] = process.argv.slice(2);
const count = Math.min(parseInt(countArg, 10), 200);
const maxSeconds = Math.min(parseFloat(maxSecondsArg || '60'), 300);
const meetings = (meetingIds || '').split(',').filter(Boolean);
const TRANSPORTS = ['websocket', 'polling', 'default'];
if (!url || !meetings.length || !(count > 0) || !TRANSPORTS.includes(transport)) {
  process.stderr.write(`usage: reconnecting_clients.mjs URL MEETING_IDS COUNT ${TRANSPORTS.join('|')} [MAX_SECONDS]\n`);
  process.exit(2);
}

const say = (event, client, extra = {}) =>
  process.stdout.write(JSON.stringify({ event, client, transport, t: Date.now(), ...extra }) + '\n');

let joined = 0;
const sockets = [];
for (let i = 0; i < count; i++) {
  const options = transport === 'default' ? {} : { transports: [transport], upgrade: false };
  const socket = io(url, { ...options, timeout: 5000 });
  sockets.push(socket);
  const meetingId = meetings[i % meetings.length];
  socket.on('connect', () => socket.emit('join-meeting', { meetingId, name: `client ${i}` }));
  socket.once('joined', () => {
    const engine = socket.io.engine;
    const settled = () => {
      say('joined', i, { on: engine.transport.name });
      if (++joined === count) say('ready', null);
    };
    // "default" clients count once they are on the websocket they upgrade to.
    if (transport !== 'default' || engine.transport.name === 'websocket') settled();
    else engine.once('upgrade', settled);
  });
  socket.on('disconnect', (reason, details) => {
    const close = details && details.context;  // the websocket's CloseEvent, if any
    say('disconnect', i, {
      reason,
      description: details && details.description,
      code: close && typeof close.code === 'number' ? close.code : null,
    });
  });
  socket.on('meeting:ended', (data) => say('meeting:ended', i, { data }));
  socket.on('connect_error', (err) => say('connect_error', i, { message: String(err && err.message) }));
  socket.io.on('reconnect_attempt', (attempt) => say('reconnect_attempt', i, { attempt }));
}

const stop = () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
};
setTimeout(stop, maxSeconds * 1000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Keep the process alive even while every socket is between reconnection attempts.
setInterval(() => {}, 1000);
