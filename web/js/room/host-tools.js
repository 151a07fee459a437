// Host tools: the participants panel (with its per-person host controls), mute all, lock, the
// waiting-room switch and ending the meeting. Host actions go through the REST API with the
// meeting's admin token, which lives in this tab's sessionStorage only.
import { HostApi } from "../api.js";
import { $, toast } from "../dom.js";
import { People } from "../people.js";
import { adminToken, meetingId, state } from "./context.js";
import { confirmAction } from "./screens.js";

let hostApi = null;
export const people = new People({
  mute: (pid) => host((api) => api.mute(pid)),
  askToUnmute: (pid) =>
    host((api) => api.askToUnmute(pid), `Asked ${state.participants.get(pid)?.name || "them"} to unmute`),
  kick: async (pid, name) => {
    if (await confirmAction(`Remove ${name} from the meeting?`, "Remove")) host((api) => api.kick(pid));
  },
  admit: (socketId) => state.socket?.emit("waiting-room:admit", { meetingId, socketId }),
  deny: (socketId) => state.socket?.emit("waiting-room:deny", { meetingId, socketId }),
});

/** After a join: host tools when the server accepted our admin token. */
export function setHost(isAdmin) {
  hostApi = isAdmin && adminToken ? new HostApi(meetingId, adminToken) : null;
  people.isHost = Boolean(hostApi);
}

export function renderPeople() {
  people.render(state.participants);
}

export function updateHostTools() {
  const locked = Boolean(state.settings.locked);
  $("#lock-indicator").hidden = !locked;
  $("#host-tools").hidden = !hostApi;
  const lock = $("#lock-toggle");
  lock.setAttribute("aria-pressed", String(locked));
  lock.textContent = locked ? "Unlock meeting" : "Lock meeting";
  lock.setAttribute("aria-label", `${locked ? "Unlock" : "Lock"} meeting (L)`);
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

export function toggleLock() {
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
