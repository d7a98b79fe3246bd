package hotpathtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlite"
)

// benchBackend opens a store of the backend name for a benchmark: SQLite on
// a WAL file in b.TempDir(), PostgreSQL in a fresh schema (skipped without
// AUTHOS_TEST_POSTGRES_URL). It returns the store and its *sql.DB.
func benchBackend(b *testing.B, name string) (store.Storage, *sql.DB) {
	b.Helper()
	var st store.Storage
	switch name {
	case "sqlite":
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		st = s
	case "postgres":
		if os.Getenv(backends.PostgresEnv) == "" {
			b.Skip(backends.PostgresEnv + " not set")
		}
		st = backends.OpenPostgres(b)
	}
	db, ok := st.(interface{ DB() *sql.DB })
	if !ok {
		b.Fatalf("%T has no DB method", st)
	}
	return st, db.DB()
}

// signIn signs the user with email in on inst (creating the account) and
// returns the token pair of the new session.
func signIn(tb testing.TB, inst *authostest.Instance, email string) *authos.TokenResponse {
	tb.Helper()
	authostest.Token(tb, inst, email)
	u, err := inst.Store().GetUserByEmail(context.Background(), email)
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := inst.CompleteLogin(context.Background(), u, authos.LoginContext{Method: authos.AMRPassword})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// BenchmarkRefresh measures Authos.Refresh end to end (rotation, user and
// session checks, access token): each iteration rotates the refresh token
// the previous one returned. Compare with BenchmarkRawRotationTx.
func BenchmarkRefresh(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			st, _ := benchBackend(b, name)
			inst := authostest.New(b, func(c *authos.Config) { c.Store, c.RateLimits.Disabled = st, true })
			ctx := context.Background()
			refresh := signIn(b, inst, "bench@example.com").RefreshToken
			b.ReportAllocs()
			for b.Loop() {
				tr, err := inst.Refresh(ctx, refresh)
				if err != nil {
					b.Fatal(err)
				}
				refresh = tr.RefreshToken
			}
		})
	}
}

// BenchmarkRawRotationTx is the primitive BenchmarkRefresh is measured
// against: one transaction that inserts a row and updates another in a
// scratch table, in plain SQL on the same backend and database handle.
func BenchmarkRawRotationTx(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			_, db := benchBackend(b, name)
			ctx := context.Background()
			ph := func(n int) string { return "?" }
			if name == "postgres" {
				ph = func(n int) string { return "$" + strconv.Itoa(n) }
			}
			if _, err := db.ExecContext(ctx, `CREATE TABLE bench_rotation (
				id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, rotated_at BIGINT, replaced_by TEXT)`); err != nil {
				b.Fatal(err)
			}
			insert := fmt.Sprintf(`INSERT INTO bench_rotation (id, created_at) VALUES (%s, %s)`, ph(1), ph(2))
			update := fmt.Sprintf(`UPDATE bench_rotation SET rotated_at = %s, replaced_by = %s WHERE id = %s`, ph(1), ph(2), ph(3))
			if _, err := db.ExecContext(ctx, insert, "0", 0); err != nil {
				b.Fatal(err)
			}
			prev := "0"
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				id := strconv.Itoa(i)
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, insert, id, i); err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, update, i, id, prev); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				prev = id
			}
		})
	}
}
