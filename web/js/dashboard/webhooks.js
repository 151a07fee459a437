// Dashboard → Webhooks (§9): register an endpoint (its signing secret shown once), list,
// delete, and each endpoint's delivery log with a retry for a delivery that failed.
import { errorText, say, when } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";
import { h } from "../dom.js";
import { copyField, ensureStylesheet, fillSection, messages, put } from "./meetings.js";

// The server's event names (onepizza/services/webhooks.py EVENTS), with what each one means.
const EVENTS = [
  ["meeting.started", "a meeting started"],
  ["meeting.ended", "a meeting ended (by its host, or when everyone left)"],
  ["participant.joined", "someone joined a meeting"],
  ["participant.left", "someone left a meeting"],
  ["recording.uploaded", "a recording was uploaded"],
];
const DELIVERY_PAGE = 20;
const FOLLOW_EVERY_MS = 1500; // after a retry, look again until it is delivered or failed
const FOLLOW_TIMES = 8;

/** A failed delivery, or one waiting for its next automatic try after a failure. */
function retryable(delivery) {
  return delivery.status === "failed" || (delivery.status === "pending" && delivery.attempts > 0);
}

function outcome(delivery) {
  if (delivery.status === "delivered") {
    return `delivered ${when(delivery.delivered_at)} (HTTP ${delivery.last_response_code})`;
  }
  const last = delivery.last_error || (delivery.last_response_code ? `HTTP ${delivery.last_response_code}` : "");
  const tried = delivery.attempts === 1 ? "1 attempt" : `${delivery.attempts} attempts`;
  if (delivery.status === "failed") return `failed after ${tried}${last ? `: ${last}` : ""}`;
  if (!delivery.attempts) return "waiting to be sent";
  return `${tried}, last: ${last || "no answer"}; next try ${when(delivery.next_retry_at)}`;
}

class WebhooksSection {
  constructor(root, op) {
    this.root = root;
    this.op = op;
  }

  render() {
    this.messages = messages();
    this.form = this.buildForm();
    this.secret = h("div", { class: "secret", id: "wh-secret-box", hidden: true, tabindex: "-1" });
    this.list = h("ul", { class: "rows", id: "wh-list", "aria-labelledby": "wh-list-title" });
    fillSection(
      this.root,
      "Webhooks",
      h("p", { class: "hint" }, "onepizza POSTs a signed JSON event to your URL when something happens in your meetings."),
      this.form,
      this.secret,
      h(
        "div",
        { class: "dm-head" },
        h("h3", { id: "wh-list-title" }, "Your webhooks"),
        h("button", { type: "button", class: "small", onclick: () => this.load() }, "Refresh"),
      ),
      this.list,
      ...this.messages.nodes,
    );
  }

