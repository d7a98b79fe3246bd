-- MFA: one TOTP factor per user (secret encrypted with the keyring) and the
-- user's single-use backup codes (SHA-256 hashes only).
CREATE TABLE authos_mfa_factors (
	user_id    TEXT NOT NULL PRIMARY KEY REFERENCES authos_users (id) ON DELETE CASCADE,
	secret     BLOB,
	enabled    INTEGER NOT NULL DEFAULT 0,
	last_step  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER,
	enabled_at INTEGER
) STRICT;

CREATE TABLE authos_mfa_backup_codes (
	user_id    TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL,
	created_at INTEGER,
	used_at    INTEGER,
	PRIMARY KEY (user_id, code_hash)
) STRICT;
