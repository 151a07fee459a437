// /register: a personal or company account; then the dashboard, which shows the first API key
// (and a company's invite code) once.
import { errorText, keepForDashboard, op, say, whileBusy } from "./common.js";

const form = document.getElementById("register-form");
const companyField = document.getElementById("company-field");
const companyName = document.getElementById("company-name");
const error = document.getElementById("register-error");
const button = document.getElementById("register-button");

function showCompanyField() {
  const company = form.elements.accountType.value === "company";
  companyField.hidden = !company;
  companyName.required = company;
}

for (const radio of form.elements.accountType) radio.addEventListener("change", showCompanyField);
showCompanyField();

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say(error, "");
  const accountType = form.elements.accountType.value;
  const account = {
    email: form.elements.email.value.trim(),
    password: form.elements.password.value,
    accountType,
  };
  if (accountType === "company") account.companyName = companyName.value.trim();
  try {
    const created = await whileBusy(button, "Creating your account…", () => op.auth.register(account));
    keepForDashboard({ apiKey: created.apiKey, inviteCode: created.inviteCode });
    window.location.assign("/dashboard");
  } catch (failure) {
    say(error, errorText(failure));
  }
});
