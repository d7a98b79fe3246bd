package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
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
	storetest.Run(t, func(t *testing.T) store.Storage {
		return open(t, url, freshSchema(t, url))
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
