-- The role an API key's creator held when the key was made: the most the key
-- may ever do. Rows from before keep '' (authos then caps them at admin).
ALTER TABLE authos_api_keys ADD COLUMN role TEXT NOT NULL DEFAULT '';
