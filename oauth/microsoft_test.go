package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store/memory"
)

// fakeEntra is a local stand-in for Microsoft's multi-tenant authority:
// the /common discovery document names the {tenantid} placeholder as its
// issuer, and each ID token's iss names the tenant of its tid claim (or,
// when lie is set, another tenant).
type fakeEntra struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	mu    sync.Mutex
	nonce map[string]string // code -> nonce
	lie   bool
	// iss, when set, is the iss parameter of its authorization responses
	// (RFC 9207; Entra sends none).
	iss string
}

func newFakeEntra(t *testing.T) *fakeEntra {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEntra{key: key, nonce: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /common/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		b := f.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": b + "/{tenantid}/v2.0",
			"authorization_endpoint": b + "/common/oauth2/v2.0/authorize", "token_endpoint": b + "/common/oauth2/v2.0/token",
			"jwks_uri": b + "/common/discovery/v2.0/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /common/discovery/v2.0/keys", func(w http.ResponseWriter, _ *http.Request) {
		enc := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": enc(key.N.Bytes()), "e": enc(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("GET /common/oauth2/v2.0/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		f.nonce["c1"] = q.Get("nonce")
		back := url.Values{"code": {"c1"}, "state": {q.Get("state")}}
		if f.iss != "" {
			back.Set("iss", f.iss)
		}
		f.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /common/oauth2/v2.0/token", func(w http.ResponseWriter, _ *http.Request) {
		iss := f.srv.URL + "/" + entraTenant + "/v2.0"
		f.mu.Lock()
		if f.lie {
			iss = f.srv.URL + "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
		}
		nonce := f.nonce["c1"]
		f.mu.Unlock()
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": iss, "tid": entraTenant, "aud": "ms-client", "sub": "ms-sub-1",
			"email": "mia@contoso.example", "email_verified": true, "nonce": nonce, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		tok.Header["kid"] = "k1"
		raw, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "ms-at", "token_type": "Bearer", "expires_in": 3600, "id_token": raw})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// entraTenant is the tenant of the fake's ID tokens.
const entraTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Microsoft's multi-tenant authority: the ID token's issuer must be the
// tenant its tid names; a token claiming another tenant's issuer is
// refused, and so is an authorization response whose iss is no tenant's
// issuer at the authority or another tenant's than the token's.
func TestMicrosoftTenantIssuer(t *testing.T) {
	ms := newFakeEntra(t)
	h := newHarness(t, memory.New(), func(c *oauth.Config) {
		c.Microsoft = oauth.Credentials{ClientID: "ms-client", ClientSecret: "ms-secret"}
		c.MicrosoftAuthority = ms.srv.URL
	})
	signIn := func() result {
		b := browser(t)
		btn := h.buttons(b, h.flow(b, "s", "n"))["microsoft"]
		if btn == "" {
			t.Fatal("no Microsoft button")
		}
		toMS := location(t, get(t, b, btn))
		return get(t, b, location(t, get(t, b, toMS.String())).String())
	}
	// fake sets what the fake Entra ID answers: lie, a token claiming
	// another tenant's issuer; iss, the authorization response's iss.
	fake := func(lie bool, iss string) {
		ms.mu.Lock()
		ms.lie, ms.iss = lie, iss
		ms.mu.Unlock()
	}
	tenantIss := ms.srv.URL + "/" + entraTenant + "/v2.0"
	for _, c := range []struct {
		lie  bool
		iss  string
		what string // the account must not be made from
	}{
		{true, "", "a token of the wrong tenant"},
		{false, ms.srv.URL + "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "a response naming another issuer"}, // another tenant
		{false, ms.srv.URL + "/common/v2.0", "a response naming another issuer"},                               // no tenant's
		{false, "https://login.example.net/" + entraTenant + "/v2.0", "a response naming another issuer"},      // another authority
		{false, ms.srv.URL + "/" + entraTenant + "/x/v2.0", "a response naming another issuer"},
	} {
		fake(c.lie, c.iss)
		wantClientError(t, signIn(), "OAUTH_ERROR")
		if n := h.countUsers("mia@contoso.example"); n != 0 {
			t.Fatalf("an account was made from %s (iss %q)", c.what, c.iss)
		}
	}
	fake(false, tenantIss)
	if r := signIn(); r.status != http.StatusFound || location(t, r).Query().Get("code") == "" {
		t.Fatalf("Microsoft sign-in: %d %s", r.status, r.body)
	}
	if n := h.countUsers("mia@contoso.example"); n != 1 {
		t.Fatal("no account after the Microsoft sign-in")
	}
}
