package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

// sqlBackend is what the SQLite and PostgreSQL stores expose of their
// database.
type sqlBackend interface {
	store.Storage
	store.SCIMStore
	DB() *sql.DB
	Dialect() sqlstore.Dialect
}

// seedSCIMUsers creates organization orgID with n directory-managed
// members (userN@example.com, one email each) in one transaction of bulk
// INSERT ... SELECT statements, and refreshes the planner's statistics.
func seedSCIMUsers(tb testing.TB, st store.Storage, orgID string, n int) sqlBackend {
	tb.Helper()
	ctx := context.Background()
	db, ok := st.(sqlBackend)
	if !ok {
		tb.Fatalf("%T is not an SQL store", st)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateOrg(ctx, store.Organization{ID: orgID, Slug: orgID, Name: orgID, Status: store.OrgActive, Tier: "pro",
		CreatedAt: base, UpdatedAt: base}); err != nil {
		tb.Fatal(err)
	}
	d := db.Dialect()
	seq := `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?) `
	if d.Name == "postgres" {
		seq = `WITH seq(i) AS (SELECT generate_series(1, ?::bigint)) `
	}
	id, email := `? || '-u' || i`, `'user' || i || '@example.com'`
	ms := base.UnixMilli()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO authos_users (id, email, email_lower, created_at, updated_at)
			SELECT ` + id + `, ` + email + `, ` + email + `, ? + i, ? + i FROM seq`, []any{orgID, ms, ms}},
		{`INSERT INTO authos_memberships (org_id, user_id, role, created_at)
			SELECT ?, ` + id + `, 'member', ? + i FROM seq`, []any{orgID, orgID, ms}},
		{`INSERT INTO authos_scim_users (org_id, user_id, user_name, user_name_lower, external_id, display_name,
			display_name_lower, version, created_at, updated_at)
			SELECT ?, ` + id + `, ` + email + `, ` + email + `, 'ext' || i, 'User ' || i, 'user ' || i, 1, ? + i, ? + i FROM seq`,
			[]any{orgID, orgID, ms, ms}},
		{`INSERT INTO authos_scim_user_emails (org_id, user_id, idx, value, value_lower, type, type_lower, is_primary)
			SELECT ?, ` + id + `, 0, ` + email + `, ` + email + `, 'work', 'work', 1 FROM seq`, []any{orgID, orgID}},
	}
	tx, err := db.DB().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, d.Rebind(seq+s.sql), append([]any{n}, s.args...)...); err != nil {
			tb.Fatalf("seeding: %v\n%s", err, s.sql)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	// Settle what the bulk load leaves behind (statistics, and the vacuum
	// or checkpoint that would otherwise run during a measurement).
	settle := []string{`ANALYZE`, `PRAGMA wal_checkpoint(TRUNCATE)`}
	if d.Name == "postgres" {
		settle = []string{`VACUUM (ANALYZE) authos_users, authos_memberships, authos_scim_users, authos_scim_user_emails`}
	}
	for _, q := range settle {
		if _, err := db.DB().ExecContext(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}

// userNameEq is the query directories send before every create: one
// userName, compared case-insensitively.
func userNameEq(i int) store.SCIMQuery {
	return store.SCIMQuery{StartIndex: 1, Count: 10,
		Filter: store.SCIMCompare{Attr: store.SCIMAttrUserName, Op: store.SCIMEq, Value: fmt.Sprintf("user%d@example.com", i)}}
}

// plan returns the query plan of query on db, one line per step.
func plan(t *testing.T, db sqlBackend, query string, args []any) string {
	t.Helper()
	d := db.Dialect()
	prefix, col := "EXPLAIN ", 0
	if d.Name == "sqlite" {
		prefix, col = "EXPLAIN QUERY PLAN ", 3
	}
	rows, err := db.DB().QueryContext(context.Background(), prefix+d.Rebind(query), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }() // only frees the connection; reading errors come from Next and Err
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[col]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestUserNameEqUsesIndex: the queries of a userName equality (the count
// and the page) search the (org_id, user_name_lower) index on SQLite and
// PostgreSQL instead of scanning the organization's users.
func TestUserNameEqUsesIndex(t *testing.T) {
	for _, b := range testbackends.List(t, false) {
		t.Run(b.Name, func(t *testing.T) {
			db := seedSCIMUsers(t, b.Open(t), "acme", 5000)
			count, countArgs, page, pageArgs, err := sqlstore.SCIMUsersSQL(new(db.Dialect()), "acme", userNameEq(4321))
			if err != nil {
				t.Fatal(err)
			}
			for name, q := range map[string]struct {
				sql  string
				args []any
			}{"count": {count, countArgs}, "page": {page, pageArgs}} {
				p := plan(t, db, q.sql, q.args)
				uses := strings.Contains(p, "authos_scim_users_user_name")
				scans := strings.Contains(p, "Seq Scan on authos_scim_users") || strings.Contains(p, "SCAN s")
				if !uses || scans {
					t.Errorf("the %s query does not search the userName index:\n%s\n-- plan --\n%s", name, q.sql, p)
				}
			}
			users, total, err := db.ListSCIMUsers(context.Background(), "acme", userNameEq(4321))
			if err != nil || total != 1 || len(users) != 1 || users[0].UserName != "user4321@example.com" || len(users[0].Emails) != 1 {
				t.Fatalf("ListSCIMUsers: %+v, %d, %v", users, total, err)
			}
		})
	}
}

// BenchmarkUserNameEq: a userName equality (ListSCIMUsers, as directories
// send before every create) over 1,000 and 100,000 members, on SQLite and
// PostgreSQL. With the index the 100,000 case costs about what the 1,000
// case does; a scan would cost about a hundred times more. The
// "interleaved" case alternates lookups in the two stores and reports the
// mean of each and their ratio (ratio-100k/1k), which a shared, noisy
// machine skews far less than two runs one after the other.
func BenchmarkUserNameEq(b *testing.B) {
	for _, be := range testbackends.List(b, false) {
		b.Run(be.Name, func(b *testing.B) {
			sizes := []int{1000, 100000}
			dbs := make([]sqlBackend, len(sizes))
			for i, n := range sizes {
				dbs[i] = seedSCIMUsers(b, be.Open(b), "acme", n)
			}
			lookup := func(b *testing.B, j, i int) {
				k := i*7919%sizes[j] + 1
				users, total, err := dbs[j].ListSCIMUsers(context.Background(), "acme", userNameEq(k))
				if err != nil || total != 1 || len(users) != 1 {
					b.Fatalf("user%d of %d: %d users, total %d, %v", k, sizes[j], len(users), total, err)
				}
			}
			for j, n := range sizes {
				b.Run(fmt.Sprint(n), func(b *testing.B) {
					i := 0
					for b.Loop() {
						i++
						lookup(b, j, i)
					}
				})
			}
			b.Run("interleaved", func(b *testing.B) {
				var spent [2]time.Duration
				i := 0
				for b.Loop() {
					i++
					for j := range sizes {
						start := time.Now()
						lookup(b, j, i)
						spent[j] += time.Since(start)
					}
				}
				b.ReportMetric(float64(spent[0].Nanoseconds())/float64(i), "ns/lookup-1k")
				b.ReportMetric(float64(spent[1].Nanoseconds())/float64(i), "ns/lookup-100k")
				b.ReportMetric(float64(spent[1])/float64(spent[0]), "ratio-100k/1k")
			})
		})
	}
}
