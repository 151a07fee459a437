DROP INDEX IF EXISTS recordings_owner_idx;
