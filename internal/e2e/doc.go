// Package e2e holds the end-to-end tests of the core: its HTTP API driven
// over a real server on every backend (memory, SQLite, PostgreSQL). It has
// no code of its own; the tests live apart from the root package so that a
// host, whose go.sum covers the tests of the packages it imports, does not
// depend on the SQLite and PostgreSQL drivers through them.
package e2e
