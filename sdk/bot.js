// onepizza JavaScript SDK: a meeting participant over Socket.IO (spec §10, §11), for bots,
// tests and custom clients. socket.io-client is a peer dependency: pass its `io` function, or
// have it installed next to this module (it is then imported when first needed).
//
//   import { io } from "socket.io-client";
//   import { joinMeeting } from "onepizza/bot";
//   const bot = await joinMeeting({ io, baseUrl, meetingId, name: "Notes bot" });
//   bot.on("chat:message", (m) => console.log(`${m.name}: ${m.text}`));
//   bot.chat("Hello from the bot!");
//   await bot.leave();

import { OnepizzaError } from "./onepizza.js";

/** Events the server sends to a participant (spec §10, §11). */
export const SERVER_EVENTS = Object.freeze([
  "joined",
  "participant:joined",
  "participant:left",
  "participant:updated",
  "signal:offer",
  "signal:answer",
  "signal:ice-candidate",
  "admin:mute",
  "admin:unmute",
  "admin:kick",
  "meeting:ended",
  "meeting:all-muted",
  "meeting:settings-updated",
  "chat:message",
  "chat:react",
  "react",
  "recording:started",
  "recording:stopped",
  "captions:update",
  "error",
  "waiting-room:waiting",
  "waiting-room:admitted",
  "waiting-room:denied",
  "waiting-room:participant-waiting",
  "breakout:created",
  "breakout:updated",
  "breakout:assigned",
  "breakout:participant-joined",
  "breakout:participant-left",
  "breakout:message",
  "breakout:closed",
  "breakout:all-closed",
  "stream:started",
  "stream:stopped",
  "poll:created",
  "poll:updated",
  "poll:closed",
  "qa:asked",
  "qa:updated",
  "notes:updated",
  "notes:conflict",
]);

/** Events the Bot itself raises (they do not come from the server). */
export const BOT_EVENTS = Object.freeze(["disconnected", "rejoined", "rejoin:failed"]);

/**
 * @typedef {Object} JoinedPayload The server's `joined` event.
 * @property {string} participantId
 * @property {{participantId: string, name: string, isMuted: boolean, isVideoOff: boolean, isScreenSharing?: boolean, isHandRaised?: boolean, isAdmin?: boolean}[]} participants
 *   Everyone else already in the meeting.
 * @property {import("./onepizza.js").MeetingSettings} settings
 * @property {string} title
 * @property {boolean} isAdmin
 * @property {boolean} muteOnJoin
 * @property {boolean} videoOffOnJoin
 * @property {boolean} isRecording
 * @property {string|null} recordingHostName
 * @property {string} [resumeToken] Sent back on a rejoin, so the server drops the stale entry.
 */

/**
 * @typedef {Object} ChatMessage The `chat:message` event.
 * @property {string} [id]
 * @property {string} from The sender's participantId.
 * @property {string} name
 * @property {string} text
 * @property {number} timestamp Epoch milliseconds.
 * @property {string|null} replyTo
 */

/**
 * @typedef {Object} BotOptions
 * @property {Function} [io] socket.io-client's `io` (default: imported from "socket.io-client").
 * @property {string} [baseUrl] Server URL (default: the page's origin, in a browser).
 * @property {string} [name] Display name (default "Bot").
 * @property {Object} [socketOptions] Extra options for io(), e.g. { transports: ["websocket"] }.
 * @property {number} [timeoutMs] How long join() waits for `joined` (default 10000).
 * @property {number} [waitingTimeoutMs] How long join() waits in a waiting room to be admitted
 *   (default 300000; 0 = no limit).
 * @property {boolean} [waitingRoom] When the meeting has a waiting room, queue in it and join
 *   once admitted (default true); false rejects join() instead.
 * @property {boolean} [rejoin] After a lost connection, socket.io-client reconnects and the Bot
 *   joins its meeting again, as the same name, host and invite (default true).
 */

