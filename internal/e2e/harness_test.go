package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store"
)

// backend opens a fresh store for one test.
type backend = testbackends.Backend

// backends lists memory (when withMemory), SQLite and, when
// AUTHOS_TEST_POSTGRES_URL is set, PostgreSQL.
func backends(t *testing.T, withMemory bool) []backend { return testbackends.List(t, withMemory) }

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
		// Argon2id is tested in the root package; here it would only make
		// every sign-in slow.
		Hasher: authostest.FastHasher{},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authos.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	// The tests deliver the outbox themselves (mail): no warning about Run.
	if _, err := a.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a.Handler() is built at the first request, so that tests may create
	// packages (device.New, ...) for h.a before it.
	h.srv.Config.Handler = oapitest.Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Handler().ServeHTTP(w, r)
	}))
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
	r := authostest.Send(h.t, h.srv.Client(), authostest.NewJSONRequest(h.t, method, h.srv.URL+path, hdr, body))
	return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
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
	authostest.CheckEnvelope(t, authostest.Response{Status: r.status, Header: r.header, Body: r.body, Raw: r.raw})
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
