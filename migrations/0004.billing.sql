-- Card top-ups: each Stripe Checkout Session credited at most once; the admin ledger view.
-- depends: 0003.meetings

-- The dedupe key of a Stripe top-up, claimed in the transaction that credits it (a session
-- whose account no longer exists is claimed and left to an operator, not credited).
CREATE TABLE stripe_checkout_sessions (
    session_id   text PRIMARY KEY,
    event_id     text NOT NULL,
    account      text NOT NULL,
    amount_usd   numeric(14,4) NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- GET /admin/api/billing/transactions?type=...: newest first within a type.
CREATE INDEX credit_transactions_type_idx ON credit_transactions (type, id DESC);
