package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// maxCachedStatements bounds the prepared statements a connection keeps.
// The store's statements are a few hundred distinct texts at most; the
// texts built at run time (IN lists, SCIM filters) beyond the bound are
// prepared for one use, as without the cache.
const maxCachedStatements = 512

// sqliteConn is what the connections of the SQLite driver implement and the
// cache passes through.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.NamedValueChecker
}

// cachingConnector opens driver connections that keep their prepared
// statements: database/sql prepares every query with arguments on the
// connection and closes the statement after one use, and SQLite's parser
// and planner then cost more than running the statement. prepares counts
// the statements actually prepared (for the tests).
type cachingConnector struct {
	driver.Connector
	prepares atomic.Int64
}

// Connect opens a connection of the wrapped connector.
func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(sqliteConn)
	if !ok {
		_ = dc.Close() // unusable: the error below is the one that matters
		return nil, errors.New("sqlite: the driver's connection lacks a needed method")
	}
	return &cachingConn{sqliteConn: sc, c: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn is one connection with its statement cache. database/sql
// uses a connection from one goroutine at a time, so the map needs no lock.
type cachingConn struct {
	sqliteConn
	c     *cachingConnector
	stmts map[string]*cachedStmt
}

// PrepareContext returns the connection's statement for query, preparing
// it on first use. A statement whose rows are still being read (a query
// run again while its first result is open) is not shared: the second use
// gets a statement of its own, closed after it.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		return s, nil
	}
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.c.prepares.Add(1)
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= maxCachedStatements {
		return st, nil
	}
	s := &cachedStmt{stmt: st.(sqliteStmt)}
	c.stmts[query] = s
	return s, nil
}

// Prepare is PrepareContext without a context.
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Close finalises the cached statements and closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.sqliteConn.Close())
	return errors.Join(errs...)
}

// sqliteStmt is what the driver's statements implement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	driver.NamedValueChecker
	ColumnCount() int
}

// cachedStmt is a statement kept by its connection: Close leaves it
// prepared (the connection finalises it when it closes).
//
// It also keeps the driver's rows of its last query, whose column names
// and types the driver reads from SQLite on first use (a dozen calls into
// it and as many allocations per query otherwise), and hands them out
// again while the statement has the same number of columns. The driver's
// rows hold no more than the statement, those column facts and a context,
// which is ctx: the statement's own, pointing at the current query's.
type cachedStmt struct {
	stmt sqliteStmt
	busy bool // rows of it are open
	ctx  queryCtx
	rows driver.Rows // of the last query; nil before the first
	cols int         // the statement's column count when rows were made
}

// queryCtx is the context the driver's rows of a cachedStmt see: that of
// the query running, or context.Background between queries.
type queryCtx struct{ context.Context }

// Close keeps the statement for the next use.
func (s *cachedStmt) Close() error { return nil }

// NumInput reports the number of placeholders.
func (s *cachedStmt) NumInput() int { return s.stmt.NumInput() }

// Exec runs the statement (legacy interface).
func (s *cachedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.stmt.Exec(args) //nolint:staticcheck // part of driver.Stmt
}

// Query runs the statement (legacy interface).
func (s *cachedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.stmt.Query(args) //nolint:staticcheck // part of driver.Stmt
}

// ExecContext runs the statement; the driver resets it afterwards.
func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext runs the statement; it stays busy until its rows close.
func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.ctx.Context = ctx
	r, err := s.stmt.QueryContext(&s.ctx, args) // binds args
	if err != nil {
		s.ctx.Context = context.Background()
		return nil, err
	}
	if n := s.stmt.ColumnCount(); s.rows == nil || n != s.cols {
		s.rows, s.cols = r, n
	}
	s.busy = true
	return &cachedRows{Rows: s.rows, s: s}, nil
}

// CheckNamedValue passes the driver's argument conversion through.
func (s *cachedStmt) CheckNamedValue(v *driver.NamedValue) error { return s.stmt.CheckNamedValue(v) }

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

// Close resets the statement (the driver does) and frees it.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.ctx.Context = context.Background() // the query's context is not kept
	r.s.busy = false
	return err
}
