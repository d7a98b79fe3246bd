// Package oauth adds social login to authos: people sign in to an
// organization's services with an account at GitHub, Google, Microsoft or
// any OpenID Connect provider, with the platform's credentials or the
// organization's own ("bring your own OAuth"), which take precedence.
//
// The login is an OAuth 2.0 authorization code grant (RFC 6749 §4.1) with
// PKCE S256 (RFC 7636) for every provider; the state parameter is single
// use, lives 10 minutes and is bound to a cookie of the browser that
// started it; OpenID Connect providers (OpenID Connect Core 1.0, Discovery
// 1.0) get a nonce, and their ID token's signature, issuer, audience,
// expiry and nonce are checked (go-oidc); the iss parameter of the
// authorization response is checked when present (RFC 9207). GitHub has no
// ID token: its user and email APIs are read, and only an email GitHub
// marks verified counts.
//
// New registers a button per available provider on the hosted sign-in page
// and the routes of openapi.yaml's "social" tag with the instance. An
// identity is a provider connection (the provider with the credentials'
// owner) and the provider's subject. A first sign-in creates a verified
// account when a provider that vouches for email addresses asserts a
// verified email that no account has; it joins an existing account only
// when such a provider asserts that email verified and the account's email
// is verified; otherwise the person signs in with their password and links
// the provider from their session. GitHub, Google's issuer, Microsoft's
// authority and the platform's own providers vouch; an organization's own
// OpenID Connect provider at any other issuer does not, since whoever runs
// it could assert any address (pre-account hijacking): the account it
// creates for a new address stays unverified, and its identity unconfirmed,
// until the mailbox's owner follows the emailed confirmation link
// (POST /auth/social/{provider}/confirm). Signing in through that identity
// again before then answers EMAIL_NOT_VERIFIED once more and mails a new
// link, which replaces the earlier one (that one then answers
// INVALID_TOKEN), unless the current link went out less than 5 minutes
// ago: then no email is sent.
//
// The provider's tokens are kept encrypted with the keyring (the vault),
// refreshed in the background before they expire under a per-identity
// lease, and handed to the identity's service on request. Outbound calls
// go through one HTTP client with timeouts, a response size cap and the
// address guard of internal/outbound.
package oauth
