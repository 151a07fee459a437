// Templates and recurring meetings through the REST client (collaboration.md), on an
// account of their own (its welcome credit pays for the scheduled meetings).
import assert from "node:assert/strict";
import { test } from "node:test";

import { baseUrl, newAccount, Onepizza, rejects } from "./support.mjs";

async function ownKeyClient() {
  const { registered } = await newAccount();
  return new Onepizza({ baseUrl, apiKey: registered.apiKey });
}

test("templates: create, list, get, apply to a meeting (explicit fields win), delete", async () => {
  const op = await ownKeyClient();
  const template = await op.templates.create({
    name: "Webinar",
    title: "Weekly webinar",
    settings: { muteOnJoin: true, maxParticipants: 80 },
  });
  assert.deepEqual(template.settings, { muteOnJoin: true, maxParticipants: 80 });
  assert.deepEqual((await op.templates.list()).templates, [template]);
  assert.deepEqual(await op.templates.get(template.id), template);

  const meeting = await op.meetings.create({ templateId: template.id, maxParticipants: 5 });
  assert.equal(meeting.title, "Weekly webinar");
  assert.equal(meeting.settings.muteOnJoin, true);
  assert.equal(meeting.settings.maxParticipants, 5);
  await op.meetings.end(meeting.meetingId);

  const other = await ownKeyClient();
  await rejects(() => other.templates.get(template.id), 404, /not found/i);
  await rejects(() => other.meetings.create({ templateId: template.id }), 404, /Template not found/);
  const bad = await rejects(() => op.templates.create({ name: "", settings: {} }), 400);
  assert.ok(Array.isArray(bad.details.name), JSON.stringify(bad.details));

  await op.templates.delete(template.id);
  assert.deepEqual((await op.templates.list()).templates, []);
});

test("recurring: wall-clock times across DST, its meetings' tokens kept, delete cancels", async () => {
  const op = await ownKeyClient();
  const rule = await op.recurring.create({
    title: "Standup",
    rrule: "FREQ=WEEKLY;BYDAY=MO",
    startAt: "2027-03-01T09:00:00",
    timezone: "America/New_York",
  });
  assert.deepEqual(rule.nextOccurrences, [
    "2027-03-01T14:00:00.000Z",
    "2027-03-08T14:00:00.000Z",
    "2027-03-15T13:00:00.000Z",
    "2027-03-22T13:00:00.000Z",
    "2027-03-29T13:00:00.000Z",
  ]);
  assert.deepEqual(
    (await op.recurring.list()).recurring.map((r) => r.id),
    [rule.id],
  );
  const soon = await op.recurring.create({ title: "Daily", rrule: "FREQ=DAILY;COUNT=3", startAt: new Date(Date.now() + 3600e3) });
  const detail = await op.recurring.get(soon.id);
  assert.equal(detail.meetings.length, 3);
  const [first] = detail.meetings;
  assert.equal(first.status, "scheduled");
  assert.equal(op.adminTokens.get(first.meetingId), first.adminToken);
  // The remembered token is the host's: cancel one occurrence like any scheduled meeting.
  assert.deepEqual(await op.meetings.end(first.meetingId), { message: "Meeting cancelled", meetingId: first.meetingId });

  const deleted = await op.recurring.delete(soon.id);
  assert.deepEqual(deleted.cancelled.sort(), detail.meetings.slice(1).map((m) => m.meetingId).sort());
  await rejects(() => op.recurring.get(soon.id), 404, /not found/i);
  const { meetings } = await op.meetings.scheduled();
  assert.equal(meetings.some((m) => detail.meetings.some((d) => d.meetingId === m.meetingId)), false);

  const bad = await rejects(() => op.recurring.create({ rrule: "FREQ=SOMETIMES", startAt: "2099-01-01T00:00:00Z" }), 400, /FREQ/);
  assert.ok(Array.isArray(bad.details.rrule), JSON.stringify(bad.details));
  await rejects(() => op.recurring.create({ rrule: "FREQ=DAILY", startAt: "2020-01-01T00:00:00Z" }), 400, /future/);
});
