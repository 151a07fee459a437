// Dashboard → Templates and recurring meetings (collaboration.md): save a template (a title
// and settings new meetings start with), create a recurring meeting from an RFC 5545 rule in
// a time zone (optionally from a template), list both, delete either after a confirmation.
// Every call goes through the page's SDK client on the session cookie.
import { errorText, say, when, whileBusy } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";
import { h } from "../dom.js";

const SETTINGS = [
  ["muteOnJoin", "Mute people when they join"],
  ["videoOffOnJoin", "Turn cameras off when people join"],
  ["waitingRoom", "Waiting room"],
  ["locked", "Locked"],
];
const RULE_HINT = "An RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,WE or FREQ=DAILY;COUNT=10 or FREQ=MONTHLY;BYDAY=1TU.";

const field = (label, input, hint) =>
  h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint", id: `${input.id}-hint` }, hint) : null);

// The meeting page takes host powers from #admin=<token> (web/js/meeting.js).
const hostLink = (meetingId, token) => `/join/${encodeURIComponent(meetingId)}#${new URLSearchParams({ admin: token })}`;

function row(title, meta, button, ...extra) {
  const action = h("button", { type: "button", class: "small", "aria-label": button.name, onclick: button.onclick }, button.text);
  return h("li", { class: "row" }, h("div", { class: "row-main" }, h("span", { class: "row-title" }, title), h("span", { class: "row-meta" }, meta)), ...extra, action);
}

function settingsText(settings) {
  const parts = SETTINGS.filter(([key]) => settings[key]).map(([, label]) => label.toLowerCase());
  if (settings.maxParticipants) parts.push(`up to ${settings.maxParticipants} people`);
  return parts.join(", ") || "default settings";
}

