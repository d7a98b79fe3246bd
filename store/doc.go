// Package store defines the storage contract of authos: one small interface
// per concern (users, passwords, one-time tokens, sessions, refresh tokens,
// failed-login counters, signing keys, the outbox), their union Storage, and
// the sentinel errors every backend returns.
//
// Backends live in store/memory, store/sqlite (the embedded default) and
// store/postgres; store/storetest is the conformance suite they all pass.
// Times are passed in explicitly (the caller's clock), so expiry is testable;
// backends keep them to the millisecond (SQL backends store unix
// milliseconds), and callers truncate accordingly.
package store
