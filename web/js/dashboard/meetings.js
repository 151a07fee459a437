// Dashboard → Meetings: create an instant or scheduled meeting with every §3 setting, the
// active and scheduled lists with join and host links, the history (duration, peak, cost),
// transcripts and recordings. Every call goes through the page's SDK client, on the session
// cookie: the meeting endpoints take the session as well as an x-api-key, so no API key is
// kept in this browser (a key in localStorage would be readable by any script of the site).
import { OnepizzaError } from "/sdk/onepizza.js";

import { copyText, dollars, errorText, say, when } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";
import { append, h } from "../dom.js";

const STYLESHEET = "/static/css/dashboard-meetings.css";
const HISTORY_PAGE = 20;

/**
 * localStorage, per account: the admin (host) tokens of the meetings created in this browser.
 * There is no better place: the server gives a meeting's admin token only once, at creation
 * (it keeps only a hash), and a host link and End/Cancel need it. Kept here knowingly: a token
 * gives host powers over its one meeting until that meeting ends (ended ones are dropped), not
 * access to the account, which stays behind the HttpOnly session cookie.
 */
class HostTokens {
  constructor(userId) {
    this.tokensName = `onepizza.dashboard.${userId}.hostTokens`;
    localStorage.removeItem(`onepizza.dashboard.${userId}.apiKey`); // an older dashboard's key
  }

  tokens() {
    try {
      return JSON.parse(localStorage.getItem(this.tokensName) || "{}");
    } catch {
      return {};
    }
  }

  /** Keep only the tokens of `meetingIds` (the meetings still active or scheduled). */
  keepTokens(meetingIds) {
    const kept = Object.fromEntries(Object.entries(this.tokens()).filter(([id]) => meetingIds.has(id)));
    localStorage.setItem(this.tokensName, JSON.stringify(kept));
    return kept;
  }

  addToken(meetingId, token) {
    localStorage.setItem(this.tokensName, JSON.stringify({ ...this.tokens(), [meetingId]: token }));
  }
}

// --- helpers shared with the webhooks section ----------------------------------------------

/** Replace what `element` holds with `children` (null, undefined and false are left out). */
export function put(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** The section's heading (the page's own, if it has one) followed by `children`. */
export function fillSection(root, title, ...children) {
  const heading = root.querySelector("h2") || h("h2", {}, title);
  root.replaceChildren(heading, ...children);
}

/** A status line (role=status) and an error line (role=alert) for a section. */
export function messages() {
  const ok = h("p", { class: "form-ok", role: "status" });
  const error = h("p", { class: "form-error", role: "alert" });
  return {
    nodes: [ok, error],
    ok: (text) => {
      say(error, "");
      say(ok, text);
    },
    fail: (failure) => {
      say(ok, "");
      say(error, typeof failure === "string" ? failure : errorText(failure));
    },
  };
}

/** A read-only value with a Copy button (the text can also be selected by hand). */
export function copyField(label, value, id, hint = "") {
  const note = h("span", { class: "form-ok", role: "status" });
  const input = h("input", { id, type: "text", readonly: true, value, class: "dm-copy-input", spellcheck: "false", "aria-describedby": hint ? `${id}-hint` : null });
  const button = h("button", { type: "button", class: "small", "aria-label": `Copy ${label.toLowerCase()}` }, "Copy");
  button.addEventListener("click", () => {
    input.select();
    copyText(value, note);
  });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("div", { class: "dm-copy-row" }, input, button),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    note,
  );
}

export function ensureStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href: STYLESHEET }));
}

