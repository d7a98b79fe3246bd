-- Login-failure counters carry their scope (the part of the key before the
-- first "|"): an account's counter "pwd:<h>" and its per-address counters
-- "pwd:<h>|ip:<h>" share one scope, so a password reset clears every lock
-- of the account with one indexed DELETE. window_start is indexed for the
-- periodic purge of stale counters.
ALTER TABLE authos_login_failures ADD COLUMN scope TEXT NOT NULL DEFAULT '';
UPDATE authos_login_failures SET scope = CASE WHEN instr(failure_key, '|') > 0
	THEN substr(failure_key, 1, instr(failure_key, '|') - 1) ELSE failure_key END;
CREATE INDEX authos_login_failures_scope ON authos_login_failures (scope);
CREATE INDEX authos_login_failures_window ON authos_login_failures (window_start);