/**
 * @typedef {Object} JoinOptions
 * @property {string} [adminToken] Join as host (the meeting's admin token).
 * @property {string} [inviteToken] A one-use invite (lets its holder past a lock).
 * @property {number} [timeoutMs]
 */

/**
 * An `error` (or denial) event as an OnepizzaError; `code` is the server's stable code
 * (meeting_not_found, meeting_ended, meeting_locked, meeting_full, meeting_scheduled,
 * waiting_room, rate_limited, bad_payload, not_allowed, ...; "denied" for a denial).
 */
function socketError(data, event = "error") {
  const text = String((data && data.message) || "Refused");
  const code = (data && data.code) || (event === "waiting-room:denied" ? "denied" : null);
  const status = GONE_CODES.has(code) ? 404 : code === "denied" ? 403 : code === "rate_limited" ? 429 : 400;
  const error = new OnepizzaError(status, text, { body: { event, ...data, message: text } });
  /** @type {string|null} */
  error.code = code;
  return error;
}

const GONE_CODES = new Set(["meeting_not_found", "meeting_ended"]);

async function loadIo() {
  try {
    const module = await import("socket.io-client");
    return module.io || module.default;
  } catch (error) {
    throw new TypeError(
      "socket.io-client is not installed: npm install socket.io-client, or pass { io } to the Bot",
      { cause: error },
    );
  }
}

/**
 * One participant of one meeting at a time. Every server event reaches the listeners added
 * with on(); join() resolves with the `joined` payload.
 */
export class Bot {
  /** @param {BotOptions} [options] */
  constructor(options = {}) {
    this.baseUrl = (options.baseUrl || (typeof location !== "undefined" ? location.origin : "")).replace(/\/+$/, "");
    if (!this.baseUrl) throw new TypeError("baseUrl is required outside a browser");
    this.name = options.name || "Bot";
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.waitingTimeoutMs = options.waitingTimeoutMs ?? 300000;
    this.waitingRoom = options.waitingRoom ?? true;
    this.rejoin = options.rejoin ?? true;
    this._io = options.io || null;
    this._socketOptions = options.socketOptions || {};
    /** @type {*} The socket.io-client Socket (null before join()). */
    this.socket = null;
    /** @type {string|null} */
    this.meetingId = null;
    /** @type {string|null} This participant's id (a new one after each rejoin). */
    this.participantId = null;
    /** @type {JoinedPayload|null} The last `joined` payload. */
    this.joined = null;
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
    this._joinPayload = null; // what join-meeting sent, while the Bot means to be in the meeting
    this._resumeToken = null;
    this._everConnected = false; // a later `connect` is socket.io-client's reconnection
  }

  /** Connected and in the meeting. @returns {boolean} */
  get connected() {
    return Boolean(this.socket && this.socket.connected && this.participantId);
  }

