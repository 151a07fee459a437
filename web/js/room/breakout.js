// Breakout rooms (§10) and the live-stream badge in the meeting page.
//  - The host's panel: create rooms, assign each participant by picking a room (a select per
//    participant) or by dragging them onto a room, assign evenly, visit a room, broadcast a
//    message to every room, close all rooms.
//  - A participant's "you've been assigned" prompt: join the room, return to the main room.
//  - The mesh follows us between rooms: whoever moves drops its connections and the members
//    of the room it enters connect to it (breakout:participant-joined); after all rooms close,
//    of each pair not yet connected the smaller participantId offers. Tiles of people in
//    another room are hidden; signals to them are refused by the server (see isRoomMismatch).
import { $, h, toast } from "../dom.js";
import { grid, state } from "./context.js";
import { setPanel } from "./controls.js";

const MAX_ROOMS = 20;

const rooms = {
  list: [], // the open rooms: [{ id, name, participantCount?, participants?, assigned? }]
  mine: null, // the room we are in (null: the main room)
  offer: null, // { roomId, roomName } the host assigned us
  where: new Map(), // participantId → the room they are in, as far as we know (absent: main)
};
window.onepizza.breakout = rooms; // for tests

const panel = $("#breakout-panel");
const hostPart = $("#breakout-host");
const manage = $("#breakout-manage");

/** An `error` a move makes on its way (an ICE candidate to someone who just left). */
export function isRoomMismatch(error) {
  return error?.code === "other_room";
}

/** Whether `pid` is in our room (so our mesh connects to them). */
export function inMyRoom(pid) {
  return (rooms.where.get(pid) ?? null) === rooms.mine;
}

/** From `joined`: the rooms open now (we start in the main room) and the stream's state. */
export function breakoutJoined(payload) {
  rooms.mine = null;
  rooms.offer = null;
  rooms.where.clear();
  // A host's breakout:updated (who is assigned where) may have overtaken `joined`: keep it.
  const known = new Map(rooms.list.map((room) => [room.id, room]));
  rooms.list = (payload.breakout?.rooms || []).map((room) => ({
    ...room,
    assigned: known.get(room.id)?.assigned,
  }));
  for (const room of rooms.list) {
    for (const pid of room.participants || []) rooms.where.set(pid, room.id);
  }
  showStream(payload.isStreaming ? payload.streamHostName || "The host" : null);
  render();
}

/** Hide the tiles of people in another room than ours. */
export function showRoomTiles() {
  for (const pid of state.participants.keys()) {
    const tile = grid.tile(pid);
    if (tile && pid !== state.selfId) tile.hidden = !inMyRoom(pid);
  }
  grid.relayout();
}

export function watchBreakout(socket) {
  socket.on("breakout:created", ({ rooms: list } = {}) => {
    rooms.list = list || [];
    render();
  });
  socket.on("breakout:updated", ({ rooms: list } = {}) => {
    rooms.list = list || [];
    render();
  });
  socket.on("breakout:assigned", ({ roomId, roomName } = {}) => {
    rooms.offer = roomId ? { roomId, roomName } : null;
    render();
    if (!roomId || rooms.mine === roomId) return;
    toast(`You've been assigned to ${roomName}`, {
      timeout: 0,
      actions: [{ label: "Join room", onclick: () => join(roomId) }],
    });
  });
  socket.on("breakout:participant-joined", ({ participantId, roomId = null } = {}) => {
    if (participantId === state.selfId) {
      // We moved: start over; the members of this room connect to us.
      rooms.mine = roomId;
      state.mesh?.closeAll();
      toast(roomId ? `You are in ${roomName(roomId)}` : "You are back in the main room", { timeout: 3000 });
    } else {
      if (roomId) rooms.where.set(participantId, roomId);
      else rooms.where.delete(participantId);
      if (inMyRoom(participantId) && state.participants.has(participantId)) state.mesh?.connect(participantId);
    }
    showRoomTiles();
    render();
  });
  socket.on("breakout:participant-left", ({ participantId } = {}) => {
    rooms.where.set(participantId, "elsewhere");
    state.mesh?.close(participantId);
    showRoomTiles();
  });
  socket.on("breakout:message", ({ from, text } = {}) => {
    toast(`${from || "The host"} to all rooms: ${text}`, { timeout: 15000 });
  });
  socket.on("breakout:closed", () => toast("Your breakout room is closing", { timeout: 4000 }));
  socket.on("breakout:all-closed", () => {
    rooms.list = [];
    rooms.mine = null;
    rooms.offer = null;
    rooms.where.clear();
    // Everyone is in the main room: of each pair not connected, the smaller id offers.
    for (const pid of state.participants.keys()) {
      if (pid === state.selfId || state.mesh?.peers.has(pid)) continue;
      if (state.selfId < pid) state.mesh?.connect(pid);
    }
    showRoomTiles();
    render();
  });
  socket.on("stream:started", ({ hostName } = {}) => {
    showStream(hostName || "The host");
    toast(`${hostName || "The host"} started a live stream`, { timeout: 5000 });
  });
  socket.on("stream:stopped", () => {
    showStream(null);
    toast("The live stream ended", { timeout: 4000 });
  });
}

