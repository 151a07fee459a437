-- Meetings (scheduled, active, ended, cancelled), their chat, and the credit ledger.
-- depends: 0002.accounts

CREATE TABLE meetings (
    id                 text PRIMARY KEY,
    seq                bigserial UNIQUE,
    owner_id           bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id         bigint REFERENCES companies(id) ON DELETE SET NULL,
    title              text NOT NULL CHECK (length(title) <= 200),
    admin_token_hash   bytea NOT NULL,
    status             text NOT NULL CHECK (status IN ('scheduled', 'active', 'ended', 'cancelled')),
    settings           jsonb NOT NULL,
    scheduled_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    ended_at           timestamptz,
    peak_participants  integer NOT NULL DEFAULT 0,
    duration_minutes   numeric(10,2),
    cost_usd           numeric(14,4)
);
CREATE INDEX meetings_owner_live_idx ON meetings (owner_id) WHERE status IN ('scheduled', 'active');
CREATE INDEX meetings_company_live_idx ON meetings (company_id)
    WHERE status IN ('scheduled', 'active') AND company_id IS NOT NULL;
CREATE INDEX meetings_scheduled_idx ON meetings (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX meetings_history_owner_idx ON meetings (owner_id, ended_at DESC) WHERE status = 'ended';
CREATE INDEX meetings_history_company_idx ON meetings (company_id, ended_at DESC)
    WHERE status = 'ended' AND company_id IS NOT NULL;

CREATE TABLE chat_messages (
    id                text PRIMARY KEY,
    meeting_id        text NOT NULL,
    participant_id    text NOT NULL,
    participant_name  text NOT NULL,
    text              text NOT NULL,
    reply_to          text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    seq               bigserial
);
CREATE INDEX chat_messages_meeting_idx ON chat_messages (meeting_id, seq);

CREATE TABLE credit_transactions (
    id           bigserial PRIMARY KEY,
    user_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    company_id   bigint REFERENCES companies(id) ON DELETE SET NULL,
    amount_usd   numeric(14,4) NOT NULL,
    type         text NOT NULL
                 CHECK (type IN ('stripe_topup', 'usdc_deposit', 'meeting_charge',
                                 'admin_credit', 'refund', 'company_transfer')),
    description  text NOT NULL,
    meeting_id   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((user_id IS NULL) <> (company_id IS NULL))
);
CREATE INDEX credit_transactions_user_idx ON credit_transactions (user_id, id DESC)
    WHERE user_id IS NOT NULL;
CREATE INDEX credit_transactions_company_idx ON credit_transactions (company_id, id DESC)
    WHERE company_id IS NOT NULL;
CREATE UNIQUE INDEX credit_transactions_meeting_charge_idx ON credit_transactions (meeting_id)
    WHERE type = 'meeting_charge';
