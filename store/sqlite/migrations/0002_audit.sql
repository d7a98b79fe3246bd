-- Platform audit log: append-only record of platform-owner actions.
CREATE TABLE authos_audit_log (
	id          TEXT NOT NULL PRIMARY KEY,
	actor_id    TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	before_json BLOB,
	after_json  BLOB,
	reason      TEXT NOT NULL,
	created_at  INTEGER
) STRICT;

CREATE INDEX authos_audit_log_created ON authos_audit_log (created_at DESC, id);
CREATE INDEX authos_audit_log_target ON authos_audit_log (target_type, target_id);
