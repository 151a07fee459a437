// Admin → Platform settings: the per-minute rate, the low-balance threshold, the welcome
// credit of new accounts (when the server has it), and any other setting the server lists.
import { errorText, say, whileBusy } from "../account/common.js";

const $ = (id) => document.getElementById(id);

// What each setting means; a setting the server adds later is shown under its own name.
const KNOWN = {
  rate_per_participant_minute: {
    label: "Rate per participant-minute (US dollars)",
    hint: "A meeting costs its minutes × its peak participants × this rate.",
  },
  low_balance_threshold: {
    label: "Low-balance alert threshold (US dollars)",
    hint: "An account whose balance falls below this gets an e-mail.",
  },
  welcome_credit_usd: {
    label: "Welcome credit for new accounts (US dollars)",
    hint: "Given to every new account when it registers; 0 turns it off.",
  },
};

function fieldFor(name, value) {
  const known = KNOWN[name] || { label: name, hint: "" };
  const id = `setting-${name}`;
  const wrap = document.createElement("div");
  wrap.className = "field";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = known.label;
  const input = document.createElement("input");
  input.id = id;
  input.name = name;
  input.inputMode = "decimal";
  input.autocomplete = "off";
  input.value = value;
  input.dataset.saved = value;
  wrap.append(label, input);
  if (known.hint) {
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.id = `${id}-hint`;
    hint.textContent = known.hint;
    input.setAttribute("aria-describedby", hint.id);
    wrap.append(hint);
  }
  return wrap;
}

/** The server's validation details ({field: [messages]}) as one sentence. */
export function detailText(error) {
  const details = error && error.details;
  if (!details || typeof details !== "object") return errorText(error);
  const parts = Object.entries(details).map(([field, messages]) => {
    const name = KNOWN[field] ? KNOWN[field].label : field === "_schema" ? "" : field;
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    return name ? `${name}: ${text}` : text;
  });
  return parts.join(" ") || errorText(error);
}

export async function init(op) {
  const form = $("settings-form");
  const fields = $("settings-fields");
  const error = $("settings-error");
  const ok = $("settings-ok");

  function show(values) {
    const order = [...Object.keys(KNOWN).filter((name) => name in values), ...Object.keys(values).filter((name) => !(name in KNOWN))];
    fields.replaceChildren(...order.map((name) => fieldFor(name, values[name])));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(error, "");
    say(ok, "");
    const changes = {};
    for (const input of fields.querySelectorAll("input")) {
      const value = input.value.trim();
      if (value !== input.dataset.saved) changes[input.name] = value;
    }
    if (!Object.keys(changes).length) {
      say(ok, "Nothing changed.");
      return;
    }
    try {
      const values = await whileBusy($("settings-save"), "Saving…", () => op.admin.updateSettings(changes));
      show(values);
      say(ok, `Saved: ${Object.keys(changes).map((name) => (KNOWN[name] ? KNOWN[name].label : name)).join(", ")}.`);
    } catch (failure) {
      say(error, detailText(failure));
    }
  });

  show(await op.admin.settings());
}
