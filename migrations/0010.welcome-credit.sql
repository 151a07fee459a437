-- A welcome credit for every new account: the platform setting (0 turns it off) and its
-- ledger type, written in the transaction that creates the account.
-- depends: 0009.attendance

INSERT INTO platform_settings (key, value) VALUES ('welcome_credit_usd', '"1.0000"')
ON CONFLICT (key) DO NOTHING;

ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_type_check;
ALTER TABLE credit_transactions ADD CONSTRAINT credit_transactions_type_check
    CHECK (type IN ('stripe_topup', 'usdc_deposit', 'meeting_charge', 'admin_credit', 'refund',
                    'company_transfer', 'welcome_credit'));
