package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/webhook"
)

const password = "correct horse battery"

// harness runs authos's and webhook's handlers on one httptest server over
// st, with an active organization "acme" owned by owner@example.com and a
// settable clock.
type harness struct {
	t     *testing.T
	a     *authos.Authos
	wh    *webhook.Service
	st    store.Storage
	clock *authostest.Clock
	srv   *httptest.Server
	owner string // access token
	org   authos.Organization

	mu     sync.Mutex
	emails []authos.Message
}

// newHarness builds the harness; opts change the authos Config first.
func newHarness(t *testing.T, st store.Storage, cfg webhook.Config, opts ...func(*authos.Config)) *harness {
	t.Helper()
	if st == nil {
		st = memory.New()
	}
	h := &harness{t: t, st: st, clock: authostest.NewClock(time.Now().UTC().Truncate(time.Millisecond))}
	h.srv = httptest.NewUnstartedServer(nil)
	acfg := authos.Config{
		Store: st, Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{}, BaseURL: "http://" + h.srv.Listener.Addr().String(),
		Logger: slog.New(slog.DiscardHandler), AutoApproveOrgs: true, RateLimits: authos.RateLimits{Disabled: true},
		Now: h.clock.Now, ProductName: "Acme ID",
		Mailer: authos.MailerFunc(func(_ context.Context, m authos.Message) error {
			h.mu.Lock()
			h.emails = append(h.emails, m)
			h.mu.Unlock()
			return nil
		}),
	}
	for _, o := range opts {
		o(&acfg)
	}
	a, err := authos.New(context.Background(), acfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	if h.wh, err = webhook.New(a, cfg); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = oapitest.Handler(t, a.Handler()) // every answer as openapi.yaml documents it
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	h.owner = h.login("owner@example.com")
	r := h.do("POST", "/api/organizations", h.owner, map[string]string{"slug": "acme", "name": "Acme"}, 201)
	id := r.body["organization"].(map[string]any)["id"].(string)
	if h.org, err = st.GetOrg(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	h.flush() // the set-up's own events, before any endpoint exists
	return h
}

// login registers a verified account and returns an access token.
func (h *harness) login(email string) string {
	h.t.Helper()
	return authostest.Token(h.t, h.a, email, authostest.Password(password))
}

// relogin signs the owner in again (after the clock moved past the
// access token's lifetime).
func (h *harness) relogin() {
	h.t.Helper()
	tr, err := h.a.Login(context.Background(), authos.LoginInput{Email: "owner@example.com", Password: password})
	if err != nil {
		h.t.Fatal(err)
	}
	h.owner = tr.AccessToken
}

// flush delivers the outbox (the fan-out) and then every due delivery.
func (h *harness) flush() {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.a.ProcessOutbox(ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.wh.ProcessDeliveries(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// sentEmails returns the emails about webhooks sent so far.
func (h *harness) sentEmails() []authos.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []authos.Message
	for _, m := range h.emails {
		if strings.Contains(strings.ToLower(m.Subject), "webhook") {
			out = append(out, m)
		}
	}
	return out
}

type response struct {
	status int
	body   map[string]any
	raw    []byte
}

// send performs a request with hdr (a bearer token when it has no ':')
// and a JSON body.
func (h *harness) send(method, path, auth string, body any) response {
	h.t.Helper()
	hdr := map[string]string{}
	switch {
	case strings.HasPrefix(auth, "ak_"):
		hdr["X-API-Key"] = auth
	case auth != "":
		hdr["Authorization"] = "Bearer " + auth
	}
	r := authostest.Send(h.t, h.srv.Client(), authostest.NewJSONRequest(h.t, method, h.srv.URL+path, hdr, body))
	return response{status: r.Status, body: r.Body, raw: r.Raw}
}

// do is send expecting status.
func (h *harness) do(method, path, auth string, body any, status int) response {
	h.t.Helper()
	r := h.send(method, path, auth, body)
	if r.status != status {
		h.t.Fatalf("%s %s: %d %s; want %d", method, path, r.status, r.raw, status)
	}
	return r
}

// wantError asserts an error answer with status and code.
func (h *harness) wantError(r response, status int, code authos.ErrorCode) {
	h.t.Helper()
	if r.status != status || r.body["error_code"] != string(code) {
		h.t.Errorf("got %d %s; want %d %s", r.status, r.raw, status, code)
	}
}

// createEndpoint registers an endpoint at url for events and returns its
// id and secret.
func (h *harness) createEndpoint(name, url string, events ...string) (string, string) {
	h.t.Helper()
	r := h.do("POST", "/api/organizations/acme/webhooks", h.owner, map[string]any{"name": name, "url": url, "events": events}, 201)
	w := r.body["webhook"].(map[string]any)
	secret, _ := r.body["secret"].(string)
	return w["id"].(string), secret
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a loopback endpoint answering with the next status of a
// script (the last repeats; 204 when empty).
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	script []int
	delay  time.Duration
	got    []received
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, at: time.Now()})
		status, delay := http.StatusNoContent, rc.delay
		if len(rc.script) > 0 {
			status = rc.script[0]
			if len(rc.script) > 1 {
				rc.script = rc.script[1:]
			}
		}
		rc.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status == http.StatusFound {
			w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// payload decodes a received body.
func payload(t *testing.T, b []byte) webhook.Payload {
	t.Helper()
	var p webhook.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return p
}
