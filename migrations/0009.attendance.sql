-- Durable as it happens: every join and leave of a meeting (attendance), and the processes
-- (nodes) whose heartbeats tell a survivor when a participant's process died and when.
-- depends: 0003.meetings

CREATE TABLE nodes (
    id            text PRIMARY KEY,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attendance (
    id              bigserial PRIMARY KEY,
    meeting_id      text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    participant_id  text NOT NULL,
    name            text NOT NULL,
    is_host         boolean NOT NULL,
    node_id         text NOT NULL,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    left_at         timestamptz,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE UNIQUE INDEX attendance_participant_idx ON attendance (meeting_id, participant_id);
CREATE INDEX attendance_open_node_idx ON attendance (node_id) WHERE left_at IS NULL;
