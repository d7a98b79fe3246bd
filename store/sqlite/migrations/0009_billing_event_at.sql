-- The creation time (Unix milliseconds) of the last billing event that moved
-- an organization's tier: an older event, delivered late, must not overwrite
-- a newer one. NULL: none yet.
ALTER TABLE authos_organizations ADD COLUMN billing_event_at INTEGER;
