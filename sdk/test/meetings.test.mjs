// Meetings through the REST client: create, get, list, end; host actions; errors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { baseUrl, keyClient, Onepizza, OnepizzaError, rejects } from "./support.mjs";

test("create, get, list and end a meeting", async () => {
  const op = keyClient();
  const created = await op.meetings.create({ title: "SDK standup", muteOnJoin: true, maxParticipants: 7 });
  assert.match(created.meetingId, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  assert.equal(created.joinUrl, `/join/${created.meetingId}`);
  assert.equal(created.status, "active");
  assert.equal(created.title, "SDK standup");
  assert.deepEqual(created.settings, {
    muteOnJoin: true,
    videoOffOnJoin: false,
    maxParticipants: 7,
    locked: false,
    waitingRoom: false,
  });
  assert.equal(op.adminTokens.get(created.meetingId), created.adminToken);

  const details = await op.meetings.get(created.meetingId);
  assert.equal(details.meetingId, created.meetingId);
  assert.equal(details.status, "active");
  assert.equal(details.participantCount, 0);
  assert.deepEqual(details.participants, []);

  const { meetings } = await op.meetings.list();
  const listed = meetings.find((m) => m.meetingId === created.meetingId);
  assert.ok(listed, "the new meeting is listed");
  assert.equal(listed.title, "SDK standup");
  assert.equal(typeof listed.createdAt, "number");

  const ended = await op.meetings.end(created.meetingId);
  assert.deepEqual(ended, { message: "Meeting ended", meetingId: created.meetingId });
  assert.equal(op.adminTokens.has(created.meetingId), false);
  const after = await op.meetings.list();
  assert.equal(after.meetings.some((m) => m.meetingId === created.meetingId), false);
  await rejects(() => op.meetings.get(created.meetingId), 404, /not found/i);
});

test("an unknown meeting is an OnepizzaError 404 with the server's message", async () => {
  const error = await rejects(() => keyClient().meetings.get("zzz-zzzz-zzz"), 404, /not found/i);
  assert.equal(error.name, "OnepizzaError");
  assert.ok(error instanceof Error);
  assert.deepEqual(error.body, { error: error.message });
});

test("a bad request is a 400 with the server's details", async () => {
  const error = await rejects(() => keyClient().meetings.create({ maxParticipants: 0 }), 400, /maxParticipants/);
  assert.ok(Array.isArray(error.details.maxParticipants), JSON.stringify(error.details));
  const past = await rejects(() => keyClient().meetings.create({ scheduledAt: new Date(Date.now() - 60000) }), 400);
  assert.match(past.message, /future/);
});

test("a wrong API key is 401, a wrong admin token 403", async () => {
  await rejects(() => new Onepizza({ baseUrl, apiKey: "mk_not_a_key" }).meetings.list(), 401, /API key/);
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Tokens" });
  await rejects(() => op.meetings.lock(meetingId, { adminToken: "not-the-token" }), 403);
  const stranger = keyClient(); // knows no admin token for this meeting
  await rejects(() => stranger.meetings.end(meetingId), 403);
  await stranger.meetings.end(meetingId, { adminToken: op.adminTokens.get(meetingId) });
});

test("host controls: settings, lock, unlock, invite, mute-all", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Controls" });
  const updated = await op.meetings.updateSettings(meetingId, { title: "Renamed", waitingRoom: true });
  assert.equal(updated.meetingId, meetingId);
  assert.equal(updated.settings.waitingRoom, true);
  assert.equal((await op.meetings.get(meetingId)).title, "Renamed");
  assert.deepEqual(await op.meetings.lock(meetingId), { meetingId, locked: true });
  assert.equal((await op.meetings.get(meetingId)).settings.locked, true);
  assert.deepEqual(await op.meetings.unlock(meetingId), { meetingId, locked: false });
  const invite = await op.meetings.invite(meetingId, { name: "Bob" });
  assert.equal(invite.joinUrl, `/join/${meetingId}?invite=${invite.inviteToken}&name=Bob`);
  assert.deepEqual(await op.meetings.muteAll(meetingId), { message: "All participants muted", count: 0 });
  await rejects(() => op.meetings.mute(meetingId, "nobody"), 404);
  await rejects(() => op.meetings.updateSettings(meetingId, {}), 400, /Nothing to change/);
  await op.meetings.delete(meetingId);
});

