package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlite"
	"github.com/authos/authos/store/sqlstore"
	"github.com/authos/authos/store/sqlstore/sqlstoretest"
	"github.com/authos/authos/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

// newStore opens a fresh database file in t's temporary directory.
func newStore(t *testing.T) store.Storage {
	s := open(t, filepath.Join(t.TempDir(), "authos.db"))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, copiesOfMigrated(t))
}

// copiesOfMigrated migrates one database file and returns a factory of
// stores on fresh copies of it: each subtest still gets a new, empty file,
// without paying for the migrations (DDL and fsyncs) hundreds of times.
func copiesOfMigrated(t *testing.T) func(t *testing.T) store.Storage {
	tmpl := filepath.Join(t.TempDir(), "template.db")
	if err := open(t, tmpl).Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Closing the last connection checkpoints the write-ahead log into the
	// file: a log left beside it would hold part of the schema.
	if fi, err := os.Stat(tmpl + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("%s-wal holds %d bytes after Close", tmpl, fi.Size())
	}
	data, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) store.Storage {
		path := filepath.Join(t.TempDir(), "authos.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := open(t, path)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
}

func TestSQLBackend(t *testing.T) {
	sqlstoretest.Run(t, newStore)
}

// appliedMigrations returns version -> applied_at of the recorded migrations.
func appliedMigrations(t *testing.T, db *sql.DB) map[int64]int64 {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, applied_at FROM authos_schema_migrations`)
	if err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	defer func() {
		if err := rows.Close(); err != nil {
			t.Error(err)
		}
	}()
	out := map[int64]int64{}
	for rows.Next() {
		var v, at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatalf("read migrations: %v", err)
		}
		out[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	return out
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "authos.db")

	s := open(t, path)
	u := store.User{ID: "u1", Email: "Alice@Example.com", Name: "Alice", CreatedAt: time.UnixMilli(1_000).UTC(), UpdatedAt: time.UnixMilli(2_000).UTC()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	first := appliedMigrations(t, s.DB())
	files, err := fs.Glob(sqlite.Migrations(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(files))
	}
	if len(first) != len(files) {
		t.Fatalf("recorded migrations: got %d; want %d", len(first), len(files))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	time.Sleep(5 * time.Millisecond) // a re-run would record a later applied_at
	s = open(t, path)
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	got, err := s.GetUserByEmail(ctx, "alice@example.com")
	if err != nil {
		t.Fatalf("GetUserByEmail after reopen: %v", err)
	}
	if got != u {
		t.Errorf("user after reopen: got %+v; want %+v", got, u)
	}
	second := appliedMigrations(t, s.DB())
	if len(second) != len(first) {
		t.Fatalf("recorded migrations after reopen: got %d; want %d", len(second), len(first))
	}
	for v, at := range first {
		if second[v] != at {
			t.Errorf("migration %d applied_at changed on reopen: %d -> %d", v, at, second[v])
		}
	}
	n, err := sqlstore.Migrate(ctx, s.DB(), sqlite.Dialect, sqlite.Migrations())
	if err != nil || n != 0 {
		t.Errorf("Migrate on an up-to-date database: got %d, %v; want 0, nil", n, err)
	}
}

// tamper opens a fresh database at path, applies stmt to it directly and
// closes it again.
func tamper(t *testing.T, path, stmt string) {
	t.Helper()
	s := open(t, path)
	if _, err := s.DB().ExecContext(t.Context(), stmt); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestTamperedChecksumRefusesToOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authos.db")
	tamper(t, path, `UPDATE authos_schema_migrations SET checksum = 'tampered' WHERE version = 1`)
	s, err := sqlite.Open(t.Context(), path)
	if err == nil {
		_ = s.Close() // only to free it; the test's outcome is decided below
		t.Fatal("Open with a tampered migration checksum: got nil error")
	}
	if !errors.Is(err, sqlstore.ErrChecksumMismatch) {
		t.Errorf("Open with a tampered checksum: got %v; want ErrChecksumMismatch", err)
	}
}

func TestNewerSchemaRefusesToOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authos.db")
	tamper(t, path, `INSERT INTO authos_schema_migrations (version, name, checksum, applied_at) VALUES (999999, 'future', 'x', 0)`)
	s, err := sqlite.Open(t.Context(), path)
	if err == nil {
		_ = s.Close() // only to free it; the test's outcome is decided below
		t.Fatal("Open with an unknown newer migration: got nil error")
	}
	if !errors.Is(err, sqlstore.ErrUnknownMigration) {
		t.Errorf("Open with an unknown newer migration: got %v; want ErrUnknownMigration", err)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authos.db")
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *sqlite.Store, n)
	for range n {
		go func() {
			s, err := sqlite.Open(context.Background(), path)
			if err == nil {
				stores <- s
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	close(stores)
	for s := range stores {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestOpenUnusualPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"with space.db", "hash#and?query%.db", "ünï.db"} {
		path := filepath.Join(dir, name)
		s := open(t, path)
		if err := s.CreateUser(t.Context(), store.User{ID: "u1", Email: "a@example.com"}); err != nil {
			t.Errorf("%s: CreateUser: %v", name, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: database file not at the given path: %v", name, err)
		}
	}

	t.Chdir(dir)
	s := open(t, "relative.db")
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "relative.db")); err != nil {
		t.Errorf("relative path: %v", err)
	}
}

func TestWALAndPragmasOnEveryConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "authos.db"))
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := t.Context()
	if n := s.DB().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool: MaxOpenConnections = %d; want 1", n)
	}
	if n := s.ReadDB().Stats().MaxOpenConnections; n < sqlite.MinReadConns {
		t.Errorf("read pool: MaxOpenConnections = %d; want at least %d", n, sqlite.MinReadConns)
	}
	// Hold several connections at once so the read pool opens more than one.
	conns := []*sql.Conn{}
	for i := range 1 + sqlite.MinReadConns {
		db := s.ReadDB()
		if i == 0 {
			db = s.DB()
		}
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var sync, fk, busy, queryOnly int
		for _, p := range []struct {
			pragma string
			dest   any
		}{{"journal_mode", &mode}, {"synchronous", &sync}, {"foreign_keys", &fk}, {"busy_timeout", &busy}, {"query_only", &queryOnly}} {
			if err := c.QueryRowContext(ctx, `PRAGMA `+p.pragma).Scan(p.dest); err != nil {
				t.Fatal(err)
			}
		}
		if mode != "wal" || fk != 1 || busy != 10000 {
			t.Errorf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d; want wal, 1, 10000", i, mode, fk, busy)
		}
		if i == 0 && (sync != 1 || queryOnly != 0) {
			t.Errorf("write connection: synchronous=%d query_only=%d; want 1, 0", sync, queryOnly)
		}
		if i > 0 && queryOnly != 1 {
			t.Errorf("read connection %d: query_only=%d; want 1", i, queryOnly)
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestNewDatabaseFileIsOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s has mode %v; want no group/other access", filepath.Base(p), mode)
		}
	}
}

// TestReadYourWrites: a read right after a write sees it, although reads
// outside transactions go to the read pool and writes to the write
// connection; concurrent readers keep seeing it too.
func TestReadYourWrites(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	u := store.User{ID: "u1", Email: "a@example.com", CreatedAt: time.UnixMilli(1_000).UTC(), UpdatedAt: time.UnixMilli(1_000).UTC()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		u.Name = fmt.Sprintf("name %d", i)
		var err error
		if i%2 == 0 {
			err = s.UpdateUser(ctx, u)
		} else {
			err = s.Tx(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) })
		}
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				got, err := s.GetUser(ctx, "u1")
				if err != nil || got.Name != u.Name {
					t.Errorf("GetUser after writing %q: got %q, %v", u.Name, got.Name, err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
}

// TestReadWithEndedContextFails: a single-row read whose context has ended
// fails with the context's error, as database/sql answers, though such
// reads hand database/sql their context without its Done channel; a live
// context still reads.
func TestReadWithEndedContextFails(t *testing.T) {
	s := newStore(t)
	if err := s.CreateUser(t.Context(), store.User{ID: "u1", Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	if _, err := s.GetUser(ctx, "u1"); err != nil {
		t.Fatalf("live context: %v", err)
	}
	cancel()
	for range 20 { // the gate picks at random between room and the ended context
		if _, err := s.GetUser(ctx, "u1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("ended context: err = %v; want context.Canceled", err)
		}
	}
	dctx, dcancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer dcancel()
	<-dctx.Done()
	if _, err := s.GetUser(dctx, "u1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past deadline: err = %v; want context.DeadlineExceeded", err)
	}
	if u, err := s.GetUser(t.Context(), "u1"); err != nil || u.Email != "a@example.com" {
		t.Fatalf("live context afterwards: %+v, %v", u, err)
	}
}

// TestStatementsPreparedOncePerConnection: once every connection has seen
// the statements of a rotation, further rotations prepare nothing.
func TestStatementsPreparedOncePerConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "authos.db"))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.CreateUser(ctx, store.User{ID: "u1", Email: "a@example.com", EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, store.Session{ID: "s1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "t0", SessionID: "s1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rotate := func(i int) {
		t.Helper()
		next := store.RefreshToken{Hash: fmt.Sprintf("t%d", i+1), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if _, err := s.RotateRefreshToken(ctx, fmt.Sprintf("t%d", i), next, now, time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
	}
	rotate(0)
	before := sqlite.Prepares(s)
	if before == 0 {
		t.Fatal("no statement prepared by a rotation")
	}
	for i := 1; i <= 50; i++ {
		rotate(i)
	}
	if after := sqlite.Prepares(s); after != before {
		t.Errorf("50 more rotations and reads prepared %d statements; want 0", after-before)
	}
}
