// Bots over Socket.IO: joining, chat between two bots, host actions they hear, errors.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { baseUrl, Bot, io, joinMeeting, keyClient, OnepizzaError, rejects } from "./support.mjs";

const bots = [];
async function join(options) {
  const bot = await joinMeeting({ io, baseUrl, ...options });
  bots.push(bot);
  return bot;
}

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.leave()));
});

test("a bot joins a meeting and exchanges chat with a second bot", async () => {
  const op = keyClient();
  const { meetingId, adminToken } = await op.meetings.create({ title: "Bots" });
  const host = await join({ meetingId, name: "Host bot", adminToken });
  assert.equal(host.joined.isAdmin, true);
  assert.equal(host.joined.title, "Bots");
  assert.deepEqual(host.joined.participants, []);
  assert.equal(host.participantId, host.joined.participantId);

  const arrived = host.waitFor("participant:joined");
  const guest = await join({ meetingId, name: "Guest bot" });
  assert.equal(guest.joined.isAdmin, false);
  assert.deepEqual(guest.joined.participants.map((p) => p.name), ["Host bot"]);
  const arrival = await arrived;
  assert.equal(arrival.name, "Guest bot");
  assert.equal(arrival.participantId, guest.participantId);

  const heardByHost = host.waitFor("chat:message");
  const heardByGuest = guest.waitFor("chat:message");
  guest.chat("Hello from the guest bot");
  const message = await heardByHost;
  assert.equal(message.text, "Hello from the guest bot");
  assert.equal(message.name, "Guest bot");
  assert.equal(message.from, guest.participantId);
  assert.equal(message.replyTo, null);
  assert.equal((await heardByGuest).id, message.id);

  const reply = guest.waitFor("chat:message", (m) => m.replyTo === message.id);
  host.chat("Hi guest", { replyTo: message.id });
  assert.equal((await reply).text, "Hi guest");

  const { participants } = await op.meetings.get(meetingId);
  assert.deepEqual(participants.map((p) => p.name).sort(), ["Guest bot", "Host bot"]);
  const transcript = await op.meetings.transcript(meetingId);
  assert.deepEqual(
    transcript.messages.map((m) => [m.participant_name, m.text]),
    [
      ["Guest bot", "Hello from the guest bot"],
      ["Host bot", "Hi guest"],
    ],
  );
  assert.match(await op.meetings.transcriptText(meetingId), /^\[\d\d:\d\d:\d\d\] Guest bot: Hello from the guest bot\n/);

  const left = host.waitFor("participant:left");
  await guest.leave();
  assert.equal((await left).participantId, arrival.participantId);
  await op.meetings.end(meetingId);
});

test("joining an unknown meeting rejects with an OnepizzaError", async () => {
  const error = await rejects(() => joinMeeting({ io, baseUrl, meetingId: "zzz-zzzz-zzz", name: "Lost" }), 404);
  assert.match(error.message, /not found/i);
  assert.equal(error.code, "meeting_not_found");
  assert.ok(error instanceof OnepizzaError);
});

test("a locked meeting refuses a bot; an invite lets it in", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Locked" });
  await op.meetings.lock(meetingId);
  const refused = await rejects(() => joinMeeting({ io, baseUrl, meetingId, name: "Late" }), 400);
  assert.match(refused.message, /locked/i);
  assert.equal(refused.code, "meeting_locked");
  const { inviteToken } = await op.meetings.invite(meetingId, { name: "Late" });
  const late = await join({ meetingId, name: "Late", inviteToken });
  assert.equal(late.joined.title, "Locked");
  await op.meetings.end(meetingId);
});

test("a full or not yet started meeting refuses a bot with a 400", async () => {
  const op = keyClient();
  const small = await op.meetings.create({ title: "Tiny", maxParticipants: 1 });
  await join({ meetingId: small.meetingId, name: "Only one" });
  const full = await rejects(() => joinMeeting({ io, baseUrl, meetingId: small.meetingId, name: "One too many" }), 400, /full/i);
  assert.equal(full.code, "meeting_full");
  await op.meetings.end(small.meetingId);

  const later = await op.meetings.create({ title: "Later", scheduledAt: new Date(Date.now() + 3600 * 1000) });
  const early = await rejects(() => joinMeeting({ io, baseUrl, meetingId: later.meetingId, name: "Early" }), 400, /scheduled/i);
  assert.equal(early.code, "meeting_scheduled");
  await op.meetings.end(later.meetingId);
});

