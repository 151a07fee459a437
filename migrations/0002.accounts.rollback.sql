DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE password_reset_tokens;
DROP TABLE api_keys;
ALTER TABLE companies DROP CONSTRAINT companies_owner_id_fkey;
DROP TABLE users;
DROP TABLE companies;
