// The README's example bot (examples/bot.mjs) run as a user runs it, talked to by a test bot.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { baseUrl, io, joinMeeting, keyClient } from "./support.mjs";

const EXAMPLE = fileURLToPath(new URL("../examples/bot.mjs", import.meta.url));

const LIMIT = { timeout: 60000 }; // a hang fails the test (a fresh node process can be slow to start)

test("the example bot greets, answers !who and !echo, and leaves on !bye", LIMIT, async () => {
  const op = keyClient();
  const { meetingId } = await op.meetings.create({ title: "Example" });
  const me = await joinMeeting({ io, baseUrl, meetingId, name: "Tester" });
  const greeted = me.waitFor("chat:message", (m) => m.name === "Example bot", 30000);
  const child = spawn(process.execPath, [EXAMPLE, meetingId], {
    env: { ...process.env, ONEPIZZA_API_URL: baseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  try {
    assert.match((await greeted).text, /!who, !echo TEXT and !bye/);

    const who = me.waitFor("chat:message", (m) => m.name === "Example bot" && m.text.startsWith("Here:"));
    me.chat("!who");
    assert.deepEqual((await who).text.slice("Here: ".length).split(", ").sort(), ["Example bot", "Tester"]);

    const echo = me.waitFor("chat:message", (m) => m.name === "Example bot" && m.replyTo !== null);
    me.chat("!echo pizza for everyone");
    assert.equal((await echo).text, "pizza for everyone");

    const left = me.waitFor("participant:left");
    me.chat("!bye");
    assert.equal((await left).name, "Example bot");
    const [code] = await once(child, "exit");
    assert.equal(code, 0, output);
    assert.match(output, /leaving: Tester said !bye/);
  } finally {
    child.kill();
    await me.leave();
    await op.meetings.end(meetingId);
  }
});

test("the example bot exits with 1 and the server's message for an unknown meeting", LIMIT, async () => {
  const child = spawn(process.execPath, [EXAMPLE, "zzz-zzzz-zzz"], {
    env: { ...process.env, ONEPIZZA_API_URL: baseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr.on("data", (chunk) => (errors += chunk));
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.match(errors, /cannot join zzz-zzzz-zzz: Meeting not found \(404\)/);
});
