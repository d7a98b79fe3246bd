package authostest_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/event"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/store/storetest"
)

// hostRoute is a host's handler: it answers with the signed-in user's id.
var hostRoute = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(authos.PrincipalFrom(r.Context()).UserID)) // a failed write shows as a wrong answer in the test
})

// A host protects a route and tests it with a signed-in user: the whole
// test is the nine lines below.
func TestHostRoute(t *testing.T) {
	a := authostest.New(t)
	h := a.RequireAuth(hostRoute)
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+authostest.Token(t, a, "alice@example.com"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.Len() == 0 {
		t.Fatalf("got %d %q; want 200 and the user id", rec.Code, rec.Body)
	}

	// And without a token the route is closed.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil))
	if rec.Code != 401 {
		t.Fatalf("without a token: got %d; want 401", rec.Code)
	}
}

// BenchmarkHostRoute is TestHostRoute's cost per test: a new instance, a
// new user's token and one request.
func BenchmarkHostRoute(b *testing.B) {
	for b.Loop() {
		a := authostest.New(b)
		req := httptest.NewRequest("GET", "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+authostest.Token(b, a, "alice@example.com"))
		rec := httptest.NewRecorder()
		a.RequireAuth(hostRoute).ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

func TestToken(t *testing.T) {
	a := authostest.New(t)
	ctx := t.Context()
	tok := authostest.Token(t, a, "bob@example.com", authostest.Password("correct horse battery"), authostest.Name("Bob"))
	p, err := a.VerifyAccessToken(ctx, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Store().GetUserByEmail(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != u.ID || !u.EmailVerified || u.Name != "Bob" {
		t.Errorf("got principal %+v for user %+v; want the verified user Bob", p, u)
	}
	if got := p.AMR; len(got) != 1 || got[0] != authos.AMRPassword {
		t.Errorf("amr = %v; want [pwd]", got)
	}
	// The user signs in with the password given.
	if _, err := a.Login(ctx, authos.LoginInput{Email: "bob@example.com", Password: "correct horse battery"}); err != nil {
		t.Errorf("Login: %v", err)
	}
	// A second call signs the same user in again, in a new session.
	tok2 := authostest.Token(t, a, "bob@example.com", authostest.AMR(authos.AMRPassword, authos.AMROTP), authostest.Audience("orders"))
	p2, err := a.VerifyAccessToken(ctx, tok2, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if p2.UserID != u.ID || p2.SessionID == p.SessionID || strings.Join(p2.AMR, " ") != "pwd otp" {
		t.Errorf("second token: got %+v; want user %s in a new session with amr [pwd otp]", p2, u.ID)
	}
	// No email was sent for the user Token created.
	for _, m := range a.Emails() {
		t.Errorf("unexpected email to %s: %q", m.To, m.Subject)
	}
}

// Emails and events leave through the outbox; the instance delivers and
// returns them without Run.
func TestOutboxCaptured(t *testing.T) {
	a := authostest.New(t)
	u, err := a.Register(t.Context(), authos.RegisterInput{Email: "carol@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	ms := a.Emails()
	if len(ms) != 1 || ms[0].To != "carol@example.com" || !strings.Contains(ms[0].Text, "token=") {
		t.Fatalf("emails: got %+v; want the verification email to carol", ms)
	}
	evs := a.Events()
	if len(evs) != 1 || evs[0].Type != event.UserSignup || evs[0].TargetID != u.ID {
		t.Fatalf("events: got %+v; want one %s", evs, event.UserSignup)
	}
	// Delivered once: asking again returns the same messages.
	if n := len(a.Emails()); n != 1 {
		t.Errorf("emails on the second call: got %d; want 1", n)
	}
	// A Mailer or OnEvent the test configures still gets every message.
	var sent []string
	b := authostest.New(t, func(c *authos.Config) {
		c.Mailer = authos.MailerFunc(func(_ context.Context, m authos.Message) error { sent = append(sent, m.To); return nil })
	})
	if _, err := b.Register(t.Context(), authos.RegisterInput{Email: "dan@example.com", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.Emails()); n != 1 || len(sent) != 1 || sent[0] != "dan@example.com" {
		t.Errorf("got %d captured, %v sent; want 1 and [dan@example.com]", n, sent)
	}
}

func TestFastHasher(t *testing.T) {
	ctx := t.Context()
	var h authostest.FastHasher
	e1, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := h.Hash(ctx, "correct horse battery")
	if e1 == e2 || strings.Contains(e1, "correct") {
		t.Errorf("hashes %q and %q: want distinct salts and no password", e1, e2)
	}
	if ok, rehash, err := h.Verify(ctx, "correct horse battery", e1); !ok || rehash || err != nil {
		t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, err := h.Verify(ctx, "correct horse batterY", e1); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", e1[:len(e1)-4], strings.Replace(e1, "$", "", 2)} {
		if ok, _, err := h.Verify(ctx, "correct horse battery", bad); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
	// The production hasher refuses its hashes.
	prod, err := authos.NewArgon2id(authos.Argon2Params{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := prod.Verify(ctx, "correct horse battery", e1); ok || err == nil {
		t.Errorf("Argon2id.Verify(FastHasher hash) = %v, %v; want false and an error", ok, err)
	}
}

// A service that only verifies tokens discovers the provider's keys and
// checks its tokens like any others.
func TestProvider(t *testing.T) {
	p := authostest.NewProvider(t)
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, p.URL+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != p.URL || disc.JWKSURI != p.JWKSURL {
		t.Fatalf("discovery: got %+v; want issuer %s and jwks_uri %s", disc, p.URL, p.JWKSURL)
	}
	var set struct {
		Keys []struct{ Kid, Kty, Crv, X string }
	}
	getJSON(t, disc.JWKSURI, &set)
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Kty != "OKP" || k.Crv != "Ed25519" || err != nil {
			t.Fatalf("unexpected key %+v", k)
		}
		keys[k.Kid] = x
	}
	parse := func(raw, aud string) (*jwt.Token, error) {
		return jwt.Parse(raw, func(tok *jwt.Token) (any, error) { return keys[tok.Header["kid"].(string)], nil },
			jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(p.URL), jwt.WithAudience(aud), jwt.WithExpirationRequired())
	}

	raw := authostest.Token(t, p, "erin@example.com", authostest.Audience("orders"))
	tok, err := parse(raw, "orders")
	if err != nil {
		t.Fatalf("verifying the provider's token: %v", err)
	}
	u, _ := p.Store().GetUserByEmail(t.Context(), "erin@example.com")
	if sub, _ := tok.Claims.GetSubject(); sub != u.ID {
		t.Errorf("sub = %q; want %q", sub, u.ID)
	}
	if _, err := parse(raw, "billing"); err == nil {
		t.Error("the token verified for another audience")
	}
	// An expired token: minted with the provider's clock an hour back.
	p.Clock.Advance(-time.Hour)
	old := authostest.Token(t, p, "erin@example.com", authostest.Audience("orders"))
	p.Clock.Advance(time.Hour)
	if _, err := parse(old, "orders"); err == nil {
		t.Error("a token minted an hour ago verified")
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end; closing only frees the connection
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// CoreOnly hides the capabilities, on the store and in its transactions,
// and keeps the core: the conformance suite passes with the capability
// sections skipped.
func TestCoreOnly(t *testing.T) {
	st := authostest.CoreOnly(memory.New())
	if _, ok := store.As[store.MFAStore](st); ok {
		t.Error("CoreOnly offers store.MFAStore")
	}
	if _, ok := store.As[store.DeviceStore](st); ok {
		t.Error("CoreOnly offers store.DeviceStore")
	}
	err := st.Tx(t.Context(), func(tx store.Tx) error {
		if _, ok := store.As[store.MFAStore](tx); ok {
			t.Error("CoreOnly's transaction offers store.MFAStore")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) store.Storage { return authostest.CoreOnly(memory.New()) })
}

// FuzzFastHasher: Verify never panics on any encoded string, accepts only
// what Hash made of the same password, and a hash verifies its password.
func FuzzFastHasher(f *testing.F) {
	var h authostest.FastHasher
	e, _ := h.Hash(context.Background(), "correct horse battery")
	f.Add("correct horse battery", e)
	f.Add("", "$authostest-sha256$$")
	f.Add("x", "$authostest-sha256$c2FsdA$"+strings.Repeat("A", 43))
	f.Add("x", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Fuzz(func(t *testing.T, password, encoded string) {
		ctx := context.Background()
		if ok, _, err := h.Verify(ctx, password, encoded); ok && (err != nil || !strings.HasPrefix(encoded, "$authostest-sha256$")) {
			t.Fatalf("Verify(%q, %q) = true with error %v", password, encoded, err)
		}
		enc, err := h.Hash(ctx, password)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash, err := h.Verify(ctx, password, enc); !ok || rehash || err != nil {
			t.Fatalf("Verify(own hash of %q) = %v, %v, %v", password, ok, rehash, err)
		}
		if ok, _, _ := h.Verify(ctx, password+"x", enc); ok {
			t.Fatalf("Verify accepted another password for %q", password)
		}
	})
}
