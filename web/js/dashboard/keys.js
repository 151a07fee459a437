// Dashboard → API keys: create one with a label (its full value shown once, with a copy
// button), the list with masked values, and revoking after a confirmation.
import { copyText, errorText, listRow, say, when, whileBusy } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";

const $ = (id) => document.getElementById(id);

export async function init(op, me, { welcome = {} } = {}) {
  const form = $("key-form");
  const labelInput = $("key-label");
  const createButton = $("key-create");
  const error = $("key-error");
  const list = $("key-list");
  const empty = $("key-empty");
  const panel = $("new-key");
  const value = $("new-key-value");
  const copied = $("new-key-copied");

  function showNewKey(key, label) {
    value.textContent = key;
    $("new-key-label").textContent = label ? ` “${label}”` : "";
    say(copied, "");
    panel.hidden = false;
    panel.focus();
  }

  function hideNewKey() {
    panel.hidden = true;
    value.textContent = ""; // gone from the page: it is never shown again
    labelInput.focus();
  }

  function row(key) {
    const name = key.label || "Unlabelled key";
    const used = key.last_used_at ? `last used ${when(key.last_used_at)}` : "never used";
    return listRow({
      title: name,
      code: key.key,
      meta: `Created ${when(key.created_at)} · ${used}`,
      button: { text: "Revoke", name: `Revoke ${name} (${key.key})`, onclick: () => revokeKey(key, name) },
      data: { keyId: key.id },
    });
  }

  async function refresh() {
    const { keys } = await op.keys.list();
    list.replaceChildren(...keys.map(row));
    empty.hidden = keys.length > 0;
  }

  async function revokeKey(key, name) {
    const sure = await confirmAction({
      title: `Revoke ${name}?`,
      text: `Every request made with ${key.key} will be refused from now on. This cannot be undone.`,
      confirmLabel: "Revoke key",
    });
    if (!sure) return;
    say(error, "");
    try {
      await op.keys.revoke(key.id);
      await refresh();
    } catch (failure) {
      say(error, errorText(failure));
    }
    labelInput.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(error, "");
    const label = labelInput.value.trim();
    try {
      const key = await whileBusy(createButton, "Creating…", () => op.keys.create(label || undefined));
      labelInput.value = "";
      showNewKey(key.key, key.label);
      await refresh();
    } catch (failure) {
      say(error, errorText(failure));
    }
  });
  $("new-key-copy").addEventListener("click", () => copyText(value.textContent, copied, "Key copied"));
  $("new-key-done").addEventListener("click", hideNewKey);

  await refresh();
  if (welcome.apiKey) showNewKey(welcome.apiKey, "");
}
