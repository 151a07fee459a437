// Session endpoints from Node (the client keeps the session cookie): accounts, keys,
// companies, webhooks, billing, and the platform admin's endpoints.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";

import { verifyWebhookSignature } from "../onepizza.js";
import { adminClient, baseUrl, keyClient, newAccount, Onepizza, PASSWORD, rejects } from "./support.mjs";

test("register, me, change password, logout, log in again", async () => {
  const { client, email, registered } = await newAccount();
  assert.equal(registered.message, "Account created");
  assert.equal(registered.email, email);
  assert.match(registered.apiKey, /^mk_/);
  assert.equal(client.apiKey, undefined, "the client does not take the key by itself");
  const me = await client.auth.me();
  assert.equal(me.email, email);
  assert.equal(me.is_admin, false);

  await rejects(() => client.auth.changePassword("wrong password", "another password 1"), 400);
  assert.equal((await client.auth.changePassword(PASSWORD, "another password 1")).message, "Password changed");
  await client.auth.logout();
  await rejects(() => client.auth.me(), 401, /Not logged in/);
  await rejects(() => client.auth.login(email, PASSWORD), 401);
  const login = await client.auth.login(email, "another password 1");
  assert.equal(login.email, email);
  assert.equal((await client.auth.me()).id, me.id);

  await rejects(() => client.auth.register({ email, password: PASSWORD }), 409);

  const forgetful = new Onepizza({ baseUrl, cookieJar: false }); // keeps no session in Node
  await forgetful.auth.login(email, "another password 1");
  await rejects(() => forgetful.auth.me(), 401);
});

test("API keys: create (shown once), list masked, revoke (then 401)", async () => {
  const { client } = await newAccount();
  const created = await client.keys.create("CI");
  assert.match(created.key, /^mk_/);
  assert.equal(created.label, "CI");
  const { keys } = await client.keys.list();
  const listed = keys.find((k) => k.id === created.id);
  assert.ok(listed && listed.key !== created.key && listed.key.includes("..."), JSON.stringify(listed));
  const withKey = new Onepizza({ baseUrl, apiKey: created.key });
  assert.deepEqual(await withKey.webhooks.list(), { webhooks: [] });
  await client.keys.revoke(created.id);
  await rejects(() => withKey.webhooks.list(), 401);
  await rejects(() => client.keys.revoke(created.id), 404);
});

test("company: invite code, join, members, removal", async () => {
  const owner = await newAccount({ accountType: "company", companyName: "SDK Corp" });
  assert.equal(owner.registered.accountType, "company");
  assert.ok(owner.registered.inviteCode);
  const member = await newAccount();
  const joined = await member.client.company.join(owner.registered.inviteCode);
  assert.equal(joined.companyName, "SDK Corp");
  const { members } = await owner.client.company.members();
  assert.deepEqual(members.map((m) => [m.email, m.role]).sort(), [
    [member.email, "member"],
    [owner.email, "owner"],
  ].sort());
  const id = members.find((m) => m.email === member.email).id;
  await rejects(() => member.client.company.members(), 403);
  await owner.client.company.removeMember(id);
  assert.equal((await owner.client.company.members()).members.length, 1);
  await rejects(() => member.client.company.join("not-a-code"), 404);
});

test("webhooks: register, receive meeting.ended, delivery log, retry, delete", async () => {
  const received = [];
  let arrived;
  const delivered = new Promise((resolve) => (arrived = resolve));
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ body, signature: request.headers["x-onepizza-signature"] });
      response.writeHead(200).end("ok");
      arrived();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    const op = keyClient();
    const url = `http://127.0.0.1:${receiver.address().port}/hook`;
    const hook = await op.webhooks.create({ url, events: ["meeting.ended"] });
    assert.equal(hook.url, url);
    assert.deepEqual(hook.events, ["meeting.ended"]);
    assert.ok(hook.secret);
    assert.ok((await op.webhooks.list()).webhooks.some((w) => w.id === hook.id && !("secret" in w)));
    await rejects(() => op.webhooks.create({ url, events: ["no.such.event"] }), 400, /Unknown event/);

    const { meetingId } = await op.meetings.create({ title: "Hooked" });
    await op.meetings.end(meetingId);
    await delivered;
    const { body, signature } = received[0];
    const payload = JSON.parse(body);
    assert.equal(payload.event, "meeting.ended");
    assert.equal(payload.meetingId, meetingId);
    assert.equal(await verifyWebhookSignature(hook.secret, signature, body), true);
    assert.equal(await verifyWebhookSignature(hook.secret, signature, new TextEncoder().encode(body)), true);
    assert.equal(await verifyWebhookSignature(hook.secret, signature, body.replace("Hooked", "Hacked")), false);
    assert.equal(await verifyWebhookSignature("whsec_wrong", signature, body), false);
    const later = Date.now() + 10 * 60 * 1000;
    assert.equal(await verifyWebhookSignature(hook.secret, signature, body, { now: later }), false);
    assert.equal(await verifyWebhookSignature(hook.secret, undefined, body), false);

    let deliveries = [];
    for (let i = 0; i < 50 && !deliveries.some((d) => d.status === "delivered"); i++) {
      ({ deliveries } = await op.webhooks.deliveries(hook.id, { limit: 10 }));
      if (!deliveries.some((d) => d.status === "delivered")) await new Promise((r) => setTimeout(r, 100));
    }
    const delivery = deliveries.find((d) => d.status === "delivered");
    assert.ok(delivery, JSON.stringify(deliveries));
    assert.equal(delivery.event, "meeting.ended");
    assert.equal(delivery.last_response_code, 200);

    const retried = await op.webhooks.retry(hook.id, delivery.id);
    assert.equal(retried.id, delivery.id);
    assert.equal(retried.status, "pending");
    await op.webhooks.delete(hook.id);
    assert.equal((await op.webhooks.list()).webhooks.some((w) => w.id === hook.id), false);
    await rejects(() => op.webhooks.deliveries(hook.id), 404);
  } finally {
    receiver.close();
  }
});

