-- The sign-in flow of the authorization server (RFC 6749, OpenID Connect):
-- pending authorization requests and authorization codes, each kept only as
-- a SHA-256 hash of its secret and with no foreign key (the token endpoint
-- re-checks the client, its organization and the user; expired rows are
-- deleted by DeleteExpiredSignIn), and sign-in sessions: the cookie hash of
-- an authos_sessions row, with the refresh-token families (sessions) that
-- codes issued from it have started. Times are INTEGER Unix milliseconds
-- (NULL for "not set"); amr is JSON text.
CREATE TABLE authos_auth_requests (
	id_hash        TEXT NOT NULL PRIMARY KEY,
	client_id      TEXT NOT NULL DEFAULT '',
	service_id     TEXT NOT NULL DEFAULT '',
	org_id         TEXT NOT NULL DEFAULT '',
	redirect_uri   TEXT NOT NULL DEFAULT '',
	scope          TEXT NOT NULL DEFAULT '',
	state          TEXT NOT NULL DEFAULT '',
	nonce          TEXT NOT NULL DEFAULT '',
	code_challenge TEXT NOT NULL DEFAULT '',
	prompt         TEXT NOT NULL DEFAULT '',
	max_age        INTEGER NOT NULL DEFAULT -1,
	login_hint     TEXT NOT NULL DEFAULT '',
	created_at     INTEGER,
	expires_at     INTEGER NOT NULL,
	used_at        INTEGER
) STRICT;
CREATE INDEX authos_auth_requests_expires ON authos_auth_requests (expires_at);

CREATE TABLE authos_auth_codes (
	hash              TEXT NOT NULL PRIMARY KEY,
	client_id         TEXT NOT NULL DEFAULT '',
	service_id        TEXT NOT NULL DEFAULT '',
	org_id            TEXT NOT NULL DEFAULT '',
	redirect_uri      TEXT NOT NULL DEFAULT '',
	scope             TEXT NOT NULL DEFAULT '',
	nonce             TEXT NOT NULL DEFAULT '',
	code_challenge    TEXT NOT NULL DEFAULT '',
	signin_session_id TEXT NOT NULL DEFAULT '',
	user_id           TEXT NOT NULL DEFAULT '',
	amr               TEXT,
	auth_time         INTEGER,
	created_at        INTEGER,
	expires_at        INTEGER NOT NULL,
	used_at           INTEGER,
	reused_at         INTEGER,
	family_id         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX authos_auth_codes_expires ON authos_auth_codes (expires_at);

CREATE TABLE authos_signin_sessions (
	session_id  TEXT NOT NULL PRIMARY KEY REFERENCES authos_sessions (id) ON DELETE CASCADE,
	cookie_hash TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE authos_signin_families (
	signin_session_id TEXT NOT NULL REFERENCES authos_signin_sessions (session_id) ON DELETE CASCADE,
	family_id         TEXT NOT NULL,
	PRIMARY KEY (signin_session_id, family_id)
) STRICT;
