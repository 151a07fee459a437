// The chat panel: messages with the markdown-lite of §10, replies and reactions. Every piece
// of text a participant sent is put in with text nodes (see markdown.js), never as HTML.
import { $, h, icon } from "./dom.js";
import { plainText, renderMarkdownLite } from "./markdown.js";

export const REACTIONS = [
  ["👍", "thumbs up"],
  ["❤️", "heart"],
  ["😂", "laughing"],
  ["🎉", "party"],
  ["👏", "clapping"],
];

export class Chat {
  /**
   * @param {object} options
   * @param {(text: string, replyTo: string|null) => void} options.send
   * @param {(msgId: string, emoji: string) => void} options.react
   * @param {() => string} options.selfId
   */
  constructor({ send, react, selfId }) {
    this.list = $("#chat-messages");
    this.form = $("#chat-form");
    this.input = $("#chat-input");
    this.replyPreview = $("#reply-preview");
    this.replyText = $("#reply-text");
    this.send = send;
    this.react = react;
    this.selfId = selfId;
    this.messages = new Map(); // id → { message, element, reactions: Map(emoji → Set(pid)) }
    this.replyTo = null;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      } else if (event.key === "Escape" && this.replyTo) {
        event.stopPropagation();
        this.cancelReply();
      }
    });
    $("#reply-cancel").addEventListener("click", () => this.cancelReply());
  }

  #submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.send(text.slice(0, 2000), this.replyTo);
    this.input.value = "";
    this.cancelReply();
  }

  startReply(id) {
    const entry = this.messages.get(id);
    if (!entry) return;
    this.replyTo = id;
    this.replyText.textContent = `Replying to ${entry.message.name}: ${snippet(entry.message.text)}`;
    this.replyPreview.hidden = false;
    this.input.focus();
  }

  cancelReply() {
    this.replyTo = null;
    this.replyPreview.hidden = true;
    this.replyText.textContent = "";
  }

  clear() {
    this.messages.clear();
    this.list.replaceChildren();
    this.cancelReply();
  }

  /** A chat:message from the server: { id, from, name, text, timestamp, replyTo }. */
  add(message) {
    if (!message || typeof message.text !== "string") return;
    const id = String(message.id ?? `${message.from}-${message.timestamp}`);
    if (this.messages.has(id)) return;
    const mine = message.from === this.selfId();
    const time = new Date(Number(message.timestamp) || Date.now());
    const body = h("div", { class: "msg-body" });
    body.append(renderMarkdownLite(message.text));

    let quote = null;
    if (message.replyTo) {
      const original = this.messages.get(message.replyTo);
      quote = h(
        "button",
        {
          type: "button",
          class: "msg-quote",
          "aria-label": original ? `In reply to ${original.message.name}` : "In reply to an earlier message",
          onclick: () => this.#reveal(message.replyTo),
        },
        original ? h("span", { class: "msg-quote-name" }, original.message.name) : null,
        original ? snippet(original.message.text) : "an earlier message",
      );
    }

    const reactions = h("div", { class: "msg-reactions", "aria-label": "Reactions" });
    const picker = h(
      "div",
      { class: "msg-picker", role: "group", "aria-label": "React to this message", hidden: true },
      REACTIONS.map(([emoji, label]) =>
        h(
          "button",
          {
            type: "button",
            class: "emoji",
            "aria-label": `React with ${label}`,
            onclick: () => {
              picker.hidden = true;
              reactButton.setAttribute("aria-expanded", "false");
              this.react(id, emoji);
            },
          },
          emoji,
        ),
      ),
    );
    const reactButton = h(
      "button",
      {
        type: "button",
        class: "ghost small",
        "aria-expanded": "false",
        "aria-label": `React to ${message.name}'s message`,
        onclick: () => {
          picker.hidden = !picker.hidden;
          reactButton.setAttribute("aria-expanded", String(!picker.hidden));
          if (!picker.hidden) picker.querySelector("button").focus();
        },
      },
      icon("smile"),
    );
    const element = h(
      "li",
      { class: `msg${mine ? " mine" : ""}`, dataset: { msgId: id, from: String(message.from ?? "") } },
      h(
        "div",
        { class: "msg-head" },
        h("span", { class: "msg-name" }, mine ? `${message.name} (you)` : message.name),
        h("time", { datetime: time.toISOString() }, time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      ),
      quote,
      body,
      reactions,
      h(
        "div",
        { class: "msg-actions" },
        h(
          "button",
          {
            type: "button",
            class: "ghost small",
            "aria-label": `Reply to ${message.name}`,
            onclick: () => this.startReply(id),
          },
          "Reply",
        ),
        reactButton,
        picker,
      ),
    );
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.messages.set(id, { message, element, reactions: new Map() });
    this.list.append(element);
    if (atBottom || mine) this.list.scrollTop = this.list.scrollHeight;
  }

  /** A chat:react from the server: { msgId, participantId, emoji }. */
  addReaction({ msgId, participantId, emoji }) {
    const entry = this.messages.get(msgId);
    if (!entry || typeof emoji !== "string") return;
    if (!entry.reactions.has(emoji)) entry.reactions.set(emoji, new Set());
    entry.reactions.get(emoji).add(participantId);
    const container = entry.element.querySelector(".msg-reactions");
    container.replaceChildren(
      ...Array.from(entry.reactions, ([e, who]) => {
        const mine = who.has(this.selfId());
        return h(
          "button",
          {
            type: "button",
            class: `reaction-chip${mine ? " mine" : ""}`,
            "aria-label": `${e} ${who.size}`,
            onclick: () => this.react(msgId, e),
          },
          `${e} ${who.size}`,
        );
      }),
    );
  }

  #reveal(id) {
    const entry = this.messages.get(id);
    if (!entry) return;
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    entry.element.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
    entry.element.classList.add("flash");
    setTimeout(() => entry.element.classList.remove("flash"), 1200);
  }
}

function snippet(text, length = 80) {
  const plain = plainText(text).replace(/\s+/g, " ").trim();
  return plain.length > length ? `${plain.slice(0, length - 1)}…` : plain;
}
