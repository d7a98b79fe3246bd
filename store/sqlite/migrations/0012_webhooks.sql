-- Webhooks (package webhook): each organization's endpoints with their
-- signing secrets (encrypted with the keyring; the previous secret kept
-- while a rotation overlaps), and the deliveries queue: one row per event
-- and endpoint, leased to one worker at a time (lease_id, lease_until).
-- Times are INTEGER Unix milliseconds (NULL for "not set"); events is JSON
-- text; name_lower is the lower-cased name that uniqueness compares.
CREATE TABLE authos_webhook_endpoints (
	id                TEXT NOT NULL PRIMARY KEY,
	org_id            TEXT NOT NULL REFERENCES authos_organizations (id) ON DELETE CASCADE,
	name              TEXT NOT NULL,
	name_lower        TEXT NOT NULL,
	url               TEXT NOT NULL,
	events            TEXT NOT NULL DEFAULT '[]',
	enabled           INTEGER NOT NULL DEFAULT 1,
	disabled_reason   TEXT NOT NULL DEFAULT '',
	secret            BLOB NOT NULL,
	prev_secret       BLOB,
	prev_secret_until INTEGER,
	failing_since     INTEGER,
	created_at        INTEGER,
	updated_at        INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_webhook_endpoints_name ON authos_webhook_endpoints (org_id, name_lower);

CREATE TABLE authos_webhook_deliveries (
	id              TEXT NOT NULL PRIMARY KEY,
	endpoint_id     TEXT NOT NULL REFERENCES authos_webhook_endpoints (id) ON DELETE CASCADE,
	org_id          TEXT NOT NULL DEFAULT '',
	event_id        TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	payload         BLOB NOT NULL,
	status          TEXT NOT NULL DEFAULT 'pending',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER,
	lease_id        TEXT NOT NULL DEFAULT '',
	lease_until     INTEGER,
	response_status INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	duration_ms     INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER,
	updated_at      INTEGER,
	delivered_at    INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_webhook_deliveries_event ON authos_webhook_deliveries (endpoint_id, event_id);
CREATE INDEX authos_webhook_deliveries_due ON authos_webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX authos_webhook_deliveries_log ON authos_webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX authos_webhook_deliveries_done ON authos_webhook_deliveries (updated_at) WHERE status <> 'pending';
