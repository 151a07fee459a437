// The meeting page (/join/:meetingId): lobby, waiting room, the room itself and the final
// screen. Each job is a module of room/:
//   context.js    where we are (meeting id, this tab's tokens), the shared state and components
//   screens.js    the lobby / status / room screens and the confirmation dialog
//   lobby.js      name, camera preview and device choice before joining
//   session.js    joining, the Socket.IO events (§10–§12), the mesh, reconnecting, leaving
//   controls.js   our own microphone, camera, screen, hand, panels, reactions
//   recording.js  the host's recording: consent banner, upload to the meeting or download
//   host-tools.js the participants panel and the host's REST controls
//   shortcuts.js  keyboard shortcuts (§23) and the control bar's buttons
import { initLobby } from "./room/lobby.js";
import "./room/session.js";
import "./room/shortcuts.js";

initLobby();
