#!/usr/bin/env node
// An example bot: joins a meeting, greets it, and answers chat commands.
//   !who   the names of everyone in the meeting
//   !echo  TEXT: says TEXT back
//   !bye   leaves
// It leaves by itself when the meeting ends or a host removes it, and on Ctrl-C.
//
//   npm install onepizza socket.io-client
//   ONEPIZZA_API_URL=http://localhost:3000 node examples/bot.mjs MEETING_ID [ADMIN_TOKEN]
import { io } from "socket.io-client";

import { joinMeeting, OnepizzaError } from "onepizza/bot";

const [meetingId, adminToken] = process.argv.slice(2);
const baseUrl = process.env.ONEPIZZA_API_URL || "http://localhost:3000";
if (!meetingId) {
  console.error("usage: node examples/bot.mjs MEETING_ID [ADMIN_TOKEN]");
  process.exit(2);
}

let bot;
try {
  bot = await joinMeeting({ io, baseUrl, meetingId, adminToken, name: "Example bot" });
} catch (error) {
  if (!(error instanceof OnepizzaError)) throw error;
  console.error(`cannot join ${meetingId}: ${error.message} (${error.status})`);
  process.exit(1);
}

// Who is here, by participantId: those already in the meeting, then arrivals and departures.
const people = new Map(bot.joined.participants.map((p) => [p.participantId, p.name]));
people.set(bot.participantId, "Example bot");
bot.on("participant:joined", (p) => people.set(p.participantId, p.name));
bot.on("participant:left", (p) => people.delete(p.participantId));
bot.on("rejoined", (joined) => people.set(joined.participantId, "Example bot"));

async function stop(why) {
  console.log(`leaving: ${why}`);
  await bot.leave();
  process.exit(0);
}

bot.on("chat:message", (message) => {
  if (message.from === bot.participantId) return;
  const [command, ...rest] = message.text.trim().split(/\s+/);
  if (command === "!who") bot.chat(`Here: ${[...people.values()].join(", ")}`, { replyTo: message.id });
  else if (command === "!echo") bot.chat(rest.join(" ") || "(nothing to echo)", { replyTo: message.id });
  else if (command === "!bye") stop(`${message.name} said !bye`);
});
bot.on("meeting:ended", ({ reason }) => stop(`the meeting ended (${reason})`));
bot.on("admin:kick", ({ reason }) => stop(`removed by a host (${reason})`));
bot.on("rejoin:failed", ({ reason }) => stop(`lost the meeting (${reason})`));
process.on("SIGINT", () => stop("Ctrl-C"));

console.log(`joined ${meetingId} as ${bot.participantId} (${people.size - 1} others here)`);
bot.chat("Hello! I answer !who, !echo TEXT and !bye.");
