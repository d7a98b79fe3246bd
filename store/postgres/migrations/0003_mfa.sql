-- MFA: one TOTP factor per user (secret encrypted with the keyring) and the
-- user's single-use backup codes (SHA-256 hashes only).
CREATE TABLE authos_mfa_factors (
	user_id    TEXT PRIMARY KEY REFERENCES authos_users (id) ON DELETE CASCADE,
	secret     BYTEA,
	enabled    BOOLEAN NOT NULL DEFAULT FALSE,
	last_step  BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT,
	enabled_at BIGINT
);

CREATE TABLE authos_mfa_backup_codes (
	user_id    TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL,
	created_at BIGINT,
	used_at    BIGINT,
	PRIMARY KEY (user_id, code_hash)
);
