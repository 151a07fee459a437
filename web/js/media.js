// The local media: camera and microphone (device-selectable), mute and camera-off,
// screen sharing and the canvas background blur. Whatever video is being sent (camera,
// blurred camera or screen) is `outgoingVideo`; listeners hear when it or the microphone
// track changes, so every peer connection can replaceTrack without renegotiating.

const VIDEO_CONSTRAINTS = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};
const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.audioTrack = null;
    this.cameraTrack = null;
    this.screenTrack = null;
    this.blur = null; // BlurProcessor while blur is on
    this.muted = false;
    this.videoOff = false;
    this.cameraId = localStorage.getItem("onepizza.camera") || "";
    this.micId = localStorage.getItem("onepizza.mic") || "";
    this.error = null;
    // What the local tile shows: the camera (processed when blurred) or the shared screen.
    this.preview = new MediaStream();
  }

  get supported() {
    return Boolean(navigator.mediaDevices?.getUserMedia);
  }

  get outgoingVideo() {
    return this.screenTrack || this.blur?.track || this.cameraTrack;
  }

  get sharing() {
    return Boolean(this.screenTrack);
  }

  /** Ask for camera and microphone; fall back to one of them; remember what failed. */
  async start() {
    if (!this.supported) {
      this.error = "This browser cannot use a camera or microphone here (a secure https page is needed).";
      return;
    }
    const attempts = [
      { audio: this.#audio(), video: this.#video() },
      { audio: this.#audio() },
      { video: this.#video() },
    ];
    let lastError = null;
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        this.audioTrack = stream.getAudioTracks()[0] || null;
        this.cameraTrack = stream.getVideoTracks()[0] || null;
        this.error = null;
        if (!this.cameraTrack) this.error = `No camera: ${describe(lastError)}`;
        else if (!this.audioTrack) this.error = `No microphone: ${describe(lastError)}`;
        this.#applyEnabled();
        this.#refreshPreview();
        return;
      } catch (error) {
        lastError = lastError || error;
        // A stale saved device: forget it and retry with the defaults.
        if (error.name === "OverconstrainedError" && (this.cameraId || this.micId)) {
          this.cameraId = this.micId = "";
          return this.start();
        }
      }
    }
    this.error = describe(lastError);
  }

  #audio() {
    return { ...AUDIO_CONSTRAINTS, ...(this.micId ? { deviceId: { exact: this.micId } } : {}) };
  }

  #video() {
    return { ...VIDEO_CONSTRAINTS, ...(this.cameraId ? { deviceId: { exact: this.cameraId } } : {}) };
  }

  async devices() {
    if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], mics: [] };
    const list = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: list.filter((d) => d.kind === "videoinput"),
      mics: list.filter((d) => d.kind === "audioinput"),
    };
  }

  currentDeviceId(kind) {
    const track = kind === "video" ? this.cameraTrack : this.audioTrack;
    return track?.getSettings?.().deviceId || (kind === "video" ? this.cameraId : this.micId);
  }

  async useCamera(deviceId) {
    this.cameraId = deviceId;
    localStorage.setItem("onepizza.camera", deviceId);
    const stream = await navigator.mediaDevices.getUserMedia({ video: this.#video() });
    const old = this.cameraTrack;
    this.cameraTrack = stream.getVideoTracks()[0];
    if (this.blur) this.blur.setSource(this.cameraTrack);
    old?.stop();
    this.#applyEnabled();
    this.#refreshPreview();
    this.#changed("video");
  }

  async useMicrophone(deviceId) {
    this.micId = deviceId;
    localStorage.setItem("onepizza.mic", deviceId);
    const stream = await navigator.mediaDevices.getUserMedia({ audio: this.#audio() });
    const old = this.audioTrack;
    this.audioTrack = stream.getAudioTracks()[0];
    old?.stop();
    this.#applyEnabled();
    this.#refreshPreview();
    this.#changed("audio");
  }

  setMuted(muted) {
    this.muted = Boolean(muted);
    this.#applyEnabled();
  }

  setVideoOff(off) {
    this.videoOff = Boolean(off);
    this.#applyEnabled();
  }

  #applyEnabled() {
    if (this.audioTrack) this.audioTrack.enabled = !this.muted;
    if (this.cameraTrack) this.cameraTrack.enabled = !this.videoOff;
    if (this.blur) this.blur.track.enabled = !this.videoOff;
  }

  async startScreenShare() {
    if (!navigator.mediaDevices?.getDisplayMedia) throw new Error("Screen sharing is not available in this browser");
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    this.screenTrack = stream.getVideoTracks()[0];
    if ("contentHint" in this.screenTrack) this.screenTrack.contentHint = "detail";
    this.screenTrack.addEventListener("ended", () => this.stopScreenShare());
    this.#refreshPreview();
    this.#changed("video");
    this.dispatchEvent(new Event("screenshare"));
  }

  stopScreenShare() {
    if (!this.screenTrack) return;
    this.screenTrack.stop();
    this.screenTrack = null;
    this.#refreshPreview();
    this.#changed("video");
    this.dispatchEvent(new Event("screenshare"));
  }

  get blurred() {
    return Boolean(this.blur);
  }

  setBlur(on) {
    if (on && !this.blur) {
      if (!this.cameraTrack) throw new Error("Background blur needs a camera");
      this.blur = new BlurProcessor(this.cameraTrack);
    } else if (!on && this.blur) {
      this.blur.stop();
      this.blur = null;
    } else {
      return;
    }
    this.#applyEnabled();
    this.#refreshPreview();
    this.#changed("video");
  }

  #refreshPreview() {
    // A new stream object each time, so every <video> showing it reloads. The local tile
    // never plays our own microphone (it is muted); the audio track is there for the
    // speaking indicator.
    const video = this.screenTrack || this.blur?.track || this.cameraTrack;
    this.preview = new MediaStream([video, this.audioTrack].filter(Boolean));
    this.dispatchEvent(new Event("preview"));
  }

  #changed(kind) {
    this.dispatchEvent(new CustomEvent("trackchange", { detail: { kind } }));
  }

  track(kind) {
    return kind === "audio" ? this.audioTrack : this.outgoingVideo;
  }

  stop() {
    this.blur?.stop();
    this.blur = null;
    for (const track of [this.audioTrack, this.cameraTrack, this.screenTrack]) track?.stop();
    this.audioTrack = this.cameraTrack = this.screenTrack = null;
  }
}

