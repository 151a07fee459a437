// onepizza JavaScript SDK: a hand-written, dependency-free ES module for the whole REST API
// (spec §1-§21). It runs in browsers (session cookie, same origin) and in Node 18+ (an API
// key, or a session kept in an in-memory cookie jar). The Socket.IO helper is ./bot.js.
//
//   import { Onepizza, OnepizzaError } from "./onepizza.js";
//   const op = new Onepizza({ baseUrl: "https://onepizza.io", apiKey: "mk_..." });
//   const meeting = await op.meetings.create({ title: "Standup" });
//   await op.meetings.end(meeting.meetingId);   // the admin token from create() is remembered
//
// Every method returns the server's JSON body as documented (e.g. op.keys.list() gives
// { keys: [...] }) and rejects with an OnepizzaError for any 4xx/5xx answer.

/**
 * @typedef {Object} ClientOptions
 * @property {string} [baseUrl] Server origin, e.g. "https://onepizza.io". Empty (the default) means
 *   the page's own origin (browser only).
 * @property {string} [apiKey] An account API key ("mk_..."), sent as the x-api-key header.
 *   Without one, calls are authenticated by the session cookie (see auth.login()).
 * @property {RequestCredentials} [credentials] fetch() credentials mode (default "same-origin";
 *   "include" for a cookie session with a server on another origin that allows yours).
 * @property {boolean} [cookieJar] Keep the session cookie in memory and send it back (default:
 *   true outside a browser, where fetch() keeps no cookies; browsers keep them themselves).
 * @property {number} [timeoutMs] Abort a request after this many milliseconds (default 30000; 0 = never).
 * @property {typeof fetch} [fetch] A fetch implementation (default: globalThis.fetch).
 * @property {Record<string, string>} [adminTokens] Known meeting admin tokens, by meeting id.
 */

/**
 * @typedef {Object} RequestOptions
 * @property {Record<string, string|number|boolean|null|undefined>} [query] Query-string values
 *   (null/undefined ones are left out).
 * @property {*} [body] A JSON body (sent with Content-Type: application/json).
 * @property {FormData} [form] A multipart body instead of JSON.
 * @property {string} [adminToken] Sent as the x-admin-token header.
 * @property {"json"|"text"|"blob"|"arrayBuffer"|"response"} [as] How to read a successful answer (default "json").
 * @property {AbortSignal} [signal] Abort the request.
 */

/** @typedef {{ error: string, details?: Object<string, *> }} ErrorBody */
/** @typedef {{ message: string }} MessageResponse */

// --- §1 accounts -----------------------------------------------------------------------------

/**
 * @typedef {Object} RegisterRequest
 * @property {string} email
 * @property {string} password At least 8 characters.
 * @property {"personal"|"company"} [accountType] Default "personal".
 * @property {string} [companyName] Required when accountType is "company".
 */
/**
 * @typedef {Object} RegisterResponse
 * @property {string} message "Account created"
 * @property {string} email
 * @property {string} apiKey The account's first API key ("mk_..."), shown only here.
 * @property {"personal"|"company"} accountType
 * @property {string} [inviteCode] A company owner's invite code.
 */
/**
 * @typedef {Object} Profile
 * @property {number} id
 * @property {string} email
 * @property {"personal"|"company"} accountType
 * @property {string} balance Money as a string, e.g. "25.0000".
 * @property {number|null} company_id
 * @property {boolean} is_admin
 * @property {string} created_at ISO-8601 UTC.
 */
/** @typedef {Profile & { message: string }} LoginResponse */
/** @typedef {{ valid: boolean }} ResetTokenCheck */

// --- §2 API keys, §14 companies ----------------------------------------------------------------

/**
 * @typedef {Object} ApiKey
 * @property {number} id
 * @property {string} key Masked in lists; in full only in the answer to keys.create().
 * @property {string|null} label
 * @property {boolean} is_active
 * @property {string} created_at
 * @property {string|null} [last_used_at]
 */
/** @typedef {{ keys: ApiKey[] }} ApiKeyList */
/** @typedef {{ message: string, companyId: number, companyName: string }} JoinedCompany */
/** @typedef {{ id: number, email: string, role: "owner"|"member", joined_at: string|null }} Member */
/** @typedef {{ members: Member[] }} MemberList */

// --- §3-§8 meetings ----------------------------------------------------------------------------

/**
 * @typedef {Object} MeetingSettings
 * @property {boolean} muteOnJoin
 * @property {boolean} videoOffOnJoin
 * @property {number} maxParticipants 1 to 100.
 * @property {boolean} locked
 * @property {boolean} waitingRoom
 */
/**
 * @typedef {Object} CreateMeetingRequest
 * @property {string} [title] Default "Untitled Meeting".
 * @property {string|Date} [scheduledAt] A future time (ISO-8601 string or Date); omitted = active now.
 * @property {boolean} [muteOnJoin]
 * @property {boolean} [videoOffOnJoin]
 * @property {number} [maxParticipants] 1 to 100 (default 50).
 * @property {boolean} [waitingRoom]
 * @property {number} [templateId] A template's title and settings, for those not given here.
 */
/**
 * @typedef {Object} CreatedMeeting
 * @property {string} meetingId
 * @property {string} adminToken Host powers for this meeting (x-admin-token); remembered by the client.
 * @property {string} joinUrl A path, e.g. "/join/abc-defg-hij".
 * @property {string} title
 * @property {string} [scheduledAt] ISO-8601 with milliseconds, for a scheduled meeting.
 * @property {"active"|"scheduled"} status
 * @property {MeetingSettings} settings
 */
