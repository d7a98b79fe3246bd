package authos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store"
)

// backend opens a fresh store for one test.
type backend = authostest.Backend

// backends lists memory (when withMemory), SQLite and, when
// AUTHOS_TEST_POSTGRES_URL is set, PostgreSQL.
func backends(t *testing.T, withMemory bool) []backend { return authostest.Backends(t, withMemory) }

// clock is the settable clock shared by the service and the test.
type clock = authostest.Clock

func newClock() *clock { return authostest.NewClock(time.Now().UTC().Truncate(time.Second)) }

// harness runs the real handlers on an httptest server.
type harness struct {
	t       *testing.T
	a       *authos.Authos
	srv     *httptest.Server
	clock   *clock
	mailbox string
}

func newHarness(t *testing.T, st store.Storage, mutate func(*authos.Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: newClock(), mailbox: filepath.Join(t.TempDir(), "mail")}
	h.srv = httptest.NewUnstartedServer(nil)
	cfg := authos.Config{
		Store:   st,
		Keyring: authostest.Keyring(t),
		Mailer:  &mailer.Mailbox{Dir: h.mailbox},
		BaseURL: "http://" + h.srv.Listener.Addr().String(),
		Now:     h.clock.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authos.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	h.srv.Config.Handler = mux
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

func (h *harness) do(method, path, bearer string, body any) response {
	h.t.Helper()
	var hdr map[string]string
	if bearer != "" {
		hdr = map[string]string{"Authorization": "Bearer " + bearer}
	}
	return h.doWith(method, path, hdr, body)
}

// doWith sends a request with extra headers and decodes the answer.
func (h *harness) doWith(method, path string, hdr map[string]string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: non-JSON body %q", method, path, raw)
		}
	}
	return r
}

// wantOK asserts a success status.
func (h *harness) wantOK(r response, status int) response {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status %d; want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// wantError asserts status, error_code and the envelope shape.
func (h *harness) wantError(r response, status int, code authos.ErrorCode) response {
	h.t.Helper()
	if r.status != status || r.str("error_code") != string(code) {
		h.t.Fatalf("got %d %s; want %d %s (body %s)", r.status, r.str("error_code"), status, code, r.raw)
	}
	checkEnvelope(h.t, r)
	return r
}

func checkEnvelope(t *testing.T, r response) {
	t.Helper()
	if r.str("error") == "" {
		t.Errorf("envelope without error message: %s", r.raw)
	}
	if _, err := time.Parse(time.RFC3339, r.str("timestamp")); err != nil || !strings.HasSuffix(r.str("timestamp"), "Z") {
		t.Errorf("envelope timestamp %q is not RFC 3339 UTC", r.str("timestamp"))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q", ct)
	}
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-%]+)`)

// deliver runs the outbox once and returns the newest message to email
// whose subject contains subject.
func (h *harness) mail(to, subject string) (mailer.MailboxEntry, string) {
	h.t.Helper()
	if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	msgs, err := mailer.ReadMailbox(h.mailbox)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if strings.EqualFold(m.To, to) && strings.Contains(m.Subject, subject) {
			match := tokenRE.FindStringSubmatch(m.Text)
			if match == nil {
				h.t.Fatalf("no token link in %q", m.Text)
			}
			return m, match[1]
		}
	}
	h.t.Fatalf("no email to %s about %q among %d messages", to, subject, len(msgs))
	return mailer.MailboxEntry{}, ""
}

func (h *harness) mailCount() int {
	h.t.Helper()
	msgs, err := mailer.ReadMailbox(h.mailbox)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(msgs)
}

// registerVerified registers and verifies an account through HTTP.
func (h *harness) registerVerified(email, password string) {
	h.t.Helper()
	h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": email, "password": password}), 201)
	_, tok := h.mail(email, "Verify")
	h.wantOK(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": tok}), 200)
}

func (h *harness) login(email, password string) response {
	h.t.Helper()
	return h.do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
}
