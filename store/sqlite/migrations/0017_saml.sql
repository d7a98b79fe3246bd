-- SAML single sign-on (package saml): an organization's connection to its
-- identity provider (metadata, our key pair with the private key encrypted
-- with the keyring), the email domains connections own (a domain belongs
-- to one connection), the AuthnRequests in flight (found by the SHA-256
-- hash of their RelayState, single use; the sign-in flow encrypted) and
-- the replay cache of accepted assertion ids. Times are INTEGER Unix
-- milliseconds (NULL for "not set").
CREATE TABLE authos_saml_connections (
	id                        TEXT NOT NULL PRIMARY KEY,
	org_id                    TEXT NOT NULL UNIQUE REFERENCES authos_organizations (id) ON DELETE CASCADE,
	idp_metadata              BLOB,
	idp_metadata_url          TEXT NOT NULL DEFAULT '',
	idp_entity_id             TEXT NOT NULL DEFAULT '',
	idp_cert_not_after        INTEGER,
	default_role              TEXT NOT NULL DEFAULT '',
	email_attribute           TEXT NOT NULL DEFAULT '',
	name_attribute            TEXT NOT NULL DEFAULT '',
	groups_attribute          TEXT NOT NULL DEFAULT '',
	allow_idp_initiated       INTEGER NOT NULL DEFAULT 0,
	enabled                   INTEGER NOT NULL DEFAULT 1,
	password_sign_in_disabled INTEGER NOT NULL DEFAULT 0,
	sp_key                    BLOB,
	sp_cert                   BLOB,
	created_at                INTEGER,
	updated_at                INTEGER
) STRICT;

CREATE TABLE authos_saml_domains (
	domain        TEXT NOT NULL PRIMARY KEY,
	connection_id TEXT NOT NULL REFERENCES authos_saml_connections (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX authos_saml_domains_connection ON authos_saml_domains (connection_id);

CREATE TABLE authos_saml_requests (
	hash          TEXT NOT NULL PRIMARY KEY,
	request_id    TEXT NOT NULL,
	connection_id TEXT NOT NULL,
	flow          BLOB,
	created_at    INTEGER,
	expires_at    INTEGER NOT NULL,
	used_at       INTEGER
) STRICT;
CREATE INDEX authos_saml_requests_expires ON authos_saml_requests (expires_at);

CREATE TABLE authos_saml_assertions (
	connection_id TEXT NOT NULL,
	assertion_id  TEXT NOT NULL,
	expires_at    INTEGER NOT NULL,
	PRIMARY KEY (connection_id, assertion_id)
) STRICT;
CREATE INDEX authos_saml_assertions_expires ON authos_saml_assertions (expires_at);