function showStream(hostName) {
  const badge = $("#stream-indicator");
  badge.hidden = hostName === null;
  badge.title = hostName ? `Live stream started by ${hostName}` : "";
}

function roomName(roomId) {
  return rooms.list.find((room) => room.id === roomId)?.name || rooms.offer?.roomName || "the room";
}

function join(roomId) {
  state.socket?.emit("breakout:join", { roomId });
}

function assign(pairs) {
  if (pairs.length) state.socket?.emit("breakout:assign", { assignments: pairs });
}

/** The room each participant is assigned to, from the last breakout:updated. */
function assignedRooms() {
  const assigned = new Map();
  for (const room of rooms.list) {
    for (const pid of room.assigned || []) assigned.set(pid, room.id);
  }
  return assigned;
}

// --- the panel ------------------------------------------------------------------------------

function render() {
  const isHost = state.isAdmin;
  const open = rooms.list.length > 0;
  $("#btn-breakout").hidden = !isHost && !open && !rooms.offer;
  hostPart.hidden = !isHost;
  manage.hidden = !(isHost && open);
  $("#breakout-create-submit").textContent = open ? "Replace the rooms" : "Create rooms";
  const offer = rooms.offer && rooms.mine !== rooms.offer.roomId ? rooms.offer : null;
  $("#breakout-offer").hidden = !offer;
  if (offer) $("#breakout-offer-text").textContent = `You've been assigned to ${offer.roomName}.`;
  $("#breakout-here").hidden = rooms.mine === null;
  if (rooms.mine !== null) $("#breakout-here-text").textContent = `You are in ${roomName(rooms.mine)}.`;
  $("#breakout-none").hidden = isHost || open || Boolean(rooms.offer);
  if (isHost && open) renderHost();
}

function renderHost() {
  $("#breakout-rooms").replaceChildren(
    ...rooms.list.map((room) =>
      h(
        "li",
        {
          class: "breakout-room",
          dataset: { roomId: room.id },
          ondragover: (event) => {
            event.preventDefault();
            event.currentTarget.classList.add("drop");
          },
          ondragleave: (event) => event.currentTarget.classList.remove("drop"),
          ondrop: (event) => {
            event.preventDefault();
            event.currentTarget.classList.remove("drop");
            const pid = event.dataTransfer.getData("text/plain");
            if (state.participants.has(pid)) assign([{ participantId: pid, roomId: room.id }]);
          },
        },
        h("span", { class: "breakout-room-name" }, room.name),
        h("span", { class: "count" }, `${room.participantCount ?? 0} in`),
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": `Visit ${room.name}`,
            disabled: rooms.mine === room.id,
            onclick: () => join(room.id),
          },
          "Visit",
        ),
      ),
    ),
  );
  const assigned = assignedRooms();
  const others = [...state.participants.values()].filter((p) => !p.isLocal);
  $("#breakout-assign").replaceChildren(
    ...others.map((p) => {
      const id = `breakout-pick-${p.participantId}`;
      const select = h(
        "select",
        {
          id,
          onchange: (event) => assign([{ participantId: p.participantId, roomId: event.target.value || null }]),
        },
        h("option", { value: "" }, "Main room"),
        ...rooms.list.map((room) => h("option", { value: room.id }, room.name)),
      );
      select.value = assigned.get(p.participantId) || "";
      return h(
        "li",
        {
          class: "breakout-person",
          draggable: "true",
          ondragstart: (event) => event.dataTransfer.setData("text/plain", p.participantId),
        },
        h("label", { for: id }, `Room for ${p.name}`),
        select,
      );
    }),
  );
  $("#breakout-assign-empty").hidden = others.length > 0;
}

$("#breakout-create-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const count = Number($("#breakout-count").value);
  if (!Number.isInteger(count) || count < 1 || count > MAX_ROOMS) {
    toast(`Choose 1 to ${MAX_ROOMS} rooms`, { kind: "error" });
    return;
  }
  state.socket?.emit("breakout:create", { rooms: Array.from({ length: count }, (_, i) => `Room ${i + 1}`) });
});

$("#breakout-auto").addEventListener("click", () => {
  const guests = [...state.participants.values()].filter((p) => !p.isLocal && !p.isAdmin);
  guests.sort((a, b) => (a.participantId < b.participantId ? -1 : 1));
  assign(guests.map((p, i) => ({ participantId: p.participantId, roomId: rooms.list[i % rooms.list.length].id })));
});

$("#breakout-broadcast-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#breakout-message");
  const message = input.value.trim();
  if (!message) return;
  state.socket?.emit("breakout:broadcast", { message });
  input.value = "";
});

$("#breakout-close").addEventListener("click", () => state.socket?.emit("breakout:close"));
$("#breakout-join").addEventListener("click", () => rooms.offer && join(rooms.offer.roomId));
$("#breakout-leave").addEventListener("click", () => state.socket?.emit("breakout:leave"));
$("#btn-breakout").addEventListener("click", () => setPanel("breakout"));

/** The participants changed (a join or leave): the host's list follows. */
export function renderBreakout() {
  if (!panel.hidden) render();
}
