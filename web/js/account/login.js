// /login: email and password; then the page `?next=` names (a path on this site only), or
// the dashboard.
import { errorText, op, say, whileBusy } from "./common.js";

/**
 * Where to go once logged in: `next` when it is a path on this site (one leading "/", never
 * "//", "/\\" or a scheme, which would leave the site: no open redirect), else /dashboard.
 * @param {string | null} next
 */
function destination(next) {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/dashboard";
  let url;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return "/dashboard";
  }
  // The URL parser drops tabs and newlines and reads a backslash as "/": judge where it lands.
  if (url.origin !== window.location.origin) return "/dashboard";
  return url.pathname + url.search + url.hash;
}

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const button = document.getElementById("login-button");
const notice = document.getElementById("login-notice");

const params = new URLSearchParams(window.location.search);

if (params.get("loggedout") === "1") {
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
    window.location.assign(destination(params.get("next")));
  } catch (failure) {
    say(error, errorText(failure));
    form.elements.password.select();
  }
});
