// Package signintest holds the end-to-end tests of the authorization
// server (RFC 6749 with PKCE, OpenID Connect) driven by standard client
// libraries (golang.org/x/oauth2, coreos/go-oidc) over HTTP on every
// storage backend. It has no code of its own.
package signintest
