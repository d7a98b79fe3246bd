package authos

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/internal/fasthash"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingHasher counts Verify calls to prove equal work for unknown emails.
type countingHasher struct {
	PasswordHasher
	verifies atomic.Int64
}

func (c *countingHasher) Verify(ctx context.Context, pw, enc string) (bool, bool, error) {
	c.verifies.Add(1)
	return c.PasswordHasher.Verify(ctx, pw, enc)
}

// fastHasher is the tests' cheap password hasher (the one of
// authostest.FastHasher, which this package cannot import): Argon2id would
// make every sign-in of every test slow. The tests about password hashing
// configure Argon2id themselves.
type fastHasher struct{}

func (fastHasher) Hash(_ context.Context, pw string) (string, error) { return fasthash.Hash(pw), nil }

func (fastHasher) Verify(_ context.Context, pw, enc string) (bool, bool, error) {
	ok, err := fasthash.Verify(pw, enc)
	return ok, false, err
}

// newTestAuthos builds an instance on the memory store with fastHasher and
// a stopped clock; mutate, when not nil, changes the Config first.
func newTestAuthos(t testing.TB, mutate func(*Config)) (*Authos, *testClock) {
	t.Helper()
	clk := &testClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	kr, err := NewKeyring(testKey(9))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: memory.New(), Keyring: kr, BaseURL: "https://id.example.test", Now: clk.Now, Hasher: fastHasher{}}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The tests deliver the outbox by hand (ProcessOutbox), when at all:
	// no warning about Run.
	a.outboxWatch.delivering.Store(true)
	return a, clk
}

// verifiedUser creates a verified account with a password directly.
func verifiedUser(t testing.TB, a *Authos, email, pw string) User {
	t.Helper()
	ctx := context.Background()
	u, err := a.Register(ctx, RegisterInput{Email: email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	u.EmailVerified = true
	if err := a.st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func protected(a *Authos, mw func(http.Handler) http.Handler) http.Handler {
	return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := PrincipalFrom(r.Context())
		w.Header().Set("X-User", p.UserID)
		w.WriteHeader(200)
	}))
}

