-- Uploaded meeting recordings: the file lives in RECORDINGS_DIR, the row says whose it is.
-- depends: 0003.meetings

CREATE TABLE recordings (
    id            bigserial PRIMARY KEY,
    meeting_id    text NOT NULL,
    owner_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    company_id    bigint REFERENCES companies(id) ON DELETE SET NULL,
    filename      text NOT NULL,
    stored_name   text NOT NULL UNIQUE,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_meeting_idx ON recordings (meeting_id, id);
