-- Polls (and each participant's vote), Q&A questions (and their upvotes) and one shared
-- notes pad per meeting, kept with a version for optimistic concurrency. meeting_id has no
-- foreign key, as chat_messages: a guest meeting has no meetings row but has these.
-- depends: 0010.welcome-credit

CREATE TABLE polls (
    id          bigserial PRIMARY KEY,
    meeting_id  text NOT NULL,
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    kind        text NOT NULL CHECK (kind IN ('multiple', 'yesno', 'rating')),
    options     jsonb NOT NULL CHECK (jsonb_typeof(options) = 'array'),
    anonymous   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz
);
CREATE INDEX polls_meeting_idx ON polls (meeting_id, id);

CREATE TABLE poll_votes (
    poll_id         bigint NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    participant_id  text NOT NULL,
    name            text NOT NULL,
    choice          integer NOT NULL CHECK (choice >= 0),
    voted_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, participant_id)
);

CREATE TABLE questions (
    id              bigserial PRIMARY KEY,
    meeting_id      text NOT NULL,
    participant_id  text NOT NULL,
    name            text NOT NULL,
    text            text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    answered        boolean NOT NULL DEFAULT false,
    dismissed       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX questions_meeting_idx ON questions (meeting_id, id);

CREATE TABLE question_upvotes (
    question_id     bigint NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    participant_id  text NOT NULL,
    PRIMARY KEY (question_id, participant_id)
);

CREATE TABLE meeting_notes (
    meeting_id  text PRIMARY KEY,
    text        text NOT NULL CHECK (length(text) <= 50000),
    version     integer NOT NULL CHECK (version > 0),
    updated_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
