// Dashboard → Billing: the balance, a card top-up through Stripe Checkout (and the return
// from it, waiting for Stripe's confirmation to credit the balance), the account's USDC
// deposit address with its QR code, and the history of the ledger.
import { OnepizzaError } from "/sdk/onepizza.js";
import { copyText, dollars, errorText, say, when, whileBusy } from "../account/common.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const PENDING_TOPUP = "onepizza.topup"; // the newest ledger id when the user left for Stripe
const POLL_MS = 2000;
const POLL_FOR_MS = 3 * 60 * 1000;

/** Storage of this tab, for the newest ledger id seen before leaving for Stripe. */
function keepNewestId(id) {
  try {
    sessionStorage.setItem(PENDING_TOPUP, String(id));
  } catch {
    // storage disabled: the return falls back to "a card credit of the last half hour"
  }
}

function takeNewestId() {
  try {
    const stored = sessionStorage.getItem(PENDING_TOPUP);
    sessionStorage.removeItem(PENDING_TOPUP);
    return stored;
  } catch {
    return null;
  }
}

export async function init(op, me, { setBalance = () => {} } = {}) {
  const rows = $("history-rows");
  const empty = $("history-empty");
  const status = $("topup-status");
  const error = $("billing-error");
  let newestId = 0;
  let moreButton = null;

  function historyRow(item) {
    const tr = document.createElement("tr");
    tr.dataset.type = item.type;
    const date = document.createElement("td");
    date.textContent = when(item.created_at);
    const what = document.createElement("td");
    what.className = "wide";
    what.textContent = item.description || item.type;
    const amount = document.createElement("td");
    amount.className = Number(item.amount_usd) > 0 ? "num credit" : "num";
    amount.textContent = dollars(item.amount_usd, { sign: true });
    tr.append(date, what, amount);
    return tr;
  }

  function showMore(show, before) {
    if (!show) {
      moreButton?.remove();
      moreButton = null;
      return;
    }
    if (!moreButton) {
      moreButton = document.createElement("button");
      moreButton.type = "button";
      moreButton.className = "small";
      moreButton.textContent = "Show older transactions";
      empty.after(moreButton);
    }
    moreButton.onclick = () => older(before);
  }

  async function refresh() {
    const history = await op.billing.history({ limit: PAGE });
    $("balance").textContent = dollars(history.balance);
    setBalance(history.balance);
    rows.replaceChildren(...history.transactions.map(historyRow));
    empty.hidden = history.transactions.length > 0;
    newestId = history.transactions.length ? history.transactions[0].id : 0;
    const last = history.transactions.at(-1);
    showMore(history.transactions.length === PAGE, last?.id);
    return history;
  }

  async function older(before) {
    try {
      const history = await whileBusy(moreButton, "Loading…", () => op.billing.history({ limit: PAGE, before }));
      rows.append(...history.transactions.map(historyRow));
      const last = history.transactions.at(-1);
      showMore(history.transactions.length === PAGE, last?.id);
    } catch (failure) {
      say(error, errorText(failure));
    }
  }

  const form = $("topup-form");
  const topupError = $("topup-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(topupError, "");
    const amount = Number(form.elements.amount.value);
    if (!Number.isFinite(amount) || amount < 5 || amount > 1000) {
      say(topupError, "Enter an amount from $5 to $1,000.");
      form.elements.amount.focus();
      return;
    }
    try {
      const checkout = await whileBusy($("topup-button"), "Opening the payment page…", () =>
        op.billing.stripeCheckout(Math.round(amount * 100) / 100),
      );
      keepNewestId(newestId);
      window.location.assign(checkout.url);
    } catch (failure) {
      say(topupError, errorText(failure));
    }
  });

  /** Back from Stripe: its webhook credits the balance, maybe a little after the redirect. */
  async function awaitTopup() {
    // The top-up is the first card credit after the newest row seen before leaving for
    // Stripe; from another tab (nothing remembered), one from the last half hour.
    const remembered = takeNewestId();
    const recent = Date.now() - 30 * 60 * 1000;
    const isNew = remembered
      ? (t) => t.id > Number(remembered)
      : (t) => Date.parse(t.created_at) > recent;
    say(status, "Thank you: your payment went through. Your balance grows as soon as Stripe confirms it…");
    $("billing").scrollIntoView();
    const arrived = async () => {
      const history = await refresh();
      const credit = history.transactions.find((t) => t.type === "stripe_topup" && isNew(t));
      if (credit) {
        say(
          status,
          `Your top-up of ${dollars(credit.amount_usd)} has arrived. Your balance is now ${dollars(history.balance)}.`,
        );
      }
      return Boolean(credit);
    };
    if (await arrived()) return;
    const until = Date.now() + POLL_FOR_MS;
    const poll = async () => {
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        try {
          if (await arrived()) return;
        } catch (failure) {
          console.warn("billing refresh:", failure);
        }
      }
      say(status, "Stripe has not confirmed the payment yet. It will appear here once it does; reload the page later.");
    };
    poll(); // in the background: the rest of the dashboard is usable meanwhile
  }

  async function usdc() {
    const note = $("usdc-status");
    let address;
    try {
      ({ address } = await op.billing.usdcAddress());
    } catch (failure) {
      const off = failure instanceof OnepizzaError && failure.status === 503;
      note.textContent = off ? "USDC deposits are not available on this server." : errorText(failure);
      return;
    }
    $("usdc-address").textContent = address;
    const image = $("usdc-qr");
    if (typeof window.qrcode === "function") {
      const qr = window.qrcode(0, "M");
      qr.addData(address);
      qr.make();
      image.src = qr.createDataURL(4, 2);
      image.alt = `QR code of the deposit address ${address}`;
    } else {
      image.hidden = true;
    }
    note.hidden = true;
    $("usdc-address-box").hidden = false;
    $("usdc-copy").addEventListener("click", () => copyText(address, $("usdc-copied"), "Address copied"));
  }

  document.addEventListener("onepizza:balance-changed", () => refresh().catch((f) => say(error, errorText(f))));

  const params = new URLSearchParams(window.location.search);
  const topup = params.get("topup");
  if (topup) window.history.replaceState(null, "", "/dashboard#billing"); // a reload does not repeat it
  await Promise.all([
    topup === "success" ? awaitTopup() : refresh(),
    usdc(),
  ]);
  if (topup === "cancelled") {
    takeNewestId();
    say(status, "Top-up cancelled: nothing was charged.");
  }
}
