// /forgot: ask for a reset e-mail. The answer is the same whether the address has an account
// or not, so the page cannot be used to find out who has one.
import { errorText, op, say, whileBusy } from "./common.js";

const form = document.getElementById("forgot-form");
const error = document.getElementById("forgot-error");
const sent = document.getElementById("forgot-sent");
const button = document.getElementById("forgot-button");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say(error, "");
  say(sent, "");
  const email = form.elements.email.value.trim();
  try {
    await whileBusy(button, "Sending…", () => op.auth.forgotPassword(email));
    say(
      sent,
      `If ${email} has an onepizza account, a link to choose a new password is on its way. ` +
        "It works for one hour. Check your spam folder if it does not arrive.",
    );
  } catch (failure) {
    say(error, errorText(failure));
  }
});
