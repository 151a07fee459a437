// Q&A (collaboration.md) in the meeting page: anyone asks and upvotes (a toggle, never one's
// own question); the host marks answered or dismisses. Most upvoted first, then oldest.
// What was asked before we joined comes from qa:list (our addition to the contract).
import { $, h } from "../dom.js";
import { state } from "./context.js";
import { setPanel } from "./controls.js";

const questions = new Map(); // id → question
const upvoted = new Set(); // ids this tab upvoted
window.onepizza.questions = questions; // for tests

const list = $("#qa-list");

export function qaJoined() {
  questions.clear();
  state.socket?.emit("qa:list", {});
  render();
}

export function watchQa(socket) {
  const keep = ({ question } = {}) => {
    if (!question) return;
    if (question.dismissed) questions.delete(question.id);
    else questions.set(question.id, question);
    render();
  };
  socket.on("qa:asked", keep);
  socket.on("qa:updated", keep);
  socket.on("qa:questions", ({ questions: all = [] } = {}) => {
    questions.clear();
    for (const question of all) questions.set(question.id, question);
    render();
  });
}

function order(a, b) {
  return b.upvotes - a.upvotes || a.createdAt.localeCompare(b.createdAt) || a.id - b.id;
}

function item(question) {
  const mine = question.participantId === state.selfId;
  const on = upvoted.has(question.id);
  const votes = `${question.upvotes} upvote${question.upvotes === 1 ? "" : "s"}`;
  return h(
    "li",
    { class: question.answered ? "question answered" : "question", dataset: { questionId: String(question.id) } },
    h("p", { class: "question-text" }, question.text),
    h(
      "p",
      { class: "question-meta" },
      h("span", {}, mine ? "You" : question.name),
      question.answered ? h("span", { class: "pill small" }, "Answered") : null,
    ),
    h(
      "div",
      { class: "question-actions" },
      h(
        "button",
        {
          type: "button",
          class: "upvote",
          "aria-pressed": String(on),
          disabled: mine,
          title: mine ? "You cannot upvote your own question" : on ? "Take back your upvote" : "Upvote",
          "aria-label": `Upvote: ${votes}`,
          onclick: () => {
            if (on) upvoted.delete(question.id);
            else upvoted.add(question.id);
            state.socket?.emit("qa:upvote", { questionId: question.id });
          },
        },
        `▲ ${question.upvotes}`,
      ),
      state.isAdmin && !question.answered
        ? h(
            "button",
            { type: "button", onclick: () => state.socket?.emit("qa:answer", { questionId: question.id }) },
            "Mark answered",
          )
        : null,
      state.isAdmin
        ? h(
            "button",
            { type: "button", onclick: () => state.socket?.emit("qa:dismiss", { questionId: question.id }) },
            "Dismiss",
          )
        : null,
    ),
  );
}

function render() {
  const all = [...questions.values()].sort(order);
  list.replaceChildren(...all.map(item));
  $("#qa-empty").hidden = all.length > 0;
}

$("#qa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#qa-input");
  const text = input.value.trim();
  if (!text) {
    input.focus();
    return;
  }
  state.socket?.emit("qa:ask", { text });
  input.value = "";
});
$("#btn-qa").addEventListener("click", () => setPanel("qa"));
