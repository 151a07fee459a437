// REST calls of the pages. Every error the server sends is JSON {"error": "..."}.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function request(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("Cannot reach the server: check your connection", 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    let message = data?.error || `Request failed (${response.status})`;
    if (response.status === 429) {
      const wait = Number(response.headers.get("Retry-After"));
      message = wait
        ? `Too many requests: try again in ${wait} second${wait === 1 ? "" : "s"}`
        : "Too many requests: try again later";
    }
    throw new ApiError(message, response.status);
  }
  return data;
}

/** POST /api/meetings/guest → { meetingId, adminToken, joinUrl, title } */
export function createGuestMeeting(title) {
  return request("POST", "/api/meetings/guest", { body: title ? { title } : {} });
}

/** The RTCIceServer list (§13); STUN defaults if the call fails. */
export async function iceServers() {
  try {
    const data = await request("GET", "/api/config/ice-servers");
    if (Array.isArray(data?.iceServers)) return data.iceServers;
  } catch {
    // fall through to the defaults
  }
  return [{ urls: "stun:stun.l.google.com:19302" }];
}

/** Host controls over REST with the meeting's admin token (x-admin-token). */
export class HostApi {
  constructor(meetingId, adminToken) {
    this.base = `/api/meetings/${encodeURIComponent(meetingId)}`;
    this.token = adminToken;
  }

  #call(method, path, body) {
    return request(method, this.base + path, { body, headers: { "x-admin-token": this.token } });
  }

  participant(pid, action, body) {
    return this.#call("POST", `/participants/${encodeURIComponent(pid)}/${action}`, body);
  }

  mute(pid) {
    return this.participant(pid, "mute");
  }

  askToUnmute(pid) {
    return this.participant(pid, "unmute");
  }

  kick(pid, reason) {
    return this.participant(pid, "kick", reason ? { reason } : {});
  }

  muteAll() {
    return this.#call("POST", "/mute-all");
  }

  lock(locked) {
    return this.#call("POST", locked ? "/lock" : "/unlock");
  }

  settings(changes) {
    return this.#call("PATCH", "/settings", changes);
  }

  end() {
    return this.#call("DELETE", "");
  }
}
