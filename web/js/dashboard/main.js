// /dashboard: the shell. Sends a visitor without a session to /login; otherwise fills the
// header (e-mail, balance, the admin console's link for the platform admin, log out) and
// starts every section.
import { OnepizzaError } from "/sdk/onepizza.js";
import { dollars, errorText, op, takeWelcome } from "../account/common.js";

// Each section is its own module, loaded on its own: one that fails to load or to start
// says so inside its section and the others still work.
const SECTIONS = [
  ["meetings", () => import("./meetings.js")],
  ["schedule", () => import("./templates.js")],
  ["keys", () => import("./keys.js")],
  ["webhooks", () => import("./webhooks.js")],
  ["billing", () => import("./billing.js")],
  ["company", () => import("./company.js")],
  ["password", () => import("./password.js")],
];

const loading = document.getElementById("dash-loading");
const headerBalance = document.getElementById("header-balance");

function setBalance(balance) {
  headerBalance.textContent = `Balance ${dollars(balance)}`;
}

function sectionFailed(id, error) {
  if (error instanceof OnepizzaError && error.status === 401) {
    window.location.replace("/login");
    return;
  }
  const section = document.getElementById(id);
  const note = document.createElement("p");
  note.className = "form-error";
  note.setAttribute("role", "alert");
  note.textContent = `This section could not load: ${errorText(error)}`;
  section.append(note);
  console.error(`dashboard section ${id}:`, error);
}

/** The platform admin (GET /api/auth/me says is_admin) gets a way to /admin in the header. */
function showAdminLink() {
  const link = document.createElement("a");
  link.id = "admin-link";
  link.href = "/admin";
  link.textContent = "Admin console";
  link.style.whiteSpace = "nowrap";
  document.getElementById("dash-account").append(link);
}

function markCurrentNav() {
  for (const link of document.querySelectorAll(".dash-nav a")) {
    if (link.hash === window.location.hash) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

async function logOut(button) {
  button.disabled = true;
  try {
    await op.auth.logout();
  } catch (error) {
    // The session may already be gone; the login page is the right place either way.
    console.warn("logout:", error);
  }
  window.location.assign("/login?loggedout=1");
}

async function start() {
  let me;
  try {
    me = await op.auth.me();
  } catch (error) {
    if (error instanceof OnepizzaError && error.status === 401) {
      window.location.replace("/login");
      return;
    }
    loading.textContent = `The dashboard could not load: ${errorText(error)}`;
    loading.setAttribute("role", "alert");
    return;
  }
  document.getElementById("account-email").textContent = me.email;
  setBalance(me.balance);
  if (me.is_admin) showAdminLink();
  const logout = document.getElementById("logout-button");
  logout.addEventListener("click", () => logOut(logout));
  loading.remove();
  for (const id of ["dash-account", "logout-button", "dash-nav", "dashboard"]) document.getElementById(id).hidden = false;
  window.addEventListener("hashchange", markCurrentNav);
  markCurrentNav();

  const context = { welcome: takeWelcome(), setBalance };
  await Promise.all(
    SECTIONS.map(async ([id, load]) => {
      try {
        const section = await load();
        await section.init(op, me, context);
      } catch (error) {
        sectionFailed(id, error);
      }
    }),
  );
  // Sections grew while loading: bring the one the address names back into view.
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target) target.scrollIntoView();
}

start();