test("after a lost connection the bot joins its meeting again by itself", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Flaky network" });
  const steady = await join({ meetingId, name: "Steady" });
  const flaky = await join({ meetingId, name: "Flaky" });
  const before = flaky.participantId;
  const disconnected = flaky.waitFor("disconnected");
  const rejoined = flaky.waitFor("rejoined", () => true, 15000);
  const back = steady.waitFor("participant:joined", (p) => p.name === "Flaky" && p.participantId !== before, 15000);
  flaky.socket.io.engine.close(); // the transport drops; socket.io-client reconnects
  await disconnected;
  const joined = await rejoined;
  assert.equal(joined.title, "Flaky network");
  assert.equal(flaky.participantId, joined.participantId);
  assert.notEqual(flaky.participantId, before);
  assert.equal((await back).participantId, flaky.participantId);
  const names = (await op.meetings.get(meetingId)).participants.map((p) => p.name).sort();
  assert.deepEqual(names, ["Flaky", "Steady"]);
  const heard = steady.waitFor("chat:message");
  flaky.chat("still here");
  assert.equal((await heard).text, "still here");
  await op.meetings.end(meetingId);
});

test("host actions over REST reach the bot: mute, unmute, kick, end", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Moderated" });
  const first = await join({ meetingId, name: "First" });
  const second = await join({ meetingId, name: "Second" });

  const muted = first.waitFor("admin:mute");
  await op.meetings.mute(meetingId, first.participantId);
  await muted;
  const unmute = first.waitFor("admin:unmute");
  await op.meetings.unmute(meetingId, first.participantId);
  await unmute;
  const allMuted = second.waitFor("meeting:all-muted");
  assert.equal((await op.meetings.muteAll(meetingId)).count, 2);
  await allMuted;

  const settings = second.waitFor("meeting:settings-updated");
  await op.meetings.updateSettings(meetingId, { maxParticipants: 9 });
  assert.equal((await settings).maxParticipants, 9);

  const kicked = first.waitFor("admin:kick");
  await op.meetings.kick(meetingId, first.participantId, { reason: "Testing kicks" });
  assert.equal((await kicked).reason, "Testing kicks");

  const ended = second.waitFor("meeting:ended");
  await op.meetings.end(meetingId);
  assert.equal(typeof (await ended).reason, "string");
});

test("media, hand and reactions are heard by the others", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Signals" });
  const a = await join({ meetingId, name: "A" });
  const b = await join({ meetingId, name: "B" });
  const everything = [];
  b.on("*", (event, payload) => everything.push(event));

  const hand = b.waitFor("participant:updated", (p) => p.isHandRaised === true);
  a.raiseHand(true);
  assert.equal((await hand).participantId, a.participantId);
  const mic = b.waitFor("participant:updated", (p) => p.isMuted === true);
  a.setMuted(true);
  await mic;
  const reaction = b.waitFor("react");
  a.react("👍");
  assert.deepEqual(await reaction, { participantId: a.participantId, emoji: "👍" });
  assert.ok(everything.includes("react") && everything.includes("participant:updated"));
  await op.meetings.end(meetingId);
});

test("with a waiting room, a bot waits until the host bot admits it", async () => {
  const op = keyClient();
  const { meetingId, adminToken } = await op.meetings.create({ title: "Lobby", waitingRoom: true });
  const host = await join({ meetingId, name: "Host", adminToken });
  const knocking = host.waitFor("waiting-room:participant-waiting", (w) => !w.removed);
  const waiter = new Bot({ io, baseUrl, name: "Visitor" });
  bots.push(waiter);
  const waiting = waiter.waitFor("waiting-room:waiting");
  const joining = waiter.join(meetingId);
  const { socketId, name } = await knocking;
  assert.equal(name, "Visitor");
  await waiting;
  host.admit(socketId);
  const joined = await joining;
  assert.equal(joined.participants[0].name, "Host");

  const denied = new Bot({ io, baseUrl, name: "Gatecrasher" });
  bots.push(denied);
  const second = host.waitFor("waiting-room:participant-waiting", (w) => w.name === "Gatecrasher");
  const refused = rejects(() => denied.join(meetingId), 403, /declined/);
  host.deny((await second).socketId);
  assert.equal((await refused).code, "denied");

  const strict = new Bot({ io, baseUrl, name: "Impatient", waitingRoom: false });
  bots.push(strict);
  await rejects(() => strict.join(meetingId), 400, /waiting room/);
  await op.meetings.end(meetingId);
});

test("emitting before joining is an OnepizzaError; leave() twice is harmless", async () => {
  const bot = new Bot({ io, baseUrl });
  assert.throws(() => bot.chat("too early"), (error) => error instanceof OnepizzaError && error.status === 0);
  await bot.leave();
  await bot.leave();
});
