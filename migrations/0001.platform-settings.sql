-- Platform-wide settings an admin can change at run time (billing rate, alert threshold, ...).
-- depends:

CREATE TABLE platform_settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO platform_settings (key, value) VALUES
    ('rate_per_participant_minute', '"0.0040"'),
    ('low_balance_threshold', '"2.0000"');
