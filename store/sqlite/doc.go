// Package sqlite is the embedded default storage backend of authos: a single
// SQLite file, accessed through the pure-Go (cgo-free)
// github.com/ncruces/go-sqlite3 driver.
//
// The database runs in WAL mode with synchronous=NORMAL, a 10 s busy timeout
// and foreign keys on; every write transaction is BEGIN IMMEDIATE, so write
// transactions serialise on the database's write lock while readers proceed.
// The queries themselves live in store/sqlstore, shared with store/postgres.
//
// Writes and transactions share one connection (see [MinReadConns]); reads
// outside a transaction use a pool of read-only connections. Inside the
// function given to Store.Tx, make every write on the tx value it receives:
// a write on the Store itself (or an operation that opens a transaction of
// its own, such as a nested Store.Tx) waits for the connection that the
// transaction holds, and so until its context ends.
//
//	s, err := sqlite.Open(ctx, "/var/lib/authos/authos.db")
//	if err != nil { ... }
//	defer s.Close()
//
// Open creates the file if needed and applies the schema migrations embedded
// in this package (see [Migrations]).
package sqlite
