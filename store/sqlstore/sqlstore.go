package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authos/authos/store"
)

// Retry policy of transactions that fail transiently: at most maxAttempts
// runs, and no new run once retryBudget has passed since the first one (a
// SQLite busy error already comes after the busy timeout).
const (
	maxAttempts = 30
	retryBudget = 10 * time.Second
	baseBackoff = 2 * time.Millisecond
	maxBackoff  = 100 * time.Millisecond
)

// Store implements store.Storage over a *sql.DB. Build it with [New]; the
// backend packages do that for you.
type Store struct {
	handle
	db  *sql.DB // transactions and writes
	rdb *sql.DB // reads outside transactions; db unless NewWithReader
	d   Dialect
	// With two handles, callers queue for each in arrival order: wgate and
	// rgate admit as many as the handle has connections (database/sql hands
	// a freed connection to a random waiter, which stretches the tail of
	// the waits under load).
	wgate, rgate gate
	rebound      reboundCache
}

// reboundCache keeps the Rebind of each query text the Store has run, so
// that the dialect's placeholders are rewritten once per text rather than
// on every statement. Beyond maxRebound texts (those built at run time: IN
// lists, SCIM filters) the rewriting happens on each use, as without it.
type reboundCache struct {
	m sync.Map // query text -> rebound text
	n atomic.Int64
}

const maxRebound = 1024

// rebind is s.d.Rebind(query) through the cache.
func (s *Store) rebind(query string) string {
	if !s.d.NumberedPlaceholders {
		return query
	}
	if r, ok := s.rebound.m.Load(query); ok {
		return r.(string)
	}
	r := s.d.Rebind(query)
	if s.rebound.n.Load() < maxRebound {
		if _, loaded := s.rebound.m.LoadOrStore(query, r); !loaded {
			s.rebound.n.Add(1)
		}
	}
	return r
}

// The Store offers the core and every capability, on itself and on the
// transactions it passes to Tx (a *handle).
var (
	_ store.Storage      = (*Store)(nil)
	_ store.MFAStore     = (*Store)(nil)
	_ store.DeviceStore  = (*Store)(nil)
	_ store.SCIMStore    = (*Store)(nil)
	_ store.Tx           = (*handle)(nil)
	_ store.SCIMStore    = (*handle)(nil)
	_ store.MFAStore     = (*handle)(nil)
	_ store.DeviceStore  = (*handle)(nil)
	_ store.WebhookStore = (*Store)(nil)
	_ store.WebhookStore = (*handle)(nil)
	_ store.SignInStore  = (*Store)(nil)
	_ store.SignInStore  = (*handle)(nil)
	_ store.OAuthStore   = (*Store)(nil)
	_ store.OAuthStore   = (*handle)(nil)
	_ store.SAMLStore    = (*Store)(nil)
	_ store.SAMLStore    = (*handle)(nil)
)

// New returns a Store over db speaking dialect d. The schema must already be
// in place (see [Migrate]). The Store owns db: Close closes it.
func New(db *sql.DB, d Dialect) *Store {
	return NewWithReader(db, db, d)
}

// NewWithReader is New with a second handle on the same database for the
// reads made outside transactions (the single statements starting with
// SELECT): SQLite keeps one connection for writes, so that writers queue for
// it, and lets a pool of read-only connections read beside it (WAL). A read
// sees every write committed before it started. Callers wait for either
// handle in arrival order, as many at once as its SetMaxOpenConns allows
// (set it on both before the call; a handle without the limit admits
// everyone at once). The Store owns both handles.
func NewWithReader(db, readDB *sql.DB, d Dialect) *Store {
	s := &Store{db: db, rdb: readDB, d: d}
	if readDB != db {
		s.wgate, s.rgate = newGate(db), newGate(readDB)
	}
	s.handle = handle{s: s}
	return s
}

// gate admits callers in arrival order, as many at once as it has room
// for: a goroutine blocked sending on a channel is queued, and the first
// one queued takes the room a receive frees. A nil gate admits everyone.
type gate chan struct{}

// newGate returns a gate with room for as many callers as db may have open
// connections; nil (everyone admitted) when db's are not limited, since
// then no caller waits for a connection.
func newGate(db *sql.DB) gate {
	n := db.Stats().MaxOpenConnections
	if n <= 0 {
		return nil
	}
	return make(gate, n)
}

