package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/postgres"
	"github.com/authos/authos/store/sqlstore"
	"github.com/authos/authos/store/sqlstore/sqlstoretest"
	"github.com/authos/authos/store/storetest"
)

const urlEnv = "AUTHOS_TEST_POSTGRES_URL"

// testURL returns the database URL of the tests, skipping them without one.
func testURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skip(urlEnv + " not set")
	}
	return url
}

// freshSchema returns a new random schema name and drops that schema (with
// everything in it) when the test ends.
func freshSchema(t *testing.T, url string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "authos_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// open opens a Store in schema and closes it when the test ends (before the
// schema is dropped).
func open(t *testing.T, url, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	pool := &schemaPool{url: url, owner: t}
	storetest.Run(t, pool.open)
}

// schemaPool gives each conformance subtest an empty, migrated schema.
// Migrating a new schema costs seconds of DDL (about 2.5 s, for hundreds of
// subtests), so a subtest's schema is emptied when it ends (every row of
// every table deleted, the migrations' record kept) and handed to the next
// one; a schema that could not be emptied is not reused. The schemas are
// dropped when owner, the suite, ends.
type schemaPool struct {
	url   string
	owner *testing.T
	mu    sync.Mutex
	free  []string
}

// open returns a Store on an empty schema from the pool, or on a new one,
// closed when t ends, its schema then emptied and put back.
func (p *schemaPool) open(t *testing.T) store.Storage {
	t.Helper()
	p.mu.Lock()
	var schema string
	if n := len(p.free); n > 0 {
		schema, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if schema == "" {
		schema = freshSchema(p.owner, p.url)
	}
	// Registered before open's Close, so it runs after it.
	t.Cleanup(func() {
		if err := emptySchema(p.url, schema); err != nil {
			t.Errorf("emptying schema %s: %v", schema, err)
			return
		}
		p.mu.Lock()
		p.free = append(p.free, schema)
		p.mu.Unlock()
	})
	return open(t, p.url, schema)
}

// emptySchema deletes every row of every table of schema except the record
// of the applied migrations, in one transaction.
func emptySchema(url, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }() // a read-write session whose transaction has ended either way
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'authos_schema_migrations'`, schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		return errors.New("no tables")
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// A table still referenced by rows of another (a foreign key
		// without ON DELETE CASCADE) is retried once those are gone: each
		// pass deletes what it can, each delete in a savepoint.
		for len(tables) > 0 {
			var left []string
			var last error
			for _, table := range tables {
				err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
					_, err := sp.Exec(ctx, `DELETE FROM `+pgx.Identifier{schema, table}.Sanitize())
					return err
				})
				if err != nil {
					left, last = append(left, table), err
				}
			}
			if len(left) == len(tables) {
				return last
			}
			tables = left
		}
		return nil
	})
}

func TestSQLBackend(t *testing.T) {
	url := testURL(t)
	sqlstoretest.Run(t, func(t *testing.T) store.Storage {
		return open(t, url, freshSchema(t, url))
	})
}

func TestReopenSkipsMigrations(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	ctx := t.Context()
	s := open(t, url, schema)
	if err := s.CreateUser(ctx, store.User{ID: "u1", Email: "a@example.com"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	s2 := open(t, url, schema)
	if _, err := s2.GetUser(ctx, "u1"); err != nil {
		t.Fatalf("GetUser through a second Store: %v", err)
	}
	n, err := sqlstore.Migrate(ctx, s2.DB(), postgres.Dialect, postgres.Migrations())
	if err != nil || n != 0 {
		t.Errorf("Migrate on an up-to-date schema: got %d, %v; want 0, nil", n, err)
	}
}

func TestTamperedChecksumRefusesToOpen(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	s := open(t, url, schema)
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE authos_schema_migrations SET checksum = 'tampered' WHERE version = 1`); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	s2, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	if err == nil {
		_ = s2.Close() // only to free it; the test's outcome is decided below
		t.Fatal("Open with a tampered migration checksum: got nil error")
	}
	if !errors.Is(err, sqlstore.ErrChecksumMismatch) {
		t.Errorf("Open with a tampered checksum: got %v; want ErrChecksumMismatch", err)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := postgres.Open(context.Background(), url, postgres.WithSchema(schema))
			if err == nil {
				_ = s.Close() // only to free it; the test's outcome is decided below
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
}