export async function init(op) {
  const section = document.getElementById("schedule");
  const templateList = h("ul", { class: "rows", id: "template-list", "aria-labelledby": "template-list-title" });
  const templateEmpty = h("p", { class: "empty", id: "template-empty", hidden: true }, "No templates yet.");
  const recurringList = h("ul", { class: "rows", id: "recurring-list", "aria-labelledby": "recurring-list-title" });
  const recurringEmpty = h("p", { class: "empty", id: "recurring-empty", hidden: true }, "No recurring meetings yet.");
  const templateSelect = h("select", { id: "recurring-template", name: "templateId" });
  const templateError = h("p", { class: "form-error", id: "template-error", role: "alert" });
  const recurringError = h("p", { class: "form-error", id: "recurring-error", role: "alert" });
  const recurringOk = h("p", { class: "form-ok", id: "recurring-ok", role: "status" });

  const templateForm = h(
    "form",
    { class: "stack", id: "template-form", "aria-labelledby": "template-form-title", novalidate: true },
    h("h3", { id: "template-form-title" }, "New template"),
    field("Name", h("input", { id: "template-name", name: "name", maxlength: "100", required: true, autocomplete: "off" })),
    field("Meeting title", h("input", { id: "template-title", name: "title", maxlength: "200", autocomplete: "off", placeholder: "Optional" })),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "Settings"),
      field("Maximum participants", h("input", { id: "template-max", name: "maxParticipants", type: "number", min: "1", max: "100", inputmode: "numeric", placeholder: "50" })),
      ...SETTINGS.map(([key, label]) => h("label", { class: "choice", for: `template-${key}` }, h("input", { id: `template-${key}`, name: key, type: "checkbox" }), label)),
    ),
    templateError,
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "template-create" }, "Save template")),
  );

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const recurringForm = h(
    "form",
    { class: "stack", id: "recurring-form", "aria-labelledby": "recurring-form-title", novalidate: true },
    h("h3", { id: "recurring-form-title" }, "New recurring meeting"),
    field("Title", h("input", { id: "recurring-title", name: "title", maxlength: "200", autocomplete: "off", placeholder: "The template's, or Untitled Meeting" })),
    field("Repeats", h("input", { id: "recurring-rule", name: "rrule", maxlength: "500", required: true, value: "FREQ=WEEKLY", spellcheck: "false", "aria-describedby": "recurring-rule-hint" }), RULE_HINT),
    field("First meeting", h("input", { id: "recurring-start", name: "startAt", type: "datetime-local", required: true, "aria-describedby": "recurring-start-hint" }), "The wall-clock time in the time zone below; later meetings keep it across daylight-saving changes."),
    field("Time zone", h("input", { id: "recurring-zone", name: "timezone", value: zone, maxlength: "64", spellcheck: "false" })),
    field("Length (minutes)", h("input", { id: "recurring-duration", name: "durationMinutes", type: "number", min: "1", max: "1440", value: "60", inputmode: "numeric" })),
    field("Template", templateSelect),
    recurringError,
    recurringOk,
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "recurring-create" }, "Create recurring meeting")),
  );

  section.append(
    h("p", { class: "muted" }, "Templates are reusable settings for new meetings. A recurring meeting schedules each of its meetings ahead of time (the next one, and every one in the next 14 days)."),
    templateForm,
    h("h3", { id: "template-list-title" }, "Your templates"),
    templateList,
    templateEmpty,
    recurringForm,
    h("h3", { id: "recurring-list-title" }, "Your recurring meetings"),
    recurringList,
    recurringEmpty,
  );

  async function refreshTemplates() {
    const { templates } = await op.templates.list();
    templateList.replaceChildren(
      ...templates.map((t) =>
        row(t.name, `${t.title ? `“${t.title}” · ` : ""}${settingsText(t.settings)}`, {
          text: "Delete",
          name: `Delete template ${t.name}`,
          onclick: () => removeTemplate(t),
        }),
      ),
    );
    templateEmpty.hidden = templates.length > 0;
    templateSelect.replaceChildren(h("option", { value: "" }, "None"), ...templates.map((t) => h("option", { value: String(t.id) }, t.name)));
  }

  /** The rule's next meeting that has not ended (with its admin token), if any. */
  async function nextMeeting(rule) {
    const { meetings } = await op.recurring.get(rule.id);
    return meetings.find((m) => m.adminToken && m.status !== "cancelled") || null;
  }

  async function refreshRecurring() {
    const { recurring } = await op.recurring.list();
    const upcoming = await Promise.all(recurring.map(nextMeeting));
    recurringList.replaceChildren(
      ...recurring.map((r, i) => {
        const next = r.nextOccurrences[0] ? `next ${when(r.nextOccurrences[0])}` : "no more meetings";
        const meeting = upcoming[i];
        const open = meeting
          ? h("a", { class: "button small primary", href: hostLink(meeting.meetingId, meeting.adminToken), "aria-label": `Open as host: the next ${r.title}` }, "Open as host")
          : null;
        return row(
          r.title,
          `${r.rrule} · ${r.timezone} · ${next}`,
          { text: "Delete", name: `Delete recurring meeting ${r.title}`, onclick: () => removeRecurring(r) },
          open,
        );
      }),
    );
    recurringEmpty.hidden = recurring.length > 0;
  }

  async function removeTemplate(template) {
    const sure = await confirmAction({
      title: `Delete template ${template.name}?`,
      text: "Meetings and recurring meetings made from it keep their settings.",
      confirmLabel: "Delete template",
    });
    if (!sure) return;
    try {
      await op.templates.delete(template.id);
      await refreshTemplates();
    } catch (failure) {
      say(templateError, errorText(failure));
    }
  }

  async function removeRecurring(rule) {
    const sure = await confirmAction({
      title: `Delete ${rule.title}?`,
      text: "Its meetings that have not started are cancelled. One running now goes on.",
      confirmLabel: "Delete recurring meeting",
    });
    if (!sure) return;
    try {
      const { cancelled } = await op.recurring.delete(rule.id);
      say(recurringOk, `Deleted; ${cancelled.length} scheduled meeting${cancelled.length === 1 ? "" : "s"} cancelled.`);
      await refreshRecurring();
    } catch (failure) {
      say(recurringError, errorText(failure));
    }
  }

  templateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(templateError, "");
    const els = templateForm.elements;
    const settings = {};
    for (const [key] of SETTINGS) if (els[key].checked) settings[key] = true;
    if (els.maxParticipants.value) settings.maxParticipants = Number(els.maxParticipants.value);
    try {
      await whileBusy(templateForm.querySelector("#template-create"), "Saving…", () =>
        op.templates.create({ name: els.name.value, title: els.title.value.trim() || undefined, settings }),
      );
      templateForm.reset();
      await refreshTemplates();
    } catch (failure) {
      say(templateError, errorText(failure));
    }
  });

  recurringForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(recurringError, "");
    say(recurringOk, "");
    const els = recurringForm.elements;
    if (!els.startAt.value) {
      say(recurringError, "Choose when the first meeting starts");
      return;
    }
    const request = {
      title: els.title.value.trim() || undefined,
      rrule: els.rrule.value,
      startAt: els.startAt.value.length === 16 ? `${els.startAt.value}:00` : els.startAt.value,
      timezone: els.timezone.value.trim() || "UTC",
      durationMinutes: Number(els.durationMinutes.value),
      templateId: els.templateId.value ? Number(els.templateId.value) : undefined,
    };
    try {
      const rule = await whileBusy(recurringForm.querySelector("#recurring-create"), "Creating…", () => op.recurring.create(request));
      say(recurringOk, `Created: the first meeting is ${when(rule.nextOccurrences[0])}.`);
      await refreshRecurring();
    } catch (failure) {
      say(recurringError, errorText(failure));
    }
  });

  await Promise.all([refreshTemplates(), refreshRecurring()]);
}
