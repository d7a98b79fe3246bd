package authos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/internal/randx"
)

// testToken mints an access token for a session id of its own (not in the
// store: the verification checks only the revocation set), valid for the
// configured AccessTokenTTL and for audience (empty: the management one).
func testToken(t testing.TB, a *Authos, audience string) (raw, sid string) {
	t.Helper()
	if audience == "" {
		audience = a.cfg.ManagementAudience
	}
	now := a.now()
	sid = randx.ID()
	raw, err := a.mintAccessToken(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.cfg.Issuer, Subject: "user-" + sid, Audience: jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(a.cfg.AccessTokenTTL)), IssuedAt: jwt.NewNumericDate(now), ID: randx.ID(),
		},
		SessionID: sid, Email: "someone@example.test", AMR: []string{AMRPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw, sid
}

func mustVerify(t testing.TB, a *Authos, raw, audience string) *Principal {
	t.Helper()
	p, err := a.VerifyAccessToken(context.Background(), raw, audience)
	if err != nil {
		t.Fatalf("VerifyAccessToken: %v", err)
	}
	return p
}

func wantCode(t *testing.T, err error, code ErrorCode) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("error %v; want %s", err, code)
	}
}

// A token seen before is answered from the cache, without allocating, with
// the principal of its first verification.
func TestTokenCacheHit(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	u := verifiedUser(t, a, "hazel@example.test", "correct horse battery")
	tr, err := a.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	first := mustVerify(t, a, tr.AccessToken, "")
	if first.UserID != u.ID || first.SessionID == "" {
		t.Fatalf("principal %+v", first)
	}
	if n := a.tokens.len(); n != 1 {
		t.Fatalf("%d cached tokens after one verification; want 1", n)
	}
	if again := mustVerify(t, a, tr.AccessToken, ""); again != first {
		t.Fatal("second verification did not answer from the cache")
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := a.VerifyAccessToken(ctx, tr.AccessToken, ""); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a cache hit allocates %v times; want 0", allocs)
	}
	r := httptest.NewRequest("GET", "/api/user", nil)
	r.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := a.Authenticate(r, ""); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Authenticate on a cache hit allocates %v times; want 0", allocs)
	}
}

// The cache answers until the token's exp and not an instant later; past
// it, the full verification decides (with its leeway), and then refuses.
func TestTokenCacheExpiresAtExp(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	raw, _ := testToken(t, a, "")
	p := mustVerify(t, a, raw, "")
	clk.Advance(p.ExpiresAt.Sub(a.now()) - time.Millisecond)
	if again := mustVerify(t, a, raw, ""); again != p {
		t.Fatal("a millisecond before exp the cache did not answer")
	}
	clk.Advance(time.Millisecond) // now == exp
	if again := mustVerify(t, a, raw, ""); again == p {
		t.Fatal("at exp the cached principal was still used")
	}
	clk.Advance(a.cfg.Leeway + time.Second)
	_, err := a.VerifyAccessToken(context.Background(), raw, "")
	wantCode(t, err, CodeTokenExpired)
	// The expired entry was dropped when found, and a token verified
	// within the leeway past its exp is not cached.
	if n := a.tokens.len(); n != 0 {
		t.Fatalf("%d cached tokens after exp; want 0", n)
	}
}

