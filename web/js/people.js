// The participants panel: everyone's name with mute, camera and hand state; for the host,
// per-person controls (mute, ask to unmute, remove), mute all, lock, the waiting-room switch
// and the waiting list with admit / deny.
import { $, h, icon } from "./dom.js";

export class People {
  /**
   * @param {object} actions host actions: mute(pid), askToUnmute(pid), kick(pid),
   *   admit(socketId), deny(socketId)
   */
  constructor(actions) {
    this.actions = actions;
    this.list = $("#people-list");
    this.count = $("#people-count");
    this.waitingSection = $("#waiting-section");
    this.waitingList = $("#waiting-list");
    this.badge = $("#people-badge");
    this.waiting = new Map(); // socketId → name
    this.isHost = false;
  }

  /** Redraw the list from the participants map (participantId → state). */
  render(participants) {
    const sorted = Array.from(participants.values()).sort((a, b) => {
      if (a.isLocal !== b.isLocal) return a.isLocal ? -1 : 1;
      if (a.isHandRaised !== b.isHandRaised) return a.isHandRaised ? -1 : 1;
      return a.name.localeCompare(b.name);
    });
    this.count.textContent = `(${sorted.length})`;
    // Keep keyboard focus on the same control across the redraw.
    const focused = this.list.contains(document.activeElement)
      ? document.activeElement.getAttribute("aria-label")
      : null;
    this.list.replaceChildren(...sorted.map((p) => this.#row(p)));
    if (focused) {
      const again = Array.from(this.list.querySelectorAll("button")).find(
        (b) => b.getAttribute("aria-label") === focused && !b.disabled,
      );
      (again || this.list.querySelector("button:not([disabled])"))?.focus();
    }
  }

  #row(p) {
    const state = [
      p.isAdmin ? "host" : null,
      p.isMuted ? "muted" : "microphone on",
      p.isVideoOff ? "camera off" : null,
      p.isScreenSharing ? "sharing the screen" : null,
      p.isHandRaised ? "hand raised" : null,
    ].filter(Boolean);
    const controls = [];
    if (this.isHost && !p.isLocal) {
      controls.push(
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": `Mute ${p.name}`,
            disabled: p.isMuted,
            onclick: () => this.actions.mute(p.participantId),
          },
          "Mute",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small",
            "aria-label": `Ask to unmute: ${p.name}`,
            disabled: !p.isMuted,
            onclick: () => this.actions.askToUnmute(p.participantId),
          },
          "Ask to unmute",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Remove ${p.name}`,
            onclick: () => this.actions.kick(p.participantId, p.name),
          },
          "Remove",
        ),
      );
    }
    return h(
      "li",
      {
        class: "person",
        dataset: {
          participantId: p.participantId,
          muted: String(Boolean(p.isMuted)),
          hand: String(Boolean(p.isHandRaised)),
        },
      },
      h(
        "div",
        { class: "person-info" },
        h("span", { class: "person-name" }, p.isLocal ? `${p.name} (you)` : p.name),
        h("span", { class: "person-state" }, state.join(" · ")),
      ),
      h(
        "span",
        { class: "person-icons", "aria-hidden": "true" },
        p.isHandRaised ? h("span", { class: "hand" }, "✋") : null,
        icon(p.isVideoOff ? "cam-off" : "cam"),
        icon(p.isMuted ? "mic-off" : "mic"),
      ),
      controls.length ? h("div", { class: "person-controls" }, controls) : null,
    );
  }

  /** waiting-room:participant-waiting: { socketId, name, count, removed? } */
  waitingUpdate({ socketId, name, removed }) {
    if (removed) this.waiting.delete(socketId);
    else this.waiting.set(socketId, name || "Guest");
    this.#renderWaiting();
  }

  clearWaiting() {
    this.waiting.clear();
    this.#renderWaiting();
  }

  #renderWaiting() {
    const entries = Array.from(this.waiting);
    this.waitingSection.hidden = !this.isHost || entries.length === 0;
    this.badge.hidden = !this.isHost || entries.length === 0;
    this.badge.textContent = String(entries.length);
    this.waitingList.replaceChildren(
      ...entries.map(([socketId, name]) =>
        h(
          "li",
          { class: "person waiting-person", dataset: { socketId } },
          h("div", { class: "person-info" }, h("span", { class: "person-name" }, name)),
          h(
            "div",
            { class: "person-controls" },
            h(
              "button",
              {
                type: "button",
                class: "small primary",
                "aria-label": `Admit ${name}`,
                onclick: () => this.actions.admit(socketId),
              },
              "Admit",
            ),
            h(
              "button",
              {
                type: "button",
                class: "small",
                "aria-label": `Deny ${name}`,
                onclick: () => this.actions.deny(socketId),
              },
              "Deny",
            ),
          ),
        ),
      ),
    );
  }
}
