// The meeting page (/join/:meetingId): lobby, waiting room, the room itself and the final
// screen. Socket.IO events are those of §10–§12; host controls go through the REST API with
// the meeting's admin token, which lives in this tab's sessionStorage only.
import { io } from "/vendor/socket.io-client/dist/socket.io.esm.min.js";

import { HostApi, iceServers } from "./api.js";
import { Captions } from "./captions.js";
import { Chat, REACTIONS } from "./chat.js";
import { $, $$, h, isTyping, setIcon, spaceActivates, toast } from "./dom.js";
import { Grid } from "./grid.js";
import { plainText } from "./markdown.js";
import { LocalMedia } from "./media.js";
import { Mesh } from "./mesh.js";
import { People } from "./people.js";
import { download, MeetingRecorder } from "./recorder.js";
import { SpeakingMonitor } from "./speaking.js";

const LOCAL = "local"; // the speaking monitor's key for our own microphone

// --- where we are -------------------------------------------------------------------------

const meetingId = decodeURIComponent(location.pathname.split("/")[2] || "");
const query = new URLSearchParams(location.search);
const adminToken = takeSecret("admin", new URLSearchParams(location.hash.slice(1)).get("admin"));
const inviteToken = takeSecret("invite", query.get("invite"));
const prefilledName = query.get("name");

/** Keep a token for this meeting in sessionStorage and take it out of the address bar. */
function takeSecret(kind, fromUrl) {
  const key = `onepizza.${kind}.${meetingId}`;
  if (fromUrl) {
    sessionStorage.setItem(key, fromUrl);
    const params = new URLSearchParams(location.search);
    params.delete("invite");
    const search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
  }
  return fromUrl || sessionStorage.getItem(key);
}

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

const state = {
  phase: "lobby", // lobby | connecting | waiting | room | ended
  socket: null,
  selfId: null,
  resumeToken: null, // from the last `joined`: lets a rejoin replace our stale entry
  rejoining: false, // reconnected in the room, our join-meeting not answered yet
  isAdmin: false,
  title: "",
  settings: {},
  participants: new Map(), // participantId → { participantId, name, isMuted, ... , isLocal }
  name: "",
  handRaised: false,
  joinedAt: 0,
  mesh: null,
  iceServers: null,
  pushToTalk: false,
  unread: 0,
  timer: null,
};

// For tests and debugging: the peer connections, our participantId and the socket.
window.onepizza = { peers: new Map(), participantId: null, socket: null, state };

const media = new LocalMedia();
const grid = new Grid($("#grid"));
const speaking = new SpeakingMonitor(
  (pid) => grid.setSpeaking(pid === LOCAL ? state.selfId : pid),
  (pid, level) => {
    if (pid === LOCAL) $("#preview-level").value = Math.min(1, level * 6);
  },
);
let hostApi = null;
const recorder = new MeetingRecorder(grid);
const captions = new Captions($("#captions"), {
  send: (text, final) => state.socket?.emit("captions:update", { pid: state.selfId, text, final }),
  nameOf: (pid) => (pid === state.selfId ? "You" : state.participants.get(pid)?.name || "Someone"),
});
const chat = new Chat({
  send: (text, replyTo) => state.socket?.emit("chat:message", replyTo ? { text, replyTo } : { text }),
  react: (msgId, emoji) => state.socket?.emit("chat:react", { msgId, emoji }),
  selfId: () => state.selfId,
});
const people = new People({
  mute: (pid) => host((api) => api.mute(pid)),
  askToUnmute: (pid) =>
    host((api) => api.askToUnmute(pid), `Asked ${state.participants.get(pid)?.name || "them"} to unmute`),
  kick: async (pid, name) => {
    if (await confirmAction(`Remove ${name} from the meeting?`, "Remove")) host((api) => api.kick(pid));
  },
  admit: (socketId) => state.socket?.emit("waiting-room:admit", { meetingId, socketId }),
  deny: (socketId) => state.socket?.emit("waiting-room:deny", { meetingId, socketId }),
});

// --- screens ------------------------------------------------------------------------------

function showScreen(id) {
  for (const screen of $$(".screen")) screen.hidden = screen.id !== id;
}

