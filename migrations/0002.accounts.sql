-- Accounts, company workspaces, API keys, password resets, sessions and the audit log.
-- depends: 0001.platform-settings

CREATE TABLE companies (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    owner_id          bigint,
    invite_code_hash  bytea NOT NULL UNIQUE,
    balance           numeric(14,4) NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                 bigserial PRIMARY KEY,
    email              text NOT NULL UNIQUE CHECK (email = lower(btrim(email))),
    password_hash      text NOT NULL,
    account_type       text NOT NULL DEFAULT 'personal'
                       CHECK (account_type IN ('personal', 'company')),
    balance            numeric(14,4) NOT NULL DEFAULT 0,
    company_id         bigint REFERENCES companies(id) ON DELETE SET NULL,
    company_role       text CHECK (company_role IN ('owner', 'member')),
    company_joined_at  timestamptz,
    is_admin           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((company_id IS NULL) = (company_role IS NULL))
);
CREATE INDEX users_company_id_idx ON users (company_id) WHERE company_id IS NOT NULL;

ALTER TABLE companies
    ADD CONSTRAINT companies_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users(id);

CREATE TABLE api_keys (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash      bytea NOT NULL UNIQUE,
    key_prefix    text NOT NULL,
    key_last4     text NOT NULL,
    label         text CHECK (length(label) <= 100),
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

CREATE TABLE password_reset_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_tokens_user_id_idx ON password_reset_tokens (user_id);

-- Server-side sessions: the cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    user_id     bigint REFERENCES users(id) ON DELETE CASCADE,
    data        jsonb NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    action      text NOT NULL,
    user_id     bigint REFERENCES users(id) ON DELETE SET NULL,
    ip          text,
    meta        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_user_id_idx ON audit_log (user_id, created_at);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at);
