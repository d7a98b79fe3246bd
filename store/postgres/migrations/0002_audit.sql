-- Platform audit log: append-only record of platform-owner actions.
CREATE TABLE authos_audit_log (
	id          TEXT COLLATE "C" PRIMARY KEY,
	actor_id    TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	before_json BYTEA,
	after_json  BYTEA,
	reason      TEXT NOT NULL,
	created_at  BIGINT
);

CREATE INDEX authos_audit_log_created ON authos_audit_log (created_at DESC, id);
CREATE INDEX authos_audit_log_target ON authos_audit_log (target_type, target_id);