func call(h http.Handler, auth string) (int, string) {
	r := httptest.NewRequest("GET", "/app", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	code, _ := body["error_code"].(string)
	return rec.Code, code
}

func forge(t *testing.T, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func TestRequireAuthOutcomes(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	u := verifiedUser(t, a, "bob@example.test", "bob's long password")
	tr, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword, Audience: "client-svc"})
	if err != nil {
		t.Fatal(err)
	}
	mgmt := protected(a, a.RequireAuth)
	host := protected(a, a.RequireAudience("client-svc"))

	a.keys.mu.RLock()
	kid, signer := a.keys.signerKID, a.keys.signer
	a.keys.mu.RUnlock()
	now := clk.Now()
	base := map[string]any{"iss": a.cfg.Issuer, "sub": u.ID, "aud": a.cfg.ManagementAudience,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "sid": tr.Session.ID, "jti": "x"}
	without := func(k string) map[string]any {
		m := map[string]any{}
		for kk, v := range base {
			if kk != k {
				m[kk] = v
			}
		}
		return m
	}
	edSign := func(b []byte) []byte { return ed25519.Sign(signer.(ed25519.PrivateKey), b) }
	pubDER, _ := x509.MarshalPKIXPublicKey(signer.Public())
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)

	cases := []struct {
		name string
		h    http.Handler
		auth string
		want int
		code ErrorCode
	}{
		{"valid", mgmt, "Bearer " + tr.AccessToken, 200, ""},
		{"lower-case scheme", mgmt, "bearer " + tr.AccessToken, 200, ""},
		{"missing", mgmt, "", 401, CodeUnauthorized},
		{"not bearer", mgmt, "Basic Zm9vOmJhcg==", 401, CodeJWTError},
		{"garbage", mgmt, "Bearer abc", 401, CodeJWTError},
		{"tampered signature", mgmt, "Bearer " + tr.AccessToken[:len(tr.AccessToken)-4] + "AAAA", 401, CodeJWTError},
		{"service token on management route", mgmt, "Bearer " + svc.AccessToken, 401, CodeJWTError},
		{"management token on service route", host, "Bearer " + tr.AccessToken, 401, CodeJWTError},
		{"service token on service route", host, "Bearer " + svc.AccessToken, 200, ""},
		{"alg none", mgmt, "Bearer " + forge(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}, base, func([]byte) []byte { return nil }), 401, CodeJWTError},
		{"HS256 keyed with the public key", mgmt, "Bearer " + forge(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}, base, func(b []byte) []byte {
			s, _ := jwt.SigningMethodHS256.Sign(string(b), pubDER)
			return s
		}), 401, CodeJWTError},
		{"other key same kid", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}, base, func(b []byte) []byte { return ed25519.Sign(otherKey, b) }), 401, CodeJWTError},
		{"kid traversal", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": "../../etc/passwd"}, base, edSign), 401, CodeJWTError},
		{"wrong typ", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}, base, edSign), 401, CodeJWTError},
		{"no exp", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}, without("exp"), edSign), 401, CodeJWTError},
		{"wrong issuer", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}, func() map[string]any { m := without("iss"); m["iss"] = "https://evil.test"; return m }(), edSign), 401, CodeJWTError},
		{"forged but well formed", mgmt, "Bearer " + forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}, base, edSign), 200, ""},
		{"huge header", mgmt, "Bearer " + strings.Repeat(".", 1<<20), 401, CodeJWTError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, code := call(c.h, c.auth)
			if status != c.want || code != string(c.code) {
				t.Fatalf("got %d %q; want %d %q", status, code, c.want, c.code)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		clk.Advance(15*time.Minute + a.cfg.Leeway + time.Second)
		defer clk.Advance(-(15*time.Minute + a.cfg.Leeway + time.Second))
		if status, code := call(mgmt, "Bearer "+tr.AccessToken); status != 401 || code != string(CodeTokenExpired) {
			t.Fatalf("got %d %s; want 401 TOKEN_EXPIRED", status, code)
		}
	})
	t.Run("revoked session", func(t *testing.T) {
		if err := a.Logout(ctx, tr.Session.ID); err != nil {
			t.Fatal(err)
		}
		if status, code := call(mgmt, "Bearer "+tr.AccessToken); status != 401 || code != string(CodeSessionRevoked) {
			t.Fatalf("got %d %s; want 401 SESSION_REVOKED", status, code)
		}
	})
}

