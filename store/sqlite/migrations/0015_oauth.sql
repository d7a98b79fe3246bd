-- Social login (package oauth): organizations' own provider credentials
-- (the client secret encrypted with the keyring), pending provider logins
-- (the state parameter kept as a SHA-256 hash, single use, bound to the
-- browser's cookie by its hash; what the callback needs encrypted), and
-- identities: a provider account (connection = provider + organization,
-- '' for the platform's credentials; subject) linked to a user, with the
-- provider's tokens encrypted and a lease for the instance refreshing
-- them. Times are INTEGER Unix milliseconds (NULL for "not set"); scopes
-- are JSON text.
CREATE TABLE authos_oauth_providers (
	org_id     TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	provider   TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	secret     BLOB,
	issuer     TEXT NOT NULL DEFAULT '',
	scopes     TEXT NOT NULL DEFAULT '[]',
	enabled    INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER,
	updated_at INTEGER,
	PRIMARY KEY (org_id, provider)
) STRICT;

CREATE TABLE authos_oauth_states (
	hash         TEXT NOT NULL PRIMARY KEY,
	provider     TEXT NOT NULL,
	org_id       TEXT NOT NULL DEFAULT '',
	browser_hash TEXT NOT NULL,
	data         BLOB,
	created_at   INTEGER,
	expires_at   INTEGER NOT NULL,
	used_at      INTEGER
) STRICT;
CREATE INDEX authos_oauth_states_expires ON authos_oauth_states (expires_at);

CREATE TABLE authos_oauth_identities (
	id               TEXT NOT NULL PRIMARY KEY,
	user_id          TEXT NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	provider         TEXT NOT NULL,
	org_id           TEXT NOT NULL DEFAULT '',
	subject          TEXT NOT NULL,
	email            TEXT NOT NULL DEFAULT '',
	access_token     BLOB,
	refresh_token    BLOB,
	token_type       TEXT NOT NULL DEFAULT '',
	token_expires_at INTEGER,
	scopes           TEXT NOT NULL DEFAULT '[]',
	needs_consent    INTEGER NOT NULL DEFAULT 0,
	lease_id         TEXT NOT NULL DEFAULT '',
	lease_until      INTEGER,
	created_at       INTEGER,
	updated_at       INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_oauth_identities_subject ON authos_oauth_identities (provider, org_id, subject);
CREATE UNIQUE INDEX authos_oauth_identities_user ON authos_oauth_identities (user_id, provider, org_id);
CREATE INDEX authos_oauth_identities_refresh ON authos_oauth_identities (token_expires_at);
