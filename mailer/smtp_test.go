package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
)

const testPassword = "s3cr3t-P@ss/w0rd"

// newTestSMTP returns an SMTP mailer for the test server on port, without TLS.
func newTestSMTP(t *testing.T, cfg SMTPConfig) *SMTP {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.From == "" {
		cfg.From = "Authos <no-reply@example.com>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func testMessage() authos.Message {
	return authos.Message{
		To:      "alice@example.com",
		Subject: "Verify your email",
		Text:    "Hello Alice,\n\nopen https://app.example.com/verify?token=abc to verify.\n",
		HTML:    `<p>Hello Alice,</p><p><a href="https://app.example.com/verify?token=abc">Verify</a></p>`,
	}
}

// checkReceived asserts that got is m sent from no-reply@example.com.
func checkReceived(t *testing.T, got received, m authos.Message) {
	t.Helper()
	if got.From != "no-reply@example.com" {
		t.Errorf("MAIL FROM: got %q; want %q", got.From, "no-reply@example.com")
	}
	if len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("RCPT TO: got %q; want [%q]", got.To, m.To)
	}
	e, err := parseEML(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatalf("parsing DATA: %v\n%s", err, got.Data)
	}
	if e.Subject != m.Subject {
		t.Errorf("Subject: got %q; want %q", e.Subject, m.Subject)
	}
	if e.To != m.To {
		t.Errorf("To header: got %q; want %q", e.To, m.To)
	}
	if e.From != "no-reply@example.com" {
		t.Errorf("From header: got %q; want %q", e.From, "no-reply@example.com")
	}
	if e.Text != m.Text {
		t.Errorf("text body: got %q; want %q", e.Text, m.Text)
	}
	if e.HTML != m.HTML {
		t.Errorf("HTML body: got %q; want %q", e.HTML, m.HTML)
	}
	if e.MessageID == "" || !strings.HasSuffix(e.MessageID, "@example.com") {
		t.Errorf("Message-ID: got %q; want <random>@example.com", e.MessageID)
	}
	if e.Date.IsZero() {
		t.Errorf("Date: got zero; want the send time")
	}
}

func TestSMTPSendTextAndHTML(t *testing.T) {
	for _, policy := range []TLSPolicy{TLSNone, TLSOpportunistic} {
		t.Run(policy.String(), func(t *testing.T) {
			be := &testBackend{}
			port := startSMTPServer(t, be, serverOpts{})
			s := newTestSMTP(t, SMTPConfig{Port: port, TLS: policy})
			m := testMessage()
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := be.messages()
			if len(msgs) != 1 {
				t.Fatalf("messages received: got %d; want 1", len(msgs))
			}
			checkReceived(t, msgs[0], m)
			if !bytes.Contains(msgs[0].Data, []byte("multipart/alternative")) {
				t.Errorf("DATA: got no multipart/alternative; want text and HTML alternatives:\n%s", msgs[0].Data)
			}
		})
	}
}

func TestSMTPTextOnly(t *testing.T) {
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone})
	m := testMessage()
	m.HTML = ""
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("messages received: got %d; want 1", len(msgs))
	}
	checkReceived(t, msgs[0], m)
	if bytes.Contains(msgs[0].Data, []byte("multipart/")) {
		t.Errorf("DATA: got a multipart message; want a single text/plain part:\n%s", msgs[0].Data)
	}
}

func TestSMTPAuthPlain(t *testing.T) {
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSOpportunistic, Username: be.user, Password: testPassword})
	m := testMessage()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("messages received: got %d; want 1", len(msgs))
	}
	if msgs[0].AuthUser != be.user {
		t.Errorf("authenticated user: got %q; want %q", msgs[0].AuthUser, be.user)
	}
	checkReceived(t, msgs[0], m)
}

func TestSMTPAuthWrongPassword(t *testing.T) {
	be := &testBackend{user: "mailer@example.com", pass: "the-right-one"}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone, Username: be.user, Password: testPassword})
	err := s.Send(context.Background(), testMessage())
	if err == nil {
		t.Fatal("Send with a wrong password: got nil error; want an error")
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error %q contains the password", err)
	}
	if n := len(be.messages()); n != 0 {
		t.Errorf("messages received: got %d; want 0", n)
	}
}

