-- authos schema, SQLite dialect. Times are INTEGER Unix milliseconds (NULL
-- for "not set"); booleans are 0/1; AMR is JSON text.

CREATE TABLE authos_users (
	id                TEXT NOT NULL PRIMARY KEY,
	email             TEXT NOT NULL,
	email_lower       TEXT NOT NULL,
	name              TEXT NOT NULL DEFAULT '',
	email_verified    INTEGER NOT NULL DEFAULT 0,
	is_platform_owner INTEGER NOT NULL DEFAULT 0,
	disabled          INTEGER NOT NULL DEFAULT 0,
	created_at        INTEGER,
	updated_at        INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_users_email_lower ON authos_users (email_lower);

CREATE TABLE authos_passwords (
	user_id    TEXT NOT NULL PRIMARY KEY REFERENCES authos_users (id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	updated_at INTEGER
) STRICT;

CREATE TABLE authos_one_time_tokens (
	hash       TEXT NOT NULL PRIMARY KEY,
	purpose    TEXT NOT NULL,
	user_id    TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	data       BLOB,
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER,
	expires_at INTEGER,
	used_at    INTEGER
) STRICT;
CREATE INDEX authos_one_time_tokens_user ON authos_one_time_tokens (user_id, purpose);
CREATE INDEX authos_one_time_tokens_expires ON authos_one_time_tokens (expires_at);

CREATE TABLE authos_sessions (
	id           TEXT NOT NULL PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	amr          TEXT,
	audience     TEXT NOT NULL DEFAULT '',
	org_id       TEXT NOT NULL DEFAULT '',
	service_id   TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	created_at   INTEGER,
	last_used_at INTEGER,
	expires_at   INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX authos_sessions_user ON authos_sessions (user_id, created_at);
CREATE INDEX authos_sessions_revoked ON authos_sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE authos_refresh_tokens (
	hash        TEXT NOT NULL PRIMARY KEY,
	session_id  TEXT NOT NULL REFERENCES authos_sessions (id) ON DELETE CASCADE,
	created_at  INTEGER,
	expires_at  INTEGER,
	rotated_at  INTEGER,
	replaced_by TEXT
) STRICT;
CREATE INDEX authos_refresh_tokens_session ON authos_refresh_tokens (session_id);

CREATE TABLE authos_login_failures (
	failure_key  TEXT NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL DEFAULT 0,
	window_start INTEGER,
	locked_until INTEGER
) STRICT;

CREATE TABLE authos_signing_keys (
	id          TEXT NOT NULL PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	private_key BLOB,
	public_key  BLOB,
	created_at  INTEGER,
	retired_at  INTEGER
) STRICT;

CREATE TABLE authos_outbox (
	id              TEXT NOT NULL PRIMARY KEY,
	topic           TEXT NOT NULL,
	payload         BLOB,
	created_at      INTEGER,
	next_attempt_at INTEGER,
	attempts        INTEGER NOT NULL DEFAULT 0,
	locked_until    INTEGER,
	delivered_at    INTEGER,
	failed_at       INTEGER,
	last_error      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX authos_outbox_pending ON authos_outbox (topic, created_at)
	WHERE delivered_at IS NULL AND failed_at IS NULL;
