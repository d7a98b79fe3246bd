-- Services' sign-in settings: the URIs RP-initiated logout may return to
-- (JSON list, exact match) and whether only the organization's members may
-- sign in.
ALTER TABLE authos_services ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE authos_services ADD COLUMN members_only BOOLEAN NOT NULL DEFAULT FALSE;