func TestSMTPAuthRequiredWithoutCredentials(t *testing.T) {
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone})
	if err := s.Send(context.Background(), testMessage()); err == nil {
		t.Fatal("Send without credentials to a server requiring AUTH: got nil error; want an error")
	}
}

func TestSMTPServerDown(t *testing.T) {
	port := freePort(t)
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone, Username: "u", Password: testPassword, Timeout: 2 * time.Second})
	err := s.Send(context.Background(), testMessage())
	if err == nil {
		t.Fatal("Send to a closed port: got nil error; want an error")
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error %q contains the password", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("error %q: want it to name the server address", err)
	}
}

func TestSMTPMandatoryTLSRefusesPlaintext(t *testing.T) {
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{}) // no STARTTLS offered
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSMandatory, Username: be.user, Password: testPassword})
	err := s.Send(context.Background(), testMessage())
	if err == nil {
		t.Fatal("Send with mandatory TLS to a server without STARTTLS: got nil error; want an error")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error %q: want it to mention STARTTLS", err)
	}
	be.mu.Lock()
	authFail := be.authFail
	be.mu.Unlock()
	if authFail != 0 || len(be.messages()) != 0 {
		t.Errorf("server saw %d AUTH attempts and %d messages; want none", authFail, len(be.messages()))
	}
}

func TestSMTPSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{tls: serverTLS})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSMandatory, Username: be.user, Password: testPassword})
	s.tlsConfig = clientTLS
	m := testMessage()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("messages received: got %d; want 1", len(msgs))
	}
	if !msgs[0].TLS {
		t.Errorf("connection TLS at MAIL FROM: got false; want true")
	}
	checkReceived(t, msgs[0], m)
}

func TestSMTPSTARTTLSUntrustedCertificate(t *testing.T) {
	serverTLS, _ := testCert(t)
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{tls: serverTLS})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSMandatory}) // system roots
	if err := s.Send(context.Background(), testMessage()); err == nil {
		t.Fatal("Send over STARTTLS with an untrusted certificate: got nil error; want an error")
	}
	if n := len(be.messages()); n != 0 {
		t.Errorf("messages received: got %d; want 0", n)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{tls: serverTLS, implicit: true})
	s := newTestSMTP(t, SMTPConfig{Port: port, ImplicitTLS: true, Username: be.user, Password: testPassword})
	s.tlsConfig = clientTLS
	m := testMessage()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("messages received: got %d; want 1", len(msgs))
	}
	if !msgs[0].TLS || msgs[0].AuthUser != be.user {
		t.Errorf("got TLS=%v user=%q; want TLS=true user=%q", msgs[0].TLS, msgs[0].AuthUser, be.user)
	}
	checkReceived(t, msgs[0], m)
}

func TestSMTPHeaderInjection(t *testing.T) {
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone})
	for _, m := range injectionMessages() {
		err := s.Send(context.Background(), m)
		if !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("Send(%q, %q): got %v; want ErrHeaderInjection", m.To, m.Subject, err)
		}
	}
	if n := be.sessionCount(); n != 0 {
		t.Errorf("SMTP sessions opened: got %d; want 0 (rejected before dialling)", n)
	}
}

// injectionMessages are messages whose To or Subject smuggle a header field.
func injectionMessages() []authos.Message {
	return []authos.Message{
		{To: "alice@example.com\r\nBcc: mallory@example.com", Subject: "hi", Text: "x"},
		{To: "alice@example.com\nBcc: mallory@example.com", Subject: "hi", Text: "x"},
		{To: "alice@example.com", Subject: "hi\r\nBcc: mallory@example.com", Text: "x"},
		{To: "alice@example.com", Subject: "hi\rX-Evil: 1", Text: "x"},
		{To: "alice@example.com", Subject: "hi\n\nbody takeover", Text: "x"},
	}
}

func TestSMTPInvalidRecipient(t *testing.T) {
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone})
	for _, to := range []string{"", "not an address", "a@example.com, b@example.com"} {
		m := testMessage()
		m.To = to
		if err := s.Send(context.Background(), m); err == nil {
			t.Errorf("Send to %q: got nil error; want an error", to)
		}
	}
	if n := be.sessionCount(); n != 0 {
		t.Errorf("SMTP sessions opened: got %d; want 0", n)
	}
}