  buildForm() {
    const form = h(
      "form",
      { class: "stack", id: "wh-create", "aria-labelledby": "wh-create-title", novalidate: true },
      h("h3", { id: "wh-create-title" }, "Register a webhook"),
      h(
        "div",
        { class: "field" },
        h("label", { for: "wh-url" }, "Endpoint URL"),
        h("input", { id: "wh-url", name: "url", type: "url", required: true, maxlength: "2048", placeholder: "https://your-app.example/webhook", autocomplete: "off", spellcheck: "false" }),
      ),
      h(
        "fieldset",
        { class: "choices" },
        h("legend", {}, "Events"),
        ...EVENTS.map(([name, meaning]) =>
          h(
            "label",
            { class: "choice", for: `wh-event-${name}` },
            h("input", { id: `wh-event-${name}`, type: "checkbox", name: "events", value: name, checked: name === "meeting.ended" }),
            h("span", {}, h("code", {}, name), `: ${meaning}`),
          ),
        ),
      ),
      h("p", { class: "form-error", id: "wh-create-error", role: "alert" }),
      h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "wh-create-button" }, "Register webhook")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    return form;
  }

  async create() {
    const error = this.form.querySelector("#wh-create-error");
    const button = this.form.querySelector("#wh-create-button");
    const url = this.form.elements.url.value.trim();
    const events = [...this.form.querySelectorAll("input[name=events]:checked")].map((box) => box.value);
    const problem = !url ? "Enter the URL that should receive the events" : !events.length ? "Choose at least one event" : "";
    say(error, problem);
    if (problem) return;
    button.disabled = true;
    try {
      const webhook = await this.op.webhooks.create({ url, events });
      this.showSecret(webhook);
      this.form.elements.url.value = "";
      await this.load();
    } catch (failure) {
      say(error, errorText(failure));
    } finally {
      button.disabled = false;
    }
  }

  showSecret(webhook) {
    put(
      this.secret,
      h("p", {}, h("strong", {}, "Webhook registered."), " Its signing secret is shown only now: your endpoint checks the X-Onepizza-Signature header with it."),
      copyField("Signing secret", webhook.secret, "wh-secret"),
      h("p", { class: "actions" }, h("button", { type: "button", class: "small", onclick: () => this.hideSecret() }, "I have saved it")),
    );
    this.secret.hidden = false;
    this.secret.focus();
  }

  hideSecret() {
    this.secret.replaceChildren(); // gone from the page: it is never shown again
    this.secret.hidden = true;
    this.form.elements.url.focus();
  }

  async load() {
    let webhooks;
    try {
      ({ webhooks } = await this.op.webhooks.list());
    } catch (problem) {
      this.messages.fail(problem);
      return;
    }
    this.list.replaceChildren(...(webhooks.length ? webhooks.map((w) => this.row(w)) : [h("li", { class: "empty" }, "No webhooks yet.")]));
  }

  row(webhook) {
    const log = h("div", { class: "dm-files" });
    const details = h("details", { class: "dm-details" }, h("summary", {}, "Delivery log"), log);
    details.addEventListener("toggle", () => {
      if (details.open) this.loadDeliveries(log, webhook);
    });
    return h(
      "li",
      { class: "row dm-row", "data-webhook-id": String(webhook.id) },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-title" }, webhook.url),
        h("span", { class: "row-meta" }, `${webhook.events.join(", ")} · added ${when(webhook.created_at)}`),
      ),
      h("button", { type: "button", class: "small danger", "aria-label": `Delete: ${webhook.url}`, onclick: () => this.remove(webhook) }, "Delete"),
      details,
    );
  }

  async remove(webhook) {
    const sure = await confirmAction({
      title: "Delete this webhook?",
      text: `Events will no longer be sent to ${webhook.url}, and its delivery log goes with it.`,
      confirmLabel: "Delete webhook",
    });
    if (!sure) return;
    try {
      await this.op.webhooks.delete(webhook.id);
      this.messages.ok(`Deleted the webhook ${webhook.url}.`);
    } catch (problem) {
      this.messages.fail(problem);
    }
    await this.load();
  }

  /** Show the endpoint's newest deliveries; returns them (null when they could not be read). */
  async loadDeliveries(log, webhook) {
    let deliveries;
    try {
      ({ deliveries } = await this.op.webhooks.deliveries(webhook.id, { limit: DELIVERY_PAGE }));
    } catch (problem) {
      log.replaceChildren(h("p", { class: "form-error", role: "alert" }, errorText(problem)));
      return null;
    }
    log.replaceChildren(
      h("p", { class: "actions" }, h("button", { type: "button", class: "small", onclick: () => this.loadDeliveries(log, webhook) }, "Refresh the log")),
      h(
        "ul",
        { class: "dm-deliveries", "aria-label": `Deliveries to ${webhook.url}` },
        ...(deliveries.length ? deliveries.map((d) => this.delivery(d, log, webhook)) : [h("li", { class: "empty" }, "Nothing sent yet.")]),
      ),
    );
    return deliveries;
  }

  delivery(delivery, log, webhook) {
    return h(
      "li",
      { "data-delivery-id": delivery.id, "data-status": delivery.status },
      h("code", {}, delivery.event),
      h("span", { class: `dm-pill dm-${delivery.status}` }, delivery.status),
      h("span", { class: "row-meta" }, `${when(delivery.created_at)} · ${outcome(delivery)}`),
      retryable(delivery)
        ? h("button", { type: "button", class: "small", "aria-label": `Retry: ${delivery.event}, ${when(delivery.created_at)}`, onclick: () => this.retry(delivery, log, webhook) }, "Retry")
        : null,
    );
  }

  async retry(delivery, log, webhook) {
    try {
      await this.op.webhooks.retry(webhook.id, delivery.id);
      this.messages.ok(`Sending the ${delivery.event} delivery again…`);
    } catch (problem) {
      this.messages.fail(problem);
      return;
    }
    // Follow it until it settles (a failure with tries left stays pending: the log says when).
    for (let look = 0; look < FOLLOW_TIMES; look += 1) {
      const deliveries = await this.loadDeliveries(log, webhook);
      const now = deliveries && deliveries.find((d) => d.id === delivery.id);
      if (!now) return;
      if (now.status !== "pending") {
        this.messages.ok(`The ${delivery.event} delivery: ${outcome(now)}.`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
    }
  }
}

/**
 * Render the webhooks part of the dashboard into <section id="webhooks">.
 * @param {import("/sdk/onepizza.js").Onepizza} op The page's SDK client (session cookie).
 */
export async function init(op) {
  const root = document.getElementById("webhooks");
  if (!root) return;
  ensureStylesheet();
  const section = new WebhooksSection(root, op);
  section.render();
  await section.load();
}
