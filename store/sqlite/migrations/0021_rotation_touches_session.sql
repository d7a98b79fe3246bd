-- A refresh-token rotation (rotated_at set where it was NULL) records the
-- use of the token's session inside the rotating UPDATE: the rotation then
-- reads the session with its user in one join instead of updating the
-- session with a RETURNING clause that can name no other table.
CREATE TRIGGER authos_refresh_tokens_rotated
AFTER UPDATE OF rotated_at ON authos_refresh_tokens
WHEN OLD.rotated_at IS NULL AND NEW.rotated_at IS NOT NULL
BEGIN
	UPDATE authos_sessions SET last_used_at = NEW.rotated_at WHERE id = NEW.session_id;
END;
