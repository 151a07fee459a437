"""The JavaScript SDK in a page of the server, as the account pages use it: served at
/sdk/onepizza.js, authenticated by the session cookie (same origin, JSON writes), and the
Bot with the socket.io-client the server serves under /vendor."""

from __future__ import annotations

import urllib.request
from uuid import uuid4

SESSION_FLOW = """async (email) => {
  const { Onepizza, OnepizzaError } = await import("/sdk/onepizza.js");
  const op = new Onepizza();  // no baseUrl, no apiKey: this page's origin, its session cookie
  const registered = await op.auth.register({ email, password: "browser password 1" });
  const me = await op.auth.me();
  const key = await op.keys.create("From the browser");
  const { keys } = await op.keys.list();
  let refused = null;
  try {
    await op.meetings.get("zzz-zzzz-zzz");  // the session is enough: no such meeting
  } catch (error) {
    refused = { isOnepizzaError: error instanceof OnepizzaError, status: error.status,
                message: error.message };
  }
  await op.auth.logout();
  let afterLogout = null;
  try { await op.auth.me(); } catch (error) { afterLogout = error.status; }
  return { registered, me, key, labels: keys.map((k) => k.label), refused, afterLogout,
           cookieVisible: document.cookie.includes("onepizza_session") };
}"""

BOTS_CHAT = """async () => {
  const { io } = await import("/vendor/socket.io-client/dist/socket.io.esm.min.js");
  const { Onepizza } = await import("/sdk/onepizza.js");
  const { joinMeeting } = await import("/sdk/bot.js");
  const op = new Onepizza();
  const { meetingId, adminToken } = await op.meetings.createGuest({ title: "Browser bots" });
  const host = await joinMeeting({ io, meetingId, adminToken, name: "Page host" });
  const guest = await joinMeeting({ io, meetingId, name: "Page guest" });
  const heard = host.waitFor("chat:message");
  guest.chat("Hello from a page");
  const message = await heard;
  const ended = guest.waitFor("meeting:ended");
  const result = await op.meetings.end(meetingId);
  await ended;
  await host.leave();
  await guest.leave();
  return { isAdmin: host.joined.isAdmin, others: guest.joined.participants.map((p) => p.name),
           text: message.text, name: message.name, result };
}"""


def test_the_sdk_module_is_served_as_javascript(sdk_server):
    exports = {"/sdk/onepizza.js": b"export class Onepizza ", "/sdk/bot.js": b"export class Bot "}
    for path, export in exports.items():
        with urllib.request.urlopen(sdk_server.url + path, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/javascript")
            assert export in response.read()


def test_a_page_uses_the_sdk_with_its_session_cookie(browser, sdk_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(sdk_server.url + "/")
        email = f"page-{uuid4().hex[:10]}@example.com"
        result = page.evaluate(SESSION_FLOW, email)
    finally:
        context.close()
    assert result["registered"]["email"] == email
    assert result["me"]["email"] == email
    assert result["key"]["key"].startswith("mk_")
    assert result["labels"].count("From the browser") == 1
    assert result["refused"] == {
        "isOnepizzaError": True,
        "status": 404,
        "message": "Meeting not found",
    }
    assert result["afterLogout"] == 401
    assert result["cookieVisible"] is False  # HttpOnly: the SDK never needs to read it


def test_bots_in_a_page_chat_through_the_served_socket_io_client(browser, sdk_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(sdk_server.url + "/")
        result = page.evaluate(BOTS_CHAT)
    finally:
        context.close()
    assert result["isAdmin"] is True
    assert result["others"] == ["Page host"]
    assert (result["name"], result["text"]) == ("Page guest", "Hello from a page")
    assert result["result"]["message"] == "Meeting ended"
