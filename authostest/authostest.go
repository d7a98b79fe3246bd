package authostest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop test schemas

	"github.com/authos/authos"
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

// Backends lists memory (when withMemory), SQLite (a temporary file) and,
// when PostgresEnv is set, PostgreSQL (a fresh schema per test, dropped
// afterwards).
func Backends(t testing.TB, withMemory bool) []Backend {
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

// EachBackend runs fn as a subtest on a fresh store of every backend.
func EachBackend(t *testing.T, fn func(t *testing.T, st store.Storage)) {
	for _, b := range Backends(t, true) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// OpenSQLite opens a store on a new file in t's temporary directory.
func OpenSQLite(t testing.TB) store.Storage {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "authos.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// OpenPostgres opens a store in a new random schema of the database at
// PostgresEnv and drops the schema when t ends. It fails when PostgresEnv
// is unset.
func OpenPostgres(t testing.TB) store.Storage {
	t.Helper()
	url := os.Getenv(PostgresEnv)
	if url == "" {
		t.Fatal(PostgresEnv + " is not set")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "authos_test_" + hex.EncodeToString(b)
	st, err := postgres.Open(context.Background(), url, postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return st
}

// Clock is a settable clock for authos.Config.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Keyring returns a keyring with one random key.
func Keyring(t testing.TB) *authos.Keyring {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	kr, err := authos.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// CoreOnly returns a store that offers only the core of st (store.Storage)
// and hides every capability st has, on itself and inside its
// transactions: what a third-party backend that implements no capability
// looks like. Package authors use it to check that their constructor
// refuses such a store.
func CoreOnly(st store.Storage) store.Storage { return coreOnly{st} }

// coreOnly embeds the interface, so only the core's methods are promoted.
type coreOnly struct{ store.Storage }

func (c coreOnly) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	return c.Storage.Tx(ctx, func(tx store.Tx) error { return fn(coreOnlyTx{tx}) })
}

type coreOnlyTx struct{ store.Tx }