  /**
   * Listen to a server event (SERVER_EVENTS) or a Bot event (BOT_EVENTS); "*" gets every
   * event as (event, payload). Returns a function that removes the listener.
   * @param {string} event
   * @param {Function} listener
   * @returns {() => void}
   */
  on(event, listener) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(listener);
    return () => this.off(event, listener);
  }

  /** @param {string} event @param {Function} listener */
  off(event, listener) {
    const set = this._listeners.get(event);
    if (set) set.delete(listener);
  }

  /**
   * The next `event` whose payload passes `test`, within `timeoutMs` (default this.timeoutMs).
   * @param {string} event
   * @param {(payload: *) => boolean} [test]
   * @param {number} [timeoutMs]
   * @returns {Promise<*>}
   */
  waitFor(event, test = () => true, timeoutMs = this.timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new OnepizzaError(408, `No ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.on(event, (payload) => {
        let passed = false;
        try {
          passed = test(payload);
        } catch (error) {
          clearTimeout(timer);
          stop();
          reject(error);
          return;
        }
        if (passed) {
          clearTimeout(timer);
          stop();
          resolve(payload);
        }
      });
    });
  }

  /** @private */
  _deliver(event, payload) {
    for (const [name, args] of [
      [event, [payload]],
      ["*", [event, payload]],
    ]) {
      for (const listener of [...(this._listeners.get(name) || [])]) {
        try {
          listener(...args);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }

  /** @private */
  async _connect(meetingId) {
    if (this.socket) return this.socket;
    const io = this._io || (this._io = await loadIo());
    // ?meeting= lets a load balancer put a meeting's participants on one node (deploy/).
    const query = { meeting: meetingId, ...(this._socketOptions.query || {}) };
    const socket = io(this.baseUrl, {
      transports: ["websocket"],
      ...this._socketOptions,
      query,
      autoConnect: false,
    });
    this.socket = socket;
    for (const event of SERVER_EVENTS) {
      socket.on(event, (payload) => this._onServerEvent(event, payload));
    }
    socket.on("disconnect", (reason) => {
      this.participantId = null;
      if (this._joinPayload) this._deliver("disconnected", { reason: String(reason) });
    });
    socket.on("connect", () => {
      if (this._joinPayload && this._everConnected && this.rejoin) this._rejoin();
      this._everConnected = true;
    });
    await new Promise((resolve, reject) => {
      const done = (error) => {
        socket.off("connect", ok);
        socket.off("connect_error", failed);
        clearTimeout(timer);
        if (error) {
          socket.disconnect();
          this.socket = null;
          reject(error);
        } else resolve();
      };
      const ok = () => done();
      const failed = (error) => done(new OnepizzaError(0, `Cannot connect to ${this.baseUrl}: ${error.message}`, { cause: error }));
      const timer = setTimeout(() => failed(new Error("timed out")), this.timeoutMs);
      socket.on("connect", ok);
      socket.on("connect_error", failed);
      socket.connect();
    });
    return socket;
  }

  /** @private */
  _onServerEvent(event, payload) {
    if (event === "joined" && payload) {
      this.joined = payload;
      this.participantId = payload.participantId;
      this._resumeToken = payload.resumeToken || this._resumeToken;
    } else if (event === "meeting:ended" || event === "admin:kick") {
      this._joinPayload = null; // over: nothing to rejoin
    }
    this._deliver(event, payload);
  }

  /** @private Rejoin after socket.io-client reconnected. */
  async _rejoin() {
    const payload = { ...this._joinPayload };
    if (this._resumeToken) payload.resumeToken = this._resumeToken;
    try {
      const joined = await this._emitJoin(payload, this.timeoutMs);
      this._deliver("rejoined", joined);
    } catch (error) {
      this._joinPayload = null;
      this._deliver("rejoin:failed", { reason: error.message, error });
    }
  }

  /**
   * Emit join-meeting and settle on `joined` (resolve) or `error` (reject).
   * @private
   */
  _emitJoin(payload, timeoutMs) {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      const finish = (error, joined) => {
        clearTimeout(timer);
        socket.off("joined", onJoined);
        socket.off("error", onError);
        socket.off("disconnect", onDisconnect);
        if (error) reject(error);
        else resolve(joined);
      };
      const onJoined = (joined) => finish(null, joined);
      const onError = (data) => finish(socketError(data));
      const onDisconnect = (reason) => finish(new OnepizzaError(0, `Disconnected while joining: ${reason}`));
      const timer = setTimeout(
        () => finish(new OnepizzaError(408, `No answer to join-meeting within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on("joined", onJoined);
      socket.on("error", onError);
      socket.on("disconnect", onDisconnect);
      socket.emit("join-meeting", payload);
    });
  }

  /**
   * Wait in the meeting's waiting room until admitted (resolve) or denied (reject).
   * @private
   */
  _waitToBeAdmitted(meetingId) {
    const socket = this.socket;
    const limit = this.waitingTimeoutMs;
    return new Promise((resolve, reject) => {
      const finish = (error) => {
        clearTimeout(timer);
        socket.off("waiting-room:admitted", onAdmitted);
        socket.off("waiting-room:denied", onDenied);
        socket.off("error", onError);
        socket.off("disconnect", onDisconnect);
        if (error) reject(error);
        else resolve();
      };
      const onAdmitted = () => finish(null);
      const onDenied = (data) => finish(socketError({ message: (data && data.message) || "Denied" }, "waiting-room:denied"));
      const onError = (data) => finish(socketError(data));
      const onDisconnect = (reason) => finish(new OnepizzaError(0, `Disconnected while waiting: ${reason}`));
      const timer = limit > 0 ? setTimeout(() => finish(new OnepizzaError(408, `Not admitted within ${limit} ms`)), limit) : null;
      socket.on("waiting-room:admitted", onAdmitted);
      socket.on("waiting-room:denied", onDenied);
      socket.on("error", onError);
      socket.on("disconnect", onDisconnect);
      socket.emit("waiting-room:join", { meetingId, name: this.name });
    });
  }

  /**
   * Connect (if needed) and join a meeting; resolve with the `joined` payload, or reject with an
   * OnepizzaError carrying the server's message (404: not found or ended; 400: locked, full,
   * scheduled, ...; 403: denied entry from a waiting room; 408: no answer in time; 0: no connection).
   * @param {string} meetingId
   * @param {JoinOptions} [options]
   * @returns {Promise<JoinedPayload>}
   */
  async join(meetingId, options = {}) {
    if (!meetingId) throw new TypeError("meetingId is required");
    await this._connect(meetingId);
    const payload = {
      meetingId,
      name: this.name,
      isAdmin: Boolean(options.adminToken),
      adminToken: options.adminToken || null,
    };
    if (options.inviteToken) payload.inviteToken = options.inviteToken;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    this._resumeToken = null;
    let joined;
    try {
      joined = await this._emitJoin(payload, timeoutMs);
    } catch (error) {
      if (!this.waitingRoom || error.code !== "waiting_room") throw error;
      await this._waitToBeAdmitted(meetingId);
      joined = await this._emitJoin(payload, timeoutMs);
    }
    this.meetingId = meetingId;
    this._joinPayload = payload;
    return joined;
  }

  /**
   * Send any client event of the spec (§10-§12).
   * @param {string} event
   * @param {*} [payload]
   */
  emit(event, payload) {
    if (!this.socket || !this.socket.connected) throw new OnepizzaError(0, "Not connected: join a meeting first");
    this.socket.emit(event, payload);
  }

  /**
   * Send a chat message (at most 2000 characters); `replyTo` is a message id.
   * @param {string} text
   * @param {{ replyTo?: string }} [options]
   */
  chat(text, options = {}) {
    this.emit("chat:message", { text, replyTo: options.replyTo ?? null });
  }

  /** React to a chat message. @param {string} msgId @param {string} emoji */
  chatReact(msgId, emoji) {
    this.emit("chat:react", { msgId, emoji });
  }

  /** A floating reaction: 👍 ❤️ 😂 🎉 👏. @param {string} emoji */
  react(emoji) {
    this.emit("react", { emoji });
  }

  /** @param {boolean} [raised] */
  raiseHand(raised = true) {
    this.emit("raise-hand", { isHandRaised: raised });
  }

  /** Announce your microphone state. @param {boolean} isMuted */
  setMuted(isMuted) {
    this.emit("media:toggle-audio", { isMuted });
  }

  /** Announce your camera state. @param {boolean} isVideoOff */
  setVideoOff(isVideoOff) {
    this.emit("media:toggle-video", { isVideoOff });
  }

  /** @param {boolean} isScreenSharing */
  setScreenSharing(isScreenSharing) {
    this.emit("media:screen-share", { isScreenSharing });
  }

  /** Live caption text for everyone else. @param {string} text @param {boolean} [final] */
  caption(text, final = true) {
    this.emit("captions:update", { pid: this.participantId, text, final });
  }

  /** Host only: admit someone from the waiting room. @param {string} socketId */
  admit(socketId) {
    this.emit("waiting-room:admit", { meetingId: this.meetingId, socketId });
  }

  /** Host only: turn someone in the waiting room away. @param {string} socketId */
  deny(socketId) {
    this.emit("waiting-room:deny", { meetingId: this.meetingId, socketId });
  }

  /**
   * Send `event`, then resolve with the server's `answer` (the first passing `test`), or
   * reject with its `error` as an OnepizzaError (400), or with 408 after timeoutMs.
   * @private
   */
  _ask(event, payload, answer, test = () => true) {
    return new Promise((resolve, reject) => {
      const done = (settle, value) => {
        clearTimeout(timer);
        stopAnswer();
        stopError();
        settle(value);
      };
      const timer = setTimeout(
        () => done(reject, new OnepizzaError(408, `No ${answer} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const stopAnswer = this.on(answer, (data) => {
        if (test(data)) done(resolve, data);
      });
      const stopError = this.on("error", (data) => done(reject, new OnepizzaError(400, data?.message || "Refused")));
      try {
        this.emit(event, payload);
      } catch (error) {
        done(reject, error);
      }
    });
  }

  /**
   * Host only: open breakout rooms (1-20 names of 1-60 characters), replacing open ones.
   * @param {string[]} names
   * @returns {Promise<{id: string, name: string, participantCount: number}[]>}
   */
  async createBreakoutRooms(names) {
    return (await this._ask("breakout:create", { rooms: names }, "breakout:created")).rooms;
  }

  /**
   * Host only: assign participants to rooms (participantId → roomId; null unassigns).
   * Resolves with the rooms once they show it.
   * @param {Record<string, string|null>} assignments
   */
  async assignBreakout(assignments) {
    const entries = Object.entries(assignments);
    const shows = ({ rooms }) =>
      entries.every(([pid, roomId]) =>
        roomId
          ? rooms.some((room) => room.id === roomId && room.assigned?.includes(pid))
          : rooms.every((room) => !room.assigned?.includes(pid)),
      );
    const pairs = entries.map(([participantId, roomId]) => ({ participantId, roomId }));
    return (await this._ask("breakout:assign", { assignments: pairs }, "breakout:updated", shows)).rooms;
  }

  /** Enter a breakout room (the one assigned, or any for a host). @param {string} roomId */
  joinBreakout(roomId) {
    const mine = (data) => data?.participantId === this.participantId;
    return this._ask("breakout:join", { roomId }, "breakout:participant-joined", mine);
  }

  /** Back to the main room. */
  leaveBreakout() {
    const mine = (data) => data?.participantId === this.participantId;
    return this._ask("breakout:leave", {}, "breakout:participant-joined", mine);
  }

  /** Host only: a message to every room (at most 500 characters). @param {string} message */
  broadcastToBreakouts(message) {
    return this._ask("breakout:broadcast", { message }, "breakout:message");
  }

  /** Host only: close every room; everyone returns to the main room. */
  async closeBreakoutRooms() {
    await this._ask("breakout:close", {}, "breakout:all-closed");
  }

  /** Host only: start the live broadcast to an rtmp:// or rtmps:// URL. @param {string} url */
  startStream(url) {
    return this._ask("stream:start", { url }, "stream:started");
  }

  /** Host only: stop the live broadcast. */
  async stopStream() {
    await this._ask("stream:stop", {}, "stream:stopped");
  }

  // --- polls, Q&A and shared notes (collaboration.md) ---------------------------------

  /**
   * Host only: a poll for everyone; resolves with it once poll:created comes back.
   * @param {{ question: string, kind?: "multiple"|"yesno"|"rating", options?: string[], anonymous?: boolean }} poll
   * @returns {Promise<Object>} the poll
   */
  async createPoll(poll) {
    const { question } = poll;
    const mine = (data) => data?.poll?.question === String(question).trim();
    return (await this._ask("poll:create", poll, "poll:created", mine)).poll;
  }

  /** Host only: close a poll. @param {number} pollId @returns {Promise<Object>} the poll */
  async closePoll(pollId) {
    return (await this._ask("poll:close", { pollId }, "poll:closed", (d) => d?.poll?.id === pollId)).poll;
  }

  /**
   * Vote (`choice` is the option's index); a new vote replaces this Bot's earlier one.
   * Resolves with the next poll:updated of that poll ({ pollId, results, totalVotes }): the
   * one this vote caused, unless another participant's update reached this Bot first.
   * @param {number} pollId
   * @param {number} choice
   */
  vote(pollId, choice) {
    return this._ask("poll:vote", { pollId, choice }, "poll:updated", (d) => d?.pollId === pollId);
  }

  /** Ask the meeting a question (1-500 characters). @param {string} text @returns {Promise<Object>} */
  async ask(text) {
    const mine = (d) => d?.question?.participantId === this.participantId && d.question.text === String(text).trim();
    return (await this._ask("qa:ask", { text }, "qa:asked", mine)).question;
  }

  /** Toggle this Bot's upvote (not on its own question). @param {number} questionId @returns {Promise<Object>} */
  upvote(questionId) {
    return this._question("qa:upvote", questionId);
  }

  /** Host only: mark a question answered. @param {number} questionId @returns {Promise<Object>} */
  answerQuestion(questionId) {
    return this._question("qa:answer", questionId);
  }

  /** Host only: dismiss a question. @param {number} questionId @returns {Promise<Object>} */
  dismissQuestion(questionId) {
    return this._question("qa:dismiss", questionId);
  }

  /** @private */
  async _question(event, questionId) {
    const same = (d) => d?.question?.id === questionId;
    return (await this._ask(event, { questionId }, "qa:updated", same)).question;
  }

  /**
   * Write the shared notes on `baseVersion` (the version this Bot last saw). Resolves with
   * { updated: notes } when the write won, or { conflict: { text, version } } (the current
   * notes, nothing written) when somebody else's came first.
   * @param {string} text
   * @param {number} baseVersion
   * @returns {Promise<{ updated?: Object, conflict?: { text: string, version: number } }>}
   */
  updateNotes(text, baseVersion) {
    return new Promise((resolve, reject) => {
      const stops = [];
      const done = (settle, value) => {
        clearTimeout(timer);
        for (const stop of stops) stop();
        settle(value);
      };
      const timer = setTimeout(() => done(reject, new OnepizzaError(408, `No answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      stops.push(
        this.on("notes:updated", (d) => {
          if (d?.version === baseVersion + 1 && d.text === text && d.updatedBy === this.name) {
            done(resolve, { updated: d });
          }
        }),
        this.on("notes:conflict", (d) => done(resolve, { conflict: d })),
        this.on("error", (d) => done(reject, new OnepizzaError(400, d?.message || "Refused"))),
      );
      try {
        this.emit("notes:update", { text, baseVersion });
      } catch (error) {
        done(reject, error);
      }
    });
  }

  /** Leave the meeting and close the connection. */
  async leave() {
    this._joinPayload = null;
    const socket = this.socket;
    this.socket = null;
    this.meetingId = null;
    this.participantId = null;
    if (!socket) return;
    if (socket.connected) {
      await new Promise((resolve) => {
        socket.once("disconnect", () => resolve());
        socket.disconnect();
      });
    } else {
      socket.disconnect();
    }
  }
}

/**
 * Connect a Bot and join a meeting in one call; resolves with the Bot once `joined` arrived
 * (its payload is `bot.joined`), rejects with an OnepizzaError on the server's `error`.
 * @param {BotOptions & JoinOptions & { meetingId: string }} options
 * @returns {Promise<Bot>}
 */
export async function joinMeeting(options) {
  const bot = new Bot(options);
  try {
    await bot.join(options.meetingId, options);
  } catch (error) {
    await bot.leave();
    throw error;
  }
  return bot;
}

export { OnepizzaError };
export default Bot;