/** @typedef {{ meetingId: string, adminToken: string, joinUrl: string, title: string }} GuestMeeting */
/**
 * @typedef {Object} MeetingSummary
 * @property {string} meetingId
 * @property {string} title
 * @property {"active"|"scheduled"} status
 * @property {string} [scheduledAt]
 * @property {number} [participantCount]
 * @property {number} createdAt Epoch milliseconds.
 */
/** @typedef {{ meetings: MeetingSummary[] }} MeetingList */
/**
 * @typedef {Object} Participant
 * @property {string} participantId
 * @property {string} name
 * @property {boolean} isMuted
 * @property {boolean} isVideoOff
 * @property {boolean} isScreenSharing
 * @property {number} joinedAt Epoch milliseconds.
 */
/**
 * @typedef {Object} MeetingDetails
 * @property {string} meetingId
 * @property {string} title
 * @property {"active"|"scheduled"|"ended"} status
 * @property {string} [scheduledAt]
 * @property {number} createdAt
 * @property {number} participantCount
 * @property {Participant[]} participants
 * @property {MeetingSettings} settings
 */
/** @typedef {{ message: string, meetingId: string }} MeetingEnded */
/** @typedef {Partial<MeetingSettings> & { title?: string }} SettingsChanges */
/** @typedef {{ meetingId: string, settings: MeetingSettings }} SettingsUpdated */
/** @typedef {{ meetingId: string, locked: boolean }} LockState */
/** @typedef {{ joinUrl: string, inviteToken: string }} Invite */
/** @typedef {{ message: string, participantId: string }} ParticipantAction */
/** @typedef {{ message: string, count: number }} MuteAllResult */
/**
 * @typedef {Object} HistoryEntry
 * @property {number} id
 * @property {string} meeting_id
 * @property {string} title
 * @property {string|null} started_at
 * @property {string|null} ended_at
 * @property {string} duration_minutes e.g. "30.00"
 * @property {number} peak_participants
 * @property {string} cost_usd e.g. "0.0120"
 */
/** @typedef {{ meetings: HistoryEntry[] }} MeetingHistory */
/** @typedef {{ limit?: number, offset?: number }} Page limit 1-200 (default 50), offset from 0. */

// --- §19 transcripts, §20 recordings -----------------------------------------------------------

/** @typedef {{ participant_name: string, text: string, created_at: string }} TranscriptMessage */
/** @typedef {{ messages: TranscriptMessage[] }} Transcript */
/** @typedef {{ id: number, filename: string, size_bytes: number, created_at: string }} Recording */
/** @typedef {{ recordings: Recording[] }} RecordingList */

// --- §9 webhooks -------------------------------------------------------------------------------

/** @typedef {"meeting.started"|"meeting.ended"|"participant.joined"|"participant.left"|"recording.uploaded"} WebhookEvent */
/**
 * @typedef {Object} WebhookPayload The JSON body of a delivery.
 * @property {WebhookEvent} event
 * @property {string} meetingId
 * @property {number} timestamp Epoch milliseconds of the event.
 * @property {Object<string, *>} data
 */
/** @typedef {{ id: number, url: string, events: WebhookEvent[], created_at: string }} Webhook */
/** @typedef {Webhook & { secret: string }} CreatedWebhook The secret signs every delivery; shown only here. */
/** @typedef {{ webhooks: Webhook[] }} WebhookList */
/**
 * @typedef {Object} WebhookDelivery
 * @property {string} id A UUID.
 * @property {WebhookEvent} event
 * @property {"pending"|"delivered"|"failed"} status
 * @property {number} attempts
 * @property {number|null} last_response_code
 * @property {string|null} last_error
 * @property {string|null} next_retry_at
 * @property {string} created_at
 * @property {string|null} delivered_at
 */
/** @typedef {{ deliveries: WebhookDelivery[] }} WebhookDeliveryList */

// --- §13 ICE, §15 billing, §21 health ----------------------------------------------------------

/** @typedef {{ urls: string|string[], username?: string, credential?: string }} IceServer */
/** @typedef {{ iceServers: IceServer[] }} IceServers */
/** @typedef {{ id: number, amount_usd: string, type: string, description: string, created_at: string }} Transaction */
/** @typedef {{ balance: string, transactions: Transaction[] }} BillingHistory */
/** @typedef {{ limit?: number, offset?: number, before?: number }} BillingHistoryQuery before: a transaction id, for the page before it. */
/** @typedef {{ url: string }} CheckoutSession */
/** @typedef {{ address: string }} UsdcAddress */
/** @typedef {{ status: string, db?: string }} HealthStatus */

// --- admin (§15 settings and credits, §18 analytics) ------------------------------------------

/**
 * @typedef {Object} PlatformSettings Money values as strings, e.g. { rate_per_participant_minute: "0.0040" }.
 * @property {string} rate_per_participant_minute
 * @property {string} low_balance_threshold
 */
/** @typedef {Object<string, number|string>} PlatformSettingsChanges e.g. { rate_per_participant_minute: 0.005 } */
/**
 * @typedef {Object} CreditRequest Exactly one of email and userId.
 * @property {string} [email]
 * @property {number} [userId]
 * @property {number} amountUsd Positive, at most 4 decimals.
 * @property {string} reason
 */
/** @typedef {{ userId: number, email: string, companyId: number|null, balance: string }} CreditResult */
/**
 * @typedef {Object} LedgerRow
 * @property {number} id
 * @property {number|null} user_id
 * @property {number|null} company_id
 * @property {string|null} email
 * @property {string} amount_usd
 * @property {string} type
 * @property {string} description
 * @property {string|null} meeting_id
 * @property {string} created_at
 */
