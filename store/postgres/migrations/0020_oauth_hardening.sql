-- Social login hardening (package oauth). An identity made by an
-- organization's own OpenID Connect provider for an address nobody had
-- proven is unconfirmed until the mailbox's owner confirms it (its account
-- is created unverified); an unconfirmed identity whose account got
-- verified another way is dropped at its next use. The background refresh
-- backs off an identity whose refresh failed: refresh_failures counts the
-- failures in a row and refresh_retry_at (BIGINT Unix milliseconds, NULL
-- for "now") is the earliest next attempt.
ALTER TABLE authos_oauth_identities ADD COLUMN unconfirmed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE authos_oauth_identities ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authos_oauth_identities ADD COLUMN refresh_retry_at BIGINT;
