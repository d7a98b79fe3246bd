package backends

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop test schemas

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/store/postgres"
	"github.com/authos/authos/store/sqlite"
)

// PostgresEnv names the variable holding the PostgreSQL test URL; tests
// that need PostgreSQL are skipped only when it is unset.
const PostgresEnv = "AUTHOS_TEST_POSTGRES_URL"

// Backend opens a fresh, empty store for one test; cleanup is registered
// on t.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Storage
}

// List returns memory (when withMemory), SQLite (a temporary file) and,
// when PostgresEnv is set, PostgreSQL (a fresh schema per test, dropped
// afterwards).
func List(t testing.TB, withMemory bool) []Backend {
	var bs []Backend
	if withMemory {
		bs = append(bs, Backend{"memory", func(testing.TB) store.Storage { return memory.New() }})
	}
	bs = append(bs, Backend{"sqlite", OpenSQLite})
	if os.Getenv(PostgresEnv) != "" {
		bs = append(bs, Backend{"postgres", OpenPostgres})
	} else {
		t.Log(PostgresEnv + " not set: PostgreSQL cases skipped")
	}
	return bs
}

// Each runs fn as a subtest on a fresh store of every backend of List
// (memory included).
func Each(t *testing.T, fn func(t *testing.T, st store.Storage)) {
	for _, b := range List(t, true) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// OpenSQLite opens a store on a new file in t's temporary directory.
func OpenSQLite(t testing.TB) store.Storage {
	t.Helper()
	return openSQLite(t, filepath.Join(t.TempDir(), "authos.db"))
}

func openSQLite(t testing.TB, path string) store.Storage {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// OpenPostgres opens a store in a new random schema of the database at
// PostgresEnv and drops the schema when t ends. It fails when PostgresEnv
// is unset.
func OpenPostgres(t testing.TB) store.Storage {
	t.Helper()
	return openPostgres(t, 1)[0]
}

// Instances opens n stores over one new database of the backend, as the n
// instances of an application share theirs: n stores on one new PostgreSQL
// schema (dropped when t ends), n stores on one new SQLite file, or one
// memory store n times (a memory store is shared by sharing the value).
func Instances(t testing.TB, b Backend, n int) []store.Storage {
	t.Helper()
	out := make([]store.Storage, n)
	switch b.Name {
	case "postgres":
		return openPostgres(t, n)
	case "sqlite":
		path := filepath.Join(t.TempDir(), "authos.db")
		for i := range out {
			out[i] = openSQLite(t, path)
		}
	default:
		st := b.Open(t)
		for i := range out {
			out[i] = st
		}
	}
	return out
}

// openPostgres opens n stores on a new random schema of the database at
// PostgresEnv and drops the schema when t ends.
func openPostgres(t testing.TB, n int) []store.Storage {
	t.Helper()
	url := os.Getenv(PostgresEnv)
	if url == "" {
		t.Fatal(PostgresEnv + " is not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "authos_test_" + hex.EncodeToString(b)
	out := make([]store.Storage, n)
	t.Cleanup(func() {
		for _, st := range out {
			if st != nil {
				if err := st.Close(); err != nil {
					t.Error(err)
				}
			}
		}
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		}()
		if _, err := db.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
			t.Error(err)
		}
	})
	for i := range out {
		st, err := postgres.Open(context.Background(), url, postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = st
	}
	return out
}
