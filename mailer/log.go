package mailer

import (
	"context"
	"log/slog"

	"github.com/authos/authos"
)

// Log is an authos.Mailer that writes each message to a structured logger at
// Info level instead of sending it: recipient, subject and text body (the
// HTML body is only counted).
//
// Log is for development only. Message bodies carry one-time links and codes
// (email verification, password reset, sign-in), so anyone who can read the
// log can take over the account. Never use it in production.
type Log struct {
	// Logger receives the messages; nil means slog.Default().
	Logger *slog.Logger
}

var _ authos.Mailer = (*Log)(nil)

// Send logs m and returns nil, or ctx's error if ctx is already done.
func (l *Log) Send(ctx context.Context, m authos.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "mailer: email (development log mailer; not sent)",
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
		slog.Int("html_bytes", len(m.HTML)),
	)
	return nil
}