// Revoking the session drops its cached tokens, and a revocation that
// reaches the set before the eviction (another instance's) refuses the
// cached token on its next use.
func TestTokenCacheRevocation(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	u := verifiedUser(t, a, "jules@example.test", "correct horse battery")
	tr, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	p := mustVerify(t, a, tr.AccessToken, "")
	// A second instance on the same store caches the token too.
	b, err := New(ctx, Config{Store: a.st, Keyring: a.keyring, BaseURL: a.cfg.BaseURL, Now: clk.Now, Hasher: fastHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, b, tr.AccessToken, "")
	if err := a.Logout(ctx, p.SessionID); err != nil {
		t.Fatal(err)
	}
	if n := a.tokens.len(); n != 0 {
		t.Fatalf("%d cached tokens after the revocation; want 0", n)
	}
	_, err = a.VerifyAccessToken(ctx, tr.AccessToken, "")
	wantCode(t, err, CodeSessionRevoked)
	// b learns of it with its next re-read of the store (memory and SQLite
	// stores have no push channel).
	clk.Advance(b.cfg.RevocationPoll)
	_, err = b.VerifyAccessToken(ctx, tr.AccessToken, "")
	wantCode(t, err, CodeSessionRevoked)
	if n := b.tokens.len(); n != 0 {
		t.Fatalf("%d tokens cached by the other instance after the revocation; want 0", n)
	}
}

func TestTokenCacheDisabled(t *testing.T) {
	a, _ := newTestAuthos(t, func(c *Config) { c.TokenCache.Disabled = true })
	if a.tokens != nil {
		t.Fatal("cache built although disabled")
	}
	raw, _ := testToken(t, a, "")
	first := mustVerify(t, a, raw, "")
	if second := mustVerify(t, a, raw, ""); second == first {
		t.Fatal("the disabled cache answered")
	}
	if _, err := New(context.Background(), Config{Store: a.st, Keyring: a.keyring, TokenCache: TokenCache{MaxEntries: -1}}); err == nil {
		t.Fatal("a negative TokenCache.MaxEntries was accepted")
	}
}

// The cache never holds more than MaxEntries tokens, nor more than
// MaxBytes of principals by its estimate; the tokens it dropped still
// verify in full.
func TestTokenCacheBounds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cache TokenCache
	}{
		{"entries", TokenCache{MaxEntries: 64}},
		{"bytes", TokenCache{MaxBytes: 16 * 1024}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestAuthos(t, func(c *Config) { c.TokenCache = tc.cache })
			var raws []string
			for range 500 {
				raw, _ := testToken(t, a, "")
				raws = append(raws, raw)
				mustVerify(t, a, raw, "")
			}
			n, bytes := 0, int64(0)
			for i := range a.tokens.shards {
				s := &a.tokens.shards[i]
				n += len(s.m)
				bytes += s.bytes
				var sum int64
				for _, e := range s.m {
					sum += e.size
				}
				if sum != s.bytes {
					t.Fatalf("shard %d accounts %d bytes, holds %d", i, s.bytes, sum)
				}
			}
			if maxN := a.cfg.TokenCache.MaxEntries; n > maxN || n == 0 {
				t.Fatalf("%d cached tokens; want 1..%d", n, maxN)
			}
			if maxB := a.cfg.TokenCache.MaxBytes; bytes > maxB {
				t.Fatalf("%d cached bytes; want at most %d", bytes, maxB)
			}
			for _, raw := range raws {
				mustVerify(t, a, raw, "")
			}
		})
	}
}

// A token cached for one audience is not accepted for another.
func TestTokenCacheAudience(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	const service = "svc-client-id"
	mgmt, _ := testToken(t, a, "")
	svc, _ := testToken(t, a, service)
	mustVerify(t, a, mgmt, "")
	mustVerify(t, a, svc, service)
	_, err := a.VerifyAccessToken(context.Background(), mgmt, service)
	wantCode(t, err, CodeJWTError)
	_, err = a.VerifyAccessToken(context.Background(), svc, "")
	wantCode(t, err, CodeJWTError)
	// Both still verify for their own audience.
	mustVerify(t, a, mgmt, "")
	mustVerify(t, a, svc, service)
}

// A key rotation starts the cache afresh, so no cached token outlives the
// key set that verified it; tokens of the retired key verify again in full.
func TestTokenCacheKeyRotation(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	raw, _ := testToken(t, a, "")
	p := mustVerify(t, a, raw, "")
	if _, err := a.RotateSigningKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := a.tokens.len(); n != 0 {
		t.Fatalf("%d cached tokens after a rotation; want 0", n)
	}
	if again := mustVerify(t, a, raw, ""); again == p {
		t.Fatal("the principal verified with the old key set was answered")
	}
	// Once the retired key can sign no live token it is dropped: a later
	// key reload clears the cache again.
	clk.Advance(a.cfg.AccessTokenTTL + a.cfg.Leeway + time.Minute)
	keys, err := a.st.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := testToken(t, a, "")
	mustVerify(t, a, fresh, "")
	if err := a.installKeys(keys); err != nil {
		t.Fatal(err)
	}
	if n := len(a.jwks().Keys); n != 1 {
		t.Fatalf("%d keys after the retired one expired; want 1", n)
	}
	if n := a.tokens.len(); n != 0 {
		t.Fatalf("%d cached tokens after a key reload; want 0", n)
	}
	// The old token's key is gone: refused before its claims are read.
	_, err = a.VerifyAccessToken(context.Background(), raw, "")
	wantCode(t, err, CodeJWTError)
}

