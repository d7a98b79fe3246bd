-- SAML single sign-on, continued: the group -> role mapping (JSON object
-- text), the service an IdP-initiated sign-in lands at with its OpenID
-- Connect initiate_login_uri, and the daily refresh of metadata fetched
-- from a URL (last success, last error, next due; Unix milliseconds, NULL
-- for "not set").
ALTER TABLE authos_saml_connections ADD COLUMN group_roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE authos_saml_connections ADD COLUMN idp_initiated_service_id TEXT NOT NULL DEFAULT '';
ALTER TABLE authos_saml_connections ADD COLUMN idp_initiated_login_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE authos_saml_connections ADD COLUMN metadata_refreshed_at BIGINT;
ALTER TABLE authos_saml_connections ADD COLUMN metadata_error TEXT NOT NULL DEFAULT '';
ALTER TABLE authos_saml_connections ADD COLUMN metadata_refresh_at BIGINT;
CREATE INDEX authos_saml_connections_refresh ON authos_saml_connections (metadata_refresh_at);
