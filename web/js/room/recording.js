// Recording (host): start and stop, the consent banner everyone sees, and what becomes of the
// file: uploaded to the meeting for a signed-in host (§20), else a local download.
import { Onepizza } from "/sdk/onepizza.js";

import { errorText, op } from "../account/common.js";
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
  if (!recorder.active || recorder.stopping) return;
  state.socket?.emit("recording:broadcast-stopped", {});
  $("#rec-indicator").hidden = true;
  const blob = await recorder.stop();
  if (!blob?.size) {
    toast("The recording was too short: nothing was saved", { kind: "warn" });
    return;
  }
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
  const filename = `onepizza-${meetingId}-${stamp}.webm`;
  // Signed in: store it with the meeting (§20), in the background (leaving the meeting does not
  // wait for it). Not signed in (a guest): saved as a download, as it always was.
  if (await signedIn()) {
    upload(blob, filename);
    return;
  }
  download(blob, filename);
  toast("Recording saved to your downloads", { timeout: 4000 });
}

/** Whether this browser has an account session (GET /api/auth/me answers 401 without one). */
async function signedIn() {
  try {
    await op.auth.me();
    return true;
  } catch {
    return false;
  }
}

const panel = $("#upload-panel");
const panelText = $("#upload-text");
const progress = $("#upload-progress");
const downloadButton = $("#upload-download");
const closeButton = $("#upload-close");
let uploading = 0;

closeButton.addEventListener("click", () => {
  panel.hidden = true;
});
window.addEventListener("beforeunload", (event) => {
  if (uploading) event.preventDefault(); // the browser asks before the upload is cut off
});

function showUpload(text, { percent = null, offer = null, done = false } = {}) {
  panel.hidden = false;
  panel.dataset.state = offer ? "failed" : done ? "done" : "uploading";
  panelText.textContent = text;
  progress.hidden = done || Boolean(offer);
  if (percent === null) progress.removeAttribute("value");
  else progress.value = percent;
  downloadButton.hidden = !offer;
  downloadButton.onclick = offer;
  closeButton.hidden = !done && !offer;
}

async function upload(blob, filename) {
  const size = megabytes(blob.size);
  uploading += 1;
  showUpload(`Uploading the recording (${size})…`);
  const client = uploadClient((fraction) => {
    const percent = Math.floor(fraction * 100);
    showUpload(`Uploading the recording (${size})… ${percent}%`, { percent });
  });
  try {
    await client.recordings.upload(meetingId, blob, { filename });
    showUpload(`Recording uploaded to the meeting (${size}). Find it on your dashboard.`, { done: true });
  } catch (error) {
    showUpload(`The recording could not be uploaded: ${errorText(error)}. Download it to keep it.`, {
      offer: () => download(blob, filename),
    });
  } finally {
    uploading -= 1;
  }
}

function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The SDK client for one upload: the page's session, no time limit (a long recording takes
 * a while), and a transport that reports the upload's progress (fetch() cannot).
 */
function uploadClient(onProgress) {
  return new Onepizza({ timeoutMs: 0, fetch: progressFetch(onProgress) });
}

/** A fetch() for the SDK made with XMLHttpRequest, whose upload reports its progress. */
function progressFetch(onProgress) {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init.method || "GET", url);
      xhr.withCredentials = init.credentials === "include";
      for (const [name, value] of Object.entries(init.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          const at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        const empty = [101, 204, 205, 304].includes(xhr.status);
        resolve(new Response(empty ? null : xhr.responseText, { status: xhr.status, headers }));
      };
      xhr.onerror = () => reject(new TypeError("Network error"));
      xhr.onabort = () => reject(new DOMException("The upload was aborted", "AbortError"));
      init.signal?.addEventListener("abort", () => xhr.abort());
      xhr.send(init.body ?? null);
    });
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
