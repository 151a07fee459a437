// The socket session: joining (from the lobby's form), the Socket.IO events of §10-§12, the
// waiting room, rejoining after a reconnection, the WebRTC mesh and leaving.
import { io } from "/vendor/socket.io-client/dist/socket.io.esm.min.js";

import { op } from "../account/common.js";
import { $, $$, toast } from "../dom.js";
import { plainText } from "../markdown.js";
import { Mesh } from "../mesh.js";
import { MeetingRecorder } from "../recorder.js";
import {
  adminToken,
  captions,
  chat,
  grid,
  inviteToken,
  media,
  meetingId,
  recorder,
  speaking,
  state,
} from "./context.js";
import { floatReaction, setMuted, setPanel, tickTimer, updateControls } from "./controls.js";
import { people, renderPeople, setHost, updateHostTools } from "./host-tools.js";
import { joinButton, lobbyError, nameInput, previewVideo } from "./lobby.js";
import {
  breakoutJoined,
  inMyRoom,
  isRoomMismatch,
  renderBreakout,
  showRoomTiles,
  watchBreakout,
} from "./breakout.js";
import { notesJoined, watchNotes } from "./notes.js";
import { pollsJoined, watchPolls } from "./polls.js";
import { qaJoined, watchQa } from "./qa.js";
import { showRecordingNotice, stopRecording } from "./recording.js";
import { showScreen, showStatus } from "./screens.js";

$("#join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) {
    lobbyError.textContent = "Enter your name to join";
    lobbyError.hidden = false;
    nameInput.focus();
    return;
  }
  localStorage.setItem("onepizza.name", name);
  state.name = name;
  joinButton.disabled = true;
  state.phase = "connecting";
  showStatus("Joining…", "Connecting to the meeting", { spinner: true });
  state.iceServers = await iceServers();
  connect();
});

/** The RTCIceServer list (§13); STUN defaults if the call fails. */
async function iceServers() {
  try {
    const data = await op.iceServers();
    if (Array.isArray(data?.iceServers)) return data.iceServers;
  } catch {
    // fall through to the defaults
  }
  return [{ urls: "stun:stun.l.google.com:19302" }];
}

