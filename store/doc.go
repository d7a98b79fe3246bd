// Package store defines the storage contract of authos: one small interface
// per concern (users, passwords, one-time tokens, sessions, refresh tokens,
// failed-login counters, signing keys, the outbox, the audit log, and the
// tenancy tables: organizations, members, invitations, services, API keys,
// processed events), their union Tx, Storage (Tx plus transactions), and the
// sentinel errors every backend returns.
//
// Backends live in store/memory, store/sqlite (the embedded default) and
// store/postgres; store/storetest is the conformance suite they all pass.
// Times are passed in explicitly (the caller's clock), so expiry is testable;
// backends keep them to the millisecond (SQL backends store unix
// milliseconds), and callers truncate accordingly.
//
// # Capabilities
//
// Storage is the identity core, and all that package authos itself needs. The
// tables of a feature package are not part of it: each is a capability, an
// interface named after what it keeps, that a backend implements when it
// wants to serve that package. The capabilities are:
//
//   - [MFAStore]: TOTP factors and backup codes, for package mfa.
//   - [DeviceStore]: device authorizations (RFC 8628), for package device.
//   - [SCIMStore]: SCIM tokens, the User resources of directory-managed
//     members, groups and their members (RFC 7643/7644), for package scim.
//     Its list queries take a typed filter ([SCIMFilter], checked by
//     [ValidateSCIMFilter]) that each backend translates itself: bound
//     parameters over indexed columns in SQL, the same tree evaluated in Go
//     in memory.
//   - [SignInStore]: the sign-in flow's pending authorization requests,
//     authorization codes and sign-in sessions (RFC 6749, OpenID Connect),
//     for the authorization server of package authos.
//   - [WebhookStore]: each organization's webhook endpoints (secrets
//     encrypted by the caller) and the deliveries queue, leased to one
//     worker at a time, for package webhook.
//   - [OAuthStore]: organizations' own social login credentials, pending
//     provider logins (single-use states) and identities with the
//     provider's tokens (encrypted by the caller; leased to one refresher
//     at a time), for package oauth.
//
// A backend offers a capability by implementing its interface on the value it
// returns as Storage and on every Tx value it passes to the function given to
// Storage.Tx; the capability's operations called on that tx are part of the
// transaction. store/memory, store/sqlite and store/postgres offer every
// capability. A backend that offers none still serves the core: accounts,
// sessions, tokens and organizations work on it, and a feature package whose
// capability is missing refuses to be built on it.
//
// The contract for a feature package (oauth, saml, scim and webhook follow it
// as they add their tables):
//
//  1. Declare the capability here, in its own file (mfa.go, device.go): an
//     interface named after what it keeps (XStore), whose method docs state
//     the required errors, atomicity and concurrency, and add it to the list
//     above.
//  2. In the package's constructor, check it once with [Require] and return
//     the error: a host learns at start-up, not at request time, that its
//     backend cannot serve the package. The error names the missing
//     capability and matches errors.ErrUnsupported.
//  3. Inside Storage.Tx, reach the capability on the tx value with [Require]
//     (or [As]); a backend that honours the contract above never fails it.
//  4. Implement it in store/memory and store/sqlstore (with a migration in
//     both store/sqlite/migrations and store/postgres/migrations), and add a
//     section to store/storetest for it: the suite runs the section on every
//     backend that offers the capability and skips it, with a message, on
//     those that do not.
//
// Capabilities are detected with type assertions, so a backend that wraps
// another implements (or deliberately leaves out) each capability itself:
// embedding a Storage interface value forwards only the core methods.
package store