// A verification under way when the keys are reloaded does not store its
// principal.
func TestTokenCacheClearDuringVerification(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	raw, _ := testToken(t, a, "")
	p := mustVerify(t, a, raw, "")
	a.tokens.clear()
	gen := a.tokens.gen.Load()
	a.tokens.clear()
	a.tokens.put(tokenKey{sum: tokenDigest(raw), audience: a.cfg.ManagementAudience}, p,
		p.ExpiresAt.UnixNano(), a.now().UnixNano(), gen)
	if n := a.tokens.len(); n != 0 {
		t.Fatal("a principal verified before a clear was stored after it")
	}
}

// Many requests verify, revoke and rotate at once (run with -race): no
// revoked token is accepted once its revocation returned.
func TestTokenCacheConcurrent(t *testing.T) {
	a, _ := newTestAuthos(t, func(c *Config) { c.TokenCache.MaxEntries = 256 })
	ctx := context.Background()
	type tok struct{ raw, sid string }
	toks := make([]tok, 64)
	for i := range toks {
		toks[i].raw, toks[i].sid = testToken(t, a, "")
	}
	var revoked sync.Map
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := toks[(i*7+w)%len(toks)]
				_, wasRevoked := revoked.Load(k.sid)
				_, err := a.VerifyAccessToken(ctx, k.raw, "")
				if wasRevoked && !errors.Is(err, CodeSessionRevoked) {
					t.Errorf("token of a revoked session: %v", err)
					return
				}
				if !wasRevoked && err != nil && !errors.Is(err, CodeSessionRevoked) {
					t.Errorf("verification: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; i < len(toks); i += 4 {
			a.SessionsRevoked([]string{toks[i].sid})
			revoked.Store(toks[i].sid, true)
		}
	})
	wg.Go(func() {
		for range 3 {
			if _, err := a.RotateSigningKey(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}

// The revocation set is bounded; revocations that find it full are never
// forgotten: sessions absent from the set are read from the store until
// they could have expired.
func TestRevocationSetBound(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	a.revoked.max = 2
	u := verifiedUser(t, a, "ingrid@example.test", "correct horse battery")
	var tokens []string
	var sids []string
	for range 4 {
		tr, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
		if err != nil {
			t.Fatal(err)
		}
		p := mustVerify(t, a, tr.AccessToken, "")
		tokens, sids = append(tokens, tr.AccessToken), append(sids, p.SessionID)
	}
	for _, sid := range sids[:3] {
		if err := a.Logout(ctx, sid); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.revoked.ids); n != 2 {
		t.Fatalf("revocation set holds %d; want its bound 2", n)
	}
	for i, raw := range tokens[:3] {
		_, err := a.VerifyAccessToken(ctx, raw, "")
		if !errors.Is(err, CodeSessionRevoked) {
			t.Fatalf("token %d of a revoked session: %v", i, err)
		}
	}
	mustVerify(t, a, tokens[3], "")
	// A client_credentials token has no stored session to look up: the
	// overflow does not refuse it.
	cc, err := a.mintClientToken(ctx, ServiceClient{Service: Service{ClientID: "cl_machine"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, a, cc.AccessToken, "cl_machine")
	// Once every token the left-out revocation covers has expired, the set
	// forgets and the store is no longer read.
	clk.Advance(a.cfg.AccessTokenTTL + a.cfg.Leeway + 2*time.Second)
	if a.now().Before(a.revoked.overflowUntil) {
		t.Fatalf("overflow lasts until %v, past the horizon", a.revoked.overflowUntil)
	}
}

// BenchmarkMiddlewareCached measures the cached verification step of
// RequireAuth for a token seen before: Authenticate (bearer token from the
// header, SHA-256 digest, cache lookup, exp, revocation set lookup), with
// 0 allocations. Compare with BenchmarkRawJWTParse. What RequireAuth adds on
// top is attaching the principal to the request (r.WithContext of a
// context.WithValue): two allocations (the context value and the shallow
// copy of the *http.Request that WithContext must make, since a handler may
// not change the request it was given); BenchmarkMiddlewareCachedRequest
// measures the whole.
func BenchmarkMiddlewareCached(b *testing.B) {
	a, _ := newTestAuthos(b, nil)
	raw, _ := testToken(b, a, "")
	r := httptest.NewRequest("GET", "/app", nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	if _, err := a.Authenticate(r, ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddlewareCachedRequest is BenchmarkMiddlewareCached through
// RequireAuth: the cached verification plus the principal attached to the
// request's context (two allocations, see BenchmarkMiddlewareCached).
func BenchmarkMiddlewareCachedRequest(b *testing.B) {
	a, _ := newTestAuthos(b, nil)
	raw, _ := testToken(b, a, "")
	h := a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/app", nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.Code != 200 {
		b.Fatalf("status %d", w.Code)
	}
}
