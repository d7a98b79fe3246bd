// Package postgres is the PostgreSQL storage backend of authos, using
// github.com/jackc/pgx/v5 through its database/sql adapter.
//
// Operations called directly on the Store run at READ COMMITTED and rely on
// compare-and-set UPDATEs and row locks (SELECT ... FOR UPDATE, and FOR
// UPDATE SKIP LOCKED for outbox claims); Store.Tx runs SERIALIZABLE and
// retries serialization failures and deadlocks. The queries themselves live
// in store/sqlstore, shared with store/sqlite.
//
//	s, err := postgres.Open(ctx, "postgres://authos@db/authos", postgres.WithSchema("authos"))
//	if err != nil { ... }
//	defer s.Close()
//
// Open applies the schema migrations embedded in this package (see
// [Migrations]); concurrent starters serialise on an advisory lock.
package postgres
