package signintest_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/store/sqlite"
)

// benchSignIn is an instance on SQLite with a web service and a browser
// signed in to it (single sign-on), for the benchmarks.
type benchSignIn struct {
	inst    *authostest.Instance
	handler http.Handler
	web     authos.ServiceView
	cookie  string // the browser's sign-in cookie
}

func newBenchSignIn(b *testing.B) *benchSignIn {
	b.Helper()
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	x := &benchSignIn{}
	x.inst = authostest.New(b, func(c *authos.Config) {
		c.Store, c.AutoApproveOrgs, c.RateLimits.Disabled = st, true, true
		c.Pages.SignInURL = "https://front.example.com/signin"
	})
	x.handler = x.inst.Handler()
	ctx := b.Context()
	tok := authostest.Token(b, x.inst, "owner@example.com")
	p, err := x.inst.VerifyAccessToken(ctx, tok, "")
	if err != nil {
		b.Fatal(err)
	}
	org, _, err := x.inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		b.Fatal(err)
	}
	str := func(s string) *string { return &s }
	x.web, err = x.inst.CreateService(ctx, p.UserID, org, authos.ServiceInput{Slug: str("webapp"), Name: str("Web app"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{webCallback}})
	if err != nil {
		b.Fatal(err)
	}
	rec := x.serve(httptest.NewRequest("GET", x.authorizeURL("s", oauth2.GenerateVerifier()), nil))
	to, _ := url.Parse(rec.Header().Get("Location"))
	body, _ := json.Marshal(map[string]string{"flow": to.Query().Get("flow")})
	req := httptest.NewRequest("POST", "/auth/authorize/complete", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec = x.serve(req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "authos_signin" {
			x.cookie = c.Value
		}
	}
	if rec.Code != 200 || x.cookie == "" {
		b.Fatalf("complete: %d %s", rec.Code, rec.Body)
	}
	return x
}

func (x *benchSignIn) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	x.handler.ServeHTTP(rec, r)
	return rec
}

func (x *benchSignIn) authorizeURL(state, verifier string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {x.web.ClientID}, "redirect_uri": {webCallback},
		"scope": {"openid offline_access"}, "state": {state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}}
	return "/auth/authorize?" + q.Encode()
}

// code returns a fresh code for verifier through single sign-on.
func (x *benchSignIn) code(b *testing.B, verifier string) string {
	req := httptest.NewRequest("GET", x.authorizeURL("s", verifier), nil)
	req.AddCookie(&http.Cookie{Name: "authos_signin", Value: x.cookie})
	to, err := url.Parse(x.serve(req).Header().Get("Location"))
	if err != nil || to.Query().Get("code") == "" {
		b.Fatalf("no code: %v %s", err, to)
	}
	return to.Query().Get("code")
}

// exchange redeems code at POST /auth/token and returns the tokens.
func (x *benchSignIn) exchange(b *testing.B, code, verifier string) map[string]any {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webCallback}, "code_verifier": {verifier}}
	req := httptest.NewRequest("POST", "/auth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(x.web.ClientID), url.QueryEscape(x.web.ClientSecret))
	rec := x.serve(req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		b.Fatalf("exchange: %d %s", rec.Code, rec.Body)
	}
	return out
}

// BenchmarkAuthorizationCodeExchange measures POST /auth/token redeeming an
// authorization code on SQLite (client authentication, the code's single
// use, PKCE, the new session, refresh token and grant in one transaction,
// the access and ID tokens); getting each code (single sign-on at
// /auth/authorize) is not timed. Compare with BenchmarkRawJWTParse.
func BenchmarkAuthorizationCodeExchange(b *testing.B) {
	x := newBenchSignIn(b)
	verifier := oauth2.GenerateVerifier()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		code := x.code(b, verifier)
		b.StartTimer()
		x.exchange(b, code, verifier)
	}
}

// BenchmarkRawJWTParse is the primitive: golang-jwt parses and verifies an
// Ed25519 (EdDSA) access token of the same instance with its public key.
func BenchmarkRawJWTParse(b *testing.B) {
	x := newBenchSignIn(b)
	verifier := oauth2.GenerateVerifier()
	tok, _ := x.exchange(b, x.code(b, verifier), verifier)["access_token"].(string)
	var set struct {
		Keys []struct {
			Crv, X string
		} `json:"keys"`
	}
	if err := json.Unmarshal(x.serve(httptest.NewRequest("GET", "/.well-known/jwks.json", nil)).Body.Bytes(), &set); err != nil ||
		len(set.Keys) == 0 || set.Keys[0].Crv != "Ed25519" {
		b.Fatalf("JWKS: %+v %v", set, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil {
		b.Fatal(err)
	}
	pub := ed25519.PublicKey(raw)
	keyfunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jwt.Parse(tok, keyfunc, jwt.WithAudience(x.web.ClientID)); err != nil {
			b.Fatal(err)
		}
	}
}
