// What the SDK's tests share: the server they run against and a few helpers.
//
// ONEPIZZA_API_URL       the server (e.g. http://127.0.0.1:3000)
// ONEPIZZA_API_KEY       an API key of an account with credit
// ONEPIZZA_ADMIN_EMAIL   the platform admin (ADMIN_EMAIL of that server)
// ONEPIZZA_ADMIN_PASSWORD
// The server must allow webhooks to http://127.0.0.1 (WEBHOOK_ALLOW_INSECURE=1) and room in
// its rate limits for a test run; tests/sdk/test_node_sdk.py starts one that does.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { io } from "socket.io-client";

import { Onepizza, OnepizzaError } from "../onepizza.js";
import { Bot, joinMeeting } from "../bot.js";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see sdk/README.md, "Tests")`);
  return value;
}

export const baseUrl = required("ONEPIZZA_API_URL");
export const apiKey = required("ONEPIZZA_API_KEY");
export const adminEmail = required("ONEPIZZA_ADMIN_EMAIL");
export const adminPassword = required("ONEPIZZA_ADMIN_PASSWORD");
export const PASSWORD = "correct horse battery";

export { io, Onepizza, OnepizzaError, Bot, joinMeeting };

/** A client with the funded account's API key. */
export function keyClient() {
  return new Onepizza({ baseUrl, apiKey });
}

/** A new account, logged in (its session in the client's cookie jar). */
export async function newAccount(extra = {}) {
  const client = new Onepizza({ baseUrl });
  const email = `sdk-${randomUUID().slice(0, 12)}@example.com`;
  const registered = await client.auth.register({ email, password: PASSWORD, ...extra });
  return { client, email, registered };
}

/** A client logged in as the platform admin. */
export async function adminClient() {
  const client = new Onepizza({ baseUrl });
  await client.auth.login(adminEmail, adminPassword);
  return client;
}

/** Run `call`, which must reject with an OnepizzaError of `status`; return that error. */
export async function rejects(call, status, message) {
  let caught;
  try {
    await call();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `expected an OnepizzaError ${status}, but the call succeeded`);
  assert.ok(caught instanceof OnepizzaError, `expected an OnepizzaError, got ${caught}`);
  assert.equal(caught.status, status, `status of: ${caught.message}`);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}