function describe(error) {
  if (!error) return "unavailable";
  switch (error.name) {
    case "NotAllowedError":
      return "permission was denied (allow the camera and microphone in the address bar)";
    case "NotFoundError":
      return "no camera or microphone was found";
    case "NotReadableError":
      return "the device is in use by another application";
    default:
      return error.message || error.name;
  }
}

/**
 * Canvas background blur: each frame is drawn blurred, then drawn again sharp through a soft
 * elliptical mask around the centre of the picture, where a face usually is. It runs on a
 * timer, not on requestAnimationFrame, so it keeps going while the tab is in the background
 * (a page playing a call's audio is not throttled).
 */
export class BlurProcessor {
  constructor(sourceTrack, fps = 24) {
    this.fps = fps;
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.canvas = document.createElement("canvas");
    this.sharp = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.sharpCtx = this.sharp.getContext("2d");
    this.canvas.width = this.sharp.width = 640;
    this.canvas.height = this.sharp.height = 360;
    this.track = this.canvas.captureStream(fps).getVideoTracks()[0];
    this.running = true;
    this.setSource(sourceTrack);
    this.#loop();
  }

  setSource(track) {
    this.video.srcObject = new MediaStream([track]);
    this.video.play().catch(() => {});
  }

  #draw() {
    const { video, canvas, sharp, ctx, sharpCtx } = this;
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = sharp.width = w;
      canvas.height = sharp.height = h;
    }
    ctx.filter = `blur(${Math.round(w / 40)}px)`;
    ctx.drawImage(video, 0, 0, w, h);
    ctx.filter = "none";
    sharpCtx.globalCompositeOperation = "source-over";
    sharpCtx.drawImage(video, 0, 0, w, h);
    sharpCtx.globalCompositeOperation = "destination-in";
    sharpCtx.save();
    sharpCtx.translate(w / 2, h * 0.48);
    sharpCtx.scale(w * 0.26, h * 0.5);
    const mask = sharpCtx.createRadialGradient(0, 0, 0.55, 0, 0, 1);
    mask.addColorStop(0, "rgba(0,0,0,1)");
    mask.addColorStop(1, "rgba(0,0,0,0)");
    sharpCtx.fillStyle = mask;
    sharpCtx.fillRect(-2, -2, 4, 4);
    sharpCtx.restore();
    ctx.drawImage(sharp, 0, 0);
  }

  #loop() {
    if (!this.running) return;
    try {
      this.#draw();
    } catch {
      // a frame that cannot be drawn yet
    }
    setTimeout(() => this.#loop(), 1000 / this.fps);
  }

  stop() {
    this.running = false;
    this.track.stop();
    this.video.srcObject = null;
  }
}
