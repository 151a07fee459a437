-- USDC deposits: one derived deposit address per account, every Transfer seen to one of them
-- (credited at most once), and how far the chain has been scanned.
-- depends: 0003.meetings

-- The address derived from CRYPTO_MNEMONIC at m/44'/60'/0'/0/<derivation_index>: a user's own,
-- or a company's (what its members get). An index is never reused, so a deleted account's
-- address keeps its row (owner NULL) and nothing sent to it is credited to anyone else.
CREATE TABLE deposit_addresses (
    derivation_index  serial PRIMARY KEY,
    address           text NOT NULL UNIQUE CHECK (address ~ '^0x[0-9a-fA-F]{40}$'),
    user_id           bigint UNIQUE REFERENCES users(id) ON DELETE SET NULL,
    company_id        bigint UNIQUE REFERENCES companies(id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (user_id IS NULL OR company_id IS NULL)
);

-- One row per Transfer log to a deposit address; (tx_hash, log_index) is the dedupe key,
-- claimed in the transaction that credits it. Deposits under the minimum, or to an address
-- whose account is gone, are recorded with credited = false and a note.
CREATE TABLE usdc_deposits (
    id            bigserial PRIMARY KEY,
    tx_hash       text NOT NULL,
    log_index     integer NOT NULL,
    chain_id      bigint NOT NULL,
    block_number  bigint NOT NULL,
    address       text NOT NULL,
    from_address  text NOT NULL,
    amount_units  numeric(78,0) NOT NULL CHECK (amount_units >= 0),
    amount_usd    numeric(14,4),
    credited      boolean NOT NULL DEFAULT false,
    user_id       bigint REFERENCES users(id) ON DELETE SET NULL,
    company_id    bigint REFERENCES companies(id) ON DELETE SET NULL,
    note          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tx_hash, log_index)
);
CREATE INDEX usdc_deposits_address_idx ON usdc_deposits (address, id DESC);

-- The last block scanned, per chain and token contract, so a restart resumes where the last
-- run stopped and a change of network does not inherit another chain's position.
CREATE TABLE usdc_chain_cursor (
    chain_id    bigint NOT NULL,
    contract    text NOT NULL,
    last_block  bigint NOT NULL CHECK (last_block >= -1),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, contract)
);
