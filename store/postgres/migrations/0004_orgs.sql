-- Organizations, memberships, invitations, services (OAuth clients), API keys
-- and processed inbound events. Times are BIGINT Unix milliseconds (NULL for
-- "not set"); string lists are JSON text. Ids that break ordering ties use
-- the "C" collation, so that they sort by bytes as in the other backends.

CREATE TABLE authos_organizations (
	id                     TEXT COLLATE "C" PRIMARY KEY,
	slug                   TEXT NOT NULL,
	name                   TEXT NOT NULL DEFAULT '',
	status                 TEXT NOT NULL DEFAULT '',
	tier                   TEXT NOT NULL DEFAULT '',
	max_services           INTEGER NOT NULL DEFAULT 0,
	max_members            INTEGER NOT NULL DEFAULT 0,
	status_reason          TEXT NOT NULL DEFAULT '',
	stripe_customer_id     TEXT NOT NULL DEFAULT '',
	stripe_subscription_id TEXT NOT NULL DEFAULT '',
	created_at             BIGINT,
	updated_at             BIGINT
);
CREATE UNIQUE INDEX authos_organizations_slug ON authos_organizations (slug);
CREATE INDEX authos_organizations_created ON authos_organizations (created_at, id);
CREATE INDEX authos_organizations_status ON authos_organizations (status, created_at);

CREATE TABLE authos_memberships (
	org_id     TEXT COLLATE "C" NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	user_id    TEXT COLLATE "C" NOT NULL REFERENCES authos_users (id) ON DELETE CASCADE,
	role       TEXT NOT NULL,
	created_at BIGINT,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX authos_memberships_user ON authos_memberships (user_id, created_at);

CREATE TABLE authos_invitations (
	id           TEXT COLLATE "C" PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	email        TEXT NOT NULL,
	email_lower  TEXT NOT NULL,
	role         TEXT NOT NULL,
	token_hash   TEXT NOT NULL,
	invited_by   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	created_at   BIGINT,
	expires_at   BIGINT,
	responded_at BIGINT
);
CREATE UNIQUE INDEX authos_invitations_token_hash ON authos_invitations (token_hash);
CREATE INDEX authos_invitations_org ON authos_invitations (org_id, created_at);
CREATE INDEX authos_invitations_email ON authos_invitations (email_lower, status);

CREATE TABLE authos_services (
	id                    TEXT COLLATE "C" PRIMARY KEY,
	org_id                TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	slug                  TEXT NOT NULL,
	name                  TEXT NOT NULL DEFAULT '',
	type                  TEXT NOT NULL DEFAULT '',
	redirect_uris         TEXT NOT NULL DEFAULT '[]',
	device_activation_uri TEXT NOT NULL DEFAULT '',
	client_id             TEXT NOT NULL,
	client_secret_hash    TEXT NOT NULL DEFAULT '',
	created_at            BIGINT,
	updated_at            BIGINT,
	UNIQUE (org_id, slug)
);
CREATE UNIQUE INDEX authos_services_client_id ON authos_services (client_id);
CREATE INDEX authos_services_org ON authos_services (org_id, created_at);

CREATE TABLE authos_api_keys (
	id           TEXT COLLATE "C" PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	service_id   TEXT REFERENCES authos_services (id) ON DELETE CASCADE,
	name         TEXT NOT NULL DEFAULT '',
	prefix       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	scopes       TEXT NOT NULL DEFAULT '[]',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT,
	expires_at   BIGINT,
	revoked_at   BIGINT,
	last_used_at BIGINT
);
CREATE UNIQUE INDEX authos_api_keys_prefix ON authos_api_keys (prefix);
CREATE INDEX authos_api_keys_org ON authos_api_keys (org_id, created_at);
CREATE INDEX authos_api_keys_service ON authos_api_keys (service_id) WHERE service_id IS NOT NULL;

-- Inbound events (e.g. Stripe webhooks) already applied, for idempotency.
CREATE TABLE authos_processed_events (
	source       TEXT NOT NULL,
	id           TEXT NOT NULL,
	processed_at BIGINT,
	PRIMARY KEY (source, id)
);