/** @typedef {{ transactions: LedgerRow[], limit: number, offset: number }} LedgerPage */
/**
 * @typedef {Object} TransactionsQuery
 * @property {number} [userId]
 * @property {number} [companyId]
 * @property {"stripe_topup"|"usdc_deposit"|"meeting_charge"|"admin_credit"|"refund"|"company_transfer"} [type]
 * @property {number} [limit]
 * @property {number} [offset]
 */
/** @typedef {{ days?: number }} DaysQuery A window of 1 to 365 days. */
/** @typedef {{ features: {feature: string, total_uses: number, unique_users: number, active_days: number}[], days: number }} FeaturesReport */
/** @typedef {{ errors: {event_type: string, route: string|null, message: string|null, count: number, last_seen: string}[], days: number }} ErrorsReport */
/** @typedef {{ activeMeetings: number, totalParticipants: number, activeRecordings: number, activeScreenShares: number, meetingList: {id: string, title: string, participantCount: number, duration: number, isRecording: boolean}[] }} RealtimeReport */
/** @typedef {{ retention: {week: string, users: number, retained: number}[] }} RetentionReport */
/** @typedef {{ uptimeSeconds: number, memoryMB: number, heapUsedMB: number, heapTotalMB: number, dbPoolTotal: number, dbPoolIdle: number, dbPoolWaiting: number, activeMeetings: number, scheduledMeetings: number }} ServerHealthReport */
/** @typedef {{ peakHours: {dow: number, hour: number, count: number}[], days: number }} PeakHoursReport */
/** @typedef {{ users: number, companies: number, meetings: {active: number, scheduled: number, ended: number}, revenue: string, charges: string }} OverviewReport */
/** @typedef {{ id: number, email: string, accountType: string, balance: string, company_id: number|null, is_admin: boolean, created_at: string, meetings: number }} AdminUser */
/** @typedef {{ users: AdminUser[], total: number, limit: number, offset: number }} UsersReport */
/** @typedef {{ trends: {date: string, meetings: number, participants: number, revenue: string}[], days: number }} TrendsReport */
/**
 * @typedef {Object} ClientErrorReport
 * @property {string} type 1-30 of a-z and _, e.g. "webrtc" (recorded as "error.webrtc").
 * @property {string} message
 * @property {string} [route]
 * @property {string} [meetingId]
 */

const DEFAULT_TIMEOUT_MS = 30000;
const IN_BROWSER = typeof document !== "undefined";
const NO_BODY_METHODS = new Set(["GET", "HEAD"]);

/**
 * An error answer of the API (any 4xx/5xx), or a request that got no answer (status 0).
 * `message` is the server's `error` text.
 */
export class OnepizzaError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer: network failure, timeout or abort).
   * @param {string} message The server's `error` text.
   * @param {{ details?: Object<string, *>|null, retryAfter?: number|null, body?: *, cause?: * }} [extra]
   */
  constructor(status, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "OnepizzaError";
    /** @type {number} */
    this.status = status;
    /** @type {Object<string, *>|null} Field → messages, for a validation error (400). */
    this.details = extra.details ?? null;
    /** @type {number|null} Seconds to wait before trying again (429, from Retry-After). */
    this.retryAfter = extra.retryAfter ?? null;
    /** @type {*} The whole parsed error body (or its text when it was not JSON). */
    this.body = extra.body ?? null;
  }
}

function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function segment(value, what) {
  if (value === undefined || value === null || value === "") {
    throw new TypeError(`${what} is required`);
  }
  return encodeURIComponent(String(value));
}

