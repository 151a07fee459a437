DROP INDEX credit_transactions_type_idx;
DROP TABLE stripe_checkout_sessions;
