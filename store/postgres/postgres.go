package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the PostgreSQL schema migrations (NNNN_name.sql files).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// PostgreSQL error codes the backend reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// Dialect is the sqlstore dialect of PostgreSQL.
var Dialect = sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	ForUpdate:            true,
	WritableCTEs:         true,
	IsUniqueViolation:    func(err error) bool { return hasCode(err, codeUniqueViolation) },
	IsTransient: func(err error) bool {
		return hasCode(err, codeSerializationFailure) || hasCode(err, codeDeadlockDetected)
	},
	TxIsolation: sql.LevelSerializable,
	OpIsolation: sql.LevelReadCommitted,
	// One lock per schema, so that migrators of different schemas do not wait
	// for each other.
	MigrationLock: `SELECT pg_advisory_xact_lock(hashtext('authos_schema_migrations'), hashtext(current_schema()))`,
}

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// Store is the PostgreSQL backend. Every store operation is promoted from
// the embedded *sqlstore.Store.
type Store struct {
	*sqlstore.Store
}

var _ store.Storage = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	schema       string
	maxOpenConns int
}

// WithSchema keeps the tables in schema name: Open creates the schema if it
// is missing and sets search_path to it on every pooled connection.
func WithSchema(name string) Option {
	return func(o *options) { o.schema = name }
}

// WithMaxOpenConns bounds the connection pool (default 10).
func WithMaxOpenConns(n int) Option {
	return func(o *options) { o.maxOpenConns = n }
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// key=value connection string) and applies the schema migrations. Close the
// Store when done.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{maxOpenConns: 10}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("postgres: invalid connection string")
	}
	if o.schema != "" {
		ident := pgx.Identifier{o.schema}.Sanitize()
		if err := createSchema(ctx, *cfg, ident); err != nil {
			return nil, err
		}
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["search_path"] = ident
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.maxOpenConns)
	db.SetMaxIdleConns(o.maxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // the error being returned is the one that matters
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect, Migrations()); err != nil {
		_ = db.Close() // the error being returned is the one that matters
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Store: sqlstore.New(db, Dialect)}, nil
}

// createSchema creates the schema ident (already quoted) if it is missing.
func createSchema(ctx context.Context, cfg pgx.ConnConfig, ident string) error {
	conn, err := pgx.ConnectConfig(ctx, &cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }() // a one-off connection; its schema is created or the error returned
	// IF NOT EXISTS still races with a concurrent creator; the advisory lock
	// serialises them.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op once committed
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('authos_create_schema'))`); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+ident); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	return nil
}
