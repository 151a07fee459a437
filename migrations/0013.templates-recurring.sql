-- Meeting templates (reusable settings of an account or its company), recurring meeting
-- rules (RFC 5545 RRULE text, first occurrence, IANA time zone) and the scheduled meetings
-- each rule made: one per (rule, occurrence), so making them again never makes one twice.
-- depends: 0010.welcome-credit

CREATE TABLE meeting_templates (
    id          bigserial PRIMARY KEY,
    owner_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id  bigint REFERENCES companies(id) ON DELETE SET NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    title       text CHECK (length(title) <= 200),
    settings    jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_templates_owner_idx ON meeting_templates (owner_id, id);
CREATE INDEX meeting_templates_company_idx ON meeting_templates (company_id, id)
    WHERE company_id IS NOT NULL;

CREATE TABLE recurring_meetings (
    id                bigserial PRIMARY KEY,
    owner_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id        bigint REFERENCES companies(id) ON DELETE SET NULL,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    rrule             text NOT NULL CHECK (length(rrule) BETWEEN 1 AND 500),
    start_at          timestamptz NOT NULL,
    timezone          text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    template_id       bigint REFERENCES meeting_templates(id) ON DELETE SET NULL,
    settings          jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    -- the admin tokens of its meetings are derived from this key (HMAC of the meeting id),
    -- so that the owner can be shown them after the scheduler made the meetings
    token_key         bytea NOT NULL,
    -- every occurrence up to made_until has its meeting (or had passed); the scheduler
    -- looks at the rule again at check_at; a finished rule has no occurrence left
    made_until        timestamptz NOT NULL,
    check_at          timestamptz NOT NULL,
    finished          boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recurring_meetings_owner_idx ON recurring_meetings (owner_id, id);
CREATE INDEX recurring_meetings_company_idx ON recurring_meetings (company_id, id)
    WHERE company_id IS NOT NULL;
CREATE INDEX recurring_meetings_check_idx ON recurring_meetings (check_at) WHERE NOT finished;

CREATE TABLE recurring_occurrences (
    recurring_id  bigint NOT NULL REFERENCES recurring_meetings(id) ON DELETE CASCADE,
    occurs_at     timestamptz NOT NULL,
    meeting_id    text NOT NULL UNIQUE REFERENCES meetings(id) ON DELETE CASCADE,
    PRIMARY KEY (recurring_id, occurs_at)
);
