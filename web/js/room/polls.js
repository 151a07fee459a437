// Polls (collaboration.md) in the meeting page: the host asks (multiple choice, yes/no or a
// 1-5 rating) and closes; everyone votes (a new vote replaces the old) and sees the results
// live. Late joiners get the open polls in `joined`.
import { $, h, toast } from "../dom.js";
import { state } from "./context.js";
import { setPanel } from "./controls.js";

const polls = new Map(); // id → poll (results kept current by poll:updated)
const myVotes = new Map(); // id → the option index this tab last voted for
window.onepizza.polls = polls; // for tests

const list = $("#poll-list");
const form = $("#poll-host");
const kind = $("#poll-kind");

/** From `joined`: the open polls; the host's form shows for a host. */
export function pollsJoined(payload) {
  for (const poll of payload.polls || []) polls.set(poll.id, poll);
  $("#poll-host").hidden = !state.isAdmin;
  render();
}

export function watchPolls(socket) {
  socket.on("poll:created", ({ poll } = {}) => {
    if (!poll) return;
    polls.set(poll.id, poll);
    render();
    if ($("#polls-panel").hidden) {
      toast(`New poll: ${poll.question}`, { actions: [{ label: "Open polls", onclick: () => setPanel("polls", true) }] });
    }
  });
  socket.on("poll:updated", ({ pollId, results, totalVotes } = {}) => {
    const poll = polls.get(pollId);
    if (!poll) return;
    Object.assign(poll, { results, totalVotes });
    render();
  });
  socket.on("poll:closed", ({ poll } = {}) => {
    if (!poll) return;
    polls.set(poll.id, poll);
    render();
  });
}

function percent(count, total) {
  return total ? Math.round((100 * count) / total) : 0;
}

function results(poll) {
  return h(
    "ul",
    { class: "poll-results", "aria-label": `Results of: ${poll.question}` },
    poll.options.map((option, index) => {
      const count = poll.results[index] || 0;
      const share = percent(count, poll.totalVotes);
      return h(
        "li",
        { class: myVotes.get(poll.id) === index ? "poll-result mine" : "poll-result" },
        h("span", { class: "poll-option" }, option),
        h("span", { class: "poll-count" }, `${count} (${share}%)`),
        h("progress", { max: "100", value: String(share), "aria-hidden": "true" }),
      );
    }),
  );
}

function ballot(poll) {
  const name = `poll-${poll.id}`;
  const choices = h(
    "fieldset",
    { class: "poll-choices" },
    h("legend", { class: "visually-hidden" }, poll.question),
    poll.options.map((option, index) =>
      h(
        "label",
        { class: "poll-choice" },
        h("input", { type: "radio", name, value: String(index), checked: myVotes.get(poll.id) === index }),
        ` ${option}`,
      ),
    ),
  );
  return h(
    "form",
    {
      class: "poll-ballot",
      onsubmit: (event) => {
        event.preventDefault();
        const picked = event.currentTarget.querySelector("input:checked");
        if (!picked) {
          toast("Pick an option first", { kind: "warn" });
          return;
        }
        const choice = Number(picked.value);
        myVotes.set(poll.id, choice);
        state.socket?.emit("poll:vote", { pollId: poll.id, choice });
      },
    },
    choices,
    h("button", { type: "submit", class: "primary" }, myVotes.has(poll.id) ? "Change vote" : "Vote"),
  );
}

function item(poll) {
  const status = poll.closed ? "Closed" : `${poll.totalVotes} vote${poll.totalVotes === 1 ? "" : "s"}`;
  return h(
    "li",
    { class: poll.closed ? "poll closed" : "poll", dataset: { pollId: String(poll.id) } },
    h("h3", { class: "poll-question" }, poll.question),
    h("p", { class: "poll-status" }, poll.anonymous ? `${status} · anonymous` : status),
    poll.closed ? null : ballot(poll),
    results(poll),
    state.isAdmin && !poll.closed
      ? h(
          "button",
          {
            type: "button",
            class: "poll-close",
            "aria-label": `Close poll: ${poll.question}`,
            onclick: () => state.socket?.emit("poll:close", { pollId: poll.id }),
          },
          "Close poll",
        )
      : null,
  );
}

function render() {
  const all = [...polls.values()].sort((a, b) => a.id - b.id);
  list.replaceChildren(...all.map(item));
  $("#polls-empty").hidden = all.length > 0;
}

function showOptions() {
  $("#poll-options-field").hidden = kind.value !== "multiple";
}

kind.addEventListener("change", showOptions);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = $("#poll-question").value.trim();
  const body = { question, kind: kind.value, anonymous: $("#poll-anonymous").checked };
  if (kind.value === "multiple") {
    body.options = $("#poll-options")
      .value.split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }
  if (!question) {
    toast("Write the question first", { kind: "warn" });
    $("#poll-question").focus();
    return;
  }
  state.socket?.emit("poll:create", body);
  form.reset();
  showOptions();
});
$("#btn-polls").addEventListener("click", () => setPanel("polls"));
showOptions();
