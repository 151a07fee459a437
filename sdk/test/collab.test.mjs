// Polls, Q&A, shared notes and attendance: the REST methods and the Bot's events together.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { baseUrl, io, joinMeeting, keyClient, Onepizza, rejects } from "./support.mjs";

const bots = [];
async function join(options) {
  const bot = await joinMeeting({ io, baseUrl, ...options });
  bots.push(bot);
  return bot;
}

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.leave()));
});

test("a poll made over REST is voted on by two bots, replaced votes count once, closed refuses", async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "SDK poll" });
  const ann = await join({ meetingId, name: "Ann" });
  const ben = await join({ meetingId, name: "Ben" });
  const announced = ann.waitFor("poll:created");
  const { poll } = await op.meetings.createPoll(meetingId, { question: "Tea or coffee?", options: ["Tea", "Coffee"] });
  assert.deepEqual(poll.results, [0, 0]);
  assert.equal((await announced).poll.id, poll.id);

  // vote() resolves with the next poll:updated of that poll: each bot first hears the other's.
  const benHeard = ben.waitFor("poll:updated");
  assert.deepEqual((await ann.vote(poll.id, 0)).results, [1, 0]);
  await benHeard;
  assert.deepEqual((await ben.vote(poll.id, 0)).results, [2, 0]);
  const replaced = await ben.vote(poll.id, 1);
  assert.deepEqual(replaced, { pollId: poll.id, results: [1, 1], totalVotes: 2 });

  const { polls } = await op.meetings.polls(meetingId);
  assert.deepEqual(polls[0].results, [1, 1]);
  assert.deepEqual(polls[0].votes.map((v) => v.name).sort(), ["Ann", "Ben"]);
  const closing = ann.waitFor("poll:closed");
  const closed = await op.meetings.closePoll(meetingId, poll.id);
  assert.equal(closed.poll.closed, true);
  assert.equal((await closing).poll.id, poll.id);
  await rejects(() => ann.vote(poll.id, 1), 400, /closed/);
  await rejects(() => op.meetings.createPoll(meetingId, { question: "Bad", options: ["One"] }), 400, /options/);
});

test("a host bot runs polls and Q&A; questions come back most upvoted first", async () => {
  const op = keyClient();
  const { meetingId, adminToken } = await op.meetings.create({ title: "SDK Q&A" });
  const host = await join({ meetingId, name: "Host", adminToken });
  const guest = await join({ meetingId, name: "Guest" });
  const poll = await host.createPoll({ question: "Rate it", kind: "rating" });
  assert.deepEqual(poll.options, ["1", "2", "3", "4", "5"]);
  await rejects(() => guest.createPoll({ question: "Mine", kind: "yesno" }), 400, /host/);
  assert.equal((await host.closePoll(poll.id)).closed, true);

  const first = await guest.ask("First?");
  const second = await host.ask("Second?");
  await rejects(() => guest.upvote(first.id), 400, /own question/);
  assert.equal((await guest.upvote(second.id)).upvotes, 1);
  let { questions } = await op.meetings.questions(meetingId);
  assert.deepEqual(questions.map((q) => q.text), ["Second?", "First?"]);
  assert.equal((await guest.upvote(second.id)).upvotes, 0); // toggled back
  assert.equal((await host.answerQuestion(first.id)).answered, true);
  assert.equal((await host.dismissQuestion(second.id)).dismissed, true);
  await rejects(() => guest.dismissQuestion(first.id), 400, /host/);
  ({ questions } = await op.meetings.questions(meetingId));
  assert.deepEqual(questions.map((q) => q.text), ["First?"]);
  ({ questions } = await op.meetings.questions(meetingId, { includeDismissed: true }));
  assert.equal(questions.length, 2);
});

test("notes: a bot's stale write gets the conflict; REST 409 carries the current notes", async () => {
  const op = keyClient();
  const { meetingId, adminToken } = await op.meetings.create({ title: "SDK notes" });
  const ann = await join({ meetingId, name: "Ann" });
  const ben = await join({ meetingId, name: "Ben" });
  assert.equal(ann.joined.notesVersion, 0);
  const won = await ann.updateNotes("Agenda", 0);
  assert.equal(won.updated.version, 1);
  const lost = await ben.updateNotes("Other agenda", 0);
  assert.deepEqual(lost.conflict, { text: "Agenda", version: 1 });

  const hostOnly = new Onepizza({ baseUrl }); // no key: the admin token alone
  const notes = await hostOnly.meetings.notes(meetingId, { adminToken });
  assert.equal(notes.text, "Agenda");
  const stale = await rejects(
    () => hostOnly.meetings.updateNotes(meetingId, { text: "x", baseVersion: 0 }, { adminToken }),
    409,
  );
  assert.equal(stale.body.text, "Agenda");
  assert.equal(stale.body.version, 1);
  const written = await op.meetings.updateNotes(meetingId, { text: "Minutes", baseVersion: 1 });
  assert.equal(written.version, 2);

  const report = await op.meetings.attendance(meetingId);
  assert.deepEqual(report.attendees.map((a) => a.name).sort(), ["Ann", "Ben"]);
  const csv = await op.meetings.attendanceCsv(meetingId);
  assert.match(csv, /^participantId,name,isAdmin,joinedAt,leftAt,durationSeconds\r\n/);
});
