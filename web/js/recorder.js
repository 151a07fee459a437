// Recording (host): the grid is drawn onto a canvas and everyone's audio is mixed, then
// MediaRecorder makes a WebM file when recording stops (room/recording.js uploads it or offers
// it as a download).
// Participants are told through recording:broadcast-started / -stopped (consent banner).

export class MeetingRecorder {
  constructor(grid) {
    this.grid = grid; // Grid: its tiles' <video> elements are drawn
    this.recorder = null;
    this.chunks = [];
    this.timer = null;
    this.audio = null;
    this.mixed = new Map(); // track id → source node
    this.stopping = false; // stop() is waiting for the encoder's first data
  }

  static get supported() {
    return typeof MediaRecorder !== "undefined" && "captureStream" in HTMLCanvasElement.prototype;
  }

  get active() {
    return this.recorder?.state === "recording";
  }

  start() {
    const canvas = document.createElement("canvas");
    canvas.width = 1280;
    canvas.height = 720;
    const ctx = canvas.getContext("2d");
    const Context = window.AudioContext || window.webkitAudioContext;
    this.audio = new Context();
    const destination = this.audio.createMediaStreamDestination();
    this.destination = destination;
    const draw = () => {
      this.#draw(ctx, canvas);
      this.#mixAudio();
    };
    draw();
    this.timer = setInterval(draw, 1000 / 15);
    const stream = new MediaStream([
      ...canvas.captureStream(15).getVideoTracks(),
      ...destination.stream.getAudioTracks(),
    ]);
    const type = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"].find((t) => MediaRecorder.isTypeSupported(t));
    this.recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    this.chunks = [];
    this.recorder.ondataavailable = (event) => {
      if (!event.data.size) return;
      this.chunks.push(event.data);
      this.#dataArrived?.();
    };
    this.recorder.start(1000);
  }

  #dataArrived = null;

  /** Resolves when the encoder has given its first data, or after `ms` (whichever is first). */
  #firstData(ms) {
    if (this.chunks.length) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#dataArrived = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#dataArrived = done;
    });
  }

  #draw(ctx, canvas) {
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const videos = Array.from(this.grid.tiles.values()).map((tile) => ({
      video: tile.querySelector("video"),
      name: tile.querySelector(".tile-name")?.textContent || "",
      off: tile.dataset.videoOff === "true",
    }));
    const n = Math.max(1, videos.length);
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    const w = canvas.width / cols;
    const hgt = canvas.height / rows;
    videos.forEach(({ video, name, off }, i) => {
      const x = (i % cols) * w;
      const y = Math.floor(i / cols) * hgt;
      if (!off && video.videoWidth) {
        const scale = Math.min(w / video.videoWidth, hgt / video.videoHeight);
        const dw = video.videoWidth * scale;
        const dh = video.videoHeight * scale;
        ctx.drawImage(video, x + (w - dw) / 2, y + (hgt - dh) / 2, dw, dh);
      }
      ctx.fillStyle = "rgba(0,0,0,.6)";
      ctx.fillRect(x + 8, y + hgt - 36, Math.min(w - 16, 12 + name.length * 10), 28);
      ctx.fillStyle = "#fff";
      ctx.font = "16px system-ui, sans-serif";
      ctx.fillText(name, x + 14, y + hgt - 16);
    });
  }

  #mixAudio() {
    const live = new Set();
    for (const tile of this.grid.tiles.values()) {
      const stream = tile.querySelector("video").srcObject;
      for (const track of stream?.getAudioTracks?.() || []) {
        live.add(track.id);
        if (this.mixed.has(track.id) || track.readyState !== "live") continue;
        try {
          const source = this.audio.createMediaStreamSource(new MediaStream([track]));
          source.connect(this.destination);
          this.mixed.set(track.id, source);
        } catch {
          // cannot mix this one
        }
      }
    }
    for (const [id, source] of this.mixed) {
      if (!live.has(id)) {
        source.disconnect();
        this.mixed.delete(id);
      }
    }
  }

  /** Stop; resolves with the recorded Blob. A busy machine's encoder can take seconds to give
   * its first data: a stop before then records on until it has (at most 5 s more). */
  async stop() {
    if (this.stopping) return null;
    this.stopping = true;
    try {
      if (this.recorder?.state === "recording") await this.#firstData(5000);
      return await this.#stop();
    } finally {
      this.stopping = false;
    }
  }

  #stop() {
    return new Promise((resolve) => {
      clearInterval(this.timer);
      const recorder = this.recorder;
      if (!recorder || recorder.state === "inactive") {
        resolve(null);
        return;
      }
      recorder.onstop = () => {
        const blob = new Blob(this.chunks, { type: recorder.mimeType || "video/webm" });
        this.chunks = [];
        for (const source of this.mixed.values()) source.disconnect();
        this.mixed.clear();
        this.audio?.close().catch(() => {});
        for (const track of recorder.stream.getTracks()) track.stop();
        resolve(blob);
      };
      recorder.stop();
    });
  }
}

/** Offer a Blob as a file download. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
