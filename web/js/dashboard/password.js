// Dashboard → Change password: the current one and the new one twice. The server ends the
// account's other sessions and keeps this one.
import { errorText, say, whileBusy } from "../account/common.js";

const $ = (id) => document.getElementById(id);

export async function init(op) {
  const form = $("password-form");
  const error = $("password-error");
  const ok = $("password-ok");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(error, "");
    say(ok, "");
    const current = form.elements.currentPassword.value;
    const next = form.elements.newPassword.value;
    if (next !== form.elements.newPasswordAgain.value) {
      say(error, "The two new passwords are not the same.");
      form.elements.newPasswordAgain.focus();
      return;
    }
    try {
      await whileBusy($("password-button"), "Changing…", () => op.auth.changePassword(current, next));
      form.reset();
      say(ok, "Your password has been changed. Any other sessions of your account were logged out.");
    } catch (failure) {
      say(error, errorText(failure));
    }
  });
}
