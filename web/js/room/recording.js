// Recording (host): start and stop, the consent banner everyone sees, and what becomes of the
// file: uploaded to the meeting for a signed-in host (§20), else a local download.
import { $, toast } from "../dom.js";
import { download, MeetingRecorder } from "../recorder.js";
import { meetingId, recorder, state } from "./context.js";
import { updateControls } from "./controls.js";

export async function toggleRecording() {
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

export async function stopRecording() {
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

export function showRecordingNotice(hostName) {
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
