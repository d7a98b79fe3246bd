-- SCIM 2.0 provisioning (package scim): the organizations' SCIM tokens
-- (SHA-256 hashes only), the User resources their directory keeps for
-- members (one per membership, removed with it), the users' emails, and the
-- organizations' groups with their members. Times are INTEGER Unix
-- milliseconds (NULL for "not set"); *_lower columns hold the lower-cased
-- value that case-insensitive filters compare; attributes is JSON text.

CREATE TABLE authos_scim_tokens (
	id           TEXT NOT NULL PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	name         TEXT NOT NULL DEFAULT '',
	token_hash   TEXT NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER,
	expires_at   INTEGER,
	revoked_at   INTEGER,
	last_used_at INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_scim_tokens_hash ON authos_scim_tokens (token_hash);
CREATE INDEX authos_scim_tokens_org ON authos_scim_tokens (org_id, created_at);

CREATE TABLE authos_scim_users (
	org_id             TEXT NOT NULL,
	user_id            TEXT NOT NULL,
	user_name          TEXT NOT NULL,
	user_name_lower    TEXT NOT NULL,
	external_id        TEXT NOT NULL DEFAULT '',
	display_name       TEXT NOT NULL DEFAULT '',
	display_name_lower TEXT NOT NULL DEFAULT '',
	attributes         TEXT NOT NULL DEFAULT '{}',
	version            INTEGER NOT NULL DEFAULT 0,
	created_at         INTEGER,
	updated_at         INTEGER,
	PRIMARY KEY (org_id, user_id),
	FOREIGN KEY (org_id, user_id) REFERENCES authos_memberships (org_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX authos_scim_users_user_name ON authos_scim_users (org_id, user_name_lower);
CREATE INDEX authos_scim_users_external_id ON authos_scim_users (org_id, external_id);
CREATE INDEX authos_scim_users_display_name ON authos_scim_users (org_id, display_name_lower);
CREATE INDEX authos_scim_users_created ON authos_scim_users (org_id, created_at, user_id);
CREATE INDEX authos_scim_users_updated ON authos_scim_users (org_id, updated_at);

CREATE TABLE authos_scim_user_emails (
	org_id      TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	idx         INTEGER NOT NULL,
	value       TEXT NOT NULL,
	value_lower TEXT NOT NULL,
	type        TEXT NOT NULL DEFAULT '',
	type_lower  TEXT NOT NULL DEFAULT '',
	is_primary  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (org_id, user_id, idx),
	FOREIGN KEY (org_id, user_id) REFERENCES authos_scim_users (org_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX authos_scim_user_emails_value ON authos_scim_user_emails (org_id, value_lower);

CREATE TABLE authos_scim_groups (
	id                 TEXT NOT NULL PRIMARY KEY,
	org_id             TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	display_name       TEXT NOT NULL DEFAULT '',
	display_name_lower TEXT NOT NULL DEFAULT '',
	external_id        TEXT NOT NULL DEFAULT '',
	role               TEXT NOT NULL DEFAULT '',
	version            INTEGER NOT NULL DEFAULT 0,
	created_at         INTEGER,
	updated_at         INTEGER
) STRICT;
CREATE INDEX authos_scim_groups_org ON authos_scim_groups (org_id, created_at, id);
CREATE INDEX authos_scim_groups_display_name ON authos_scim_groups (org_id, display_name_lower);
CREATE INDEX authos_scim_groups_external_id ON authos_scim_groups (org_id, external_id);

CREATE TABLE authos_scim_group_members (
	group_id TEXT NOT NULL REFERENCES authos_scim_groups (id) ON DELETE CASCADE,
	org_id   TEXT NOT NULL,
	user_id  TEXT NOT NULL,
	PRIMARY KEY (group_id, user_id),
	FOREIGN KEY (org_id, user_id) REFERENCES authos_scim_users (org_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX authos_scim_group_members_user ON authos_scim_group_members (org_id, user_id);
