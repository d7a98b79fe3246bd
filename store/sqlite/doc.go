// Package sqlite is the embedded default storage backend of authos: a single
// SQLite file, accessed through the pure-Go (cgo-free)
// github.com/ncruces/go-sqlite3 driver.
//
// The database runs in WAL mode with synchronous=NORMAL, a 10 s busy timeout
// and foreign keys on; every write transaction is BEGIN IMMEDIATE, so write
// transactions serialise on the database's write lock while readers proceed.
// The queries themselves live in store/sqlstore, shared with store/postgres.
//
//	s, err := sqlite.Open(ctx, "/var/lib/authos/authos.db")
//	if err != nil { ... }
//	defer s.Close()
//
// Open creates the file if needed and applies the schema migrations embedded
// in this package (see [Migrations]).
package sqlite
