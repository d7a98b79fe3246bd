package authos_test

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mailer"
)

// refusingSMTP is an in-process SMTP server that accepts mail for every
// recipient but those in refuse, which it refuses at RCPT TO with 550.
type refusingSMTP struct {
	refuse string

	mu   sync.Mutex
	got  []string // accepted recipients, in order
	data []string // the DATA of each accepted message
}

func (b *refusingSMTP) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &refusingSession{b: b}, nil
}

type refusingSession struct {
	b  *refusingSMTP
	to string
}

func (s *refusingSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *refusingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.EqualFold(to, s.b.refuse) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable: secret-internal-detail"}
	}
	s.to = to
	return nil
}

func (s *refusingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.to)
	s.b.data = append(s.b.data, string(b))
	s.b.mu.Unlock()
	return nil
}

func (s *refusingSession) Reset()        {}
func (s *refusingSession) Logout() error { return nil }

func (b *refusingSMTP) received() ([]string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...), append([]string(nil), b.data...)
}

// startRefusingSMTP serves b on a loopback port and returns the port.
func startRefusingSMTP(t *testing.T, b *refusingSMTP) int {
	t.Helper()
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp server: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close()
		<-done
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func TestPlatformTestEmail(t *testing.T) {
	be := &refusingSMTP{refuse: "refused@example.com"}
	port := startRefusingSMTP(t, be)
	m, err := mailer.NewSMTP(mailer.SMTPConfig{Host: "127.0.0.1", Port: port, From: "authos <no-reply@example.com>",
		TLS: mailer.TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a := authostest.New(t, func(c *authos.Config) { c.Mailer = m; c.ProductName = "Acme ID" })
	srv := httptest.NewServer(oapitest.Handler(t, a.Handler()))
	defer srv.Close()
	ctx := t.Context()
	if _, _, err := a.EnsurePlatformOwner(ctx, "owner@example.com", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{"Authorization": "Bearer " + authostest.Token(t, a, "owner@example.com")}
	user := map[string]string{"Authorization": "Bearer " + authostest.Token(t, a, "user@example.com")}
	send := func(hdr map[string]string, body any) authostest.Response {
		return authostest.Send(t, srv.Client(), authostest.NewJSONRequest(t, http.MethodPost, srv.URL+"/api/platform/email/test", hdr, body))
	}

	r := send(owner, map[string]string{"to": "ops@example.com"})
	if r.Status != http.StatusOK || r.Body["message"] == nil {
		t.Fatalf("test email: %d %s", r.Status, r.Raw)
	}
	got, data := be.received()
	if len(got) != 1 || got[0] != "ops@example.com" || !strings.Contains(data[0], "Subject: Acme ID test email") {
		t.Fatalf("the SMTP server received %q", got)
	}
	if n := len(a.Emails()); n != 1 {
		t.Errorf("the mailer was called %d times; want 1", n)
	}

	r = send(owner, map[string]string{"to": "refused@example.com"})
	if r.Status != http.StatusInternalServerError || r.Body["error_code"] != "EMAIL_SEND_FAILED" {
		t.Fatalf("refused test email: %d %s", r.Status, r.Raw)
	}
	authostest.CheckEnvelope(t, r)
	if strings.Contains(string(r.Raw), "secret-internal-detail") || strings.Contains(string(r.Raw), "550") {
		t.Errorf("the answer shows the SMTP server's reply: %s", r.Raw)
	}
	if got, _ := be.received(); len(got) != 1 {
		t.Errorf("the server accepted %q after the refusal", got)
	}

	for _, c := range []struct {
		name   string
		hdr    map[string]string
		body   any
		status int
		code   string
	}{
		{"not a platform owner", user, map[string]string{"to": "ops@example.com"}, 403, "PLATFORM_OWNER_REQUIRED"},
		{"anonymous", nil, map[string]string{"to": "ops@example.com"}, 401, "UNAUTHORIZED"},
		{"bad address", owner, map[string]string{"to": "not-an-address"}, 400, "INVALID_EMAIL"},
		{"no address", owner, map[string]string{}, 400, "BAD_REQUEST"},
	} {
		r := send(c.hdr, c.body)
		if r.Status != c.status || r.Body["error_code"] != c.code {
			t.Errorf("%s: %d %s; want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
	}
	if got, _ := be.received(); len(got) != 1 {
		t.Errorf("refused requests sent mail: %q", got)
	}
}