test("billing: balance and history, checkout and USDC answer clearly when not configured", async () => {
  const { client } = await newAccount();
  const history = await client.billing.history({ limit: 5 });
  assert.match(history.balance, /^-?\d+\.\d{4}$/);
  assert.ok(Array.isArray(history.transactions));
  await rejects(() => client.billing.stripeCheckout(1), 400, /amountUsd/);
  await rejects(() => new Onepizza({ baseUrl }).billing.history(), 401);
});

test("password reset: a bad token is a 400; too many requests are a 429 with retryAfter", async () => {
  const op = new Onepizza({ baseUrl });
  await rejects(() => op.auth.checkResetToken("not-a-token"), 400, /Invalid or expired/);
  await rejects(() => op.auth.resetPassword("not-a-token", "new password 123"), 400);
  let limited;
  for (let i = 0; i < 20 && !limited; i++) {
    try {
      await op.auth.forgotPassword("nobody@example.com");
    } catch (error) {
      limited = error;
    }
  }
  assert.ok(limited, "the password group's rate limit answered 429");
  assert.equal(limited.status, 429);
  assert.ok(limited.retryAfter > 0, `retryAfter: ${limited.retryAfter}`);
});

test("admin: settings, credit, ledger and every analytics report; nobody else gets them", async () => {
  const admin = await adminClient();
  assert.equal((await admin.auth.me()).is_admin, true);
  const settings = await admin.admin.settings();
  assert.match(settings.rate_per_participant_minute, /^\d+\.\d{4}$/);
  const changed = await admin.admin.updateSettings({ low_balance_threshold: 3.5 });
  assert.equal(changed.low_balance_threshold, "3.5000");
  await admin.admin.updateSettings({ low_balance_threshold: Number(settings.low_balance_threshold) });
  await rejects(() => admin.admin.updateSettings({}), 400);

  const { email } = await newAccount();
  const credited = await admin.admin.credit({ email, amountUsd: 12.5, reason: "SDK test grant" });
  assert.equal(credited.email, email);
  const ledger = await admin.admin.transactions({ userId: credited.userId, type: "admin_credit" });
  assert.ok(ledger.transactions.some((t) => t.amount_usd === "12.5000" && t.description.includes("SDK test grant")));

  const reports = admin.admin.analytics;
  assert.equal((await reports.features({ days: 7 })).days, 7);
  assert.ok(Array.isArray((await reports.errors()).errors));
  assert.equal(typeof (await reports.realtime()).activeMeetings, "number");
  assert.ok(Array.isArray((await reports.retention()).retention));
  assert.equal(typeof (await reports.health()).uptimeSeconds, "number");
  assert.equal((await reports.peakHours()).days, 90);
  assert.equal(typeof (await reports.overview()).users, "number");
  const users = await reports.users({ limit: 2 });
  assert.equal(users.limit, 2);
  assert.ok(users.users.length <= 2 && users.total >= users.users.length);
  assert.ok(Array.isArray((await reports.trends({ days: 14 })).trends));
  await rejects(() => reports.features({ days: 0 }), 400, /days/);

  const someone = await newAccount();
  await rejects(() => someone.client.admin.settings(), 403);
  await rejects(() => someone.client.admin.analytics.overview(), 403);
  await rejects(() => new Onepizza({ baseUrl }).admin.transactions(), 401);
});
