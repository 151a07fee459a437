-- Welcome credits already given stay in the ledger (a balance is the sum of its rows), so the
-- old check is restored for new rows only (NOT VALID).
ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_type_check;
ALTER TABLE credit_transactions ADD CONSTRAINT credit_transactions_type_check
    CHECK (type IN ('stripe_topup', 'usdc_deposit', 'meeting_charge', 'admin_credit', 'refund',
                    'company_transfer')) NOT VALID;
DELETE FROM platform_settings WHERE key = 'welcome_credit_usd';