function connect() {
  if (state.socket) {
    state.socket.connect();
    return;
  }
  // A restarted server is back within seconds: retry soon, spread over 0.25-3 s. The meeting
  // in the query lets a load balancer put a meeting's participants on one node (deploy/).
  const socket = io({
    transports: ["websocket"],
    query: { meeting: meetingId },
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  });
  state.socket = socket;
  window.onepizza.socket = socket;

  // What was emitted while the connection was down (signals to peers of the old session,
  // toggles) is stale: a rejoin starts over and re-announces our state.
  socket.io.on("open", () => {
    socket.sendBuffer = [];
  });
  socket.on("connect", () => {
    if (state.phase === "room") {
      state.rejoining = true; // the banner stays until the meeting takes us back
      emitJoin();
      return;
    }
    $("#reconnecting").hidden = true;
    if (state.phase === "connecting") emitJoin();
    else if (state.phase === "waiting") socket.emit("waiting-room:join", { meetingId, name: state.name });
  });
  socket.on("connect_error", (error) => {
    if (state.phase === "connecting") {
      $("#status-message").textContent = `Cannot reach the meeting server (${error.message}); retrying…`;
    }
  });
  socket.on("disconnect", (reason) => {
    if (state.phase !== "room" && state.phase !== "waiting") return;
    $("#reconnecting").hidden = false;
    // After a server-side disconnect socket.io does not retry by itself.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
  });

  socket.on("error", (data) => {
    if (isRoomMismatch(data)) return; // a signal in flight while someone moved rooms
    onServerError(data?.message || "Something went wrong", data?.code, data?.limit);
  });
  watchBreakout(socket);
  watchPolls(socket);
  watchQa(socket);
  watchNotes(socket);
  socket.on("joined", onJoined);
  socket.on("participant:joined", (p) => {
    if (!p?.participantId || p.participantId === state.selfId) return;
    addParticipant(p);
    renderPeople();
    showRoomTiles();
    renderBreakout();
    toast(`${p.name} joined`, { timeout: 3000 });
  });
  socket.on("participant:left", ({ participantId, name } = {}) => {
    if (!state.participants.has(participantId) || participantId === state.selfId) return;
    removeParticipant(participantId);
    renderPeople();
    renderBreakout();
    toast(`${name || "Someone"} left`, { timeout: 3000 });
  });
  socket.on("participant:updated", (update) => {
    if (!update?.participantId) return;
    if (update.participantId === state.selfId) {
      // Only the host changes our state from outside (a forced mute).
      if (update.isMuted === true && !media.muted) setMuted(true, { broadcast: false });
      return;
    }
    const p = state.participants.get(update.participantId);
    if (!p) return;
    for (const key of ["isMuted", "isVideoOff", "isScreenSharing", "isHandRaised"]) {
      if (typeof update[key] === "boolean") p[key] = update[key];
    }
    if (update.isHandRaised === true) toast(`${p.name} raised their hand ✋`, { timeout: 4000 });
    grid.update(p);
    renderPeople();
  });

  socket.on("signal:offer", ({ from, offer } = {}) => state.mesh?.handle(from, "offer", offer));
  socket.on("signal:answer", ({ from, answer } = {}) => state.mesh?.handle(from, "answer", answer));
  socket.on("signal:ice-candidate", ({ from, candidate } = {}) =>
    state.mesh?.handle(from, "candidate", candidate),
  );

  socket.on("admin:mute", () => {
    setMuted(true, { broadcast: false });
    toast("The host muted you", { kind: "warn" });
  });
  socket.on("admin:unmute", () => {
    toast("The host asks you to unmute", {
      timeout: 15000,
      actions: [{ label: "Unmute", onclick: () => setMuted(false) }],
    });
  });
  socket.on("admin:kick", ({ reason } = {}) => finish("You were removed from the meeting", reason || ""));
  socket.on("meeting:ended", ({ reason } = {}) => finish("The meeting has ended", reason || ""));
  socket.on("meeting:all-muted", () => {
    for (const p of state.participants.values()) {
      if (p.isLocal) continue;
      p.isMuted = true;
      grid.update(p);
    }
    if (!media.muted) setMuted(true, { broadcast: false });
    renderPeople();
    toast("The host muted everyone");
  });
  socket.on("meeting:settings-updated", (settings) => {
    const wasLocked = state.settings.locked;
    state.settings = { ...state.settings, ...settings };
    updateHostTools();
    if (wasLocked !== undefined && wasLocked !== state.settings.locked) {
      toast(state.settings.locked ? "The meeting is now locked" : "The meeting is unlocked");
    }
  });

  socket.on("chat:message", (message) => {
    chat.add(message);
    if ($("#chat-panel").hidden && message?.from !== state.selfId) {
      state.unread += 1;
      $("#chat-badge").textContent = String(state.unread);
      $("#chat-badge").hidden = false;
      updateControls();
      toast(`${message.name}: ${plainText(message.text).slice(0, 80)}`, {
        timeout: 4000,
        actions: [{ label: "Open chat", onclick: () => setPanel("chat", true) }],
      });
    }
  });
  socket.on("chat:react", (reaction) => chat.addReaction(reaction || {}));
  socket.on("react", ({ participantId, emoji } = {}) => floatReaction(participantId, emoji));
  socket.on("recording:started", ({ hostName } = {}) => showRecordingNotice(hostName));
  socket.on("recording:stopped", () => showRecordingNotice(null));
  socket.on("captions:update", ({ pid, text, final } = {}) => {
    if (typeof text === "string" && pid && pid !== state.selfId) captions.show(pid, text, Boolean(final));
  });

  socket.on("waiting-room:waiting", ({ message } = {}) => {
    state.phase = "waiting";
    showStatus("Waiting to be let in", message || "The host will let you in soon.", {
      spinner: true,
      cancel: () => finish("You left the waiting room", "", { rejoin: true }),
    });
  });
  socket.on("waiting-room:admitted", () => {
    state.phase = "connecting";
    showStatus("Joining…", "The host let you in", { spinner: true });
    emitJoin();
  });
  socket.on("waiting-room:denied", ({ message } = {}) => {
    finish("You were not let in", message || "The host declined your request to join.", { rejoin: true });
  });
  socket.on("waiting-room:participant-waiting", (entry) => {
    if (!entry?.socketId) return;
    people.waitingUpdate(entry);
    updateControls();
    if (!entry.removed) {
      toast(`${entry.name || "Someone"} is waiting to join`, {
        timeout: 15000,
        actions: [
          { label: "Admit", onclick: () => people.actions.admit(entry.socketId) },
          { label: "View", onclick: () => setPanel("people", true) },
        ],
      });
    }
  });
}

