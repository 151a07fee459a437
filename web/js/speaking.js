// The speaking indicator: audio levels of every stream through one AudioContext; the loudest
// participant above a threshold is "speaking" (a highlighted tile), with a short hold so
// the highlight does not flicker between words.

const THRESHOLD = 0.02; // RMS level
const HOLD_MS = 900;

export class SpeakingMonitor {
  constructor(onSpeaker, onLevel) {
    this.onSpeaker = onSpeaker;
    this.onLevel = onLevel; // (pid, level) for meters; optional
    this.sources = new Map(); // pid → { track, source, analyser, data }
    this.context = null;
    this.current = null;
    this.lastLoud = 0;
    this.timer = null;
  }

  #ensureContext() {
    if (this.context) return this.context;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    this.context = new Context();
    this.timer = setInterval(() => this.#tick(), 150);
    return this.context;
  }

  /** Follow the audio track of `stream` for participant `pid` (replacing an older one). */
  watch(pid, stream) {
    const track = stream?.getAudioTracks()[0];
    const existing = this.sources.get(pid);
    if (existing?.track === track) return;
    this.unwatch(pid);
    if (!track) return;
    const context = this.#ensureContext();
    if (!context) return;
    if (context.state === "suspended") context.resume().catch(() => {});
    try {
      const source = context.createMediaStreamSource(new MediaStream([track]));
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      this.sources.set(pid, { track, source, analyser, data: new Float32Array(analyser.fftSize) });
    } catch {
      // a track that cannot be analysed (ended): no indicator for it
    }
  }

  unwatch(pid) {
    const entry = this.sources.get(pid);
    if (!entry) return;
    entry.source.disconnect();
    this.sources.delete(pid);
  }

  #tick() {
    let loudest = null;
    let level = THRESHOLD;
    for (const [pid, entry] of this.sources) {
      if (!entry.track.enabled || entry.track.readyState !== "live") continue;
      entry.analyser.getFloatTimeDomainData(entry.data);
      let sum = 0;
      for (const v of entry.data) sum += v * v;
      const rms = Math.sqrt(sum / entry.data.length);
      this.onLevel?.(pid, rms);
      if (rms > level) {
        level = rms;
        loudest = pid;
      }
    }
    const now = performance.now();
    if (loudest) {
      this.lastLoud = now;
      if (loudest !== this.current) {
        this.current = loudest;
        this.onSpeaker(loudest);
      }
    } else if (this.current && now - this.lastLoud > HOLD_MS) {
      this.current = null;
      this.onSpeaker(null);
    }
  }

  stop() {
    clearInterval(this.timer);
    for (const pid of Array.from(this.sources.keys())) this.unwatch(pid);
    this.context?.close().catch(() => {});
    this.context = null;
  }
}
