// Live captions: our speech recognised by the browser (Web Speech API, where it exists) is
// sent as captions:update; everyone's captions are shown in a strip above the controls.
import { h } from "./dom.js";

const SHOW_FINAL_MS = 5000;

export class Captions {
  constructor(root, { send, nameOf }) {
    this.root = root;
    this.send = send; // (text, final) → emit captions:update
    this.nameOf = nameOf; // pid → display name
    this.lines = new Map(); // pid → { element, timer }
    this.recognition = null;
    this.enabled = false;
  }

  static get supported() {
    return Boolean(window.SpeechRecognition || window.webkitSpeechRecognition);
  }

  /** Start or stop recognising our own speech. Returns whether captions are now on. */
  toggle(selfId) {
    if (this.enabled) {
      this.stop();
      return false;
    }
    const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    if (!Recognition) throw new Error("Live captions need a browser with speech recognition, such as Chrome");
    const recognition = new Recognition();
    recognition.continuous = true;
    recognition.interimResults = true;
    recognition.lang = navigator.language || "en-US";
    recognition.onresult = (event) => {
      for (let i = event.resultIndex; i < event.results.length; i++) {
        const result = event.results[i];
        const text = result[0].transcript.trim().slice(0, 1000);
        if (!text) continue;
        this.send(text, result.isFinal);
        this.show(selfId, text, result.isFinal);
      }
    };
    recognition.onerror = (event) => {
      if (event.error === "not-allowed" || event.error === "service-not-allowed") this.stop();
    };
    recognition.onend = () => {
      if (this.enabled && this.recognition === recognition) {
        try {
          recognition.start(); // it stops after silence; keep listening while captions are on
        } catch {
          this.stop();
        }
      }
    };
    this.recognition = recognition;
    this.enabled = true;
    recognition.start();
    return true;
  }

  stop() {
    this.enabled = false;
    const recognition = this.recognition;
    this.recognition = null;
    try {
      recognition?.stop();
    } catch {
      // already stopped
    }
  }

  /** Show `text` as `pid`'s current caption line. */
  show(pid, text, final) {
    let line = this.lines.get(pid);
    if (!line) {
      const element = h("p", { class: "caption-line" }, h("span", { class: "caption-name" }), h("span", { class: "caption-text" }));
      line = { element, timer: null };
      this.lines.set(pid, line);
      this.root.append(element);
    }
    line.element.querySelector(".caption-name").textContent = `${this.nameOf(pid)}: `;
    line.element.querySelector(".caption-text").textContent = text;
    line.element.classList.toggle("interim", !final);
    clearTimeout(line.timer);
    line.timer = setTimeout(() => this.remove(pid), final ? SHOW_FINAL_MS : SHOW_FINAL_MS * 2);
    this.root.hidden = false;
  }

  remove(pid) {
    const line = this.lines.get(pid);
    if (!line) return;
    clearTimeout(line.timer);
    line.element.remove();
    this.lines.delete(pid);
    if (!this.lines.size) this.root.hidden = true;
  }
}
