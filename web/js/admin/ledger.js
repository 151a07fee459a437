// Admin → Ledger: every balance change of every account, newest first, by page, filtered by
// type or account.
import { dollars, errorText, say, when } from "../account/common.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const TYPE_NAMES = {
  stripe_topup: "Card top-up",
  usdc_deposit: "USDC deposit",
  meeting_charge: "Meeting charge",
  admin_credit: "Admin credit",
  refund: "Refund",
  company_transfer: "Company transfer",
  welcome_credit: "Welcome credit",
};

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function row(item) {
  const tr = document.createElement("tr");
  tr.dataset.type = item.type;
  tr.dataset.id = String(item.id);
  const who = item.email || (item.company_id ? `company ${item.company_id}` : `user ${item.user_id}`);
  const what = item.description || TYPE_NAMES[item.type] || item.type; // descriptions name their kind
  const amount = cell(dollars(item.amount_usd, { sign: true }), Number(item.amount_usd) > 0 ? "num credit" : "num");
  tr.append(cell(when(item.created_at)), cell(who), cell(what, "wide"), amount);
  return tr;
}

/** A whole number from an input, undefined when empty; throws on anything else. */
function idFrom(input, what) {
  const text = input.value.trim();
  if (!text) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`${what} must be a whole number`);
  return Number(text);
}

export async function init(op) {
  const filter = $("ledger-filter");
  const error = $("ledger-error");
  const newer = $("ledger-newer");
  const older = $("ledger-older");
  let query = {};
  let offset = 0;

  async function load() {
    say(error, "");
    let page;
    try {
      page = await op.admin.transactions({ ...query, limit: PAGE, offset });
    } catch (failure) {
      say(error, errorText(failure));
      return;
    }
    $("ledger-rows").replaceChildren(...page.transactions.map(row));
    $("ledger-empty").hidden = page.transactions.length > 0;
    newer.disabled = offset === 0;
    older.disabled = page.transactions.length < PAGE;
    const shown = page.transactions.length;
    say($("ledger-page"), shown ? `Rows ${offset + 1}–${offset + shown}` : "");
  }

  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      query = {
        type: filter.elements.type.value || undefined,
        userId: idFrom(filter.elements.userId, "User id"),
        companyId: idFrom(filter.elements.companyId, "Company id"),
      };
    } catch (problem) {
      say(error, problem.message);
      return;
    }
    offset = 0;
    load();
  });
  newer.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    load();
  });
  older.addEventListener("click", () => {
    offset += PAGE;
    load();
  });
  document.addEventListener("admin:ledger-changed", () => {
    offset = 0;
    load();
  });
  await load();
}
