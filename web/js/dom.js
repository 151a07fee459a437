// Small DOM helpers. Text always goes in through text nodes (never innerHTML), so nothing
// a participant types can become markup.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * h("button", { class: "x", "aria-label": "Mute", onclick: fn }, "text", child, ...)
 * Attribute values are set with setAttribute; `on*` keys add listeners; `dataset` and
 * `hidden` / `disabled` / `checked` are handled as properties. Children that are strings or
 * numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "hidden" || key === "disabled" || key === "checked") {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** An inline icon from the page's SVG sprite (<symbol id="i-NAME">). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** Point an existing icon (the <svg> inside `button`) at another symbol. */
export function setIcon(button, name) {
  const use = button.querySelector("svg.icon use");
  if (use) use.setAttribute("href", `#i-${name}`);
}

let toastRoot = null;

/**
 * A short message in the corner, read out by screen readers. `actions` is a list of
 * { label, onclick } buttons; the toast goes away after `timeout` ms (0 = stays until an
 * action or its close button is used).
 */
export function toast(message, { actions = [], timeout = 5000, kind = "info" } = {}) {
  toastRoot ??= document.getElementById("toasts");
  if (!toastRoot) return null;
  const close = () => item.remove();
  const item = h(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", { class: "toast-text" }, message),
    ...actions.map((action) =>
      h(
        "button",
        {
          type: "button",
          class: "toast-action",
          onclick: () => {
            close();
            action.onclick();
          },
        },
        action.label,
      ),
    ),
    h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: close }, "×"),
  );
  toastRoot.append(item);
  while (toastRoot.children.length > 4) toastRoot.firstElementChild.remove();
  if (timeout) setTimeout(close, timeout);
  return item;
}

/** "Alice" → "A"; used on the avatar shown when a camera is off. */
export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const letters = parts.slice(0, 2).map((p) => Array.from(p)[0].toUpperCase());
  return letters.join("") || "?";
}

/** True when a key press happens while typing somewhere (shortcuts must not fire). */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.closest("textarea, select")) return true;
  const input = target.closest("input");
  return Boolean(input) && !["checkbox", "radio", "button", "submit", "range"].includes(input.type);
}

/** True for elements where Space is the activation key (buttons, links, checkboxes...). */
export function spaceActivates(target) {
  return (
    target instanceof Element &&
    Boolean(target.closest("button, a[href], summary, [role=button], input, select, textarea"))
  );
}