/** The status screen: connecting, waiting, refused and the final screen. */
function showStatus(title, message = "", { spinner = false, retry = null, cancel = null } = {}) {
  showScreen("status-screen");
  $("#status-title").textContent = title;
  $("#status-message").textContent = message;
  $("#status-spinner").hidden = !spinner;
  const retryButton = $("#status-retry");
  retryButton.hidden = !retry;
  retryButton.textContent = retry?.label || "Try again";
  retryButton.onclick = retry?.onclick || null;
  const cancelButton = $("#status-cancel");
  cancelButton.hidden = !cancel;
  cancelButton.onclick = cancel || null;
  document.title = `${title} — onepizza`;
  (retry ? retryButton : $("#status-title")).focus?.();
}

// --- lobby --------------------------------------------------------------------------------

const nameInput = $("#name-input");
const joinButton = $("#join-button");
const lobbyError = $("#lobby-error");
const previewVideo = $("#preview-video");

async function initLobby() {
  $("#lobby-meeting-id").textContent = meetingId || "(none)";
  $("#host-note").hidden = !adminToken;
  nameInput.value = (prefilledName || localStorage.getItem("onepizza.name") || "").slice(0, 60);
  if (!meetingId) {
    showStatus("No meeting here", "This link has no meeting code in it.");
    return;
  }
  nameInput.focus();
  $("#preview-status").textContent = "Starting your camera…";
  await media.start();
  $("#preview-status").textContent = media.error || "";
  previewVideo.srcObject = media.preview;
  speaking.watch(LOCAL, media.preview);
  updateLobbyButtons();
  await fillDeviceSelects($("#camera-select"), $("#mic-select"));
  navigator.mediaDevices?.addEventListener?.("devicechange", () => {
    fillDeviceSelects($("#camera-select"), $("#mic-select"));
    fillDeviceSelects($("#room-camera-select"), $("#room-mic-select"));
  });
}

async function fillDeviceSelects(cameraSelect, micSelect) {
  const { cameras, mics } = await media.devices();
  const fill = (select, devices, kind, label) => {
    const current = media.currentDeviceId(kind);
    select.replaceChildren(
      ...devices.map((d, i) =>
        h("option", { value: d.deviceId, selected: d.deviceId === current ? true : null }, d.label || `${label} ${i + 1}`),
      ),
    );
    if (!devices.length) select.append(h("option", { value: "" }, `No ${label.toLowerCase()} found`));
    select.disabled = !devices.length;
  };
  fill(cameraSelect, cameras, "video", "Camera");
  fill(micSelect, mics, "audio", "Microphone");
}

function updateLobbyButtons() {
  const mic = $("#preview-mic");
  const cam = $("#preview-cam");
  setToggle(mic, media.muted, "Unmute microphone", "Mute microphone", media.muted ? "mic-off" : "mic");
  mic.disabled = !media.audioTrack;
  const off = media.videoOff || !media.cameraTrack;
  setToggle(cam, off, "Turn camera on", "Turn camera off", off ? "cam-off" : "cam");
  cam.disabled = !media.cameraTrack;
  $("#preview-avatar").hidden = !off;
  $("#preview-avatar").textContent = (nameInput.value.trim()[0] || "?").toUpperCase();
}

/** A toggle button: aria-pressed, its label (with the shortcut) and its icon. */
function setToggle(button, pressed, pressedLabel, label, iconName, key) {
  button.setAttribute("aria-pressed", String(Boolean(pressed)));
  const text = pressed ? pressedLabel : label;
  button.setAttribute("aria-label", key ? `${text} (${key})` : text);
  button.title = button.getAttribute("aria-label");
  if (iconName) setIcon(button, iconName);
}

$("#preview-mic").addEventListener("click", () => {
  media.setMuted(!media.muted);
  updateLobbyButtons();
});
$("#preview-cam").addEventListener("click", () => {
  media.setVideoOff(!media.videoOff);
  updateLobbyButtons();
});
nameInput.addEventListener("input", () => {
  lobbyError.hidden = true;
  updateLobbyButtons();
});
for (const [select, kind] of [
  [$("#camera-select"), "video"],
  [$("#mic-select"), "audio"],
  [$("#room-camera-select"), "video"],
  [$("#room-mic-select"), "audio"],
]) {
  select.addEventListener("change", async () => {
    try {
      if (kind === "video") await media.useCamera(select.value);
      else await media.useMicrophone(select.value);
    } catch (error) {
      toast(`Could not switch device: ${error.message}`, { kind: "error" });
    }
  });
}
media.addEventListener("preview", () => {
  if (state.phase === "lobby") previewVideo.srcObject = media.preview;
  if (state.selfId) grid.setStream(state.selfId, media.preview);
  speaking.watch(LOCAL, media.preview);
});
media.addEventListener("trackchange", ({ detail }) => {
  state.mesh?.replaceTrack(detail.kind, media.track(detail.kind));
});
media.addEventListener("screenshare", () => {
  state.socket?.emit("media:screen-share", { isScreenSharing: media.sharing });
  updateSelf({ isScreenSharing: media.sharing });
});

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

