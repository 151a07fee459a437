// Full-mesh WebRTC (§12): one RTCPeerConnection per other participant, following the
// "perfect negotiation" pattern:
//  - any side may renegotiate: onnegotiationneeded → setLocalDescription() → signal:offer;
//  - when both offer at once (glare), the impolite side ignores the incoming offer and the
//    polite side rolls its own back (setRemoteDescription does the rollback implicitly);
//  - polite = the side with the larger participantId, so both sides agree without talking.
// The newcomer starts each connection (§12 step 2); the others create theirs when the offer
// arrives. Each connection has one audio and one video transceiver both ways, so a camera
// change, screen share or blur is a replaceTrack, with no renegotiation. Signals from one
// peer are handled one at a time, in order, so an ICE candidate never overtakes its offer.

export class Mesh extends EventTarget {
  /**
   * @param {object} options
   * @param {string} options.selfId our participantId
   * @param {RTCIceServer[]} options.iceServers
   * @param {(event: string, payload: object) => void} options.signal sends a signal event
   * @param {(kind: "audio"|"video") => MediaStreamTrack|null} options.localTrack
   * @param {MediaStream|null} options.localStream the stream our tracks are announced in
   */
  constructor({ selfId, iceServers, signal, localTrack, localStream }) {
    super();
    this.selfId = selfId;
    this.config = { iceServers, bundlePolicy: "max-bundle" };
    this.signal = signal;
    this.localTrack = localTrack;
    this.localStream = localStream;
    /** participantId → RTCPeerConnection (exposed to tests as window.onepizza.peers). */
    this.peers = new Map();
    this.#state = new Map();
  }

  #state;

  /** Start a connection to `pid` (we are the newcomer): our transceivers trigger an offer. */
  connect(pid) {
    const pc = this.#create(pid);
    const state = this.#state.get(pid);
    for (const kind of ["audio", "video"]) {
      const track = this.localTrack(kind);
      const init = { direction: "sendrecv", streams: this.localStream ? [this.localStream] : [] };
      const transceiver = pc.addTransceiver(track || kind, init);
      state.senders[kind] = transceiver.sender;
    }
    return pc;
  }

  #create(pid) {
    this.close(pid);
    const pc = new RTCPeerConnection(this.config);
    const state = {
      polite: this.selfId > pid,
      makingOffer: false,
      ignoreOffer: false,
      queue: Promise.resolve(),
      senders: { audio: null, video: null },
      stream: new MediaStream(),
      restartTimer: null,
    };
    this.peers.set(pid, pc);
    this.#state.set(pid, state);

    pc.onnegotiationneeded = async () => {
      try {
        state.makingOffer = true;
        await pc.setLocalDescription();
        this.signal("signal:offer", { to: pid, offer: plain(pc.localDescription) });
      } catch (error) {
        this.#report(pid, "offer", error);
      } finally {
        state.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.signal("signal:ice-candidate", { to: pid, candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track }) => {
      for (const old of state.stream.getTracks()) {
        if (old.kind === track.kind && old !== track) state.stream.removeTrack(old);
      }
      if (!state.stream.getTracks().includes(track)) state.stream.addTrack(track);
      this.dispatchEvent(new CustomEvent("stream", { detail: { pid, stream: state.stream } }));
    };
    pc.onconnectionstatechange = () => {
      const value = pc.connectionState;
      this.dispatchEvent(new CustomEvent("state", { detail: { pid, state: value } }));
      clearTimeout(state.restartTimer);
      if (value === "failed") {
        pc.restartIce(); // fires negotiationneeded: a new offer with fresh ICE credentials
      } else if (value === "disconnected") {
        // Often recovers by itself; if not within a few seconds, restart ICE.
        state.restartTimer = setTimeout(() => {
          if (pc.connectionState === "disconnected") pc.restartIce();
        }, 4000);
      }
    };
    return pc;
  }

  /** An incoming signal event ("offer" | "answer" | "candidate") from `pid`. */
  handle(pid, kind, payload) {
    let state = this.#state.get(pid);
    if (!state) {
      if (kind !== "offer") return; // a late signal from a connection we closed
      this.#create(pid);
      state = this.#state.get(pid);
    }
    const pc = this.peers.get(pid);
    state.queue = state.queue
      .then(() => this.#handle(pc, pid, state, kind, payload))
      .catch((error) => this.#report(pid, kind, error));
    return state.queue;
  }

  async #handle(pc, pid, state, kind, payload) {
    if (pc.signalingState === "closed") return;
    if (kind === "candidate") {
      try {
        await pc.addIceCandidate(payload);
      } catch (error) {
        if (!state.ignoreOffer) throw error;
      }
      return;
    }
    const description = payload;
    if (kind === "answer") {
      // A late answer to an offer we already rolled back is ignored.
      if (pc.signalingState !== "have-local-offer") return;
      await pc.setRemoteDescription(description);
      return;
    }
    const collision = state.makingOffer || pc.signalingState !== "stable";
    state.ignoreOffer = !state.polite && collision;
    if (state.ignoreOffer) return;
    await pc.setRemoteDescription(description); // rolls back our own offer when polite
    await this.#attachLocalTracks(pc, state);
    await pc.setLocalDescription();
    this.signal("signal:answer", { to: pid, answer: plain(pc.localDescription) });
  }

  /** On the answering side: send our tracks on the transceivers the offer created. */
  async #attachLocalTracks(pc, state) {
    for (const kind of ["audio", "video"]) {
      if (state.senders[kind]) continue;
      const transceiver = pc
        .getTransceivers()
        .find((t) => t.receiver.track.kind === kind && t.mid !== null && !t.stopped && !t.sender.track);
      if (!transceiver) continue;
      transceiver.direction = "sendrecv";
      state.senders[kind] = transceiver.sender;
      const track = this.localTrack(kind);
      if (track) await transceiver.sender.replaceTrack(track);
      if (this.localStream && transceiver.sender.setStreams) transceiver.sender.setStreams(this.localStream);
    }
  }

  /** Send another local track (new device, screen share, blur) to every peer. */
  async replaceTrack(kind, track) {
    const jobs = [];
    for (const state of this.#state.values()) {
      const sender = state.senders[kind];
      if (sender) jobs.push(sender.replaceTrack(track).catch(() => {}));
    }
    await Promise.all(jobs);
  }

  stream(pid) {
    return this.#state.get(pid)?.stream || null;
  }

  close(pid) {
    const pc = this.peers.get(pid);
    const state = this.#state.get(pid);
    if (state) clearTimeout(state.restartTimer);
    if (pc) {
      pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
      pc.close();
    }
    this.peers.delete(pid);
    this.#state.delete(pid);
  }

  closeAll() {
    for (const pid of Array.from(this.peers.keys())) this.close(pid);
  }

  #report(pid, what, error) {
    console.warn(`webrtc: ${what} with ${pid} failed:`, error);
    this.dispatchEvent(new CustomEvent("error", { detail: { pid, what, error } }));
  }
}

function plain(description) {
  return { type: description.type, sdp: description.sdp };
}
