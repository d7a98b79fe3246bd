// Package sqlstoretest holds checks of the SQL backends (store/sqlite,
// store/postgres) that go beyond the conformance suite store/storetest:
// transaction isolation under concurrency, retries of transient conflicts and
// the durability of a refresh-token reuse revocation inside Storage.Tx.
package sqlstoretest
