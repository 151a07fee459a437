-- Recording storage is counted per account (RECORDING_QUOTA_BYTES): an index for the sum.
-- depends: 0005.recordings

CREATE INDEX recordings_owner_idx ON recordings (owner_id) INCLUDE (size_bytes);
