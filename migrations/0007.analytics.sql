-- Analytics events (§18): feature use, meeting lifecycle and client errors, written in
-- batches by the recorder; and the indexes the admin analytics reports read through.
-- depends: 0003.meetings

-- No foreign keys: an event records what happened, and a batch must not fail because an
-- account or meeting was deleted between the event and its flush.
CREATE TABLE analytics_events (
    id          bigserial PRIMARY KEY,
    event_type  text NOT NULL CHECK (length(event_type) <= 64),
    user_id     bigint,
    company_id  bigint,
    meeting_id  text,
    route       text,
    message     text,
    meta        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- /admin/api/analytics/features and /errors: one window of one family of event types.
CREATE INDEX analytics_events_feature_idx ON analytics_events (created_at)
    WHERE event_type LIKE 'feature.%';
CREATE INDEX analytics_events_error_idx ON analytics_events (created_at)
    WHERE event_type LIKE 'error.%';
-- /retention: who was active in which week (index-only).
CREATE INDEX analytics_events_user_week_idx ON analytics_events (created_at, user_id)
    WHERE user_id IS NOT NULL;

-- /peak-hours and /trends: meetings by start time; /users: meetings per owner.
CREATE INDEX meetings_started_at_idx ON meetings (started_at) WHERE started_at IS NOT NULL;
CREATE INDEX meetings_owner_idx ON meetings (owner_id);
-- /overview and /trends: revenue is card top-ups and USDC deposits.
CREATE INDEX credit_transactions_revenue_idx ON credit_transactions (created_at)
    WHERE type IN ('stripe_topup', 'usdc_deposit');
