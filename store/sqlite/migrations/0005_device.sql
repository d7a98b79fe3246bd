-- RFC 8628 device authorizations (package device). The device code is kept
-- only as a SHA-256 hash; the user code is normalised (8 characters, upper
-- case). No foreign keys: the token endpoint re-checks the client, its
-- organization and the approving user, and expired rows are deleted by
-- DeleteExpiredDevices. Times are INTEGER Unix milliseconds (NULL for "not
-- set"); approver_amr is JSON text.
CREATE TABLE authos_device_authorizations (
	id               TEXT NOT NULL PRIMARY KEY,
	device_code_hash TEXT NOT NULL,
	user_code        TEXT NOT NULL,
	client_id        TEXT NOT NULL DEFAULT '',
	service_id       TEXT NOT NULL DEFAULT '',
	org_id           TEXT NOT NULL DEFAULT '',
	scope            TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL DEFAULT 'pending',
	user_id          TEXT NOT NULL DEFAULT '',
	approver_amr     TEXT,
	poll_interval    INTEGER NOT NULL DEFAULT 5,
	last_polled_at   INTEGER,
	poll_via         TEXT NOT NULL DEFAULT '',
	slowed_down      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER,
	expires_at       INTEGER NOT NULL,
	decided_at       INTEGER
) STRICT;
CREATE UNIQUE INDEX authos_device_authorizations_hash ON authos_device_authorizations (device_code_hash);
CREATE UNIQUE INDEX authos_device_authorizations_user_code ON authos_device_authorizations (user_code);
CREATE INDEX authos_device_authorizations_expires ON authos_device_authorizations (expires_at);