function emitJoin() {
  const payload = { meetingId, name: state.name, isAdmin: Boolean(adminToken) };
  if (adminToken) payload.adminToken = adminToken;
  if (inviteToken) payload.inviteToken = inviteToken; // single-use: the resumeToken is what counts
  if (state.resumeToken) payload.resumeToken = state.resumeToken;
  state.socket.emit("join-meeting", payload);
}

// The `error` event's codes (README, "Socket.IO errors"): the page goes by these, and shows
// the message, which is for people.
const GONE = new Set(["meeting_not_found", "meeting_ended"]);
const REFUSED = new Set(["meeting_locked", "meeting_full", "meeting_scheduled", "waiting_room"]);
// Limits on what the page sends by itself (not at a click): nothing for the person to do.
const QUIET_LIMITS = new Set(["captions", "signaling"]);

function onServerError(message, code, limit) {
  if (code === "rate_limited" && QUIET_LIMITS.has(limit)) return;
  if ((state.rejoining || state.phase === "waiting") && GONE.has(code)) {
    // The server came back without our meeting (e.g. a guest meeting after a restart).
    state.rejoining = false;
    finish("The meeting has ended", message);
    return;
  }
  if (state.rejoining && REFUSED.has(code)) {
    state.rejoining = false; // refused back in: say why, as for a first join
    leaveRoom();
    state.phase = "connecting";
  }
  if (state.phase !== "connecting") {
    toast(message, { kind: "error" });
    return;
  }
  if (code === "waiting_room") {
    state.phase = "waiting";
    showStatus("Waiting to be let in", "Asking the host to let you in…", { spinner: true });
    state.socket.emit("waiting-room:join", { meetingId, name: state.name });
    return;
  }
  // Refused: not found, ended, locked, full, scheduled (or a bad request).
  state.phase = "ended";
  state.socket.disconnect();
  const retry = { label: "Try again", onclick: retryJoin };
  switch (code) {
    case "meeting_not_found":
      showStatus("Meeting not found", `${message}. Check the link you were given.`);
      break;
    case "meeting_ended":
      showStatus("This meeting has ended", message);
      break;
    case "meeting_locked":
      showStatus("Can't join right now", `${message}. Ask the host to unlock it, then try again.`, { retry });
      break;
    case "meeting_full":
      showStatus("Can't join right now", `${message}. Try again when someone has left.`, { retry });
      break;
    case "meeting_scheduled":
      showStatus("Not started yet", localScheduledTime(message), { retry });
      break;
    default:
      showStatus("Can't join this meeting", message, { retry });
  }
}

/** "…scheduled for 2026-04-01T14:00:00Z" → the same sentence in local time. */
function localScheduledTime(message) {
  const match = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/.exec(message);
  const when = match ? new Date(match[1]) : null;
  if (!when || Number.isNaN(when.getTime())) return message;
  const local = when.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
  return `${message.replace(match[1], local)} (your local time). Come back then, or try again.`;
}

function retryJoin() {
  state.phase = "connecting";
  showStatus("Joining…", "Connecting to the meeting", { spinner: true });
  connect();
}

// --- in the room --------------------------------------------------------------------------