func TestSMTPContextDone(t *testing.T) {
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, testMessage()); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: got %v; want context.Canceled", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := s.Send(ctx, testMessage()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with an expired context: got %v; want context.DeadlineExceeded", err)
	}
	if n := be.sessionCount(); n != 0 {
		t.Errorf("SMTP sessions opened: got %d; want 0", n)
	}
}

func TestSMTPConcurrentSends(t *testing.T) {
	be := &testBackend{user: "mailer@example.com", pass: testPassword}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSOpportunistic, Username: be.user, Password: testPassword})
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := testMessage()
			m.To = fmt.Sprintf("user%d@example.com", i)
			errs <- s.Send(context.Background(), m)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if got := len(be.messages()); got != n {
		t.Errorf("messages received: got %d; want %d", got, n)
	}
}

func TestNewSMTPValidation(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", From: "no-reply@example.com"}
	tests := []struct {
		name string
		edit func(*SMTPConfig)
	}{
		{"no host", func(c *SMTPConfig) { c.Host = "" }},
		{"host with port", func(c *SMTPConfig) { c.Host = "smtp.example.com:25" }},
		{"host with slash", func(c *SMTPConfig) { c.Host = "smtp.example.com/x" }},
		{"port too big", func(c *SMTPConfig) { c.Port = 65536 }},
		{"negative port", func(c *SMTPConfig) { c.Port = -1 }},
		{"password without user", func(c *SMTPConfig) { c.Password = testPassword }},
		{"bad TLS policy", func(c *SMTPConfig) { c.TLS = TLSPolicy(7) }},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }},
		{"no from", func(c *SMTPConfig) { c.From = "" }},
		{"bad from", func(c *SMTPConfig) { c.From = "not an address" }},
		{"from with CRLF", func(c *SMTPConfig) { c.From = "a@example.com\r\nBcc: b@example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := NewSMTP(cfg); err == nil {
				t.Errorf("NewSMTP(%+v): got nil error; want an error", cfg)
			} else if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}

	s, err := NewSMTP(ok)
	if err != nil {
		t.Fatalf("NewSMTP(%+v): %v", ok, err)
	}
	got := s.Config()
	if got.Port != DefaultSubmissionPort || got.Timeout != DefaultSMTPTimeout || got.TLS != TLSMandatory {
		t.Errorf("defaults: got port %d timeout %v TLS %v; want %d %v %v",
			got.Port, got.Timeout, got.TLS, DefaultSubmissionPort, DefaultSMTPTimeout, TLSMandatory)
	}
	implicit := ok
	implicit.ImplicitTLS = true
	s, err = NewSMTP(implicit)
	if err != nil {
		t.Fatalf("NewSMTP(%+v): %v", implicit, err)
	}
	if got := s.Config().Port; got != DefaultImplicitTLSPort {
		t.Errorf("implicit TLS default port: got %d; want %d", got, DefaultImplicitTLSPort)
	}
}

func TestSMTPConfigStringHidesPassword(t *testing.T) {
	cfg := SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "me", Password: testPassword, From: "no-reply@example.com"}
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), cfg.LogValue().String()} {
		if strings.Contains(s, testPassword) {
			t.Errorf("formatted config %q contains the password", s)
		}
		if !strings.Contains(s, "smtp.example.com:587") {
			t.Errorf("formatted config %q: want it to contain the host and port", s)
		}
	}
	back, err := ParseSMTPURL(cfg.String())
	if err != nil {
		t.Fatalf("ParseSMTPURL(String()): %v", err)
	}
	back.Password = cfg.Password
	if back != cfg {
		t.Errorf("ParseSMTPURL(String()): got %+v; want %+v", back, cfg)
	}
}

func TestRedactSecret(t *testing.T) {
	inner := errors.New("server said: bad pass " + testPassword)
	err := redactSecret(fmt.Errorf("wrapped: %w", inner), testPassword)
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("redacted error %q contains the password", err)
	}
	if errors.Is(err, inner) {
		t.Errorf("redacted error still wraps the error holding the password")
	}
	plain := errors.New("connection refused")
	if got := redactSecret(plain, testPassword); got != plain {
		t.Errorf("redactSecret of an error without the password: got %v; want it unchanged", got)
	}
}
