// /login: email and password; then the dashboard.
import { errorText, op, say, whileBusy } from "./common.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const button = document.getElementById("login-button");
const notice = document.getElementById("login-notice");

if (new URLSearchParams(window.location.search).get("loggedout") === "1") {
  say(notice, "You have been logged out.");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say(error, "");
  say(notice, "");
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  try {
    await whileBusy(button, "Logging in…", () => op.auth.login(email, password));
    window.location.assign("/dashboard");
  } catch (failure) {
    say(error, errorText(failure));
    form.elements.password.select();
  }
});
