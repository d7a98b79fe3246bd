// Package authos is an embeddable identity library: accounts, sessions and
// tokens, the error catalog, request middleware and the Mailer interface.
//
// A host opens a store (store/sqlite, store/postgres or store/memory), builds
// an *Authos with New, mounts Handler on its own http.ServeMux and wraps its
// own routes with RequireAuth. Domain packages (mfa, device, oauth, saml,
// scim, webhook) build on this package and never the other way round.
//
// Standards: access tokens are JWTs per RFC 9068 (typ at+jwt) signed with
// EdDSA (RFC 8037) and verified per RFC 8725; keys are published as a JWK Set
// (RFC 7517) with OpenID Connect Discovery 1.0 metadata; refresh tokens rotate
// with reuse detection per RFC 9700 §4.14; passwords are hashed with Argon2id
// (RFC 9106) at the OWASP ASVS 5.0 parameters; secrets at rest use AES-256-GCM.
package authos
