// The room's own controls: microphone (and push-to-talk's mute), camera, screen share, hand,
// blur, captions, the chat and people panels, hiding the controls, reactions, the timer and the
// link. Each keeps our tile, the participants list and the control bar in step.
import { REACTIONS } from "../chat.js";
import { $, $$, h, toast } from "../dom.js";
import { captions, grid, media, meetingId, recorder, reducedMotion, speaking, state, LOCAL } from "./context.js";
import { renderPeople } from "./host-tools.js";
import { previewVideo, setToggle, updateLobbyButtons } from "./lobby.js";

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

/** Change our own state in the tile, the list and the controls. */
export function updateSelf(changes) {
  const self = state.participants.get(state.selfId);
  if (!self) return;
  Object.assign(self, changes);
  grid.update(self);
  renderPeople();
  updateControls();
}

export function setMuted(muted, { broadcast = true } = {}) {
  if (muted && !media.muted && state.pushToTalk) state.pushToTalk = false;
  media.setMuted(muted);
  if (broadcast) state.socket?.emit("media:toggle-audio", { isMuted: media.muted });
  updateSelf({ isMuted: media.muted });
  updateLobbyButtons();
}

export function toggleMute() {
  if (!media.audioTrack) {
    toast("No microphone is available", { kind: "warn" });
    return;
  }
  state.pushToTalk = false;
  setMuted(!media.muted);
}

export function toggleCamera() {
  if (!media.cameraTrack) {
    toast("No camera is available", { kind: "warn" });
    return;
  }
  media.setVideoOff(!media.videoOff);
  state.socket?.emit("media:toggle-video", { isVideoOff: media.videoOff });
  updateSelf({ isVideoOff: media.videoOff });
  updateLobbyButtons();
}

export async function toggleScreenShare() {
  try {
    if (media.sharing) media.stopScreenShare();
    else await media.startScreenShare();
  } catch (error) {
    if (error.name !== "NotAllowedError" && error.name !== "AbortError") {
      toast(`Screen sharing failed: ${error.message}`, { kind: "error" });
    }
  }
}

export function toggleHand() {
  state.handRaised = !state.handRaised;
  state.socket?.emit("raise-hand", { isHandRaised: state.handRaised });
  updateSelf({ isHandRaised: state.handRaised });
}

export function toggleBlur() {
  try {
    media.setBlur(!media.blurred);
    updateControls();
  } catch (error) {
    toast(error.message, { kind: "warn" });
  }
}

export function toggleCaptions() {
  try {
    const on = captions.toggle(state.selfId);
    toast(on ? "Live captions on: everyone sees what you say" : "Live captions off", { timeout: 3000 });
  } catch (error) {
    toast(error.message, { kind: "warn" });
  }
  updateControls();
}

const COLLAB_PANELS = ["polls", "qa", "notes"]; // polls.js, qa.js, notes.js

export function setPanel(which, open) {
  const panels = { chat: $("#chat-panel"), people: $("#people-panel"), breakout: $("#breakout-panel") };
  const buttons = { chat: $("#btn-chat"), people: $("#btn-people"), breakout: $("#btn-breakout") };
  for (const name of COLLAB_PANELS) {
    panels[name] = $(`#${name}-panel`);
    buttons[name] = $(`#btn-${name}`);
  }
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
  } else if (which === "breakout" && show) {
    $("#breakout-panel").querySelector("button:not([hidden]), input, select")?.focus();
  } else if (COLLAB_PANELS.includes(which) && show) {
    // the panel's first field: the host's poll form, the question box, the notes
    const fields = "form:not([hidden]) input, form:not([hidden]) textarea, button:not([data-close-panel])";
    panels[which].querySelector(fields)?.focus();
  }
  updateControls();
  requestAnimationFrame(() => grid.relayout());
}

for (const button of $$("[data-close-panel]")) {
  button.addEventListener("click", () => setPanel(button.dataset.closePanel, false));
}

export function toggleUi(show) {
  const room = $("#room");
  const hidden = show === undefined ? !room.classList.contains("ui-hidden") : !show;
  room.classList.toggle("ui-hidden", hidden);
  $("#show-ui").hidden = !hidden;
  if (hidden && $("#room").contains(document.activeElement)) document.activeElement.blur();
  if (!hidden && document.activeElement === $("#show-ui")) $("#btn-mic").focus();
  requestAnimationFrame(() => grid.relayout());
}

export function updateControls() {
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
  // A badge's number is part of the button's name (screen readers, and the visible text).
  const unread = $("#chat-badge").hidden ? "" : `, ${$("#chat-badge").textContent} unread`;
  $("#btn-chat").setAttribute("aria-label", `${chatOpen ? "Close chat (C)" : "Open chat (C)"}${unread}`);
  const peopleOpen = !$("#people-panel").hidden;
  const waiting = $("#people-badge").hidden ? "" : `, ${$("#people-badge").textContent} waiting`;
  const people = peopleOpen ? "Hide participants (P)" : "Show participants (P)";
  $("#btn-people").setAttribute("aria-label", `${people}${waiting}`);
}

// Reactions: a picker of the five emoji; everyone's float up over the sender's tile.
export const picker = $("#reaction-picker");
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

export function setPicker(open) {
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

export function floatReaction(pid, emoji) {
  if (typeof emoji !== "string") return;
  const tile = grid.tile(pid);
  const bubble = h("span", { class: "float-emoji", style: `--x:${Math.round(Math.random() * 60 + 20)}%` }, emoji);
  (tile || $("#reaction-layer")).append(bubble);
  setTimeout(() => bubble.remove(), reducedMotion.matches ? 2500 : 3200);
}

export function tickTimer() {
  const seconds = Math.floor((Date.now() - state.joinedAt) / 1000);
  const hh = Math.floor(seconds / 3600);
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  $("#room-timer").textContent = hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

export async function copyLink() {
  const link = `${location.origin}/join/${encodeURIComponent(meetingId)}`;
  try {
    await navigator.clipboard.writeText(link);
    toast("Meeting link copied", { timeout: 2500 });
  } catch {
    toast(`Share this link: ${link}`, { timeout: 15000 });
  }
}

grid.addEventListener("autoplay-blocked", () => {
  if (document.querySelector(".toast[data-autoplay]")) return;
  const item = toast("Your browser paused the sound", {
    timeout: 0,
    actions: [{ label: "Turn sound on", onclick: () => grid.playAll() }],
  });
  item?.setAttribute("data-autoplay", "");
});
