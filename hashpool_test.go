package authos

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/internal/storecount"
	"github.com/authos/authos/store"
)

// waitFor polls cond until it holds (the test's own deadline ends a wait
// that never does).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

func TestHashPoolQueueAndRefusal(t *testing.T) {
	h, err := NewArgon2idPool(Argon2Params{}, HashPool{Workers: 1, Queue: 1, RetryAfter: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The only worker is busy.
	if err := h.pool.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	// One hash waits in the queue ...
	queued := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "a queued password")
		queued <- err
	}()
	waitFor(t, func() bool { return h.pool.waiting.Load() == 1 })
	// ... and the next is refused at once, with Retry-After.
	for _, op := range []func() error{
		func() error { _, err := h.Hash(ctx, "one too many"); return err },
		func() error { _, _, err := h.Verify(ctx, "one too many", mustHash(t)); return err },
	} {
		err := op()
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeServiceUnavailable || e.RetryAfter != 3*time.Second {
			t.Fatalf("hash with a full queue: %v; want SERVICE_UNAVAILABLE with RetryAfter 3s", err)
		}
	}
	// A waiter whose request ends leaves the queue with the same refusal.
	h2, _ := NewArgon2idPool(Argon2Params{}, HashPool{Workers: 1, Queue: 4})
	if err := h2.pool.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error, 1)
	go func() {
		_, err := h2.Hash(cctx, "the client left")
		gone <- err
	}()
	waitFor(t, func() bool { return h2.pool.waiting.Load() == 1 })
	cancel()
	if err := <-gone; !errors.Is(err, CodeServiceUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("queued hash of an ended request: %v", err)
	}
	if n := h2.pool.waiting.Load(); n != 0 {
		t.Fatalf("%d waiters left after the request ended", n)
	}
	// The worker frees up: the queued hash runs and is a valid hash.
	h.pool.release()
	if err := <-queued; err != nil {
		t.Fatalf("queued hash: %v", err)
	}
	if _, err := h.Hash(ctx, "the pool is free again"); err != nil {
		t.Fatal(err)
	}
}

func mustHash(t *testing.T) string {
	t.Helper()
	return encodePHC(phcHash{memory: 19456, time: 2, threads: 1, salt: randx.Bytes(16), key: randx.Bytes(32)})
}

