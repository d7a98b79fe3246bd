package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store"
)

// startAt starts a provider login for flow and follows the provider's
// authorization endpoint (mockoidc answers at once) to the callback
// query it sends back.
func (h *harness) startAt(provider, flow string) (url.Values, string) {
	h.t.Helper()
	res, err := h.svc.Start(context.Background(), provider, oauth.StartInput{Flow: flow})
	if err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	cb := location(h.t, get(h.t, browser(h.t), res.URL))
	if cb.Scheme+"://"+cb.Host+cb.Path != h.srv.URL+"/auth/social/"+provider+"/callback" {
		h.t.Fatalf("the provider sent the browser to %s", cb)
	}
	return cb.Query(), res.Browser
}

func wantErrCode(t *testing.T, err error, code authos.ErrorCode) {
	t.Helper()
	var e *authos.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v; want %s", err, code)
	}
}

// The provider side through the Go API: PKCE S256, state and nonce reach
// the provider, the code is exchanged with the verifier, the ID token is
// verified; the organization's own provider makes an unverified account
// whose identity waits for the address's confirmation; a replayed or
// foreign callback is refused.
func TestProviderLoginGoAPI(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-ada", Email: "ada@example.com", EmailVerified: true})
		flow := h.flow(browser(t), "s1", "n1")
		q, b := h.startAt("acme-sso", flow)
		az := h.lastAuthorize()
		if az.Get("code_challenge_method") != "S256" || len(az.Get("code_challenge")) != 43 || az.Get("state") != q.Get("state") ||
			len(az.Get("nonce")) < 20 || az.Get("client_id") != h.idp.ClientID {
			t.Fatalf("the provider received %v", az)
		}
		res, err := h.svc.Callback(ctx, "acme-sso", q, b)
		wantErrCode(t, err, authos.CodeEmailNotVerified)
		if tk := h.lastToken(); tk.Get("code_verifier") == "" || challenge(tk.Get("code_verifier")) != az.Get("code_challenge") {
			t.Fatalf("the token request's verifier %q does not match the challenge", tk.Get("code_verifier"))
		}
		if !res.Created || !res.Pending || res.User.ID != "" || res.Flow != flow || !res.Identity.Unconfirmed ||
			res.Identity.Subject != "idp-ada" || res.Identity.OrgID != h.org.ID {
			t.Fatalf("result %+v", res)
		}
		ada, err := st.GetUserByEmail(ctx, "ada@example.com")
		if err != nil || ada.EmailVerified {
			t.Fatalf("the account the organization's provider made: %+v, %v; want it unverified", ada, err)
		}
		// Replayed: the state is used.
		_, err = h.svc.Callback(ctx, "acme-sso", q, b)
		wantErrCode(t, err, authos.CodeOAuthStateMismatch)
		// Ada confirms her address; the Go API does it too, once.
		link, _ := url.Parse(h.confirmLink("ada@example.com"))
		token := link.Query().Get("token")
		if u, err := h.svc.Confirm(ctx, "acme-sso", token); err != nil || u.ID != ada.ID || !u.EmailVerified {
			t.Fatalf("Confirm: %+v, %v", u, err)
		}
		_, err = h.svc.Confirm(ctx, "acme-sso", token)
		wantErrCode(t, err, authos.CodeInvalidToken)
		// Another browser (another binding cookie) with a fresh state.
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-ada", Email: "ada@example.com", EmailVerified: true})
		q2, _ := h.startAt("acme-sso", h.flow(browser(t), "s2", "n2"))
		_, err = h.svc.Callback(ctx, "acme-sso", q2, "another-browser-cookie-value-0000000000000")
		wantErrCode(t, err, authos.CodeOAuthStateMismatch)
		// A second sign-in of the same person finds the same account.
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-ada", Email: "ada@example.com", EmailVerified: true})
		q3, b3 := h.startAt("acme-sso", h.flow(browser(t), "s3", "n3"))
		res3, err := h.svc.Callback(ctx, "acme-sso", q3, b3)
		if err != nil || res3.Created || res3.User.ID != ada.ID || !res3.User.EmailVerified || res3.Identity.Unconfirmed {
			t.Fatalf("second sign-in: %+v, %v", res3, err)
		}
	})
}
