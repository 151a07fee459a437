// Breakout rooms and the live stream through the Bot: a host opens rooms, assigns a guest,
// the guest moves in and out, broadcasts and closing reach it; refusals reject.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { baseUrl, io, joinMeeting, keyClient, rejects } from "./support.mjs";

const bots = [];
async function join(options) {
  const bot = await joinMeeting({ io, baseUrl, ...options });
  bots.push(bot);
  return bot;
}

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.leave()));
});

test("a host bot runs breakout rooms and a guest bot moves between them", async () => {
  const { meetingId, adminToken } = await keyClient().meetings.create({ title: "Rooms" });
  const host = await join({ meetingId, name: "Host bot", adminToken });
  const guest = await join({ meetingId, name: "Guest bot" });
  assert.equal(guest.joined.breakout, null);
  assert.equal(guest.joined.isStreaming, false);

  const rooms = await host.createBreakoutRooms(["Red", "Blue"]);
  assert.deepEqual(
    rooms.map((r) => [r.name, r.participantCount]),
    [
      ["Red", 0],
      ["Blue", 0],
    ],
  );
  const [red, blue] = rooms;
  const assigned = guest.waitFor("breakout:assigned");
  const updated = await host.assignBreakout({ [guest.participantId]: red.id });
  assert.deepEqual(updated[0].assigned, [guest.participantId]);
  assert.deepEqual(await assigned, { roomId: red.id, roomName: "Red" });

  await rejects(() => guest.joinBreakout(blue.id), 400, /not assigned/);
  assert.deepEqual(await guest.joinBreakout(red.id), { participantId: guest.participantId, roomId: red.id });
  const heard = guest.waitFor("breakout:message");
  const sent = await host.broadcastToBreakouts("Two minutes");
  assert.equal(sent.text, "Two minutes");
  assert.equal((await heard).from, "Host bot");
  assert.equal((await guest.leaveBreakout()).roomId, null);
  await rejects(() => guest.createBreakoutRooms(["Mine"]), 400, /Only a host/);
  await rejects(() => host.createBreakoutRooms(Array.from({ length: 21 }, (_, i) => `R${i}`)), 400, /At most 20/);

  const allClosed = guest.waitFor("breakout:all-closed");
  await host.closeBreakoutRooms();
  await allClosed;

  const started = guest.waitFor("stream:started");
  assert.deepEqual(await host.startStream("rtmps://live.example.com/app/secret"), { hostName: "Host bot" });
  assert.deepEqual(await started, { hostName: "Host bot" });
  await rejects(() => host.startStream("http://example.com/live"), 400, /rtmp/);
  const stopped = guest.waitFor("stream:stopped");
  await host.stopStream();
  await stopped;
});
