package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the SQLite schema migrations (NNNN_name.sql files).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// MinReadConns is the least number of read connections a Store keeps; it
// keeps GOMAXPROCS of them when that is more. Writes go through a single
// connection of their own: SQLite runs one writer at a time anyway, and
// waiting for that connection queues writers in Go instead of having them
// retry on SQLITE_BUSY. Readers do not wait for the writer (WAL).
const MinReadConns = 4

// Dialect is the sqlstore dialect of SQLite.
var Dialect = sqlstore.Dialect{
	Name:              "sqlite",
	IsUniqueViolation: isUniqueViolation,
	IsTransient:       isTransient,
	// Serializable makes the driver issue BEGIN IMMEDIATE whatever the DSN.
	TxIsolation: sql.LevelSerializable,
	OpIsolation: sql.LevelSerializable,
	// The driver checks its context's Err while a statement runs and
	// while it waits for a lock; it never waits on Done.
	PollsContext: true,
}

// Store is the SQLite backend. Every store operation is promoted from the
// embedded *sqlstore.Store.
type Store struct {
	*sqlstore.Store
	conns []*cachingConnector // the writer's and the readers'
}

var _ store.Storage = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database file at path and
// applies the schema migrations. Close the Store when done.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	// The file holds password hashes: create it owner-only. SQLite gives
	// its -wal and -shm files the database file's mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	db, wc, err := openPool(DSN(path), 1)
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, db); err != nil {
		_ = db.Close() // the error being returned is the one that matters
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect, Migrations()); err != nil {
		_ = db.Close() // the error being returned is the one that matters
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// The WAL files carry the same data; this driver creates them with the
	// process umask, so restrict them too (they persist while the store is open).
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			_ = db.Close() // the error being returned is the one that matters
			return nil, fmt.Errorf("sqlite: restrict %s: %w", path+suffix, err)
		}
	}
	rdb, rc, err := openPool(readDSN(path), max(MinReadConns, runtime.GOMAXPROCS(0)))
	if err != nil {
		_ = db.Close() // the error being returned is the one that matters
		return nil, err
	}
	return &Store{Store: sqlstore.NewWithReader(db, rdb, Dialect), conns: []*cachingConnector{wc, rc}}, nil
}

// openPool opens a pool of at most n connections to dsn whose connections
// keep their prepared statements.
func openPool(dsn string, n int) (*sql.DB, *cachingConnector, error) {
	c, err := (&sqlite3driver.SQLite{}).OpenConnector(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open: %w", err)
	}
	cc := &cachingConnector{Connector: c}
	db := sql.OpenDB(cc)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, cc, nil
}

// ping opens the first connection. Switching a new file to WAL can fail with
// SQLITE_BUSY without waiting when other processes open the same new file at
// the same moment; that is retried for a while.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !isTransient(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// DSN returns the data source name Open uses for the write connection to the
// file at path: a file: URI whose parameters configure the connection (busy
// timeout, WAL, synchronous NORMAL, foreign keys) and make its transactions
// immediate.
func DSN(path string) string {
	// busy_timeout first, so that the pragmas after it wait for locks too.
	return fileURI(path) + "?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(wal)" +
		"&_pragma=synchronous(normal)" +
		"&_pragma=foreign_keys(on)" +
		"&_txlock=immediate"
}

// readDSN is the data source name of the read connections: they refuse
// writes (query_only) and wait for locks as the writer does.
func readDSN(path string) string {
	return fileURI(path) + "?_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(on)" +
		"&_pragma=query_only(on)"
}

// fileURI is the file: URI of path.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.VolumeName(path) != "" {
		p = "/" + p // file:/C:/dir/db on Windows
	}
	u := url.URL{Scheme: "file", Path: p, OmitHost: true}
	return u.String()
}

func isUniqueViolation(err error) bool {
	return errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
}

func isTransient(err error) bool {
	return errors.Is(err, sqlite3.BUSY) || errors.Is(err, sqlite3.LOCKED)
}
