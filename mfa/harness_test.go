package mfa_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

// eachBackend runs fn as a subtest on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Storage)) {
	backends.Each(t, fn)
}

// storedSecret reads the user's secret column as the backend keeps it: the
// row itself for SQL backends, the stored factor for memory.
func storedSecret(t *testing.T, st store.Storage, userID string) []byte {
	t.Helper()
	type sqlBacked interface {
		DB() *sql.DB
		Dialect() sqlstore.Dialect
	}
	if s, ok := st.(sqlBacked); ok {
		d := s.Dialect()
		var b []byte
		if err := s.DB().QueryRow(d.Rebind(`SELECT secret FROM authos_mfa_factors WHERE user_id = ?`), userID).Scan(&b); err != nil {
			t.Fatalf("reading the secret row: %v", err)
		}
		return b
	}
	f, err := st.(store.MFAStore).GetMFAFactor(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return f.Secret
}

// clock is the settable clock shared by the service and the test.
type clock = authostest.Clock

// newClock starts one second into a TOTP time step, so that codes of the
// neighbouring steps are exactly ±30 s away.
func newClock() *clock {
	return authostest.NewClock(time.Now().UTC().Truncate(30 * time.Second).Add(time.Second))
}

// harness runs authos's and mfa's handlers on one httptest server.
type harness struct {
	t     *testing.T
	a     *authos.Authos
	mf    *mfa.Service
	st    store.Storage
	srv   *httptest.Server
	clock *clock
}

const password = "correct horse battery"

// reauth is the body confirming a change with the account's password.
var reauth = map[string]string{"current_password": password}

func newHarness(t *testing.T, st store.Storage) *harness {
	t.Helper()
	h := &harness{t: t, st: st, clock: newClock()}
	kr := authostest.Keyring(t)
	h.srv = httptest.NewUnstartedServer(nil)
	a, err := authos.New(context.Background(), authos.Config{
		Store:      st,
		Keyring:    kr,
		Hasher:     authostest.FastHasher{}, // fast: these tests sign in many times
		BaseURL:    "http://" + h.srv.Listener.Addr().String(),
		Now:        h.clock.Now,
		Logger:     slog.New(slog.DiscardHandler),
		RateLimits: authos.RateLimits{PerIP: authos.Limit{Rate: 1000, Period: time.Minute, Burst: 1000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	if h.mf, err = mfa.New(a, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = oapitest.Handler(t, a.Handler())
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

// strings returns the string array at key.
func (r response) strings(key string) []string {
	var out []string
	arr, _ := r.body[key].([]any)
	for _, v := range arr {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func (h *harness) do(method, path, bearer string, body any) response {
	h.t.Helper()
	var hdr map[string]string
	if bearer != "" {
		hdr = map[string]string{"Authorization": "Bearer " + bearer}
	}
	r := authostest.Send(h.t, h.srv.Client(), authostest.NewJSONRequest(h.t, method, h.srv.URL+path, hdr, body))
	return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
}

// wantOK asserts a success status.
func (h *harness) wantOK(r response, status int) response {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("got status %d; want %d (body %s)", r.status, status, r.raw)
	}
	return r
}

// wantError asserts status and error_code.
func (h *harness) wantError(r response, status int, code authos.ErrorCode) response {
	h.t.Helper()
	if r.status != status || r.str("error_code") != string(code) {
		h.t.Fatalf("got %d %s; want %d %s (body %s)", r.status, r.str("error_code"), status, code, r.raw)
	}
	authostest.CheckEnvelope(h.t, authostest.Response{Status: r.status, Header: r.header, Body: r.body, Raw: r.raw})
	return r
}

// wantRateLimited asserts RATE_LIMIT_EXCEEDED with a Retry-After of at
// least minSecs seconds, and returns the Retry-After.
func (h *harness) wantRateLimited(r response, minSecs int) time.Duration {
	h.t.Helper()
	h.wantError(r, http.StatusTooManyRequests, authos.CodeRateLimitExceeded)
	d, err := time.ParseDuration(r.header.Get("Retry-After") + "s")
	if err != nil || d < time.Duration(minSecs)*time.Second {
		h.t.Fatalf("Retry-After %q; want at least %d seconds", r.header.Get("Retry-After"), minSecs)
	}
	return d
}

// user creates a verified account with password.
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

// login posts the password login.
func (h *harness) login(email string) response {
	h.t.Helper()
	return h.do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
}

// accessToken logs in (without MFA) and returns the access token.
func (h *harness) accessToken(email string) string {
	h.t.Helper()
	return h.wantOK(h.login(email), http.StatusOK).str("access_token")
}

// preauth logs in and expects MFA_REQUIRED; it returns the preauth token.
func (h *harness) preauth(email string) string {
	h.t.Helper()
	r := h.wantError(h.login(email), http.StatusUnauthorized, authos.CodeMFARequired)
	tok := r.str("preauth_token")
	if tok == "" || r.body["mfa_required"] != true {
		h.t.Fatalf("MFA_REQUIRED without preauth_token: %s", r.raw)
	}
	return tok
}

// verify posts a preauth token and code.
func (h *harness) verify(preauth, code string) response {
	h.t.Helper()
	return h.do("POST", "/api/auth/mfa/verify", "", map[string]string{"preauth_token": preauth, "code": code})
}

// code is the TOTP code of secret at the clock's time plus offset.
func (h *harness) code(secret string, offset time.Duration) string {
	h.t.Helper()
	return totpAt(h.t, secret, h.clock.Now().Add(offset))
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode returns a six-digit code that no step of the window accepts.
func (h *harness) wrongCode(secret string) string {
	h.t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[h.code(secret, d)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	h.t.Fatal("no wrong code found")
	return ""
}

// enroll runs setup and enable over HTTP with the access token and returns
// the secret and the backup codes. The clock moves to the next time step,
// so the enabling code is not the next one asked for.
func (h *harness) enroll(access string) (secret string, backup []string) {
	h.t.Helper()
	setup := h.wantOK(h.do("POST", "/api/user/mfa/setup", access, reauth), http.StatusOK)
	secret = setup.str("secret")
	en := h.wantOK(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), http.StatusOK)
	backup = en.strings("backup_codes")
	if len(backup) != mfa.BackupCodeCount {
		h.t.Fatalf("enable returned %d backup codes; want %d", len(backup), mfa.BackupCodeCount)
	}
	h.clock.Advance(30 * time.Second)
	return secret, backup
}

// events returns the types of the MFA events in the outbox that target
// targetID, sorted (events of one fake-clock instant have no order).
func (h *harness) events(targetID string) []string {
	h.t.Helper()
	msgs, err := h.st.ListOutbox(context.Background(), store.OutboxFilter{Topic: store.TopicEvent})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var ev authos.Event
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			h.t.Fatal(err)
		}
		if ev.TargetID == targetID && strings.HasPrefix(ev.Type, "mfa.") {
			out = append(out, ev.Type)
		}
	}
	slices.Sort(out)
	return out
}
