// What the account pages and the dashboard share: the one API client (the JavaScript SDK,
// authenticated by the session cookie), readable error messages, busy buttons, and the
// hand-over of what registration shows only once (the first API key, a company's invite code).
import { Onepizza, OnepizzaError } from "/sdk/onepizza.js";

export const op = new Onepizza();

const WELCOME_KEY = "onepizza.welcome";

/** The sentence to show for a failed call (the server's own `error` text when it sent one). */
export function errorText(error) {
  if (error instanceof OnepizzaError) {
    if (error.status === 0) return "Could not reach the server. Check your connection and try again.";
    if (error.status === 429) {
      const wait = error.retryAfter ? ` Try again in ${waitText(error.retryAfter)}.` : " Try again later.";
      return `Too many attempts.${wait}`;
    }
    return error.message;
  }
  return "Something went wrong. Please try again.";
}

function waitText(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** Put `text` in a role=alert/status element (empty text hides it through CSS). */
export function say(element, text) {
  element.textContent = text || "";
}

/**
 * Run `action` with `button` disabled and labelled `busyLabel`, then restore it.
 * Returns what `action` returns (or throws what it throws).
 */
export async function whileBusy(button, busyLabel, action) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = busyLabel;
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/** "25.0000" → "$25.00"; amounts under a cent keep their digits ("$0.0040"). */
export function dollars(amount, { sign = false } = {}) {
  const value = Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  const abs = Math.abs(value);
  const digits = abs !== 0 && abs < 0.01 ? 4 : 2;
  const text = abs.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: 4 });
  const prefix = value < 0 ? "−" : sign && value > 0 ? "+" : "";
  return `${prefix}$${text}`;
}

/** An ISO date as the reader's local date and time. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Copy `text` to the clipboard; say so (or how to copy by hand) in `status`. */
export async function copyText(text, status, what = "Copied") {
  try {
    await navigator.clipboard.writeText(text);
    say(status, `${what} to the clipboard.`);
  } catch {
    say(status, "Copying is not allowed here: select the text and copy it yourself.");
  }
}

/** Registration hands what it shows once to the dashboard through this tab's storage. */
export function keepForDashboard(welcome) {
  try {
    sessionStorage.setItem(WELCOME_KEY, JSON.stringify(welcome));
  } catch {
    // storage disabled: the dashboard simply does not show it
  }
}

/** What registration left for the dashboard, removed as it is read (shown once). */
export function takeWelcome() {
  try {
    const raw = sessionStorage.getItem(WELCOME_KEY);
    sessionStorage.removeItem(WELCOME_KEY);
    return raw ? JSON.parse(raw) : {};
  } catch {
    return {};
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A row of a dashboard list (<ul class="rows">): a title, a monospace value, a line of
 * details and an optional small button `{ text, name, onclick }` (`name`, which must start
 * with `text`, is what a screen reader hears).
 */
export function listRow({ title, code, meta, button, data = {} }) {
  const li = element("li", "row");
  Object.assign(li.dataset, data);
  const main = element("div", "row-main");
  main.append(element("span", "row-title", title));
  if (code) main.append(element("code", "", code));
  if (meta) main.append(element("span", "row-meta", meta));
  li.append(main);
  if (button) {
    const action = element("button", "small", button.text);
    action.type = "button";
    action.setAttribute("aria-label", button.name);
    action.addEventListener("click", button.onclick);
    li.append(action);
  }
  return li;
}