function bytes(size) {
  const units = ["B", "KB", "MB", "GB"];
  let value = Number(size) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function minutes(text) {
  const value = Number(text);
  if (!Number.isFinite(value)) return String(text);
  if (value < 1) return `${Math.round(value * 60)} s`;
  return `${value.toFixed(value < 10 ? 1 : 0)} min`;
}

const absolute = (path) => new URL(path, location.origin).href;
const joinLink = (meetingId) => absolute(`/join/${encodeURIComponent(meetingId)}`);
// The meeting page takes host powers from #admin=<token> (web/js/meeting.js).
const hostLink = (meetingId, token) => `${joinLink(meetingId)}#${new URLSearchParams({ admin: token })}`;

// --- the section -----------------------------------------------------------------------------

class MeetingsSection {
  constructor(root, op, me) {
    this.root = root;
    this.op = op; // the page's client, on the session cookie
    this.hostTokens = new HostTokens(me.id);
    this.historyOffset = 0;
  }

  render() {
    this.messages = messages();
    this.createForm = this.buildCreateForm();
    this.created = h("div", { class: "secret dm-created", id: "dm-created", hidden: true, tabindex: "-1" });
    this.activeList = h("ul", { class: "rows", id: "dm-active", "aria-labelledby": "dm-active-title" });
    this.historyList = h("ul", { class: "rows", id: "dm-history", "aria-labelledby": "dm-history-title" });
    this.moreHistory = h("button", { type: "button", class: "small", hidden: true, onclick: () => this.loadHistory(true) }, "Show older meetings");
    fillSection(
      this.root,
      "Meetings",
      this.createForm,
      this.created,
      h(
        "div",
        { class: "dm-head" },
        h("h3", { id: "dm-active-title" }, "Active and scheduled"),
        h("button", { type: "button", class: "small", onclick: () => this.loadActive() }, "Refresh"),
      ),
      this.activeList,
      h("h3", { id: "dm-history-title" }, "History"),
      this.historyList,
      h("p", { class: "actions" }, this.moreHistory),
      ...this.messages.nodes,
    );
  }

  buildCreateForm() {
    const field = (label, input, hint) =>
      h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint", id: `${input.id}-hint` }, hint) : null);
    const choice = (id, attrs, label) => {
      const input = h("input", { id, ...attrs });
      input.defaultChecked = input.checked; // what the form's reset() goes back to
      return h("label", { class: "choice", for: id }, input, label);
    };
    const schedule = h("input", { id: "dm-scheduled-for", name: "scheduledFor", type: "datetime-local", "aria-describedby": "dm-scheduled-for-hint" });
    const scheduleField = field("Start time", schedule, "Your local time. Nobody can join before it; the meeting opens by itself then.");
    scheduleField.hidden = true;
    const form = h(
      "form",
      { class: "stack dm-create", id: "dm-create", "aria-labelledby": "dm-create-title", novalidate: true },
      h("h3", { id: "dm-create-title" }, "New meeting"),
      field("Title", h("input", { id: "dm-title", name: "title", maxlength: "200", placeholder: "Untitled Meeting", autocomplete: "off" })),
      h(
        "fieldset",
        { class: "choices" },
        h("legend", {}, "When"),
        choice("dm-when-now", { type: "radio", name: "when", value: "now", checked: true }, "Now"),
        choice("dm-when-later", { type: "radio", name: "when", value: "later" }, "Schedule for later"),
      ),
      scheduleField,
      h(
        "fieldset",
        { class: "choices" },
        h("legend", {}, "Settings"),
        field("Maximum participants", h("input", { id: "dm-max", name: "maxParticipants", type: "number", min: "1", max: "100", value: "50", inputmode: "numeric", class: "dm-number" })),
        choice("dm-mute", { type: "checkbox", name: "muteOnJoin" }, "Mute people when they join"),
        choice("dm-video-off", { type: "checkbox", name: "videoOffOnJoin" }, "Turn cameras off when people join"),
        choice("dm-waiting", { type: "checkbox", name: "waitingRoom" }, "Waiting room: the host admits each person"),
        choice("dm-locked", { type: "checkbox", name: "locked" }, "Locked: nobody new joins until the host unlocks it"),
      ),
      h("p", { class: "form-error", id: "dm-create-error", role: "alert" }),
      h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "dm-create-button" }, "Create meeting")),
    );
    form.addEventListener("change", () => {
      scheduleField.hidden = form.elements.when.value !== "later";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    return form;
  }

  /** The form as a §3 request, and whether to lock the meeting right after creating it. */
  readForm() {
    const els = this.createForm.elements;
    const request = {
      title: els.title.value.trim() || undefined,
      muteOnJoin: els.muteOnJoin.checked,
      videoOffOnJoin: els.videoOffOnJoin.checked,
      waitingRoom: els.waitingRoom.checked,
    };
    const max = Number(els.maxParticipants.value);
    if (!Number.isInteger(max) || max < 1 || max > 100) throw new Error("Maximum participants must be a whole number from 1 to 100");
    request.maxParticipants = max;
    if (els.when.value === "later") {
      const at = new Date(els.scheduledFor.value);
      if (!els.scheduledFor.value || Number.isNaN(at.getTime())) throw new Error("Choose when the meeting starts");
      if (at.getTime() <= Date.now()) throw new Error("The start time must be in the future");
      request.scheduledAt = at.toISOString();
    }
    return { request, locked: els.locked.checked };
  }

  async create() {
    const error = this.createForm.querySelector("#dm-create-error");
    const button = this.createForm.querySelector("#dm-create-button");
    say(error, "");
    let form;
    try {
      form = this.readForm();
    } catch (problem) {
      say(error, problem.message);
      return;
    }
    button.disabled = true;
    try {
      const meeting = await this.op.meetings.create(form.request);
      this.hostTokens.addToken(meeting.meetingId, meeting.adminToken);
      let lockProblem = "";
      if (form.locked) {
        try {
          await this.op.meetings.lock(meeting.meetingId, { adminToken: meeting.adminToken });
        } catch (problem) {
          lockProblem = `It could not be locked: ${errorText(problem)}`;
        }
      }
      this.showCreated(meeting, lockProblem);
      this.createForm.reset();
      this.createForm.dispatchEvent(new Event("change"));
      await this.loadActive();
    } catch (problem) {
      const text = errorText(problem);
      say(error, problem instanceof OnepizzaError && problem.status === 402 ? `${text}. Add credit under Billing.` : text);
    } finally {
      button.disabled = false;
    }
  }

  showCreated(meeting, lockProblem) {
    const scheduled = meeting.status === "scheduled";
    put(
      this.created,
      h("p", {}, h("strong", {}, `${scheduled ? "Scheduled" : "Created"}: ${meeting.title}`), scheduled ? ` — opens ${when(meeting.scheduledAt)}` : ""),
      lockProblem ? h("p", { class: "form-error" }, lockProblem) : null,
      copyField("Join link", joinLink(meeting.meetingId), "dm-created-join"),
      copyField("Host link", hostLink(meeting.meetingId, meeting.adminToken), "dm-created-host", "Keep it private: it gives host powers."),
      h(
        "p",
        { class: "actions" },
        h("a", { class: "button primary", id: "dm-open-host", href: hostLink(meeting.meetingId, meeting.adminToken) }, "Open as host"),
        h("button", { type: "button", class: "small", onclick: () => this.hideCreated() }, "Close"),
      ),
    );
    this.created.hidden = false;
    this.created.focus();
  }

  hideCreated() {
    this.created.hidden = true;
    this.created.replaceChildren();
    this.createForm.elements.title.focus();
  }

  // --- active and scheduled ---------------------------------------------------------------

  async loadActive() {
    let meetings;
    try {
      ({ meetings } = await this.op.meetings.list());
    } catch (problem) {
      this.messages.fail(problem);
      return;
    }
    const tokens = this.hostTokens.keepTokens(new Set(meetings.map((m) => m.meetingId)));
    this.activeList.replaceChildren(
      ...(meetings.length ? meetings.map((m) => this.activeRow(m, tokens[m.meetingId])) : [h("li", { class: "empty" }, "No active or scheduled meetings.")]),
    );
  }

  activeRow(meeting, token) {
    const id = meeting.meetingId;
    const scheduled = meeting.status === "scheduled";
    const actions = h("div", { class: "actions" }, h("a", { class: "button small", href: joinLink(id), "aria-label": `Join: ${meeting.title}` }, "Join"));
    if (token) {
      actions.append(
        h("a", { class: "button small primary", href: hostLink(id, token), "aria-label": `Open as host: ${meeting.title}` }, "Open as host"),
        h("button", { type: "button", class: "small", "aria-label": `Copy host link: ${meeting.title}`, onclick: () => copyText(hostLink(id, token), this.messages.nodes[0], "Host link copied") }, "Copy host link"),
        h("button", { type: "button", class: "small danger", "aria-label": `${scheduled ? "Cancel" : "End"}: ${meeting.title}`, onclick: () => this.end(meeting, token) }, scheduled ? "Cancel" : "End"),
      );
    }
    const about = scheduled ? `opens ${when(meeting.scheduledAt)}` : `${meeting.participantCount} in the meeting now`;
    return h(
      "li",
      { class: "row dm-row", "data-meeting-id": id },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-title" }, meeting.title, " ", h("span", { class: `dm-pill dm-${meeting.status}` }, meeting.status)),
        h("span", { class: "row-meta" }, h("code", {}, id), ` · ${about}`, token ? "" : " · its host link is where it was created"),
      ),
      actions,
      this.files(id, meeting.title, { transcript: !scheduled }),
    );
  }

  async end(meeting, token) {
    const scheduled = meeting.status === "scheduled";
    const sure = await confirmAction({
      title: scheduled ? `Cancel “${meeting.title}”?` : `End “${meeting.title}”?`,
      text: scheduled
        ? "The scheduled meeting is cancelled and its links stop working."
        : "Everyone in it is disconnected, and it is charged for the time it ran.",
      confirmLabel: scheduled ? "Cancel meeting" : "End meeting",
    });
    if (!sure) return;
    try {
      await this.op.meetings.end(meeting.meetingId, { adminToken: token });
      this.messages.ok(scheduled ? `Cancelled “${meeting.title}”.` : `Ended “${meeting.title}”.`);
    } catch (problem) {
      this.messages.fail(problem);
    }
    await Promise.all([this.loadActive(), this.loadHistory()]);
  }

  // --- history --------------------------------------------------------------------------

  async loadHistory(more = false) {
    if (!more) this.historyOffset = 0;
    let meetings;
    try {
      ({ meetings } = await this.op.meetings.history({ limit: HISTORY_PAGE, offset: this.historyOffset }));
    } catch (problem) {
      this.messages.fail(problem);
      return;
    }
    const rows = meetings.map((m) => this.historyRow(m));
    if (more) this.historyList.append(...rows);
    else this.historyList.replaceChildren(...(rows.length ? rows : [h("li", { class: "empty" }, "No ended meetings yet.")]));
    this.historyOffset += meetings.length;
    this.moreHistory.hidden = meetings.length < HISTORY_PAGE;
  }

  historyRow(m) {
    const figure = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));
    const peak = `${m.peak_participants} ${m.peak_participants === 1 ? "person" : "people"}`;
    return h(
      "li",
      { class: "row dm-row", "data-meeting-id": m.meeting_id },
      h("div", { class: "row-main" }, h("span", { class: "row-title" }, m.title), h("span", { class: "row-meta" }, h("code", {}, m.meeting_id))),
      h(
        "dl",
        { class: "dm-figures" },
        figure("Ended", when(m.ended_at) || "—"),
        figure("Duration", minutes(m.duration_minutes)),
        figure("Peak", peak),
        figure("Cost", dollars(m.cost_usd)),
      ),
      this.files(m.meeting_id, m.title, { transcript: true }),
    );
  }

  // --- transcript and recordings of one meeting -------------------------------------------

  files(meetingId, title, { transcript }) {
    const body = h("div", { class: "dm-files" });
    const details = h("details", { class: "dm-details" }, h("summary", {}, "Transcript and recordings"), body);
    const load = () => this.loadFiles(body, meetingId, title, transcript);
    details.addEventListener("toggle", () => {
      if (details.open) load();
    });
    return details;
  }

  async loadFiles(body, meetingId, title, transcript) {
    body.replaceChildren(h("p", { class: "hint" }, "Loading…"));
    let recordings;
    try {
      ({ recordings } = await this.op.recordings.list(meetingId));
    } catch (problem) {
      body.replaceChildren(h("p", { class: "form-error", role: "alert" }, errorText(problem)));
      return;
    }
    const reload = () => this.loadFiles(body, meetingId, title, transcript);
    put(
      body,
      transcript
        ? h(
            "p",
            {},
            h("a", { href: this.op.meetings.transcriptDownloadUrl(meetingId), download: `transcript-${meetingId}.txt`, "aria-label": `Download the chat transcript: ${title}` }, "Download the chat transcript"),
          )
        : null,
      h(
        "ul",
        { class: "dm-recordings", "aria-label": `Recordings: ${title}` },
        ...(recordings.length ? recordings.map((r) => this.recordingRow(r, reload)) : [h("li", { class: "empty" }, "No recordings.")]),
      ),
    );
  }

  recordingRow(recording, reload) {
    const name = recording.filename;
    const remove = async () => {
      const sure = await confirmAction({
        title: `Delete ${name}?`,
        text: "The recording is deleted from the server. This cannot be undone.",
        confirmLabel: "Delete recording",
      });
      if (!sure) return;
      try {
        await this.op.recordings.delete(recording.id);
        this.messages.ok(`Deleted ${name}.`);
      } catch (problem) {
        this.messages.fail(problem);
      }
      await reload();
    };
    return h(
      "li",
      { "data-recording-id": String(recording.id) },
      h("span", { class: "row-title" }, name),
      h("span", { class: "row-meta" }, `${bytes(recording.size_bytes)} · ${when(recording.created_at)}`),
      h(
        "span",
        { class: "actions" },
        h("a", { class: "button small", href: this.op.recordings.downloadUrl(recording.id), download: name, "aria-label": `Download: ${name}` }, "Download"),
        h("button", { type: "button", class: "small danger", "aria-label": `Delete: ${name}`, onclick: remove }, "Delete"),
      ),
    );
  }
}

/**
 * Render the meetings part of the dashboard into <section id="meetings">.
 * @param {Onepizza} op The page's SDK client (session cookie).
 * @param {{ id: number }} me The logged-in account (GET /api/auth/me).
 */
export async function init(op, me) {
  const root = document.getElementById("meetings");
  if (!root) return;
  ensureStylesheet();
  const section = new MeetingsSection(root, op, me);
  section.render();
  await Promise.all([section.loadActive(), section.loadHistory()]);
}
