// Shared notes (collaboration.md) in the meeting page: one plain-text pad. Saving sends the
// version the text was edited from; if someone saved in between, the server refuses it with
// notes:conflict and we show the current text next to ours, to merge and save again.
import { $ } from "../dom.js";
import { state } from "./context.js";
import { setPanel } from "./controls.js";

const pad = { version: 0, text: "", updatedBy: null, dirty: false };
window.onepizza.notes = pad; // for tests

const editor = $("#notes-text");
const status = $("#notes-status");
const conflict = $("#notes-conflict");

/** From `joined`: the version; the text itself comes with notes:current (our addition). */
export function notesJoined(payload) {
  pad.version = payload.notesVersion || 0;
  pad.dirty = false;
  editor.value = "";
  conflict.hidden = true;
  if (pad.version > 0) state.socket?.emit("notes:get", {});
  describe();
}

export function watchNotes(socket) {
  socket.on("notes:current", (notes) => show(notes));
  socket.on("notes:updated", (notes) => {
    const mine = notes.updatedBy === state.name && notes.text === editor.value;
    if (pad.dirty && !mine) {
      // Our edit stays on the version it was made from: saving it gets notes:conflict, which
      // shows their text to merge with.
      status.textContent = `${notes.updatedBy || "Someone"} saved version ${notes.version} while you were editing`;
      return;
    }
    show(notes);
  });
  socket.on("notes:conflict", (current) => {
    pad.version = current.version;
    pad.text = current.text;
    showConflict(current);
  });
}

function show(notes) {
  Object.assign(pad, { version: notes.version, text: notes.text, updatedBy: notes.updatedBy, dirty: false });
  editor.value = notes.text;
  conflict.hidden = true;
  describe();
}

function showConflict(current) {
  $("#notes-current").value = current.text;
  conflict.hidden = false;
  status.textContent = `Not saved: someone saved version ${current.version} first. Their text is below; merge and save again.`;
}

function describe() {
  if (pad.dirty) status.textContent = "Unsaved changes";
  else if (pad.version === 0) status.textContent = "Nothing written yet";
  else status.textContent = `Version ${pad.version}${pad.updatedBy ? `, saved by ${pad.updatedBy}` : ""}`;
}

editor.addEventListener("input", () => {
  pad.dirty = true;
  describe();
});
$("#notes-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.socket?.emit("notes:update", { text: editor.value, baseVersion: pad.version });
});
$("#notes-take").addEventListener("click", () => {
  editor.value = $("#notes-current").value;
  pad.dirty = false;
  conflict.hidden = true;
  describe();
  editor.focus();
});
$("#btn-notes").addEventListener("click", () => setPanel("notes"));