function withoutUndefined(object) {
  const out = {};
  for (const [key, value] of Object.entries(object || {})) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** One AbortSignal that aborts when any of `signals` does (AbortSignal.any where it exists). */
function anySignal(signals) {
  const active = signals.filter(Boolean);
  if (active.length < 2) return active[0];
  if (typeof AbortSignal.any === "function") return AbortSignal.any(active);
  const controller = new AbortController();
  for (const signal of active) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

function retryAfterSeconds(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function errorFrom(response) {
  const text = await response.text().catch(() => "");
  let body = text;
  let message = "";
  let details = null;
  try {
    body = JSON.parse(text);
    if (body && typeof body === "object") {
      message = typeof body.error === "string" ? body.error : "";
      details = body.details ?? null;
    }
  } catch {
    // not JSON (a proxy's error page, say): keep the start of the text
  }
  if (!message) message = text.slice(0, 200).trim() || response.statusText || `HTTP ${response.status}`;
  const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
  return new OnepizzaError(response.status, message, { details, retryAfter, body });
}

/** A minimal cookie jar for Node: name → value of the cookies the server set. */
class CookieJar {
  constructor() {
    /** @type {Map<string, string>} */
    this.cookies = new Map();
  }

  /** @param {Headers} headers */
  store(headers) {
    const lines = typeof headers.getSetCookie === "function" ? headers.getSetCookie() : [];
    for (const line of lines) {
      const [pair, ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * The REST client. Methods are grouped by resource: auth, keys, company, meetings, recordings,
 * webhooks, billing, health, admin; plus iceServers() and reportClientError().
 */
export class Onepizza {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    /** @type {string} */
    this.baseUrl = (options.baseUrl || "").replace(/\/+$/, "");
    /** @type {string|undefined} */
    this.apiKey = options.apiKey || undefined;
    /** @type {Map<string, string>} Admin tokens of meetings this client created (or was given). */
    this.adminTokens = new Map(Object.entries(options.adminTokens || {}));
    this.credentials = options.credentials || "same-origin";
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this._fetch = options.fetch || globalThis.fetch.bind(globalThis);
    this._jar = (options.cookieJar ?? !IN_BROWSER) ? new CookieJar() : null;
    if (!this.baseUrl && typeof location === "undefined") {
      throw new TypeError("baseUrl is required outside a browser (e.g. http://localhost:3000)");
    }
    this.auth = new AuthApi(this);
    this.keys = new KeysApi(this);
    this.company = new CompanyApi(this);
    this.meetings = new MeetingsApi(this);
    this.recordings = new RecordingsApi(this);
    this.templates = new TemplatesApi(this);
    this.recurring = new RecurringApi(this);
    this.webhooks = new WebhooksApi(this);
    this.billing = new BillingApi(this);
    this.health = new HealthApi(this);
    this.admin = new AdminApi(this);
  }

  /**
   * The absolute URL of an API path (for links: downloads work with the session cookie).
   * @param {string} path e.g. "/api/recordings/1/download"
   * @param {RequestOptions["query"]} [query]
   * @returns {string}
   */
  url(path, query) {
    return `${this.baseUrl}${path}${queryString(query)}`;
  }

  /**
   * Send one request; resolve with the answer read as `options.as` (JSON by default), or
   * reject with an OnepizzaError. Every other method goes through here.
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<*>}
   */
  async request(method, path, options = {}) {
    method = method.toUpperCase();
    const headers = { Accept: "application/json" };
    if (this.apiKey) headers["x-api-key"] = this.apiKey;
    if (options.adminToken) headers["x-admin-token"] = options.adminToken;
    if (this._jar && this._jar.cookies.size) {
      headers.Cookie = this._jar.header();
      // What a page of the site would send: the server refuses a cookie write without it.
      if (!NO_BODY_METHODS.has(method)) headers.Origin = new URL(this.baseUrl).origin;
    }
    let body;
    if (options.form !== undefined) {
      body = options.form; // fetch sets the multipart Content-Type with its boundary
    } else if (!NO_BODY_METHODS.has(method)) {
      // Always JSON on writes: the server's CSRF rule for cookie sessions expects it.
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body === undefined ? {} : options.body);
    }
    const signal = anySignal([options.signal, this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : null]);
    let response;
    try {
      response = await this._fetch(this.url(path, options.query), {
        method,
        headers,
        body,
        credentials: this.credentials,
        signal,
      });
    } catch (error) {
      const timedOut = error && (error.name === "TimeoutError" || error.name === "AbortError");
      const what = timedOut ? "Request aborted or timed out" : "Network error";
      const reason = (error && error.cause && (error.cause.code || error.cause.message)) || (error && error.message);
      throw new OnepizzaError(0, `${what}: ${method} ${path}${reason ? ` (${reason})` : ""}`, { cause: error });
    }
    if (this._jar) this._jar.store(response.headers);
    if (!response.ok) throw await errorFrom(response);
    const as = options.as || "json";
    if (as === "response") return response;
    if (as === "text") return response.text();
    if (as === "blob") return response.blob();
    if (as === "arrayBuffer") return response.arrayBuffer();
    const text = await response.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OnepizzaError(response.status, "The server's answer is not JSON", { body: text, cause: error });
    }
  }

  /** @param {string} meetingId @param {string} [adminToken] @returns {string|undefined} */
  adminTokenFor(meetingId, adminToken) {
    return adminToken || this.adminTokens.get(meetingId);
  }

  /**
   * §13: the STUN/TURN servers for RTCPeerConnection.
   * @returns {Promise<IceServers>}
   */
  iceServers() {
    return this.request("GET", "/api/config/ice-servers");
  }

  /**
   * Report a browser-side failure (no account needed); it shows in the admin's errors report.
   * @param {ClientErrorReport} report
   * @returns {Promise<{ accepted: boolean }>}
   */
  reportClientError(report) {
    return this.request("POST", "/api/client-errors", { body: withoutUndefined(report) });
  }
}

class Group {
  /** @param {Onepizza} client */
  constructor(client) {
    /** @protected */
    this.client = client;
  }
}

/** §1: accounts and sessions. Cookie-session endpoints: in Node the client keeps the cookie. */
class AuthApi extends Group {
  /**
   * Create an account; the server logs it in (session cookie). The answer carries the account's
   * first API key: to use it, set `client.apiKey = result.apiKey`.
   * @param {RegisterRequest} account
   * @returns {Promise<RegisterResponse>}
   */
  register(account) {
    return this.client.request("POST", "/api/auth/register", { body: withoutUndefined(account) });
  }

  /**
   * Log in: the server sets the session cookie (kept by the browser, or by this client in Node).
   * @param {string} email
   * @param {string} password
   * @returns {Promise<LoginResponse>}
   */
  login(email, password) {
    return this.client.request("POST", "/api/auth/login", { body: { email, password } });
  }

  /** @returns {Promise<MessageResponse>} */
  logout() {
    return this.client.request("POST", "/api/auth/logout");
  }

  /**
   * The logged-in user (401 without a session).
   * @returns {Promise<Profile>}
   */
  me() {
    return this.client.request("GET", "/api/auth/me");
  }

  /**
   * Ask for a reset e-mail (answers the same whether or not the address has an account).
   * @param {string} email
   * @returns {Promise<MessageResponse>}
   */
  forgotPassword(email) {
    return this.client.request("POST", "/api/auth/forgot-password", { body: { email } });
  }

  /**
   * Is this reset token still usable? Rejects (400) when it is unknown, used or expired.
   * @param {string} token
   * @returns {Promise<ResetTokenCheck>}
   */
  checkResetToken(token) {
    return this.client.request("GET", "/api/auth/reset-password", { query: { token } });
  }

  /**
   * @param {string} token From the e-mail link.
   * @param {string} password The new password (at least 8 characters).
   * @returns {Promise<MessageResponse>}
   */
  resetPassword(token, password) {
    return this.client.request("POST", "/api/auth/reset-password", { body: { token, password } });
  }

  /**
   * @param {string} currentPassword
   * @param {string} newPassword
   * @returns {Promise<MessageResponse>}
   */
  changePassword(currentPassword, newPassword) {
    return this.client.request("POST", "/api/auth/change-password", {
      body: { currentPassword, newPassword },
    });
  }
}

/** §2: API keys of the logged-in user (session, or an API key of the same account). */
class KeysApi extends Group {
  /** @returns {Promise<ApiKeyList>} */
  list() {
    return this.client.request("GET", "/api/user/keys");
  }

  /**
   * A new key; its full value is in this answer only.
   * @param {string} [label]
   * @returns {Promise<ApiKey>}
   */
  create(label) {
    return this.client.request("POST", "/api/user/keys", { body: label === undefined ? {} : { label } });
  }

  /**
   * Revoke a key: requests with it get 401 at once.
   * @param {number} id
   * @returns {Promise<MessageResponse>}
   */
  revoke(id) {
    return this.client.request("DELETE", `/api/user/keys/${segment(id, "key id")}`);
  }
}

/** §14: company workspaces. */
class CompanyApi extends Group {
  /**
   * @param {string} inviteCode
   * @returns {Promise<JoinedCompany>}
   */
  join(inviteCode) {
    return this.client.request("POST", "/api/company/join", { body: { inviteCode } });
  }

  /** The owner's view of the company's members. @returns {Promise<MemberList>} */
  members() {
    return this.client.request("GET", "/api/company/members");
  }

  /**
   * @param {number} memberId
   * @returns {Promise<MessageResponse>}
   */
  removeMember(memberId) {
    return this.client.request("DELETE", `/api/company/members/${segment(memberId, "member id")}`);
  }
}

/**
 * §3-§8, §19: meetings. Host actions (end, settings, lock, invite, mute, kick...) send the
 * meeting's admin token: the one given as `adminToken`, else the one remembered from create().
 */
class MeetingsApi extends Group {
  /**
   * Create an instant meeting, or a scheduled one with `scheduledAt` (needs an API key and credit).
   * @param {CreateMeetingRequest} [meeting]
   * @returns {Promise<CreatedMeeting>}
   */
  async create(meeting = {}) {
    const body = withoutUndefined(meeting);
    if (body.scheduledAt instanceof Date) body.scheduledAt = body.scheduledAt.toISOString();
    const created = await this.client.request("POST", "/api/meetings", { body });
    this.client.adminTokens.set(created.meetingId, created.adminToken);
    return created;
  }

  /**
   * §4: a guest meeting, no account needed (rate-limited per IP; not billed, not persisted).
   * @param {{ title?: string }} [meeting]
   * @returns {Promise<GuestMeeting>}
   */
  async createGuest(meeting = {}) {
    const created = await this.client.request("POST", "/api/meetings/guest", { body: withoutUndefined(meeting) });
    this.client.adminTokens.set(created.meetingId, created.adminToken);
    return created;
  }

  /** Active and scheduled meetings of the API key's account. @returns {Promise<MeetingList>} */
  list() {
    return this.client.request("GET", "/api/meetings");
  }

  /** §5: scheduled meetings not yet started. @returns {Promise<MeetingList>} */
  scheduled() {
    return this.client.request("GET", "/api/meetings/scheduled/list");
  }

  /**
   * §8: ended meetings with duration, peak and cost, newest first.
   * @param {Page} [page]
   * @returns {Promise<MeetingHistory>}
   */
  history(page = {}) {
    return this.client.request("GET", "/api/meetings/history", { query: page });
  }

  /**
   * @param {string} meetingId
   * @returns {Promise<MeetingDetails>}
   */
  get(meetingId) {
    return this.client.request("GET", `/api/meetings/${segment(meetingId, "meetingId")}`);
  }

  /**
   * End an active meeting (everyone is disconnected and it is billed) or cancel a scheduled one.
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<MeetingEnded>}
   */
  async end(meetingId, options = {}) {
    const result = await this.host("DELETE", meetingId, "", options);
    this.client.adminTokens.delete(meetingId);
    return result;
  }

  /**
   * The same as end(): DELETE /api/meetings/:meetingId.
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<MeetingEnded>}
   */
  delete(meetingId, options = {}) {
    return this.end(meetingId, options);
  }

  /**
   * §6: change settings live (broadcast as meeting:settings-updated).
   * @param {string} meetingId
   * @param {SettingsChanges} changes
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<SettingsUpdated>}
   */
  updateSettings(meetingId, changes, options = {}) {
    return this.host("PATCH", meetingId, "/settings", options, withoutUndefined(changes));
  }

  /** @param {string} meetingId @param {{ adminToken?: string }} [options] @returns {Promise<LockState>} */
  lock(meetingId, options = {}) {
    return this.host("POST", meetingId, "/lock", options);
  }

  /** @param {string} meetingId @param {{ adminToken?: string }} [options] @returns {Promise<LockState>} */
  unlock(meetingId, options = {}) {
    return this.host("POST", meetingId, "/unlock", options);
  }

  /**
   * A one-use invite link (lets its holder past the lock).
   * @param {string} meetingId
   * @param {{ name?: string, adminToken?: string }} [options] name pre-fills the join page.
   * @returns {Promise<Invite>}
   */
  invite(meetingId, options = {}) {
    return this.host("POST", meetingId, "/invite", options, withoutUndefined({ name: options.name }));
  }

  /** §7 @param {string} meetingId @param {{ adminToken?: string }} [options] @returns {Promise<MuteAllResult>} */
  muteAll(meetingId, options = {}) {
    return this.host("POST", meetingId, "/mute-all", options);
  }

  /**
   * @param {string} meetingId
   * @param {string} participantId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<ParticipantAction>}
   */
  mute(meetingId, participantId, options = {}) {
    return this.host("POST", meetingId, `/participants/${segment(participantId, "participantId")}/mute`, options);
  }

  /**
   * Ask a participant to unmute (they receive admin:unmute).
   * @param {string} meetingId
   * @param {string} participantId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<ParticipantAction>}
   */
  unmute(meetingId, participantId, options = {}) {
    return this.host("POST", meetingId, `/participants/${segment(participantId, "participantId")}/unmute`, options);
  }

  /**
   * @param {string} meetingId
   * @param {string} participantId
   * @param {{ reason?: string, adminToken?: string }} [options]
   * @returns {Promise<ParticipantAction>}
   */
  kick(meetingId, participantId, options = {}) {
    const body = withoutUndefined({ reason: options.reason });
    return this.host("POST", meetingId, `/participants/${segment(participantId, "participantId")}/kick`, options, body);
  }

  /**
   * §19: the chat transcript as JSON.
   * @param {string} meetingId
   * @returns {Promise<Transcript>}
   */
  transcript(meetingId) {
    return this.client.request("GET", `/api/meetings/${segment(meetingId, "meetingId")}/transcript`);
  }

  /**
   * The transcript as the text file's content ("[14:30:00] Alice: Hello").
   * @param {string} meetingId
   * @returns {Promise<string>}
   */
  transcriptText(meetingId) {
    return this.client.request("GET", `/api/meetings/${segment(meetingId, "meetingId")}/transcript/download`, {
      as: "text",
    });
  }

  /**
   * The download link of the transcript file (for an <a href> in a logged-in page).
   * @param {string} meetingId
   * @returns {string}
   */
  transcriptDownloadUrl(meetingId) {
    return this.client.url(`/api/meetings/${segment(meetingId, "meetingId")}/transcript/download`);
  }

  // --- polls, Q&A, shared notes, attendance (collaboration.md) -------------------------
  // These take the API key (or the session); without either, the meeting's admin token (the
  // one given as `adminToken`, else the one remembered from create()).

  /**
   * A poll for the meeting (announced as poll:created). kind "yesno" and "rating" have
   * fixed options; "multiple" (the default) takes 2-10.
   * @param {string} meetingId
   * @param {{ question: string, kind?: "multiple"|"yesno"|"rating", options?: string[], anonymous?: boolean }} poll
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<{ poll: Poll }>}
   */
  createPoll(meetingId, poll, options = {}) {
    return this.collab("POST", meetingId, "/polls", options, { body: withoutUndefined(poll) });
  }

  /**
   * The meeting's polls in creation order, with results (and who chose what, unless anonymous).
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<{ polls: Poll[] }>}
   */
  polls(meetingId, options = {}) {
    return this.collab("GET", meetingId, "/polls", options);
  }

  /**
   * Close a poll (poll:closed); votes on it are refused from then on.
   * @param {string} meetingId
   * @param {number} pollId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<{ poll: Poll }>}
   */
  closePoll(meetingId, pollId, options = {}) {
    return this.collab("POST", meetingId, `/polls/${segment(pollId, "pollId")}/close`, options);
  }

  /**
   * Q&A questions, most upvoted first (then oldest first).
   * @param {string} meetingId
   * @param {{ includeDismissed?: boolean, adminToken?: string }} [options]
   * @returns {Promise<{ questions: Question[] }>}
   */
  questions(meetingId, options = {}) {
    const query = options.includeDismissed ? { include: "dismissed" } : undefined;
    return this.collab("GET", meetingId, "/questions", options, { query });
  }

  /**
   * The shared notes ({ text: "", version: 0 } before the first write).
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<Notes>}
   */
  notes(meetingId, options = {}) {
    return this.collab("GET", meetingId, "/notes", options);
  }

  /**
   * Replace the shared notes (notes:updated). With `baseVersion`, a write on an older version
   * rejects with an OnepizzaError 409 whose `body` is the current notes.
   * @param {string} meetingId
   * @param {{ text: string, baseVersion?: number }} notes
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<Notes>}
   */
  updateNotes(meetingId, notes, options = {}) {
    return this.collab("PUT", meetingId, "/notes", options, { body: withoutUndefined(notes) });
  }

  /**
   * Who attended: one row per stay, during and after the meeting.
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<Attendance>}
   */
  attendance(meetingId, options = {}) {
    return this.collab("GET", meetingId, "/attendance", options);
  }

  /**
   * The attendance rows as CSV text.
   * @param {string} meetingId
   * @param {{ adminToken?: string }} [options]
   * @returns {Promise<string>}
   */
  attendanceCsv(meetingId, options = {}) {
    return this.collab("GET", meetingId, "/attendance", options, { query: { format: "csv" }, as: "text" });
  }

  /** @private */
  collab(method, meetingId, suffix, options, extra = {}) {
    const given = options && options.adminToken;
    const adminToken = given || (this.client.apiKey ? undefined : this.client.adminTokens.get(meetingId));
    return this.client.request(method, `/api/meetings/${segment(meetingId, "meetingId")}${suffix}`, {
      adminToken,
      ...extra,
    });
  }

  /** @private */
  host(method, meetingId, suffix, options, body) {
    const adminToken = this.client.adminTokenFor(meetingId, options && options.adminToken);
    return this.client.request(method, `/api/meetings/${segment(meetingId, "meetingId")}${suffix}`, {
      adminToken,
      body,
    });
  }
}

/** §20: recordings of a meeting. */
class RecordingsApi extends Group {
  /**
   * Upload a recording (multipart field "recording"; video/* or audio/*, at most 500 MB).
   * @param {string} meetingId
   * @param {Blob} file A Blob or File (in Node: new Blob([bytes], { type: "video/webm" })).
   * @param {{ filename?: string }} [options] Default: the File's name, else "recording.webm".
   * @returns {Promise<Recording>}
   */
  upload(meetingId, file, options = {}) {
    const form = new FormData();
    const filename = options.filename || (file && file.name) || "recording.webm";
    form.append("recording", file, filename);
    return this.client.request("POST", `/api/meetings/${segment(meetingId, "meetingId")}/recordings`, { form });
  }

  /**
   * @param {string} meetingId
   * @returns {Promise<RecordingList>}
   */
  list(meetingId) {
    return this.client.request("GET", `/api/meetings/${segment(meetingId, "meetingId")}/recordings`);
  }

  /**
   * The file's download link (works in a logged-in page; with an API key use download()).
   * @param {number} id
   * @returns {string}
   */
  downloadUrl(id) {
    return this.client.url(`/api/recordings/${segment(id, "recording id")}/download`);
  }

  /**
   * The file itself.
   * @param {number} id
   * @returns {Promise<Blob>}
   */
  download(id) {
    return this.client.request("GET", `/api/recordings/${segment(id, "recording id")}/download`, { as: "blob" });
  }

  /**
   * @param {number} id
   * @returns {Promise<MessageResponse>}
   */
  delete(id) {
    return this.client.request("DELETE", `/api/recordings/${segment(id, "recording id")}`);
  }
}

/**
 * Meeting templates (collaboration.md): a title and any of muteOnJoin, videoOffOnJoin,
 * maxParticipants, locked, waitingRoom, applied by meetings.create and recurring.create
 * through `templateId` (the fields given there win).
 */
class TemplatesApi extends Group {
  /**
   * @param {{ name: string, title?: string, settings: Object<string, boolean|number> }} template
   * @returns {Promise<{ id: number, name: string, title: string|null, settings: Object, createdAt: string }>}
   */
  create(template) {
    return this.client.request("POST", "/api/templates", { body: { settings: {}, ...withoutUndefined(template) } });
  }

  /** Your templates and your company's. @returns {Promise<{ templates: Object[] }>} */
  list() {
    return this.client.request("GET", "/api/templates");
  }

  /** @param {number} id */
  get(id) {
    return this.client.request("GET", `/api/templates/${segment(id, "template id")}`);
  }

  /** @param {number} id @returns {Promise<MessageResponse>} */
  delete(id) {
    return this.client.request("DELETE", `/api/templates/${segment(id, "template id")}`);
  }
}

/**
 * Recurring meetings (collaboration.md): an RFC 5545 rule in an IANA time zone; each
 * occurrence becomes an ordinary scheduled meeting, made ahead of time.
 */
class RecurringApi extends Group {
  /**
   * @param {{ title?: string, rrule: string, startAt: string|Date, timezone?: string,
   *   durationMinutes?: number, templateId?: number, settings?: Object }} rule
   *   `startAt` without an offset is a wall-clock time in `timezone` (default UTC).
   * @returns {Promise<Object>} The rule with `nextOccurrences` (the next 5, ISO 8601 UTC).
   */
  create(rule) {
    const body = withoutUndefined(rule);
    if (body.startAt instanceof Date) body.startAt = body.startAt.toISOString();
    return this.client.request("POST", "/api/recurring", { body });
  }

  /** @returns {Promise<{ recurring: Object[] }>} */
  list() {
    return this.client.request("GET", "/api/recurring");
  }

  /**
   * The rule with the `meetings` it made; their admin tokens are remembered, so host
   * actions on them (meetings.end, updateSettings...) need only the meeting id.
   * @param {number} id
   */
  async get(id) {
    const rule = await this.client.request("GET", `/api/recurring/${segment(id, "recurring id")}`);
    for (const meeting of rule.meetings || []) {
      if (meeting.adminToken) this.client.adminTokens.set(meeting.meetingId, meeting.adminToken);
    }
    return rule;
  }

  /**
   * Delete the rule; its meetings not yet started are cancelled (their ids in `cancelled`).
   * @param {number} id
   * @returns {Promise<{ message: string, id: number, cancelled: string[] }>}
   */
  delete(id) {
    return this.client.request("DELETE", `/api/recurring/${segment(id, "recurring id")}`);
  }
}

/** §9: webhook endpoints and their delivery log. */
class WebhooksApi extends Group {
  /** @returns {Promise<WebhookList>} */
  list() {
    return this.client.request("GET", "/api/webhooks");
  }

  /**
   * Register an endpoint; the answer's `secret` (shown only here) signs every delivery.
   * @param {{ url: string, events: WebhookEvent[] }} webhook
   * @returns {Promise<CreatedWebhook>}
   */
  create(webhook) {
    return this.client.request("POST", "/api/webhooks", { body: webhook });
  }

  /**
   * @param {number} id
   * @returns {Promise<MessageResponse>}
   */
  delete(id) {
    return this.client.request("DELETE", `/api/webhooks/${segment(id, "webhook id")}`);
  }

  /**
   * The endpoint's deliveries, newest first.
   * @param {number} id
   * @param {Page} [page]
   * @returns {Promise<WebhookDeliveryList>}
   */
  deliveries(id, page = {}) {
    return this.client.request("GET", `/api/webhooks/${segment(id, "webhook id")}/deliveries`, { query: page });
  }

  /**
   * Send a delivery again (answers 202 with the delivery, queued).
   * @param {number} id
   * @param {string} deliveryId
   * @returns {Promise<WebhookDelivery>}
   */
  retry(id, deliveryId) {
    const path = `/api/webhooks/${segment(id, "webhook id")}/deliveries/${segment(deliveryId, "delivery id")}/retry`;
    return this.client.request("POST", path);
  }
}

/** §15: balance, top-ups and the ledger (session). */
class BillingApi extends Group {
  /**
   * @param {BillingHistoryQuery} [query]
   * @returns {Promise<BillingHistory>}
   */
  history(query = {}) {
    return this.client.request("GET", "/api/billing/history", { query });
  }

  /**
   * A Stripe Checkout session; send the browser to its `url`.
   * @param {number} amountUsd 5 to 1000, at most 2 decimals.
   * @returns {Promise<CheckoutSession>}
   */
  stripeCheckout(amountUsd) {
    return this.client.request("POST", "/api/billing/stripe/checkout", { body: { amountUsd } });
  }

  /** The account's USDC (ERC-20) deposit address. @returns {Promise<UsdcAddress>} */
  usdcAddress() {
    return this.client.request("GET", "/api/billing/usdc/address");
  }
}

/** §21: health probes (no authentication). A 503 rejects with an OnepizzaError (status 503). */
class HealthApi extends Group {
  /** Full check, database included. @returns {Promise<HealthStatus>} */
  check() {
    return this.client.request("GET", "/health");
  }

  /** @returns {Promise<HealthStatus>} */
  liveness() {
    return this.client.request("GET", "/health/liveness");
  }

  /** @returns {Promise<HealthStatus>} */
  readiness() {
    return this.client.request("GET", "/health/readiness");
  }
}

/** §18 analytics reports (platform admin session). */
class AnalyticsApi extends Group {
  /** @param {DaysQuery} [query] @returns {Promise<FeaturesReport>} */
  features(query = {}) {
    return this.report("features", query);
  }

  /** @param {DaysQuery} [query] @returns {Promise<ErrorsReport>} */
  errors(query = {}) {
    return this.report("errors", query);
  }

  /** @returns {Promise<RealtimeReport>} */
  realtime() {
    return this.report("realtime");
  }

  /** @returns {Promise<RetentionReport>} */
  retention() {
    return this.report("retention");
  }

  /** @returns {Promise<ServerHealthReport>} */
  health() {
    return this.report("health");
  }

  /** @param {DaysQuery} [query] Default 90 days. @returns {Promise<PeakHoursReport>} */
  peakHours(query = {}) {
    return this.report("peak-hours", query);
  }

  /** @returns {Promise<OverviewReport>} */
  overview() {
    return this.report("overview");
  }

  /** @param {Page} [page] @returns {Promise<UsersReport>} */
  users(page = {}) {
    return this.report("users", page);
  }

  /** @param {DaysQuery} [query] @returns {Promise<TrendsReport>} */
  trends(query = {}) {
    return this.report("trends", query);
  }

  /** @private */
  report(name, query) {
    return this.client.request("GET", `/admin/api/analytics/${name}`, { query });
  }
}

/** The platform admin's endpoints (admin session: 401 without a session, 403 for anyone else). */
class AdminApi extends Group {
  /** @param {Onepizza} client */
  constructor(client) {
    super(client);
    this.analytics = new AnalyticsApi(client);
  }

  /** @returns {Promise<PlatformSettings>} */
  settings() {
    return this.client.request("GET", "/admin/api/settings");
  }

  /**
   * Change platform settings (only the ones given).
   * @param {PlatformSettingsChanges} changes
   * @returns {Promise<PlatformSettings>}
   */
  updateSettings(changes) {
    return this.client.request("PATCH", "/admin/api/settings", { body: withoutUndefined(changes) });
  }

  /**
   * Grant credit to an account, written to the ledger with the reason.
   * @param {CreditRequest} grant
   * @returns {Promise<CreditResult>}
   */
  credit(grant) {
    return this.client.request("POST", "/admin/api/billing/credit", { body: withoutUndefined(grant) });
  }

  /**
   * The whole ledger, newest first, optionally for one account or of one type.
   * @param {TransactionsQuery} [query]
   * @returns {Promise<LedgerPage>}
   */
  transactions(query = {}) {
    return this.client.request("GET", "/admin/api/billing/transactions", { query });
  }
}

async function webCrypto() {
  if (globalThis.crypto && globalThis.crypto.subtle) return globalThis.crypto;
  return (await import("node:crypto")).webcrypto; // Node 18 has no global crypto
}

function sameText(a, b) {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    difference |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return difference === 0;
}

/**
 * Check a webhook delivery's X-Onepizza-Signature header (`t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>`) against the raw body, before parsing it; a
 * timestamp more than `toleranceSeconds` away from now is refused (a replay, or a wrong clock).
 * @param {string} secret The webhook's secret ("whsec_...", from webhooks.create()).
 * @param {string|null|undefined} header The X-Onepizza-Signature header.
 * @param {string|Uint8Array|ArrayBuffer} body The raw body, exactly as received.
 * @param {{ toleranceSeconds?: number, now?: number }} [options] now: epoch milliseconds.
 * @returns {Promise<boolean>}
 */
export async function verifyWebhookSignature(secret, header, body, options = {}) {
  const fields = {};
  for (const part of String(header || "").split(",")) {
    const at = part.indexOf("=");
    if (at > 0) fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  const timestamp = Number(fields.t);
  if (!/^\d+$/.test(fields.t || "") || typeof fields.v1 !== "string") return false;
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const encoder = new TextEncoder();
  const raw = typeof body === "string" ? encoder.encode(body) : new Uint8Array(body);
  const prefix = encoder.encode(`${fields.t}.`);
  const signed = new Uint8Array(prefix.length + raw.length);
  signed.set(prefix);
  signed.set(raw, prefix.length);
  const crypto = await webCrypto();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
  const expected = [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return sameText(expected, fields.v1.toLowerCase());
}

export default Onepizza;
