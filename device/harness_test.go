package device_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/device"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// eachBackend runs fn on a fresh store of every backend (memory, SQLite,
// and PostgreSQL when AUTHOS_TEST_POSTGRES_URL is set).
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Storage)) {
	backends.Each(t, fn)
}

// memoryStore is a fresh in-memory store.
func memoryStore() store.Storage { return memory.New() }

// devices is the device capability of st.
func devices(st store.Storage) store.DeviceStore { return st.(store.DeviceStore) }

// clock is the real time plus a settable offset (x/oauth2 runs on real
// time; expiry tests move the server forward), or, once stopped, a fixed
// time that only Advance moves.
type clock struct {
	mu      sync.Mutex
	offset  time.Duration
	stopped time.Time // zero while the clock runs
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped.IsZero() {
		return c.stopped
	}
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	if !c.stopped.IsZero() {
		c.stopped = c.stopped.Add(d)
	}
	c.mu.Unlock()
}

// stop fixes the clock at its current time.
func (c *clock) stop() {
	now := c.Now()
	c.mu.Lock()
	c.stopped = now
	c.mu.Unlock()
}

const password = "correct horse battery"

// harness runs authos's, mfa's and device's handlers on one httptest
// server, with an active organization "acme" and a public service "cli".
type harness struct {
	t        *testing.T
	a        *authos.Authos
	dev      *device.Service
	mf       *mfa.Service
	st       store.Storage
	srv      *httptest.Server
	clock    *clock
	owner    authos.User
	org      authos.Organization
	clientID string
}

func newHarness(t *testing.T, st store.Storage, cfg device.Config) *harness {
	t.Helper()
	h := &harness{t: t, st: st, clock: &clock{}}
	kr := authostest.Keyring(t)
	h.srv = httptest.NewUnstartedServer(nil)
	a, err := authos.New(context.Background(), authos.Config{
		Store: st, Keyring: kr, Hasher: authostest.FastHasher{}, BaseURL: "http://" + h.srv.Listener.Addr().String(),
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler), AutoApproveOrgs: true,
		RateLimits: authos.RateLimits{PerIP: authos.Limit{Rate: 1000, Period: time.Minute, Burst: 1000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	if h.mf, err = mfa.New(a, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if h.dev, err = device.New(a, cfg); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = oapitest.Handler(t, a.Handler())
	h.srv.Start()
	t.Cleanup(h.srv.Close)

	ctx := context.Background()
	h.owner = h.user("owner@example.com")
	h.org, _, err = a.CreateOrganization(ctx, h.owner.ID, authos.CreateOrgInput{Slug: "acme", Name: "Acme Corp"})
	if err != nil {
		t.Fatal(err)
	}
	h.clientID = h.service("cli", authos.ServiceDesktop).ClientID
	return h
}

// service registers a service of the organization.
func (h *harness) service(slug, typ string) authos.ServiceView {
	h.t.Helper()
	name := "Acme " + slug
	v, err := h.a.CreateService(context.Background(), h.owner.ID, h.org, authos.ServiceInput{Slug: &slug, Name: &name, ServiceType: &typ})
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

func (h *harness) user(email string) authos.User {
	h.t.Helper()
	ctx := context.Background()
	u, err := h.a.Register(ctx, authos.RegisterInput{Email: email, Password: password})
	if err != nil {
		h.t.Fatal(err)
	}
	u.EmailVerified = true
	if err := h.st.UpdateUser(ctx, u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	r := authostest.Send(h.t, h.srv.Client(), req)
	return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
}

// do sends a JSON request.
func (h *harness) do(method, path, bearer string, body any) response {
	h.t.Helper()
	var hdr map[string]string
	if bearer != "" {
		hdr = map[string]string{"Authorization": "Bearer " + bearer}
	}
	return h.send(authostest.NewJSONRequest(h.t, method, h.srv.URL+path, hdr, body))
}

// form posts a form, with HTTP Basic when basicID is not empty.
func (h *harness) form(path string, v url.Values, basicID string) response {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), "")
	}
	return h.send(req)
}

func (h *harness) accessToken(email string) string {
	h.t.Helper()
	r := h.do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
	if r.status != http.StatusOK {
		h.t.Fatalf("login: %d %s", r.status, r.raw)
	}
	return r.str("access_token")
}

// start begins a device authorization for the CLI client over HTTP.
func (h *harness) start() response {
	h.t.Helper()
	r := h.form("/auth/device/code", url.Values{"client_id": {h.clientID}, "scope": {"openid profile"}}, "")
	if r.status != http.StatusOK {
		h.t.Fatalf("device code: %d %s", r.status, r.raw)
	}
	return r
}

// poll polls the token endpoint once with the client in the body.
func (h *harness) poll(deviceCode string) response {
	h.t.Helper()
	return h.form("/auth/token", url.Values{"grant_type": {device.GrantType}, "device_code": {deviceCode},
		"client_id": {h.clientID}}, "")
}

// wantOAuth asserts an RFC error with its catalog code.
func (h *harness) wantOAuth(r response, status int, rfc string, code authos.ErrorCode) {
	h.t.Helper()
	if r.status != status || r.str("error") != rfc || r.str("error_code") != string(code) {
		h.t.Fatalf("got %d %s/%s; want %d %s/%s (body %s)", r.status, r.str("error"), r.str("error_code"),
			status, rfc, code, r.raw)
	}
	if _, err := time.Parse(time.RFC3339, r.str("timestamp")); err != nil || r.str("error_description") == "" {
		h.t.Errorf("not the OAuth error shape: %s", r.raw)
	}
}

// wantError asserts a catalog error envelope.
func (h *harness) wantError(r response, status int, code authos.ErrorCode) {
	h.t.Helper()
	if r.status != status || r.str("error_code") != string(code) {
		h.t.Fatalf("got %d %s; want %d %s (body %s)", r.status, r.str("error_code"), status, code, r.raw)
	}
	authostest.CheckEnvelope(h.t, authostest.Response{Status: r.status, Header: r.header, Body: r.body, Raw: r.raw})
}
