// Package authos is an embeddable identity library: accounts, sessions and
// tokens, the error catalog, request middleware and the Mailer interface.
//
// A host opens a store (store/sqlite, store/postgres or store/memory), builds
// an *Authos with New, mounts Handler on its own http.ServeMux and wraps its
// own routes with RequireAuth. Domain packages (mfa, device, oauth, saml,
// scim, webhook) build on this package and never the other way round.
//
// Standards: access tokens are JWTs per RFC 9068 (typ at+jwt) signed with
// EdDSA (RFC 8037) and verified per RFC 8725; keys are published as a jwk Set
// (RFC 7517) with OpenID Connect Discovery 1.0 metadata; refresh tokens rotate
// with reuse detection per RFC 9700 §4.14; passwords are hashed with Argon2id
// (RFC 9106) at the OWASP ASVS 5.0 parameters; secrets at rest use AES-256-GCM.
//
// Services sign their users in through the authorization server: the
// authorization code grant of RFC 6749 with PKCE S256 required (RFC 7636),
// OpenID Connect Core 1.0 ID tokens, the iss authorization-response
// parameter (RFC 9207), loopback redirects for native apps (RFC 8252 §7.3),
// RFC 8414 metadata, and the token endpoint's grants per the RFC 9700
// security practice (single-use codes that revoke on reuse, exact redirect
// URIs, no implicit grant).
package authos
