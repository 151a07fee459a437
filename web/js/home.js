// Home page: "Start a meeting" creates a guest meeting and opens it as its host. The admin
// token travels in the URL fragment, which browsers never send to a server; the meeting page
// moves it into sessionStorage and removes it from the address bar.
import { errorText, op } from "./account/common.js";

const startForm = document.getElementById("start-form");
const startButton = document.getElementById("start-meeting");
const startError = document.getElementById("start-error");

startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  startError.hidden = true;
  startButton.disabled = true;
  startButton.textContent = "Starting…";
  try {
    const title = startForm.elements.title.value.trim();
    const meeting = await op.meetings.createGuest(title ? { title } : {});
    const fragment = new URLSearchParams({ admin: meeting.adminToken });
    window.location.assign(`/join/${encodeURIComponent(meeting.meetingId)}#${fragment}`);
  } catch (error) {
    startError.textContent = errorText(error);
    startError.hidden = false;
    startButton.disabled = false;
    startButton.textContent = "Start a meeting";
  }
});

const codeForm = document.getElementById("join-code-form");
const codeError = document.getElementById("join-code-error");

codeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const raw = codeForm.elements.code.value.trim();
  // Accept a meeting code or a whole link (…/join/<code>?invite=…).
  const match = /(?:\/join\/)?([a-z]{3}-[a-z]{4}-[a-z]{3})(\?[^#\s]*)?/i.exec(raw);
  if (!match) {
    codeError.textContent = "Enter a meeting code like abc-defg-hij, or paste a meeting link";
    codeError.hidden = false;
    return;
  }
  window.location.assign(`/join/${match[1].toLowerCase()}${match[2] || ""}`);
});
