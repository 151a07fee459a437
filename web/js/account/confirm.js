// A yes/no question in the page's <dialog id="confirm-dialog"> (modal: focus stays in it,
// Escape cancels, focus goes back where it was). Resolves true when confirmed.

export function confirmAction({ title, text, confirmLabel = "OK" }) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}