// enter waits for room, or for ctx to end. Room that is free is taken
// without asking ctx for its Done channel, which a context makes on first
// request.
func (g gate) enter(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave frees the room taken by enter.
func (g gate) leave() {
	if g != nil {
		<-g
	}
}

// DB returns the underlying database handle (the one of transactions and
// writes).
func (s *Store) DB() *sql.DB { return s.db }

// ReadDB returns the handle of the reads made outside transactions: DB
// unless the Store was built by NewWithReader.
func (s *Store) ReadDB() *sql.DB { return s.rdb }

// Dialect returns the dialect the Store speaks.
func (s *Store) Dialect() Dialect { return s.d }

// Close closes the database handle.
func (s *Store) Close() error {
	var rerr error
	if s.rdb != s.db {
		rerr = s.rdb.Close()
	}
	if err := errors.Join(rerr, s.db.Close()); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// Tx runs fn in one transaction at the dialect's TxIsolation: committed when
// fn returns nil, rolled back otherwise, and fn's error is returned unchanged.
// When fn or the commit fails transiently (busy database, serialization
// failure, deadlock) the whole transaction is retried, a bounded number of
// times, so fn may run more than once.
//
// A refresh-token reuse detected inside fn (store.ErrReused) revokes the
// session in the transaction; should the transaction not commit, the
// revocation is applied again on its own afterwards so that it stays durable.
//
// fn must write through tx only. A Store built by NewWithReader (SQLite)
// has one write connection, which the transaction holds: a write made on
// the Store itself inside fn, or an operation that opens a transaction of
// its own (a nested Tx), waits until ctx ends.
func (s *Store) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	var st *txState
	err := s.run(ctx, &sql.TxOptions{Isolation: s.d.TxIsolation}, func(tx *sql.Tx) error {
		st = &txState{}
		return fn(&handle{s: s, tx: tx, st: st})
	})
	if err != nil && st != nil && len(st.revoke) > 0 {
		s.applyRevocations(ctx, st.revoke)
	}
	return err
}

// txState is what one attempt of Store.Tx remembers beside the transaction.
type txState struct {
	revoke []pendingRevoke // sessions to revoke even if the transaction rolls back
}

type pendingRevoke struct {
	id  string
	now time.Time
}

// applyRevocations revokes sessions outside of any caller transaction (best
// effort, bounded in time even if ctx is already cancelled).
func (s *Store) applyRevocations(ctx context.Context, rs []pendingRevoke) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, r := range rs {
		// Best effort, as documented: Tx returns the transaction's own error, and
		// a failure here leaves that session as it was.
		_, _ = s.exec(ctx, `UPDATE authos_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(r.now), r.id)
	}
}

// commitThen asks run to commit the transaction and then return err.
type commitThen struct{ err error }

func (c commitThen) Error() string { return c.err.Error() }
func (c commitThen) Unwrap() error { return c.err }

// run executes fn in a transaction with opts, retrying transient failures.
func (s *Store) run(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		retry, err := s.runOnce(ctx, opts, fn)
		if !retry || attempt >= maxAttempts || ctx.Err() != nil || time.Since(start) > retryBudget {
			return err
		}
		d := min(baseBackoff<<(attempt-1), maxBackoff)
		d = d/2 + rand.N(d/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) runOnce(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (retry bool, err error) {
	if err := s.wgate.enter(ctx); err != nil {
		return false, fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer s.wgate.leave()
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return s.d.isTransient(err), fmt.Errorf("sqlstore: begin: %w", err)
	}
	finished := false
	defer func() {
		if !finished { // fn panicked
			_ = tx.Rollback()
		}
	}()
	ferr := fn(tx)
	finished = true
	var ct commitThen
	if ferr != nil && !errors.As(ferr, &ct) {
		_ = tx.Rollback()
		return s.d.isTransient(ferr), ferr
	}
	if err := tx.Commit(); err != nil {
		return s.d.isTransient(err), fmt.Errorf("sqlstore: commit: %w", err)
	}
	return false, ct.err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// handle runs the operations either on the database (tx == nil: each
// operation on its own) or inside a transaction of Store.Tx.
type handle struct {
	s  *Store
	tx *sql.Tx
	st *txState // set inside Store.Tx
}

// q returns what runs query and the gate to pass first: the transaction
// (no gate), or else the read pool for a SELECT and the database for
// anything else.
func (h *handle) q(query string) (querier, gate) {
	switch {
	case h.tx != nil:
		return h.tx, nil
	case h.s.rdb != h.s.db && isSelect(query):
		return h.s.rdb, h.s.rgate
	}
	return h.s.db, h.s.wgate
}

// isSelect reports whether query starts with SELECT (leading white space
// and case ignored).
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

func (h *handle) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, g := h.q(query)
	if err := g.enter(ctx); err != nil {
		return nil, err
	}
	defer g.leave()
	return q.ExecContext(ctx, h.s.rebind(query), args...)
}

// query runs query; outside a transaction the gate is passed while the
// query starts (the rows then hold their connection until closed).
func (h *handle) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, g := h.q(query)
	if err := g.enter(ctx); err != nil {
		return nil, err
	}
	defer g.leave()
	return q.QueryContext(ctx, h.s.rebind(query), args...)
}

// queryRow runs query; outside a transaction the gate is held until the
// row is scanned (which frees its connection).
func (h *handle) queryRow(ctx context.Context, query string, args ...any) row {
	q, g := h.q(query)
	if err := g.enter(ctx); err != nil {
		return row{err: err}
	}
	qctx := ctx
	if g != nil && h.s.d.PollsContext && ctx.Done() != nil {
		if err := ctx.Err(); err != nil { // as database/sql would answer
			g.leave()
			return row{err: err}
		}
		qctx = polledCtx{ctx}
	}
	return row{row: q.QueryRowContext(qctx, h.s.rebind(query), args...), g: g}
}

// polledCtx is what queryRow hands database/sql, for a gated single-row
// read on a driver that polls its context (Dialect.PollsContext), in place
// of ctx: database/sql watches the Done channel of every query's rows from
// a goroutine of its own, started and stopped per query, and such a driver
// notices the end of ctx without it (the statement stops with an interrupt
// error). The caller waited for its gate with ctx itself; the gate admits
// as many callers as the handle has connections, so the wait for a
// connection inside database/sql, which no longer ends with ctx, is at
// most for the rows another read still holds open. Its Err, Deadline and
// values are those of the context it wraps.
type polledCtx struct{ context.Context }

// Done returns nil: the driver polls Err instead.
func (polledCtx) Done() <-chan struct{} { return nil }

// row is the result of queryRow: scan it exactly once.
type row struct {
	row *sql.Row
	g   gate
	err error
}

// Scan is sql.Row's Scan, and leaves the row's gate.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.g.leave()
	return r.row.Scan(dest...)
}

// atomic runs fn as one unit: in the caller's transaction when there is one,
// otherwise in a short transaction of its own (retried when it fails
// transiently). fn may return commitThen to commit and still return an error.
func (h *handle) atomic(ctx context.Context, fn func(h *handle) error) error {
	if h.tx != nil {
		err := fn(h)
		var ct commitThen
		if errors.As(err, &ct) {
			return ct.err
		}
		return err
	}
	return h.s.run(ctx, &sql.TxOptions{Isolation: h.s.d.OpIsolation}, func(tx *sql.Tx) error {
		return fn(&handle{s: h.s, tx: tx})
	})
}

// wrap turns a driver error into an internal error naming the operation.
func wrap(op string, err error) error {
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// closeRows closes rows once read. Its error is dropped on purpose: a
// failure while reading has already come out of Next, Scan or Err, and
// Close after that only returns the connection to the pool.
func closeRows(rows *sql.Rows) { _ = rows.Close() }

// readIDs reads a one-column result of ids and closes rows.
func readIDs(rows *sql.Rows) ([]string, error) {
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			closeRows(rows)
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		closeRows(rows)
		return nil, err
	}
	return ids, rows.Close()
}

// wrapWrite is wrap, except that unique violations become store.ErrConflict.
func (h *handle) wrapWrite(op string, err error) error {
	if h.s.d.isUnique(err) {
		return store.ErrConflict
	}
	return wrap(op, err)
}

// affected returns the number of rows res changed.
func affected(op string, res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// ms converts t for storage: Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// at converts a stored time back: zero for NULL, otherwise UTC.
func at(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// nullStr stores "" as NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bytesOrNil returns a copy of b, nil when empty.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}