// --- the connection -----------------------------------------------------------------------

function connect() {
  if (state.socket) {
    state.socket.connect();
    return;
  }
  // A restarted server is back within seconds: retry soon, spread over 0.25-3 s.
  const socket = io({ transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 3000 });
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

  socket.on("error", (data) => onServerError(data?.message || "Something went wrong"));
  socket.on("joined", onJoined);
  socket.on("participant:joined", (p) => {
    if (!p?.participantId || p.participantId === state.selfId) return;
    addParticipant(p);
    renderPeople();
    toast(`${p.name} joined`, { timeout: 3000 });
  });
  socket.on("participant:left", ({ participantId, name } = {}) => {
    if (!state.participants.has(participantId) || participantId === state.selfId) return;
    removeParticipant(participantId);
    renderPeople();
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

const WAITING_ROOM = /waiting room/i;
const GONE = /has ended|not found/i;

function onServerError(message) {
  if ((state.rejoining || state.phase === "waiting") && GONE.test(message)) {
    // The server came back without our meeting (e.g. a guest meeting after a restart).
    state.rejoining = false;
    finish("The meeting has ended", message);
    return;
  }
  if (state.rejoining && /locked|full|scheduled|waiting room/i.test(message)) {
    state.rejoining = false; // refused back in: say why, as for a first join
    leaveRoom();
    state.phase = "connecting";
  }
  if (state.phase !== "connecting") {
    toast(message, { kind: "error" });
    return;
  }
  if (WAITING_ROOM.test(message)) {
    state.phase = "waiting";
    showStatus("Waiting to be let in", "Asking the host to let you in…", { spinner: true });
    state.socket.emit("waiting-room:join", { meetingId, name: state.name });
    return;
  }
  // Refused: not found, ended, locked, full, scheduled (or a bad request).
  state.phase = "ended";
  state.socket.disconnect();
  const retry = { label: "Try again", onclick: retryJoin };
  if (/not found/i.test(message)) {
    showStatus("Meeting not found", `${message}. Check the link you were given.`);
  } else if (/has ended/i.test(message)) {
    showStatus("This meeting has ended", message);
  } else if (/locked/i.test(message)) {
    showStatus("Can't join right now", `${message}. Ask the host to unlock it, then try again.`, { retry });
  } else if (/full/i.test(message)) {
    showStatus("Can't join right now", `${message}. Try again when someone has left.`, { retry });
  } else if (/scheduled/i.test(message)) {
    showStatus("Not started yet", localScheduledTime(message), { retry });
  } else {
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
  hostApi = state.isAdmin && adminToken ? new HostApi(meetingId, adminToken) : null;
  people.isHost = Boolean(hostApi);
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
  for (const p of payload.participants || []) {
    addParticipant(p);
    mesh.connect(p.participantId); // §12: the newcomer offers to everyone already here
  }

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

function renderPeople() {
  people.render(state.participants);
}

/** Change our own state in the tile, the list and the controls. */
function updateSelf(changes) {
  const self = state.participants.get(state.selfId);
  if (!self) return;
  Object.assign(self, changes);
  grid.update(self);
  renderPeople();
  updateControls();
}

function setMuted(muted, { broadcast = true } = {}) {
  if (muted && !media.muted && state.pushToTalk) state.pushToTalk = false;
  media.setMuted(muted);
  if (broadcast) state.socket?.emit("media:toggle-audio", { isMuted: media.muted });
  updateSelf({ isMuted: media.muted });
  updateLobbyButtons();
}

function toggleMute() {
  if (!media.audioTrack) {
    toast("No microphone is available", { kind: "warn" });
    return;
  }
  state.pushToTalk = false;
  setMuted(!media.muted);
}

function toggleCamera() {
  if (!media.cameraTrack) {
    toast("No camera is available", { kind: "warn" });
    return;
  }
  media.setVideoOff(!media.videoOff);
  state.socket?.emit("media:toggle-video", { isVideoOff: media.videoOff });
  updateSelf({ isVideoOff: media.videoOff });
  updateLobbyButtons();
}

async function toggleScreenShare() {
  try {
    if (media.sharing) media.stopScreenShare();
    else await media.startScreenShare();
  } catch (error) {
    if (error.name !== "NotAllowedError" && error.name !== "AbortError") {
      toast(`Screen sharing failed: ${error.message}`, { kind: "error" });
    }
  }
}

function toggleHand() {
  state.handRaised = !state.handRaised;
  state.socket?.emit("raise-hand", { isHandRaised: state.handRaised });
  updateSelf({ isHandRaised: state.handRaised });
}

function toggleBlur() {
  try {
    media.setBlur(!media.blurred);
    updateControls();
  } catch (error) {
    toast(error.message, { kind: "warn" });
  }
}

function toggleCaptions() {
  try {
    const on = captions.toggle(state.selfId);
    toast(on ? "Live captions on: everyone sees what you say" : "Live captions off", { timeout: 3000 });
  } catch (error) {
    toast(error.message, { kind: "warn" });
  }
  updateControls();
}

async function toggleRecording() {
  if (!state.isAdmin) {
    toast("Only the host can record", { kind: "warn" });
    return;
  }
  if (!MeetingRecorder.supported) {
    toast("Recording is not available in this browser", { kind: "warn" });
    return;
  }
  if (recorder.active) {
    await stopRecording();
  } else {
    try {
      recorder.start();
      state.socket?.emit("recording:broadcast-started", { hostName: state.name });
      $("#rec-indicator").hidden = false;
      toast("Recording: everyone has been told", { timeout: 3000 });
    } catch (error) {
      toast(`Recording failed: ${error.message}`, { kind: "error" });
    }
  }
  updateControls();
}

async function stopRecording() {
  if (!recorder.active) return;
  state.socket?.emit("recording:broadcast-stopped", {});
  $("#rec-indicator").hidden = true;
  const blob = await recorder.stop();
  if (!blob?.size) {
    toast("The recording was too short: nothing was saved", { kind: "warn" });
    return;
  }
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
  const filename = `onepizza-${meetingId}-${stamp}.webm`;
  // Signed in as the meeting's owner: store it with the meeting (§20). Otherwise (a guest
  // meeting, or not signed in) it is saved as a download.
  if (await uploadRecording(blob, filename)) {
    toast("Recording saved with the meeting's recordings", {
      timeout: 8000,
      actions: [{ label: "Download a copy", onclick: () => download(blob, filename) }],
    });
    return;
  }
  download(blob, filename);
  toast("Recording saved to your downloads", { timeout: 4000 });
}

async function uploadRecording(blob, filename) {
  const form = new FormData();
  form.append("recording", new File([blob], filename, { type: blob.type || "video/webm" }));
  try {
    const response = await fetch(`/api/meetings/${encodeURIComponent(meetingId)}/recordings`, {
      method: "POST",
      body: form,
      credentials: "same-origin",
    });
    return response.ok;
  } catch {
    return false;
  }
}

function showRecordingNotice(hostName) {
  const banner = $("#recording-banner");
  if (!hostName) {
    banner.hidden = true;
    if (!recorder.active) $("#rec-indicator").hidden = true;
    return;
  }
  $("#recording-text").textContent = `${hostName} is recording this meeting. By staying, you agree to be recorded.`;
  banner.hidden = false;
  $("#rec-indicator").hidden = false;
}

$("#recording-ok").addEventListener("click", () => {
  $("#recording-banner").hidden = true;
});
$("#recording-leave").addEventListener("click", () => leave());

function setPanel(which, open) {
  const panels = { chat: $("#chat-panel"), people: $("#people-panel") };
  const buttons = { chat: $("#btn-chat"), people: $("#btn-people") };
  const show = open ?? panels[which].hidden;
  for (const [name, panel] of Object.entries(panels)) {
    const visible = name === which ? show : false;
    const wasVisible = !panel.hidden;
    panel.hidden = !visible;
    buttons[name].setAttribute("aria-pressed", String(visible));
    if (wasVisible && !visible && panel.contains(document.activeElement)) buttons[name].focus();
  }
  $("#room").dataset.panel = show ? which : "";
  if (which === "chat" && show) {
    state.unread = 0;
    $("#chat-badge").hidden = true;
    $("#chat-input").focus();
    const list = $("#chat-messages");
    list.scrollTop = list.scrollHeight;
  } else if (which === "people" && show) {
    $("#people-panel").querySelector("button, input")?.focus();
  }
  updateControls();
  requestAnimationFrame(() => grid.relayout());
}

for (const button of $$("[data-close-panel]")) {
  button.addEventListener("click", () => setPanel(button.dataset.closePanel, false));
}

function toggleUi(show) {
  const room = $("#room");
  const hidden = show === undefined ? !room.classList.contains("ui-hidden") : !show;
  room.classList.toggle("ui-hidden", hidden);
  $("#show-ui").hidden = !hidden;
  if (hidden && $("#room").contains(document.activeElement)) document.activeElement.blur();
  if (!hidden && document.activeElement === $("#show-ui")) $("#btn-mic").focus();
  requestAnimationFrame(() => grid.relayout());
}

function updateControls() {
  const micOff = media.muted || !media.audioTrack;
  setToggle($("#btn-mic"), micOff, "Unmute microphone", "Mute microphone", micOff ? "mic-off" : "mic", "M");
  $("#btn-mic").dataset.state = micOff ? "off" : "on";
  const camOff = media.videoOff || !media.cameraTrack;
  setToggle($("#btn-cam"), camOff, "Turn camera on", "Turn camera off", camOff ? "cam-off" : "cam", "V");
  $("#btn-cam").dataset.state = camOff ? "off" : "on";
  setToggle($("#btn-screen"), media.sharing, "Stop sharing your screen", "Share your screen", null, "S");
  setToggle($("#btn-hand"), state.handRaised, "Lower hand", "Raise hand", null, "H");
  setToggle($("#btn-blur"), media.blurred, "Stop blurring the background", "Blur background", null, "B");
  setToggle($("#btn-captions"), captions.enabled, "Turn off live captions", "Turn on live captions", null, "T");
  setToggle($("#btn-record"), recorder.active, "Stop recording", "Start recording", null, "R");
  const chatOpen = !$("#chat-panel").hidden;
  $("#btn-chat").setAttribute("aria-label", chatOpen ? "Close chat (C)" : "Open chat (C)");
  const peopleOpen = !$("#people-panel").hidden;
  $("#btn-people").setAttribute("aria-label", peopleOpen ? "Hide participants (P)" : "Show participants (P)");
}

function updateHostTools() {
  const locked = Boolean(state.settings.locked);
  $("#lock-indicator").hidden = !locked;
  $("#host-tools").hidden = !hostApi;
  const lock = $("#lock-toggle");
  lock.setAttribute("aria-pressed", String(locked));
  lock.textContent = locked ? "Unlock meeting" : "Lock meeting";
  lock.setAttribute("aria-label", `${locked ? "Unlock" : "Lock"} the meeting (L)`);
  $("#waiting-toggle").checked = Boolean(state.settings.waitingRoom);
}

/** Run a host action over REST; show its error, or `done` when it worked. */
async function host(action, done) {
  if (!hostApi) {
    toast("Only the host can do that", { kind: "warn" });
    return null;
  }
  try {
    const result = await action(hostApi);
    if (done) toast(done, { timeout: 3000 });
    return result;
  } catch (error) {
    toast(error.message, { kind: "error" });
    return null;
  }
}

function toggleLock() {
  if (!hostApi) {
    toast("Only the host can lock the meeting", { kind: "warn" });
    return;
  }
  host((api) => api.lock(!state.settings.locked));
}

$("#mute-all").addEventListener("click", () => host((api) => api.muteAll()));
$("#lock-toggle").addEventListener("click", toggleLock);
$("#waiting-toggle").addEventListener("change", async (event) => {
  const on = event.target.checked;
  const done = await host((api) => api.settings({ waitingRoom: on }), on ? "Waiting room on" : "Waiting room off");
  if (!done) updateHostTools(); // refused: show the setting as it still is
});
$("#end-meeting").addEventListener("click", async () => {
  if (await confirmAction("End the meeting for everyone?", "End meeting")) host((api) => api.end());
});

function confirmAction(text, okLabel = "OK") {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = text;
  $("#confirm-text").textContent = "";
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// Reactions: a picker of the five emoji; everyone's float up over the sender's tile.
const picker = $("#reaction-picker");
picker.append(
  ...REACTIONS.map(([emoji, label]) =>
    h(
      "button",
      {
        type: "button",
        class: "emoji",
        "aria-label": `React with ${label}`,
        title: label,
        onclick: () => {
          state.socket?.emit("react", { emoji });
          setPicker(false);
        },
      },
      emoji,
    ),
  ),
);

function setPicker(open) {
  picker.hidden = !open;
  $("#btn-react").setAttribute("aria-expanded", String(open));
  if (open) picker.querySelector("button").focus();
}

$("#btn-react").addEventListener("click", () => setPicker(picker.hidden));
picker.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.stopPropagation();
    setPicker(false);
    $("#btn-react").focus();
  }
});

function floatReaction(pid, emoji) {
  if (typeof emoji !== "string") return;
  const tile = grid.tile(pid);
  const bubble = h("span", { class: "float-emoji", style: `--x:${Math.round(Math.random() * 60 + 20)}%` }, emoji);
  (tile || $("#reaction-layer")).append(bubble);
  setTimeout(() => bubble.remove(), reducedMotion.matches ? 2500 : 3200);
}

function tickTimer() {
  const seconds = Math.floor((Date.now() - state.joinedAt) / 1000);
  const hh = Math.floor(seconds / 3600);
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  $("#room-timer").textContent = hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

async function copyLink() {
  const link = `${location.origin}/join/${encodeURIComponent(meetingId)}`;
  try {
    await navigator.clipboard.writeText(link);
    toast("Meeting link copied", { timeout: 2500 });
  } catch {
    toast(`Share this link: ${link}`, { timeout: 15000 });
  }
}

/** Leave (or be removed, or see the meeting end): stop everything, show the final screen. */
async function finish(title, message, { rejoin = false } = {}) {
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

function leave() {
  state.socket?.emit("leave-meeting", {});
  finish("You left the meeting", "", { rejoin: true });
}

grid.addEventListener("autoplay-blocked", () => {
  if (document.querySelector(".toast[data-autoplay]")) return;
  const item = toast("Your browser paused the sound", {
    timeout: 0,
    actions: [{ label: "Turn sound on", onclick: () => grid.playAll() }],
  });
  item?.setAttribute("data-autoplay", "");
});

// --- controls and shortcuts ---------------------------------------------------------------

const ACTIONS = {
  m: toggleMute,
  v: toggleCamera,
  s: toggleScreenShare,
  h: toggleHand,
  r: toggleRecording,
  c: () => setPanel("chat"),
  b: toggleBlur,
  p: () => setPanel("people"),
  l: toggleLock,
  t: toggleCaptions,
  u: () => toggleUi(),
  "?": () => $("#help-dialog").showModal(),
};

const BUTTONS = {
  "#btn-mic": toggleMute,
  "#btn-cam": toggleCamera,
  "#btn-screen": toggleScreenShare,
  "#btn-hand": toggleHand,
  "#btn-chat": () => setPanel("chat"),
  "#btn-people": () => setPanel("people"),
  "#btn-blur": toggleBlur,
  "#btn-captions": toggleCaptions,
  "#btn-record": toggleRecording,
  "#btn-help": () => $("#help-dialog").showModal(),
  "#btn-leave": leave,
  "#copy-link": copyLink,
  "#show-ui": () => toggleUi(true),
  "#btn-settings": async () => {
    await fillDeviceSelects($("#room-camera-select"), $("#room-mic-select"));
    $("#devices-dialog").showModal();
  },
};
for (const [selector, action] of Object.entries(BUTTONS)) {
  $(selector).addEventListener("click", (event) => {
    // A mouse click leaves no focus on the control bar, so Space stays push-to-talk.
    if (event.detail > 0 && event.currentTarget.closest("#controls")) event.currentTarget.blur();
    action();
  });
}

document.addEventListener("keydown", (event) => {
  if (state.phase !== "room" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
  if (event.code === "Space") {
    if (spaceActivates(event.target)) return;
    event.preventDefault();
    if (event.repeat || !media.muted || !media.audioTrack) return;
    state.pushToTalk = true;
    setMuted(false);
    return;
  }
  if (event.key === "Escape") {
    if (!picker.hidden) setPicker(false);
    else if (!$("#chat-panel").hidden) setPanel("chat", false);
    else if (!$("#people-panel").hidden) setPanel("people", false);
    return;
  }
  const action = ACTIONS[event.key.length === 1 ? event.key.toLowerCase() : ""];
  if (!action || event.repeat) return;
  event.preventDefault();
  action();
});

function releasePushToTalk() {
  if (!state.pushToTalk) return;
  state.pushToTalk = false;
  setMuted(true);
}

document.addEventListener("keyup", (event) => {
  if (event.code === "Space") releasePushToTalk();
});
window.addEventListener("blur", releasePushToTalk);

document.addEventListener("click", (event) => {
  if (!picker.hidden && !event.target.closest(".reaction-menu")) setPicker(false);
});

initLobby();
