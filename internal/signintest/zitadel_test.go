package signintest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// TestZitadelRelyingParty: a second, independent RP library,
// github.com/zitadel/oidc/v3's rp package, completes the flow for the
// public desktop service: discovery, PKCE (verifier kept in its cookie),
// a loopback redirect on a random port, the code exchange with the
// client_id alone and the verification of the EdDSA-signed ID token
// (issuer, audience, expiry, nonce-free); its access token is the
// service's, on every backend.
func TestZitadelRelyingParty(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st)
		ctx := t.Context()
		type result struct {
			tokens *zoidc.Tokens[*zoidc.IDTokenClaims]
			state  string
		}
		got := make(chan result, 1)
		mux := http.NewServeMux()
		app := httptest.NewServer(mux) // the desktop app's loopback listener, on a random port
		t.Cleanup(app.Close)
		cookies := httphelper.NewCookieHandler([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("e", 32)), httphelper.WithUnsecure())
		party, err := rp.NewRelyingPartyOIDC(ctx, h.srv.URL, h.desktop.ClientID, "", app.URL+"/cb",
			[]string{zoidc.ScopeOpenID, zoidc.ScopeEmail, zoidc.ScopeOfflineAccess},
			rp.WithPKCE(cookies), rp.WithSigningAlgsFromDiscovery())
		if err != nil {
			t.Fatalf("rp.NewRelyingPartyOIDC: %v", err)
		}
		mux.Handle("/login", rp.AuthURLHandler(func() string { return "zitadel-state" }, party))
		mux.Handle("/cb", rp.CodeExchangeHandler(func(w http.ResponseWriter, _ *http.Request, tokens *zoidc.Tokens[*zoidc.IDTokenClaims], state string, _ rp.RelyingParty) {
			got <- result{tokens, state}
			w.WriteHeader(http.StatusNoContent)
		}, party))

		b := h.browser()
		resp, _ := h.get(b, app.URL+"/login")
		toAuthorize := h.location(resp)
		if toAuthorize.Query().Get("code_challenge_method") != "S256" || toAuthorize.Query().Get("client_id") != h.desktop.ClientID {
			t.Fatalf("rp's authorization request: %s", toAuthorize)
		}
		resp, _ = h.get(b, toAuthorize.String())
		back := h.complete(b, h.location(resp).Query().Get("flow"))
		if back.Host != strings.TrimPrefix(app.URL, "http://") || back.Query().Get("code") == "" {
			t.Fatalf("redirected to %s; want the loopback listener with a code", back)
		}
		resp, body := h.get(b, back.String())
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("rp's code exchange: %d %s", resp.StatusCode, body)
		}
		r := <-got
		claims := r.tokens.IDTokenClaims
		if r.state != "zitadel-state" || claims.Subject != h.ownerID || claims.Issuer != h.srv.URL ||
			!slices.Contains(claims.Audience, h.desktop.ClientID) || claims.Email != "owner@example.com" || r.tokens.RefreshToken == "" {
			t.Errorf("rp's tokens: state %q, claims %+v, refresh %q", r.state, claims, r.tokens.RefreshToken)
		}
		if p, err := h.inst.VerifyAccessToken(ctx, r.tokens.AccessToken, h.desktop.ClientID); err != nil || p.UserID != h.ownerID {
			t.Errorf("the access token rp received: %+v, %v", p, err)
		}
		if _, err := h.inst.VerifyAccessToken(ctx, r.tokens.AccessToken, ""); authos.AsError(err).Code != authos.CodeJWTError {
			t.Errorf("the desktop service's token at the management API: %v; want JWT_ERROR", err)
		}
		// UserInfo through the same library.
		ui, err := rp.Userinfo[*zoidc.UserInfo](ctx, r.tokens.AccessToken, r.tokens.TokenType, claims.Subject, party)
		if err != nil || ui.Email != "owner@example.com" {
			t.Errorf("rp.Userinfo: %+v, %v", ui, err)
		}
	})
}
