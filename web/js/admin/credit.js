// Admin → Grant credit: an amount and a reason for one account (by e-mail or user id),
// written to the ledger; the ledger section shows the new row.
import { dollars, say, whileBusy } from "../account/common.js";
import { detailText } from "./settings.js";

const $ = (id) => document.getElementById(id);

export async function init(op) {
  const form = $("credit-form");
  const error = $("credit-error");
  const ok = $("credit-ok");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(error, "");
    say(ok, "");
    const account = form.elements.account.value.trim();
    const amount = form.elements.amount.value.trim().replace(/^\$/, "");
    const reason = form.elements.reason.value.trim();
    const missing = !account ? "the account" : !amount ? "the amount" : !reason ? "the reason" : "";
    if (missing) {
      say(error, `Enter ${missing}.`);
      return;
    }
    const grant = /^\d+$/.test(account) ? { userId: Number(account) } : { email: account };
    try {
      const result = await whileBusy($("credit-button"), "Granting…", () =>
        op.admin.credit({ ...grant, amountUsd: amount, reason }),
      );
      say(ok, `Granted ${dollars(amount)} to ${result.email} (user ${result.userId}). Their balance is now ${dollars(result.balance)}.`);
      form.reset();
      document.dispatchEvent(new CustomEvent("admin:ledger-changed"));
    } catch (failure) {
      say(error, detailText(failure));
    }
  });
}
