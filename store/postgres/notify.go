package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

var _ store.RevocationFeed = (*Store)(nil)

// revocationChannel is the SQL expression of the NOTIFY channel of
// revocations: one per schema (channels are per database), so that the
// deployments sharing a database in schemas of their own do not hear each
// other.
const revocationChannel = `'authos_revoked_' || md5(current_schema())`

// maxNotifyPayload keeps a NOTIFY payload under PostgreSQL's 8000 bytes.
const maxNotifyPayload = 7900

// listenCheckEvery is how long a listening connection waits for a
// notification before it checks that the server still answers.
const listenCheckEvery = 30 * time.Second

// PublishRevocations implements store.RevocationFeed with NOTIFY: through tx
// (a transaction of this Store's Tx) the notification is delivered when tx
// commits, and never if it rolls back; with a nil tx at once.
func (s *Store) PublishRevocations(ctx context.Context, tx store.Tx, ids []string) error {
	if tx == nil {
		tx = s.Store
	}
	for _, msg := range store.EncodeRevocations(ids, maxNotifyPayload) {
		if err := sqlstore.ExecIn(ctx, tx, `SELECT pg_notify(`+revocationChannel+`, ?)`, msg); err != nil {
			return fmt.Errorf("postgres: announcing revocations: %w", err)
		}
	}
	return nil
}

// ListenRevocations implements store.RevocationFeed with LISTEN on a
// connection of its own, outside the pool (opened with the pool's settings,
// schema included) and closed when it returns. Every 30 seconds without a
// notification it checks that the server still answers; a broken
// connection ends it with the error, and the caller listens again.
func (s *Store) ListenRevocations(ctx context.Context, ready func(), deliver func(ids []string)) error {
	cfg, err := s.connConfig(ctx)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: listen: connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx) // a listening connection; nothing to keep from it
	}()
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+revocationChannel).Scan(&channel); err != nil {
		return listenErr(ctx, err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return listenErr(ctx, err)
	}
	ready()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded) || (err != nil && waitCtx.Err() != nil):
			if err := conn.Ping(ctx); err != nil {
				return listenErr(ctx, err)
			}
		case err != nil:
			return listenErr(ctx, err)
		default:
			if ids := store.DecodeRevocations(n.Payload); len(ids) > 0 {
				deliver(ids)
			}
		}
	}
}

func listenErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("postgres: listen: %w", err)
}

// connConfig returns the settings of the pool's connections (address,
// credentials, search_path), borrowed from one of them.
func (s *Store) connConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	c, err := s.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	defer func() { _ = c.Close() }() // returns the connection to the pool
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		cfg = sc.Conn().Config()
		// The copy still delivers notifications to the pooled connection's
		// buffer; the listening connection buffers its own.
		cfg.OnNotification = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	return cfg, nil
}