test("a scheduled meeting is listed as scheduled and can be cancelled", async () => {
  const op = keyClient();
  const when = new Date(Date.now() + 3600 * 1000);
  const created = await op.meetings.create({ title: "Later", scheduledAt: when });
  assert.equal(created.status, "scheduled");
  assert.equal(Date.parse(created.scheduledAt), Math.floor(when.getTime()));
  const { meetings } = await op.meetings.scheduled();
  assert.ok(meetings.some((m) => m.meetingId === created.meetingId && m.status === "scheduled"));
  assert.deepEqual(await op.meetings.end(created.meetingId), {
    message: "Meeting cancelled",
    meetingId: created.meetingId,
  });
  const later = await op.meetings.scheduled();
  assert.equal(later.meetings.some((m) => m.meetingId === created.meetingId), false);
});

test("a guest meeting needs no account; its admin token ends it", async () => {
  const guest = new Onepizza({ baseUrl });
  const created = await guest.meetings.createGuest({ title: "Quick" });
  assert.equal(created.title, "Quick");
  assert.equal(created.joinUrl, `/join/${created.meetingId}`);
  assert.deepEqual(await guest.meetings.end(created.meetingId), {
    message: "Meeting ended",
    meetingId: created.meetingId,
  });
});

test("recordings: upload, list, download, delete", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Recorded" });
  const bytes = new Uint8Array(2048).map((_, i) => i % 251);
  const uploaded = await op.recordings.upload(meetingId, new Blob([bytes], { type: "video/webm" }), {
    filename: "take-1.webm",
  });
  assert.equal(uploaded.filename, "take-1.webm");
  assert.equal(uploaded.size_bytes, bytes.length);
  const { recordings } = await op.recordings.list(meetingId);
  assert.deepEqual(recordings.map((r) => r.id), [uploaded.id]);
  const file = await op.recordings.download(uploaded.id);
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
  assert.equal(op.recordings.downloadUrl(uploaded.id), `${baseUrl}/api/recordings/${uploaded.id}/download`);
  await op.recordings.delete(uploaded.id);
  assert.deepEqual((await op.recordings.list(meetingId)).recordings, []);
  await rejects(() => op.recordings.download(uploaded.id), 404);
  await op.meetings.end(meetingId);
});

test("no answer at all is an OnepizzaError with status 0", async () => {
  const nowhere = new Onepizza({ baseUrl: "http://127.0.0.1:9", apiKey: "mk_x", timeoutMs: 5000 });
  const error = await rejects(() => nowhere.health.check(), 0, /Network error/);
  assert.ok(error.cause);
});

test("a timeout or an abort rejects with status 0", async () => {
  // A fetch that never answers (a timer keeps the process up, as a real socket would).
  const hanging = (url, init) =>
    new Promise((resolve, reject) => {
      const alive = setTimeout(() => reject(new Error("not aborted in 5 s")), 5000);
      init.signal.addEventListener("abort", () => {
        clearTimeout(alive);
        reject(init.signal.reason);
      });
    });
  const slow = new Onepizza({ baseUrl, fetch: hanging, timeoutMs: 50 });
  await rejects(() => slow.health.check(), 0, /timed out/);
  const controller = new AbortController();
  const waiting = rejects(() => slow.request("GET", "/health", { signal: controller.signal }), 0, /aborted/);
  controller.abort();
  await waiting;
});

test("health, ICE servers and a client error report need no account", async () => {
  const op = new Onepizza({ baseUrl });
  assert.deepEqual(await op.health.check(), { status: "ok", db: "connected" });
  assert.deepEqual(await op.health.liveness(), { status: "alive" });
  assert.deepEqual(await op.health.readiness(), { status: "ready", db: "connected" });
  const { iceServers } = await op.iceServers();
  assert.ok(iceServers.length > 0 && iceServers.every((s) => s.urls));
  assert.deepEqual(await op.reportClientError({ type: "webrtc", message: "ICE failed in the SDK test" }), {
    accepted: true,
  });
  await rejects(() => op.reportClientError({ type: "Not Valid!", message: "x" }), 400, /type/);
  assert.ok(OnepizzaError);
});
