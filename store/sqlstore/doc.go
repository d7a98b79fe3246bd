// Package sqlstore implements store.Storage once, over database/sql, for
// every SQL backend of authos (store/sqlite and store/postgres).
//
// What differs between the databases is carried by a small [Dialect] value:
// placeholder style, row locking, how unique violations and transient
// failures are recognised, and the isolation levels to ask for. Queries are
// written once with ? placeholders and rebound for the dialect.
//
// Concurrency: every operation called directly on a [Store] is atomic on its
// own. Operations that need several statements (ConsumeToken,
// RotateRefreshToken, RecordLoginFailure, ClaimOutbox, UpdateUser, ...) run
// in their own short transaction and rely on compare-and-set UPDATEs and, where
// the dialect supports them, row locks (SELECT ... FOR UPDATE, and FOR UPDATE
// SKIP LOCKED for outbox claims). Called through [Store.Tx] they join the
// caller's transaction instead. Store.Tx runs at the dialect's TxIsolation
// (SERIALIZABLE on PostgreSQL, an immediate transaction on SQLite) and retries
// transient failures (busy/locked databases, serialization failures,
// deadlocks) a bounded number of times with a small randomised backoff.
//
// Storage format: every time is a BIGINT of Unix milliseconds (NULL for the
// zero time.Time) and is returned in UTC; emails are kept as entered beside a
// lower-cased, uniquely indexed copy; string slices are JSON text; byte
// payloads are BLOB/BYTEA. Tables are prefixed authos_.
//
// Errors: contract outcomes are the store sentinels; anything else coming from
// the driver is wrapped as "sqlstore: <operation>: <cause>". Those errors may
// contain SQL or driver text and are meant for logs, never for end users.
//
// Schema: [Migrate] is a small migration runner over an fs.FS of NNNN_name.sql
// files, recorded in authos_schema_migrations. Each backend embeds the files
// of its own dialect.
package sqlstore
