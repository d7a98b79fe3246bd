-- Revocations of the sessions of deleted accounts. DeleteUser removes an
-- account's sessions with it (ON DELETE CASCADE) after revoking them, and
-- keeps each session's revocation here so that ListRevokedSessions keeps
-- reporting it: access tokens issued before the deletion stay refused on
-- every instance. Times are BIGINT Unix milliseconds.
CREATE TABLE authos_revoked_sessions (
	id         TEXT COLLATE "C" PRIMARY KEY,
	revoked_at BIGINT NOT NULL
);
CREATE INDEX authos_revoked_sessions_at ON authos_revoked_sessions (revoked_at);
