// The lobby: the name, the camera preview with its mute and camera buttons, and the device
// choices (also used by the room's device dialog). Joining itself is session.js's.
import { $, h, setIcon, toast } from "../dom.js";
import { LOCAL, media, meetingId, adminToken, prefilledName, speaking } from "./context.js";
import { showStatus } from "./screens.js";

export const nameInput = $("#name-input");
export const joinButton = $("#join-button");
export const lobbyError = $("#lobby-error");
export const previewVideo = $("#preview-video");

export async function initLobby() {
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

export async function fillDeviceSelects(cameraSelect, micSelect) {
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

export function updateLobbyButtons() {
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
export function setToggle(button, pressed, pressedLabel, label, iconName, key) {
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
