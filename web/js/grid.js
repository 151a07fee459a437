// The video grid: one tile per participant (ours included), with name, muted, camera-off,
// hand and screen-share state, a pin button (spotlight) and the speaking highlight.
import { h, icon, initials } from "./dom.js";

export class Grid extends EventTarget {
  constructor(root) {
    super();
    this.root = root;
    this.tiles = new Map(); // participantId → tile element
    this.pinned = null;
    this.speaking = null;
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.#layout()).observe(root);
    } else {
      window.addEventListener("resize", () => this.#layout());
    }
  }

  tile(pid) {
    return this.tiles.get(pid) || null;
  }

  /** The tile of `p` (a participant state), created when missing, then brought up to date. */
  ensure(p) {
    let tile = this.tiles.get(p.participantId);
    if (!tile) {
      const video = h("video", { autoplay: true, playsinline: true });
      video.muted = Boolean(p.isLocal); // our own microphone is never played back
      if (p.isLocal) video.classList.add("mirrored");
      const pin = h(
        "button",
        { type: "button", class: "tile-pin round small ghost", "aria-pressed": "false" },
        icon("pin"),
      );
      pin.addEventListener("click", () => this.pin(this.pinned === p.participantId ? null : p.participantId));
      tile = h(
        "figure",
        {
          class: "tile",
          dataset: { participantId: p.participantId },
          "data-local": p.isLocal ? "true" : null,
        },
        video,
        h("div", { class: "avatar", "aria-hidden": "true" }),
        h(
          "figcaption",
          { class: "tile-caption" },
          h("span", { class: "tile-muted", title: "Muted", hidden: true }, icon("mic-off")),
          h("span", { class: "tile-name" }),
          h("span", { class: "tile-hand", title: "Hand raised", hidden: true }, "✋"),
        ),
        pin,
      );
      video.addEventListener("loadedmetadata", () => this.#play(video));
      this.tiles.set(p.participantId, tile);
      if (p.isLocal) this.root.prepend(tile);
      else this.root.append(tile);
      this.#layout();
    }
    this.update(p);
    return tile;
  }

  update(p) {
    const tile = this.tiles.get(p.participantId);
    if (!tile) return;
    const name = p.isLocal ? `${p.name} (you)` : p.name;
    tile.querySelector(".tile-name").textContent = p.isAdmin ? `${name} · host` : name;
    tile.querySelector(".avatar").textContent = initials(p.name);
    tile.setAttribute("aria-label", name);
    tile.dataset.muted = String(Boolean(p.isMuted));
    tile.dataset.videoOff = String(Boolean(p.isVideoOff) && !p.isScreenSharing);
    tile.dataset.hand = String(Boolean(p.isHandRaised));
    tile.dataset.screen = String(Boolean(p.isScreenSharing));
    tile.querySelector(".tile-muted").hidden = !p.isMuted;
    tile.querySelector(".tile-hand").hidden = !p.isHandRaised;
    const video = tile.querySelector("video");
    if (p.isLocal) video.classList.toggle("mirrored", !p.isScreenSharing);
    const pin = tile.querySelector(".tile-pin");
    const pinned = this.pinned === p.participantId;
    pin.setAttribute("aria-label", pinned ? `Unpin ${p.name}` : `Pin ${p.name}`);
    pin.title = pin.getAttribute("aria-label");
  }

  setStream(pid, stream) {
    const video = this.tiles.get(pid)?.querySelector("video");
    if (!video) return;
    if (video.srcObject !== stream) video.srcObject = stream;
    this.#play(video);
  }

  #play(video) {
    const playing = video.play();
    if (playing?.catch) {
      playing.catch((error) => {
        if (error.name === "NotAllowedError") {
          this.dispatchEvent(new CustomEvent("autoplay-blocked", { detail: { video } }));
        }
      });
    }
  }

  /** Play every video again (after a click, when autoplay with sound was refused). */
  playAll() {
    for (const tile of this.tiles.values()) this.#play(tile.querySelector("video"));
  }

  remove(pid) {
    const tile = this.tiles.get(pid);
    if (!tile) return;
    const video = tile.querySelector("video");
    video.srcObject = null;
    tile.remove();
    this.tiles.delete(pid);
    if (this.pinned === pid) this.pin(null);
    if (this.speaking === pid) this.speaking = null;
    this.#layout();
  }

  clear({ except } = {}) {
    for (const pid of Array.from(this.tiles.keys())) if (pid !== except) this.remove(pid);
  }

  /** Spotlight one participant (null: back to the grid). */
  pin(pid) {
    this.pinned = pid && this.tiles.has(pid) ? pid : null;
    for (const [id, tile] of this.tiles) {
      const pinned = id === this.pinned;
      tile.classList.toggle("pinned", pinned);
      tile.querySelector(".tile-pin").setAttribute("aria-pressed", String(pinned));
      const name = tile.querySelector(".tile-name").textContent;
      tile.querySelector(".tile-pin").setAttribute("aria-label", `${pinned ? "Unpin" : "Pin"} ${name}`);
    }
    this.root.classList.toggle("spotlight", Boolean(this.pinned));
    this.#layout();
  }

  setSpeaking(pid) {
    if (this.speaking === pid) return;
    this.tiles.get(this.speaking)?.classList.remove("speaking");
    this.speaking = pid;
    this.tiles.get(pid)?.classList.add("speaking");
  }

  /** The column count that gives the largest 16:9 tiles in the space there is. */
  #layout() {
    const count = this.tiles.size;
    this.root.dataset.count = String(count);
    if (this.pinned || !count) return;
    const style = getComputedStyle(this.root);
    const gap = parseFloat(style.columnGap) || 0;
    const width = this.root.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = this.root.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    if (width <= 0) return;
    let best = 0;
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      const byWidth = (width - (cols - 1) * gap) / cols;
      const byHeight = height > 0 ? ((height - (rows - 1) * gap) / rows) * (16 / 9) : byWidth;
      best = Math.max(best, Math.min(byWidth, byHeight));
    }
    // At least a readable size on a phone: below it, the grid scrolls.
    this.root.style.setProperty("--tile-width", `${Math.max(Math.floor(best) - 1, Math.min(width, 160))}px`);
  }

  relayout() {
    this.#layout();
  }
}
