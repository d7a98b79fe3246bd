package hotpathtest_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/postgres"
	"github.com/authos/authos/store/sqlite"
	"github.com/authos/authos/store/sqlstore"
)

// countingConnector counts the statements run on the connections of a
// database/sql driver: every query or command, BEGIN and COMMIT excepted.
// Its connections offer no ExecerContext or QueryerContext, so database/sql
// prepares each statement on them and runs it through countingStmt.
type countingConnector struct {
	driver.Connector
	n atomic.Int64
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{inner: dc, n: &c.n}, nil
}

type countingConn struct {
	inner driver.Conn
	n     *atomic.Int64
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{inner: s, conn: c}, nil
}

func (c *countingConn) Close() error { return c.inner.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) CheckNamedValue(v *driver.NamedValue) error {
	if nvc, ok := c.inner.(driver.NamedValueChecker); ok {
		return nvc.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type countingStmt struct {
	inner driver.Stmt
	conn  *countingConn
}

func (s *countingStmt) Close() error  { return s.inner.Close() }
func (s *countingStmt) NumInput() int { return s.inner.NumInput() }

func (s *countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, errors.New("countingStmt: Exec without a context")
}

func (s *countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	return nil, errors.New("countingStmt: Query without a context")
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.conn.n.Add(1)
	return s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.conn.n.Add(1)
	return s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(v *driver.NamedValue) error {
	if nvc, ok := s.inner.(driver.NamedValueChecker); ok {
		return nvc.CheckNamedValue(v)
	}
	return s.conn.CheckNamedValue(v)
}

// countedStore opens a store of backend name ("sqlite" or "postgres") whose
// statements the returned counter counts.
func countedStore(t *testing.T, name string) (store.Storage, *atomic.Int64) {
	t.Helper()
	var (
		conn driver.Connector
		d    sqlstore.Dialect
		migr = sqlite.Migrations()
	)
	switch name {
	case "sqlite":
		c, err := (&sqlite3driver.SQLite{}).OpenConnector(sqlite.DSN(filepath.Join(t.TempDir(), "authos.db")))
		if err != nil {
			t.Fatal(err)
		}
		conn, d = c, sqlite.Dialect
	case "postgres":
		url := os.Getenv(backends.PostgresEnv)
		if url == "" {
			t.Skip(backends.PostgresEnv + " not set")
		}
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 6)
		rand.Read(b)
		schema := pgx.Identifier{"authos_test_" + hex.EncodeToString(b)}.Sanitize()
		admin := stdlib.OpenDB(*cfg)
		t.Cleanup(func() {
			if _, err := admin.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`); err != nil {
				t.Error(err)
			}
			_ = admin.Close()
		})
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["search_path"] = schema
		conn, d, migr = stdlib.GetConnector(*cfg), postgres.Dialect, postgres.Migrations()
	}
	// Migrations run several statements at once, which a prepared statement
	// cannot: they go through the driver's own connections.
	plain := sql.OpenDB(conn)
	_, err := sqlstore.Migrate(t.Context(), plain, d, migr)
	_ = plain.Close()
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConnector{Connector: conn}
	db := sql.OpenDB(cc)
	st := sqlstore.New(db, d)
	t.Cleanup(func() { _ = st.Close() })
	return st, &cc.n
}

// TestStatementsPerRequest bounds the SQL statements of the hot paths, so
// that they cannot grow unnoticed: a refresh of a session without an
// organization runs at most three (the rotation's compare-and-set, the
// session's use returning it with its user, the successor's insert), and
// the profile of GET /api/user one, MFA status included.
func TestStatementsPerRequest(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st, n := countedStore(t, name)
			inst := authostest.New(t, func(c *authos.Config) { c.Store = st })
			if _, err := mfa.New(inst.Authos, mfa.Config{}); err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			tr := signIn(t, inst, "count@example.com")
			var err error
			for i := range 3 {
				inst.Clock.Advance(time.Second)
				before := n.Load()
				if tr, err = inst.Refresh(ctx, tr.RefreshToken); err != nil {
					t.Fatal(err)
				}
				if got := n.Load() - before; got > 3 {
					t.Errorf("refresh %d ran %d statements; want at most 3", i, got)
				}
			}

			// The first request also pulls the revocations (then again only
			// when the instance's clock has moved on).
			h := inst.Handler()
			for i := range 3 {
				before := n.Load()
				req := httptest.NewRequest(http.MethodGet, "/api/user", nil)
				req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("GET /api/user: %d %s", rec.Code, rec.Body)
				}
				if got := n.Load() - before; i > 0 && got != 1 {
					t.Errorf("GET /api/user #%d ran %d statements; want 1", i, got)
				}
			}
		})
	}
}

// TestProfileMFAStatus: GET /api/user reports mfa_enabled from the user's
// stored factor (read with the user in one query on the SQL backends): off
// without a factor and with a pending one, on once it is enabled.
func TestProfileMFAStatus(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		inst := authostest.New(t, func(c *authos.Config) { c.Store = st })
		if _, err := mfa.New(inst.Authos, mfa.Config{}); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		token := authostest.Token(t, inst, "mfa@example.com", authostest.AMR(authos.AMRPassword, authos.AMROTP))
		u, err := st.GetUserByEmail(ctx, "mfa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		h := inst.Handler()
		profile := func(step string, want bool) {
			t.Helper()
			req := httptest.NewRequest(http.MethodGet, "/api/user", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var p authos.Profile
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
				t.Fatalf("GET /api/user (%s): %d %s", step, rec.Code, rec.Body)
			}
			if p.ID != u.ID || p.Email != "mfa@example.com" || !p.EmailVerified {
				t.Errorf("GET /api/user (%s): got %+v; want the user %s", step, p, u.ID)
			}
			if p.MFAEnabled != want {
				t.Errorf("GET /api/user (%s): mfa_enabled %v; want %v", step, p.MFAEnabled, want)
			}
		}
		m := st.(store.MFAStore)
		profile("no factor", false)
		f := store.MFAFactor{UserID: u.ID, Secret: []byte("sealed"), CreatedAt: inst.Now()}
		if err := m.PutMFAFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
		profile("pending factor", false)
		f.Enabled, f.EnabledAt = true, inst.Now()
		if err := m.PutMFAFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
		profile("enabled factor", true)
	})
}