func TestHashPoolDefaults(t *testing.T) {
	h, err := NewArgon2id(Argon2Params{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := runtime.GOMAXPROCS(0)
	if cap(h.pool.slots) != w || h.pool.queue != int64(defaultQueuePerWorker*w) || h.pool.retryAfter != time.Second {
		t.Errorf("default pool: %d workers, queue %d, Retry-After %v; want %d, %d, 1s",
			cap(h.pool.slots), h.pool.queue, h.pool.retryAfter, w, defaultQueuePerWorker*w)
	}
	h, _ = NewArgon2idPool(Argon2Params{}, HashPool{Workers: 3, Queue: -1})
	if cap(h.pool.slots) != 3 || h.pool.queue != 0 {
		t.Errorf("Workers 3, Queue -1: %d workers, queue %d", cap(h.pool.slots), h.pool.queue)
	}
}

// poolPassword is the password of the user poolAuthos makes.
const poolPassword = "correct horse battery"

// poolAuthos returns an Argon2id hasher with the given pool, an instance
// hashing with it (rate limits off, organizations approved at once) and a
// verified user ada@example.com whose password is poolPassword.
func poolAuthos(t *testing.T, pool HashPool) (*Argon2id, *Authos, User) {
	t.Helper()
	h, err := NewArgon2idPool(Argon2Params{}, pool)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := newTestAuthos(t, func(c *Config) { c.Hasher, c.RateLimits.Disabled, c.AutoApproveOrgs = h, true, true })
	return h, a, verifiedUser(t, a, "ada@example.com", poolPassword)
}

// TestHashPoolFullOverHTTP: while every worker is busy and the queue is
// full, each request that needs a password hash (login, sign-up, password
// change and reset, the hosted sign-in page) is answered at once with 503
// SERVICE_UNAVAILABLE and Retry-After, and a refused login counts as no
// failed attempt.
func TestHashPoolFullOverHTTP(t *testing.T) {
	h, a, u := poolAuthos(t, HashPool{Workers: 1, Queue: -1, RetryAfter: 2 * time.Second})
	ctx := context.Background()
	const pw = poolPassword
	tr, err := a.Login(ctx, LoginInput{Email: u.Email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	reset := randx.Token(32)
	if err := a.st.CreateToken(ctx, store.OneTimeToken{Hash: hashx.SHA256Hex(reset), Purpose: store.PurposeResetPassword,
		UserID: u.ID, CreatedAt: a.now(), ExpiresAt: a.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	handler := a.Handler()
	if err := h.pool.acquire(ctx); err != nil { // the only worker is busy from here on
		t.Fatal(err)
	}
	defer h.pool.release()

	jsonReq := func(method, path, body string) *http.Request {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	change := jsonReq("POST", "/api/user/password", `{"current_password":"`+pw+`","new_password":"another long password"}`)
	change.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	for name, r := range map[string]*http.Request{
		"login":           jsonReq("POST", "/api/auth/login", `{"email":"ada@example.com","password":"`+pw+`"}`),
		"register":        jsonReq("POST", "/api/auth/register", `{"email":"bob@example.com","password":"bob has a long password"}`),
		"password change": change,
		"reset":           jsonReq("POST", "/api/auth/reset-password", `{"token":"`+reset+`","password":"a brand new password"}`),
	} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		var body struct {
			Code       string `json:"error_code"`
			RetryAfter int    `json:"retry_after"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusServiceUnavailable || body.Code != string(CodeServiceUnavailable) ||
			w.Header().Get("Retry-After") != "2" || body.RetryAfter != 2 {
			t.Errorf("%s with the hash pool full: %d %s Retry-After %q; want 503 SERVICE_UNAVAILABLE, Retry-After 2",
				name, w.Code, w.Body.String(), w.Header().Get("Retry-After"))
		}
		// The refused client's connection is closed: while it waits to
		// retry, the server holds nothing for it.
		if got := w.Header().Get("Connection"); got != "close" {
			t.Errorf("%s with the hash pool full: Connection %q; want close", name, got)
		}
	}
	// Nothing was counted as a failed sign-in, nothing changed.
	for _, key := range []string{lockoutkey.Account(u.Email), lockoutkey.Address(u.Email, "192.0.2.1")} {
		if lf, err := a.st.GetLoginFailures(ctx, key); err != nil || lf.Count != 0 {
			t.Errorf("login failures %s after refusals: %+v %v; want none", key, lf, err)
		}
	}
	if _, err := a.st.GetUserByEmail(ctx, "bob@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused sign-up created the account: %v", err)
	}
	if _, err := a.st.GetToken(ctx, store.PurposeResetPassword, hashx.SHA256Hex(reset), a.now()); err != nil {
		t.Errorf("refused reset used up its token: %v", err)
	}

	// The hosted sign-in page's form.
	o, svc, ss := webSignInService(t, a, u)
	flow := randx.Token(32)
	if err := ss.CreateAuthRequest(ctx, store.AuthRequest{IDHash: hashx.SHA256Hex(flow), ClientID: svc.ClientID,
		ServiceID: svc.ID, OrgID: o.ID, RedirectURI: webCallback, Scope: "openid", CodeChallenge: s256(strings.Repeat("v", 43)),
		MaxAge: -1, CreatedAt: a.now(), ExpiresAt: a.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	csrf, err := a.pages.csrf.Token(rec, httptest.NewRequest("GET", "/", nil), pageSignIn)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf": {csrf}, "flow": {flow}, "email": {u.Email}, "password": {pw}}
	r := httptest.NewRequest("POST", pathSignIn, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range rec.Result().Cookies() {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "2" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || w.Header().Get("Connection") != "close" {
		t.Errorf("hosted sign-in with the hash pool full: %d, Retry-After %q, %s, Connection %q; want a 503 page with Retry-After 2 that closes the connection",
			w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"), w.Header().Get("Connection"))
	}
}

// TestLoginRefusedBeforeStoreReads: with the hash pool full, a login is
// refused with SERVICE_UNAVAILABLE before the account is looked up (a flood
// of refused logins costs the store nothing); once a worker is free, the
// same login looks the account up and succeeds.
func TestLoginRefusedBeforeStoreReads(t *testing.T) {
	h, a, u := poolAuthos(t, HashPool{Workers: 1, Queue: -1})
	ctx := context.Background()
	const pw = poolPassword
	lc := storecount.New(a.st)
	a.st = lc
	if err := h.pool.acquire(ctx); err != nil { // the only worker is busy
		t.Fatal(err)
	}
	_, err := a.Login(ctx, LoginInput{Email: u.Email, Password: pw})
	if e := (*Error)(nil); !errors.As(err, &e) || e.Code != CodeServiceUnavailable || e.RetryAfter <= 0 {
		t.Errorf("login with the hash pool full: %v; want SERVICE_UNAVAILABLE with a Retry-After", err)
	}
	if n := lc.Count(storecount.GetUserByEmail); n != 0 {
		t.Errorf("the refused login looked the account up %d times; want none", n)
	}
	h.pool.release()
	if _, err := a.Login(ctx, LoginInput{Email: u.Email, Password: pw}); err != nil {
		t.Fatalf("login with a free worker: %v", err)
	}
	if lc.Count(storecount.GetUserByEmail) == 0 {
		t.Error("the admitted login did not look the account up")
	}
}

// hashCounter counts every Hash and Verify of the hasher it wraps.
type hashCounter struct {
	PasswordHasher
	n atomic.Int64
}

func (c *hashCounter) Hash(ctx context.Context, pw string) (string, error) {
	c.n.Add(1)
	return c.PasswordHasher.Hash(ctx, pw)
}

func (c *hashCounter) Verify(ctx context.Context, pw, enc string) (bool, bool, error) {
	c.n.Add(1)
	return c.PasswordHasher.Verify(ctx, pw, enc)
}

// TestLoginHashesOnce: a login costs exactly one password hash, whether it
// succeeds, names a wrong password or an unknown email (the dummy hash),
// and with a password that NFKC leaves alone, also for the hosted page.
func TestLoginHashesOnce(t *testing.T) {
	hc := &hashCounter{PasswordHasher: fastHasher{}}
	a, _ := newTestAuthos(t, func(c *Config) { c.Hasher, c.RateLimits.Disabled = hc, true })
	ctx := context.Background()
	u := verifiedUser(t, a, "ada@example.com", "correct horse battery")
	for _, c := range []struct{ email, pw string }{
		{u.Email, "correct horse battery"},
		{u.Email, "correct horse battery"}, // again: no rehash, no extra work
		{u.Email, "a wrong password"},
		{"nobody@example.com", "whatever it is"},
	} {
		before := hc.n.Load()
		_, _ = a.Login(ctx, LoginInput{Email: c.email, Password: c.pw, ClientIP: "192.0.2.1"})
		if n := hc.n.Load() - before; n != 1 {
			t.Errorf("Login(%s, %q) ran %d password hashes; want exactly 1", c.email, c.pw, n)
		}
	}
}

// webCallback is the redirect URI of the service webSignInService creates.
const webCallback = "https://app.example.com/cb"

// webSignInService creates the organization acme of u, active (the
// instance auto-approves organizations), with the web service "web" that
// redirects to webCallback, and returns them with the sign-in storage.
func webSignInService(tb testing.TB, a *Authos, u User) (Organization, ServiceView, store.SignInStore) {
	tb.Helper()
	ctx := context.Background()
	o, _, err := a.CreateOrganization(ctx, u.ID, CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		tb.Fatal(err)
	}
	str := func(s string) *string { return &s }
	svc, err := a.CreateService(ctx, u.ID, o, ServiceInput{Slug: str("web"), Name: str("Web"),
		ServiceType: str(ServiceWeb), RedirectURIs: &[]string{webCallback}})
	if err != nil {
		tb.Fatal(err)
	}
	ss, err := a.signInStore(a.st)
	if err != nil {
		tb.Fatal(err)
	}
	return o, svc, ss
}

// TestHashPoolReclaimsUnderMemoryLimit: under a memory limit that a new
// hash would take the memory in use over (beyond 80%), the pool collects
// first; without a limit, or with room under it, it never forces a
// collection.
func TestHashPoolReclaimsUnderMemoryLimit(t *testing.T) {
	forced := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	h, _ := NewArgon2id(Argon2Params{}, 1)
	const mem = 19 << 20
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)

	debug.SetMemoryLimit(math.MaxInt64) // no limit
	before := forced()
	h.pool.reclaim(mem)
	if n := forced() - before; n != 0 {
		t.Errorf("no memory limit: %d forced collections; want none", n)
	}
	debug.SetMemoryLimit(1 << 40) // plenty of room
	before = forced()
	h.pool.reclaim(mem)
	if n := forced() - before; n != 0 {
		t.Errorf("room under the limit: %d forced collections; want none", n)
	}
	debug.SetMemoryLimit(mem) // in use + mem is over any limit this low
	before = forced()
	h.pool.reclaim(mem)
	if n := forced() - before; n == 0 {
		t.Error("a hash beyond the memory limit: no collection first")
	}
}
