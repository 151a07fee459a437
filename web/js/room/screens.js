// The page's screens (lobby, status, room) and its confirmation dialog.
import { $, $$ } from "../dom.js";

export function showScreen(id) {
  for (const screen of $$(".screen")) screen.hidden = screen.id !== id;
}

/** The status screen: connecting, waiting, refused and the final screen. */
export function showStatus(title, message = "", { spinner = false, retry = null, cancel = null } = {}) {
  showScreen("status-screen");
  $("#status-title").textContent = title;
  $("#status-message").textContent = message;
  $("#status-spinner").hidden = !spinner;
  const retryButton = $("#status-retry");
  retryButton.hidden = !retry;
  retryButton.textContent = retry?.label || "Try again";
  retryButton.onclick = retry?.onclick || null;
  const cancelButton = $("#status-cancel");
  cancelButton.hidden = !cancel;
  cancelButton.onclick = cancel || null;
  document.title = `${title} — onepizza`;
  (retry ? retryButton : $("#status-title")).focus?.();
}

export function confirmAction(text, okLabel = "OK") {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = text;
  $("#confirm-text").textContent = "";
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