function onJoined(payload) {
  const rejoin = state.selfId !== null;
  state.phase = "room";
  state.rejoining = false;
  $("#reconnecting").hidden = true;
  state.resumeToken = payload.resumeToken || null;
  state.selfId = payload.participantId;
  window.onepizza.participantId = payload.participantId;
  state.isAdmin = Boolean(payload.isAdmin);
  state.title = payload.title || "Meeting";
  state.settings = payload.settings || {};
  setHost(state.isAdmin);
  if (adminToken && !state.isAdmin) toast("The host link was not accepted: you joined as a guest", { kind: "warn" });

  // A rejoin after a reconnection starts over with fresh connections.
  state.mesh?.closeAll();
  grid.clear();
  for (const pid of state.participants.keys()) speaking.unwatch(pid);
  state.participants.clear();
  people.clearWaiting();

  if (payload.muteOnJoin && !rejoin) media.setMuted(true);
  if (payload.videoOffOnJoin && !rejoin) media.setVideoOff(true);
  const self = {
    participantId: state.selfId,
    name: state.name,
    isMuted: media.muted,
    isVideoOff: media.videoOff || !media.cameraTrack,
    isScreenSharing: media.sharing,
    isHandRaised: state.handRaised,
    isAdmin: state.isAdmin,
    isLocal: true,
  };
  state.participants.set(state.selfId, self);
  grid.ensure(self);
  grid.setStream(state.selfId, media.preview);
  previewVideo.srcObject = null;

  // The server starts us at the meeting's defaults; tell everyone where we really are.
  if (self.isMuted !== Boolean(payload.muteOnJoin)) state.socket.emit("media:toggle-audio", { isMuted: self.isMuted });
  if (self.isVideoOff !== Boolean(payload.videoOffOnJoin)) {
    state.socket.emit("media:toggle-video", { isVideoOff: self.isVideoOff });
  }
  if (self.isScreenSharing) state.socket.emit("media:screen-share", { isScreenSharing: true });
  if (self.isHandRaised) state.socket.emit("raise-hand", { isHandRaised: true });

  const mesh = new Mesh({
    selfId: state.selfId,
    iceServers: state.iceServers,
    signal: (event, data) => state.socket.emit(event, data),
    localTrack: (kind) => media.track(kind),
    localStream: media.preview,
  });
  mesh.addEventListener("stream", ({ detail }) => {
    grid.setStream(detail.pid, detail.stream);
    speaking.watch(detail.pid, detail.stream);
  });
  mesh.addEventListener("state", ({ detail }) => {
    const tile = grid.tile(detail.pid);
    if (tile) tile.dataset.connection = detail.state;
  });
  state.mesh = mesh;
  window.onepizza.peers = mesh.peers;
  breakoutJoined(payload);
  pollsJoined(payload);
  qaJoined();
  notesJoined(payload);
  for (const p of payload.participants || []) {
    addParticipant(p);
    // §12: the newcomer offers to everyone already here (in its room: the main room)
    if (inMyRoom(p.participantId)) mesh.connect(p.participantId);
  }
  showRoomTiles();

  showRecordingNotice(payload.isRecording ? payload.recordingHostName || "The host" : null);
  $("#room-title").textContent = state.title;
  document.title = `${state.title} — onepizza`;
  $("#btn-record").hidden = !state.isAdmin || !MeetingRecorder.supported;
  updateHostTools();
  updateControls();
  renderPeople();
  showScreen("room");
  grid.relayout();
  if (!rejoin) {
    state.joinedAt = Date.now();
    state.timer = setInterval(tickTimer, 1000);
    tickTimer();
    // Focus on the meeting's name (announced), not on a button: Space is push-to-talk.
    $("#room-title").focus();
    if (state.isAdmin) toast("You are the host. Share the link to invite people.", { timeout: 6000 });
  } else {
    toast("Reconnected", { timeout: 2500 });
  }
}

function addParticipant(p) {
  const entry = {
    participantId: p.participantId,
    name: p.name || "Guest",
    isMuted: Boolean(p.isMuted),
    isVideoOff: Boolean(p.isVideoOff),
    isScreenSharing: Boolean(p.isScreenSharing),
    isHandRaised: Boolean(p.isHandRaised),
    isAdmin: Boolean(p.isAdmin),
    isLocal: false,
  };
  state.participants.set(p.participantId, entry);
  grid.ensure(entry);
  const stream = state.mesh?.stream(p.participantId);
  if (stream) grid.setStream(p.participantId, stream);
}

function removeParticipant(pid) {
  state.mesh?.close(pid);
  speaking.unwatch(pid);
  captions.remove(pid);
  grid.remove(pid);
  state.participants.delete(pid);
}

/** Out of the room but not done with it (a rejoin was refused): no peers, no tiles. */
function leaveRoom() {
  if (recorder.active) stopRecording();
  state.mesh?.closeAll();
  for (const pid of state.participants.keys()) speaking.unwatch(pid);
  state.participants.clear();
  grid.clear();
  $("#reconnecting").hidden = true;
}

/** Leave (or be removed, or see the meeting end): stop everything, show the final screen. */
export async function finish(title, message, { rejoin = false } = {}) {
  if (state.phase === "ended") return;
  state.phase = "ended";
  if (recorder.active) await stopRecording();
  state.mesh?.closeAll();
  captions.stop();
  speaking.stop();
  media.stop();
  clearInterval(state.timer);
  state.socket?.disconnect();
  grid.clear();
  for (const dialog of $$("dialog[open]")) dialog.close();
  showStatus(title, message, {
    retry: rejoin ? { label: "Rejoin", onclick: () => location.reload() } : null,
  });
}

export function leave() {
  state.socket?.emit("leave-meeting", {});
  finish("You left the meeting", "", { rejoin: true });
}

$("#recording-leave").addEventListener("click", () => leave());
