// /reset?token=…: the link of the reset e-mail. The token is checked before the form is shown,
// so an expired or already used link says so at once instead of after typing a password.
import { OnepizzaError } from "/sdk/onepizza.js";
import { errorText, op, say, whileBusy } from "./common.js";

const token = new URLSearchParams(window.location.search).get("token") || "";
const title = document.getElementById("reset-title");
const checking = document.getElementById("reset-checking");
const invalid = document.getElementById("reset-invalid");
const invalidText = document.getElementById("reset-invalid-text");
const form = document.getElementById("reset-form");
const error = document.getElementById("reset-error");
const button = document.getElementById("reset-button");
const done = document.getElementById("reset-done");

const UNUSABLE =
  "This password reset link has expired or has already been used. " +
  "A link works once, for one hour after it was sent. Ask for a new one below.";

function showUnusable(text) {
  form.hidden = true;
  checking.hidden = true;
  title.textContent = "This link can no longer be used";
  invalidText.textContent = text;
  invalid.hidden = false;
  title.focus();
}

async function check() {
  if (!token) {
    showUnusable("This page needs the link from your reset e-mail, and this one has no token. Ask for a new link below.");
    return;
  }
  try {
    await op.auth.checkResetToken(token);
  } catch (failure) {
    if (failure instanceof OnepizzaError && failure.status === 400) showUnusable(UNUSABLE);
    else {
      checking.hidden = true;
      invalidText.textContent = errorText(failure);
      invalid.hidden = false;
    }
    return;
  }
  checking.hidden = true;
  form.hidden = false;
  form.elements.password.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say(error, "");
  const password = form.elements.password.value;
  if (password !== form.elements.passwordAgain.value) {
    say(error, "The two passwords are not the same.");
    form.elements.passwordAgain.focus();
    return;
  }
  try {
    await whileBusy(button, "Saving…", () => op.auth.resetPassword(token, password));
  } catch (failure) {
    if (failure instanceof OnepizzaError && failure.status === 400 && /token/i.test(failure.message)) {
      showUnusable(UNUSABLE);
    } else {
      say(error, errorText(failure));
    }
    return;
  }
  form.hidden = true;
  title.textContent = "Password changed";
  done.hidden = false;
  title.focus();
});

check();
