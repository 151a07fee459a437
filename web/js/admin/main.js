// /admin: the platform admin's console. The server sends this page only to the admin (others
// get a 403 page, visitors without a session the login page); every section loads on its own,
// and one that fails says so inside itself while the others still work.
import { OnepizzaError } from "/sdk/onepizza.js";
import { errorText, op } from "../account/common.js";
import * as analytics from "./analytics.js";
import * as credit from "./credit.js";
import * as health from "./health.js";
import * as ledger from "./ledger.js";
import * as settings from "./settings.js";

const SECTIONS = [
  ["settings", settings],
  ["credit", credit],
  ["ledger", ledger],
  ["analytics", analytics],
  ["health", health],
];

function sectionFailed(id, error) {
  if (error instanceof OnepizzaError && (error.status === 401 || error.status === 403)) {
    window.location.replace("/login?next=/admin");
    return;
  }
  const note = document.createElement("p");
  note.className = "form-error";
  note.setAttribute("role", "alert");
  note.textContent = `This section could not load: ${errorText(error)}`;
  document.getElementById(id).append(note);
  console.error(`admin section ${id}:`, error);
}

async function start() {
  const loading = document.getElementById("admin-loading");
  let me;
  try {
    me = await op.auth.me();
  } catch (error) {
    loading.textContent = `The admin console could not load: ${errorText(error)}`;
    loading.setAttribute("role", "alert");
    return;
  }
  if (!me.is_admin) {
    loading.textContent = "This page is for the platform administrator.";
    return;
  }
  document.getElementById("admin-email").textContent = me.email;
  const logout = document.getElementById("logout-button");
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    await op.auth.logout().catch(() => {});
    window.location.assign("/login?loggedout=1");
  });
  loading.remove();
  for (const id of ["admin-account", "admin-nav", "admin"]) document.getElementById(id).hidden = false;
  await Promise.all(
    SECTIONS.map(async ([id, section]) => {
      try {
        await section.init(op);
      } catch (error) {
        sectionFailed(id, error);
      }
    }),
  );
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target) target.scrollIntoView();
}

start();
