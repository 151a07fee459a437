// Keyboard shortcuts (§23) and the control bar's buttons: one table of actions each, Space as
// push-to-talk, Escape closing what is open.
import { $, isTyping, spaceActivates } from "../dom.js";
import { media, state } from "./context.js";
import {
  copyLink,
  picker,
  setMuted,
  setPanel,
  setPicker,
  toggleBlur,
  toggleCamera,
  toggleCaptions,
  toggleHand,
  toggleMute,
  toggleScreenShare,
  toggleUi,
} from "./controls.js";
import { toggleLock } from "./host-tools.js";
import { fillDeviceSelects } from "./lobby.js";
import { toggleRecording } from "./recording.js";
import { leave } from "./session.js";

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
  if (document.querySelector("dialog[open]")) return;
  if (event.key === "Escape") {
    // Also from the chat's text field: Escape leaves the panel, the focus back on its button.
    if (!picker.hidden) setPicker(false);
    else if (!$("#chat-panel").hidden) setPanel("chat", false);
    else if (!$("#people-panel").hidden) setPanel("people", false);
    return;
  }
  if (isTyping(event.target)) return;
  if (event.code === "Space") {
    if (spaceActivates(event.target)) return;
    event.preventDefault();
    if (event.repeat || !media.muted || !media.audioTrack) return;
    state.pushToTalk = true;
    setMuted(false);
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

