-- Webhook endpoints and the outbox of their deliveries (one row per event and endpoint).
-- depends: 0003.meetings

-- The secret signs every delivery, so it is kept as it is (like any HMAC key), and shown to
-- its owner only in the response that creates it.
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url         text NOT NULL CHECK (length(url) <= 2048),
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_user_idx ON webhooks (user_id, id);

-- `id` is also the X-Onepizza-Delivery header, the same on every attempt so receivers can
-- drop repeats. `body` is the exact JSON sent (and signed). A pending row is due at
-- next_retry_at; a worker that claims it moves next_retry_at forward as a lease, so a
-- process that dies mid-delivery leaves it to be retried, not lost.
CREATE TABLE webhook_deliveries (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                 bigserial UNIQUE,
    webhook_id          bigint NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event               text NOT NULL,
    meeting_id          text,
    body                text NOT NULL,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    last_response_code  integer,
    last_error          text,
    next_retry_at       timestamptz DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    delivered_at        timestamptz,
    CHECK ((status = 'pending') = (next_retry_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_retry_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, seq DESC);
