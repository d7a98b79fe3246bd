-- authos schema, PostgreSQL dialect. Times are BIGINT Unix milliseconds (NULL
-- for "not set"); AMR is JSON text. Ids that break ordering ties use the "C"
-- collation, so that they sort by bytes as in the other backends.

CREATE TABLE authos_users (
	id                TEXT PRIMARY KEY,
	email             TEXT NOT NULL,
	email_lower       TEXT NOT NULL,
	name              TEXT NOT NULL DEFAULT '',
	email_verified    BOOLEAN NOT NULL DEFAULT FALSE,
	is_platform_owner BOOLEAN NOT NULL DEFAULT FALSE,
	disabled          BOOLEAN NOT NULL DEFAULT FALSE,
	created_at        BIGINT,
	updated_at        BIGINT
);
CREATE UNIQUE INDEX authos_users_email_lower ON authos_users (email_lower);

CREATE TABLE authos_passwords (
	user_id    TEXT PRIMARY KEY REFERENCES authos_users (id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	updated_at BIGINT
);

CREATE TABLE authos_one_time_tokens (
	hash       TEXT PRIMARY KEY,
	purpose    TEXT NOT NULL,
	user_id    TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	data       BYTEA,
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT,
	expires_at BIGINT,
	used_at    BIGINT
);
CREATE INDEX authos_one_time_tokens_user ON authos_one_time_tokens (user_id, purpose);
CREATE INDEX authos_one_time_tokens_expires ON authos_one_time_tokens (expires_at);

CREATE TABLE authos_sessions (
	id           TEXT COLLATE "C" PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	amr          TEXT,
	audience     TEXT NOT NULL DEFAULT '',
	org_id       TEXT NOT NULL DEFAULT '',
	service_id   TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	created_at   BIGINT,
	last_used_at BIGINT,
	expires_at   BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX authos_sessions_user ON authos_sessions (user_id, created_at);
CREATE INDEX authos_sessions_revoked ON authos_sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE authos_refresh_tokens (
	hash        TEXT PRIMARY KEY,
	session_id  TEXT NOT NULL REFERENCES authos_sessions (id) ON DELETE CASCADE,
	created_at  BIGINT,
	expires_at  BIGINT,
	rotated_at  BIGINT,
	replaced_by TEXT
);
CREATE INDEX authos_refresh_tokens_session ON authos_refresh_tokens (session_id);

CREATE TABLE authos_login_failures (
	failure_key  TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL DEFAULT 0,
	window_start BIGINT,
	locked_until BIGINT
);

CREATE TABLE authos_signing_keys (
	id          TEXT COLLATE "C" PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	private_key BYTEA,
	public_key  BYTEA,
	created_at  BIGINT,
	retired_at  BIGINT
);

CREATE TABLE authos_outbox (
	id              TEXT COLLATE "C" PRIMARY KEY,
	topic           TEXT NOT NULL,
	payload         BYTEA,
	created_at      BIGINT,
	next_attempt_at BIGINT,
	attempts        INTEGER NOT NULL DEFAULT 0,
	locked_until    BIGINT,
	delivered_at    BIGINT,
	failed_at       BIGINT,
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX authos_outbox_pending ON authos_outbox (topic, created_at)
	WHERE delivered_at IS NULL AND failed_at IS NULL;