// TestRevocationVisibleAcrossInstances: a session revoked through another
// instance sharing the store is refused within the cache interval.
func TestRevocationVisibleAcrossInstances(t *testing.T) {
	st := memory.New()
	kr, _ := NewKeyring(testKey(4))
	clk := &testClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	mk := func() *Authos {
		a, err := New(context.Background(), Config{Store: st, Keyring: kr, Now: clk.Now, Hasher: fastHasher{}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1, a2 := mk(), mk()
	u := verifiedUser(t, a1, "carol@example.test", "password for C!")
	tr, err := a1.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	h2 := protected(a2, a2.RequireAuth)
	if status, _ := call(h2, "Bearer "+tr.AccessToken); status != 200 {
		t.Fatalf("instance 2 refused a valid token: %d", status)
	}
	if err := a1.Logout(context.Background(), tr.Session.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(600 * time.Millisecond) // past instance 2's 500 ms sync interval
	if status, code := call(h2, "Bearer "+tr.AccessToken); status != 401 || code != string(CodeSessionRevoked) {
		t.Fatalf("instance 2 after revocation: %d %s", status, code)
	}
}

func TestLoginDoesEqualWorkForUnknownEmail(t *testing.T) {
	var ch *countingHasher
	a, _ := newTestAuthos(t, func(c *Config) {
		h, _ := NewArgon2id(Argon2Params{}, 0)
		ch = &countingHasher{PasswordHasher: h}
		c.Hasher = ch
	})
	verifiedUser(t, a, "dave@example.test", "password for D!")
	ctx := context.Background()
	cases := []struct {
		email, pw string
		code      ErrorCode
	}{
		{"nobody@example.test", "whatever pw", CodeInvalidCredentials},
		{"dave@example.test", "wrong password", CodeInvalidCredentials},
		{"dave@example.test", "password for D!", ""},
	}
	for _, c := range cases {
		before := ch.verifies.Load()
		_, err := a.Login(ctx, LoginInput{Email: c.email, Password: c.pw})
		if c.code != "" && !errors.Is(err, c.code) || c.code == "" && err != nil {
			t.Fatalf("Login(%s): %v", c.email, err)
		}
		if n := ch.verifies.Load() - before; n != 1 {
			t.Errorf("Login(%s) ran %d password verifications; want exactly 1", c.email, n)
		}
	}
	// Unknown emails lock like known ones, so the lock reveals nothing.
	for i := 0; i < 10; i++ {
		_, _ = a.Login(ctx, LoginInput{Email: "ghost@example.test", Password: "nope nope"})
	}
	if _, err := a.Login(ctx, LoginInput{Email: "ghost@example.test", Password: "nope nope"}); !errors.Is(err, CodeAccountLocked) {
		t.Errorf("unknown email after 10 failures: %v; want ACCOUNT_LOCKED", err)
	}
}

func TestLockoutExpiresAndIsConfigurable(t *testing.T) {
	a, clk := newTestAuthos(t, func(c *Config) { c.Lockout = Lockout{MaxFailures: 3, Window: time.Minute, Duration: 2 * time.Minute} })
	verifiedUser(t, a, "erin@example.test", "password for E!")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := a.Login(ctx, LoginInput{Email: "erin@example.test", Password: "bad password"}); !errors.Is(err, CodeInvalidCredentials) {
			t.Fatal(err)
		}
	}
	_, err := a.Login(ctx, LoginInput{Email: "erin@example.test", Password: "password for E!"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeAccountLocked || e.RetryAfter != 2*time.Minute {
		t.Fatalf("locked login: %v", err)
	}
	clk.Advance(2*time.Minute + time.Second)
	if _, err := a.Login(ctx, LoginInput{Email: "erin@example.test", Password: "password for E!"}); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestRateLimitedLoginAnswers429(t *testing.T) {
	a, clk := newTestAuthos(t, func(c *Config) {
		c.RateLimits.PerIP = Limit{Rate: 3, Period: time.Minute, Burst: 3}
	})
	h := oapitest.Handler(t, a.Handler())
	post := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"x@example.test","password":"y"}`))
		r.RemoteAddr = "198.51.100.7:4000"
		r.Header.Set("X-Forwarded-For", "1.1.1.1") // untrusted peer: ignored
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	for i := 0; i < 3; i++ {
		if rec := post(); rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := post()
	if rec.Code != 429 || !strings.Contains(rec.Body.String(), `"RATE_LIMIT_EXCEEDED"`) || rec.Header().Get("Retry-After") != "20" {
		t.Fatalf("4th attempt: %d %s Retry-After=%q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	clk.Advance(20 * time.Second)
	if rec := post(); rec.Code != 401 {
		t.Fatalf("after Retry-After: %d", rec.Code)
	}
}

// secondFactorStub requires a second step for one user.
type secondFactorStub struct{ userID string }

func (secondFactorStub) VerifyCode(context.Context, string, string) (string, error) {
	return "", NewError(CodeInvalidMFACode, "Invalid code")
}

func (s secondFactorStub) Required(_ context.Context, u User, _ LoginContext) (bool, error) {
	return u.ID == s.userID, nil
}

func TestSecondFactorHook(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	u := verifiedUser(t, a, "frank@example.test", "password for F!")
	a.setSecondFactor(secondFactorStub{userID: u.ID})
	ctx := context.Background()
	_, err := a.Login(ctx, LoginInput{Email: "frank@example.test", Password: "password for F!"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeMFARequired {
		t.Fatalf("login: %v; want MFA_REQUIRED", err)
	}
	pre, _ := e.Fields["preauth_token"].(string)
	if pre == "" {
		t.Fatal("no preauth_token")
	}
	// The Go API carries the token in a typed error.
	var mr *MFARequiredError
	if !errors.As(err, &mr) || mr.PreAuthToken != pre || !errors.Is(err, CodeMFARequired) ||
		!mr.ExpiresAt.Equal(clk.Now().UTC().Truncate(time.Millisecond).Add(a.cfg.PreAuthTTL)) {
		t.Errorf("MFARequiredError: %+v; want the envelope's preauth_token and its expiry", mr)
	}
	// The preauth token is not an access token.
	if status, code := call(protected(a, a.RequireAuth), "Bearer "+pre); status != 401 || code != string(CodeJWTError) {
		t.Errorf("preauth token as bearer: %d %s", status, code)
	}
	if n, err := a.failPreAuth(ctx, pre); err != nil || n != 1 {
		t.Fatalf("FailPreAuth = %d, %v", n, err)
	}
	pa, err := a.lookupPreAuth(ctx, pre)
	if err != nil || pa.User.ID != u.ID || pa.Attempts != 1 || pa.Login.Method != AMRPassword {
		t.Fatalf("LookupPreAuth = %+v, %v", pa, err)
	}
	tr, err := a.finishPreAuth(ctx, pre, AMROTP)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tr.Session.AMR, ","); got != "pwd,otp" {
		t.Errorf("amr = %s; want pwd,otp", got)
	}
	if _, err := a.finishPreAuth(ctx, pre, AMROTP); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("second use of the preauth token: %v", err)
	}
	// Expiry.
	_, err = a.Login(ctx, LoginInput{Email: "frank@example.test", Password: "password for F!"})
	errors.As(err, &e)
	clk.Advance(a.cfg.PreAuthTTL + time.Second)
	if _, err := a.finishPreAuth(ctx, e.Fields["preauth_token"].(string), AMROTP); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("expired preauth token: %v", err)
	}
}

// TestOutboxSurvivesMailOutage: a failing mailer loses nothing; the message
// is retried with backoff and delivered once the server is back.
func TestOutboxSurvivesMailOutage(t *testing.T) {
	var mu sync.Mutex
	down := true
	var sent []Message
	a, clk := newTestAuthos(t, func(c *Config) {
		c.Mailer = MailerFunc(func(_ context.Context, m Message) error {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return errors.New("connection refused")
			}
			sent = append(sent, m)
			return nil
		})
	})
	ctx := context.Background()
	if _, err := a.Register(ctx, RegisterInput{Email: "gina@example.test", Password: "password for G!"}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.ProcessOutbox(ctx); err != nil || n != 1 { // the signup event; the email failed
		t.Fatalf("first pass delivered %d, %v", n, err)
	}
	pending, _ := a.st.ListOutbox(ctx, store.OutboxFilter{Topic: store.TopicEmail, Pending: true})
	if len(pending) != 1 || pending[0].LastError == "" || !pending[0].NextAttemptAt.After(clk.Now()) {
		t.Fatalf("pending after failure = %+v", pending)
	}
	if n, _ := a.ProcessOutbox(ctx); n != 0 {
		t.Fatal("retried before the backoff")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	clk.Advance(10 * time.Second)
	if n, err := a.ProcessOutbox(ctx); err != nil || n != 1 {
		t.Fatalf("after recovery delivered %d, %v", n, err)
	}
	if len(sent) != 1 || sent[0].To != "gina@example.test" || !strings.Contains(sent[0].Text, "https://id.example.test/verify-email?token=") {
		t.Fatalf("sent = %+v", sent)
	}
	if n, _ := a.ProcessOutbox(ctx); n != 0 {
		t.Fatal("delivered twice")
	}
}

func TestJWKSAndRotation(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	u := verifiedUser(t, a, "hal@example.test", "hal's password!!")
	old, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RotateSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(a.jwks().Keys); n != 2 {
		t.Fatalf("JWKS after rotation has %d keys; want 2", n)
	}
	if _, err := a.VerifyAccessToken(ctx, old.AccessToken, ""); err != nil {
		t.Fatalf("token of the retired key refused: %v", err)
	}
	j := a.jwks().Keys[0]
	if j.KeyType != "OKP" || j.Curve != "Ed25519" || j.Alg != "EdDSA" || j.Use != "sig" || len(j.X) != 43 {
		t.Errorf("jwk = %+v", j)
	}
	clk.Advance(a.cfg.AccessTokenTTL + a.cfg.Leeway + time.Minute)
	// A new instance no longer publishes the retired key.
	b, err := New(ctx, Config{Store: a.st, Keyring: a.keyring, BaseURL: a.cfg.BaseURL, Now: clk.Now, Hasher: fastHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.jwks().Keys); n != 1 {
		t.Fatalf("JWKS after retirement has %d keys; want 1", n)
	}
	// A wrong keyring fails at start, not at request time.
	other, _ := NewKeyring(testKey(99))
	if _, err := New(ctx, Config{Store: a.st, Keyring: other, Now: clk.Now, Hasher: fastHasher{}}); !errors.Is(err, CodeEncryptionError) {
		t.Fatalf("New with the wrong keyring: %v; want ENCRYPTION_ERROR", err)
	}
}

// FuzzVerifyAccessToken: no input other than the minted token verifies,
// and nothing panics.
func FuzzVerifyAccessToken(f *testing.F) {
	a, _ := newTestAuthos(f, nil)
	u := verifiedUser(f, a, "ivy@example.test", "ivy's password!!")
	tr, err := a.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tr.AccessToken)
	f.Add("a.b.c")
	f.Add(strings.Repeat(".", 50))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := a.VerifyAccessToken(context.Background(), raw, "")
		if err == nil && (raw != tr.AccessToken || p.UserID != u.ID) {
			t.Fatalf("accepted %q", raw)
		}
		if err != nil {
			if c := AsError(err).Code; c != CodeJWTError && c != CodeTokenExpired {
				t.Fatalf("code %s for %q", c, raw)
			}
		}
	})
}

// BenchmarkMiddleware measures RequireAuth verifying an EdDSA token it has
// never seen (signature, claims, revocation check, principal in the
// context, and storing it in the verified-token cache, which is on as by
// default): every iteration presents a new token. The tokens are minted
// in batches with the timer stopped, and their garbage collected then.
func BenchmarkMiddleware(b *testing.B) {
	a, _ := newTestAuthos(b, nil)
	h := a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := httptest.NewRecorder()
	const batch = 512
	reqs := make([]*http.Request, 0, batch)
	b.ReportAllocs()
	for b.Loop() {
		if len(reqs) == 0 {
			b.StopTimer()
			for range batch {
				raw, _ := testToken(b, a, "")
				r := httptest.NewRequest("GET", "/app", nil)
				r.Header.Set("Authorization", "Bearer "+raw)
				reqs = append(reqs, r)
			}
			runtime.GC() // the minting's garbage is not the middleware's to collect
			b.StartTimer()
		}
		h.ServeHTTP(w, reqs[len(reqs)-1])
		reqs = reqs[:len(reqs)-1]
	}
	if w.Code != 200 {
		b.Fatalf("status %d", w.Code)
	}
}

// BenchmarkRawJWTParse is the primitive: golang-jwt Parse of the same token
// with the same key and no claim checks beyond the library's defaults.
func BenchmarkRawJWTParse(b *testing.B) {
	a, _ := newTestAuthos(b, nil)
	u := verifiedUser(b, a, "bench@example.test", "correct horse battery")
	tr, err := a.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
	if err != nil {
		b.Fatal(err)
	}
	a.keys.mu.RLock()
	pub := a.keys.signer.Public()
	a.keys.mu.RUnlock()
	keyfunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jwt.Parse(tr.AccessToken, keyfunc); err != nil {
			b.Fatal(err)
		}
	}
}
