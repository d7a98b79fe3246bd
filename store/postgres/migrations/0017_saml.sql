-- SAML single sign-on (package saml): an organization's connection to its
-- identity provider (metadata, our key pair with the private key encrypted
-- with the keyring), the email domains connections own (a domain belongs
-- to one connection), the AuthnRequests in flight (found by the SHA-256
-- hash of their RelayState, single use; the sign-in flow encrypted) and
-- the replay cache of accepted assertion ids. Times are BIGINT Unix
-- milliseconds (NULL for "not set").
CREATE TABLE authos_saml_connections (
	id                        TEXT COLLATE "C" PRIMARY KEY,
	org_id                    TEXT NOT NULL UNIQUE REFERENCES authos_organizations (id) ON DELETE CASCADE,
	idp_metadata              BYTEA,
	idp_metadata_url          TEXT NOT NULL DEFAULT '',
	idp_entity_id             TEXT NOT NULL DEFAULT '',
	idp_cert_not_after        BIGINT,
	default_role              TEXT NOT NULL DEFAULT '',
	email_attribute           TEXT NOT NULL DEFAULT '',
	name_attribute            TEXT NOT NULL DEFAULT '',
	groups_attribute          TEXT NOT NULL DEFAULT '',
	allow_idp_initiated       BOOLEAN NOT NULL DEFAULT FALSE,
	enabled                   BOOLEAN NOT NULL DEFAULT TRUE,
	password_sign_in_disabled BOOLEAN NOT NULL DEFAULT FALSE,
	sp_key                    BYTEA,
	sp_cert                   BYTEA,
	created_at                BIGINT,
	updated_at                BIGINT
);

CREATE TABLE authos_saml_domains (
	domain        TEXT COLLATE "C" PRIMARY KEY,
	connection_id TEXT NOT NULL REFERENCES authos_saml_connections (id) ON DELETE CASCADE
);
CREATE INDEX authos_saml_domains_connection ON authos_saml_domains (connection_id);

CREATE TABLE authos_saml_requests (
	hash          TEXT COLLATE "C" PRIMARY KEY,
	request_id    TEXT NOT NULL,
	connection_id TEXT NOT NULL,
	flow          BYTEA,
	created_at    BIGINT,
	expires_at    BIGINT NOT NULL,
	used_at       BIGINT
);
CREATE INDEX authos_saml_requests_expires ON authos_saml_requests (expires_at);

CREATE TABLE authos_saml_assertions (
	connection_id TEXT NOT NULL,
	assertion_id  TEXT NOT NULL,
	expires_at    BIGINT NOT NULL,
	PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX authos_saml_assertions_expires ON authos_saml_assertions (expires_at);
