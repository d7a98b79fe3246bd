package mailer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := &Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	m := testMessage()
	m.Subject = "Reset your password"
	if err := l.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", `subject="Reset your password"`, "to=alice@example.com", "https://app.example.com/verify?token=abc"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output: got %q; want it to contain %q", out, want)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	buf.Reset()
	if err := l.Send(ctx, m); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: got %v; want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("log output after a cancelled send: got %q; want nothing", buf.String())
	}
}

func TestLogNilLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	if err := (&Log{}).Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.Contains(buf.String(), `"subject":"Verify your email"`) {
		t.Errorf("default logger output: got %q; want the subject", buf.String())
	}
}
