DROP INDEX credit_transactions_revenue_idx;
DROP INDEX meetings_owner_idx;
DROP INDEX meetings_started_at_idx;
DROP TABLE analytics_events;
