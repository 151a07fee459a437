// Host tools: the participants panel (with its per-person host controls), mute all, lock, the
// waiting-room switch and ending the meeting. Host actions go through the REST API with the
// meeting's admin token, which lives in this tab's sessionStorage only (the SDK client keeps it
// in memory for this meeting's calls).
import { errorText, op } from "../account/common.js";
import { $, toast } from "../dom.js";
import { People } from "../people.js";
import { adminToken, meetingId, state } from "./context.js";
import { confirmAction } from "./screens.js";

let isHost = false;
export const people = new People({
  mute: (pid) => host((meetings) => meetings.mute(meetingId, pid)),
  askToUnmute: (pid) =>
    host(
      (meetings) => meetings.unmute(meetingId, pid),
      `Asked ${state.participants.get(pid)?.name || "them"} to unmute`,
    ),
  kick: async (pid, name) => {
    if (await confirmAction(`Remove ${name} from the meeting?`, "Remove")) {
      host((meetings) => meetings.kick(meetingId, pid));
    }
  },
  admit: (socketId) => state.socket?.emit("waiting-room:admit", { meetingId, socketId }),
  deny: (socketId) => state.socket?.emit("waiting-room:deny", { meetingId, socketId }),
});

/** After a join: host tools when the server accepted our admin token. */
export function setHost(isAdmin) {
  isHost = Boolean(isAdmin && adminToken);
  if (isHost) op.adminTokens.set(meetingId, adminToken);
  people.isHost = isHost;
}

export function renderPeople() {
  people.render(state.participants);
}

export function updateHostTools() {
  const locked = Boolean(state.settings.locked);
  $("#lock-indicator").hidden = !locked;
  $("#host-tools").hidden = !isHost;
  const lock = $("#lock-toggle");
  lock.setAttribute("aria-pressed", String(locked));
  lock.textContent = locked ? "Unlock meeting" : "Lock meeting";
  lock.setAttribute("aria-label", `${locked ? "Unlock" : "Lock"} meeting (L)`);
  $("#waiting-toggle").checked = Boolean(state.settings.waitingRoom);
}

/** Run a host action over REST; show its error, or `done` when it worked. */
async function host(action, done) {
  if (!isHost) {
    toast("Only the host can do that", { kind: "warn" });
    return null;
  }
  try {
    const result = await action(op.meetings);
    if (done) toast(done, { timeout: 3000 });
    return result;
  } catch (error) {
    toast(errorText(error), { kind: "error" });
    return null;
  }
}

export function toggleLock() {
  if (!isHost) {
    toast("Only the host can lock the meeting", { kind: "warn" });
    return;
  }
  host((meetings) => (state.settings.locked ? meetings.unlock(meetingId) : meetings.lock(meetingId)));
}

$("#mute-all").addEventListener("click", () => host((meetings) => meetings.muteAll(meetingId)));
$("#lock-toggle").addEventListener("click", toggleLock);
$("#waiting-toggle").addEventListener("change", async (event) => {
  const on = event.target.checked;
  const done = await host((meetings) => meetings.updateSettings(meetingId, { waitingRoom: on }), on ? "Waiting room on" : "Waiting room off");
  if (!done) updateHostTools(); // refused: show the setting as it still is
});
$("#end-meeting").addEventListener("click", async () => {
  if (await confirmAction("End the meeting for everyone?", "End meeting")) host((meetings) => meetings.end(meetingId));
});
