// Where we are and what every part of the meeting page shares: the meeting's id and this tab's
// tokens, the page state, and the components (local media, the grid, the speaking monitor, the
// recorder, captions and chat). Nothing here acts on its own; the other modules of room/ do.
import { Captions } from "../captions.js";
import { Chat } from "../chat.js";
import { $ } from "../dom.js";
import { Grid } from "../grid.js";
import { LocalMedia } from "../media.js";
import { MeetingRecorder } from "../recorder.js";
import { SpeakingMonitor } from "../speaking.js";

export const LOCAL = "local"; // the speaking monitor's key for our own microphone

export const meetingId = decodeURIComponent(location.pathname.split("/")[2] || "");
const query = new URLSearchParams(location.search);
export const adminToken = takeSecret("admin", new URLSearchParams(location.hash.slice(1)).get("admin"));
export const inviteToken = takeSecret("invite", query.get("invite"));
export const prefilledName = query.get("name");

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

export const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

export const state = {
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

export const media = new LocalMedia();
export const grid = new Grid($("#grid"));
export const speaking = new SpeakingMonitor(
  (pid) => grid.setSpeaking(pid === LOCAL ? state.selfId : pid),
  (pid, level) => {
    if (pid === LOCAL) $("#preview-level").value = Math.min(1, level * 6);
  },
);
export const recorder = new MeetingRecorder(grid);
export const captions = new Captions($("#captions"), {
  send: (text, final) => state.socket?.emit("captions:update", { pid: state.selfId, text, final }),
  nameOf: (pid) => (pid === state.selfId ? "You" : state.participants.get(pid)?.name || "Someone"),
});
export const chat = new Chat({
  send: (text, replyTo) => state.socket?.emit("chat:message", replyTo ? { text, replyTo } : { text }),
  react: (msgId, emoji) => state.socket?.emit("chat:react", { msgId, emoji }),
  selfId: () => state.selfId,
});
