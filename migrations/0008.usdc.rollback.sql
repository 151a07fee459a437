DROP TABLE usdc_chain_cursor;
DROP TABLE usdc_deposits;
DROP TABLE deposit_addresses;
