package authos_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
)

// alwaysSecondFactor asks every login for a second factor.
type alwaysSecondFactor struct{}

func (alwaysSecondFactor) Required(context.Context, authos.User, authos.LoginContext) (bool, error) {
	return true, nil
}

func (alwaysSecondFactor) VerifyCode(context.Context, string, string) (string, error) {
	return "", authos.NewError(authos.CodeInvalidMFACode, "Invalid code")
}

// TestOpenSignIn: Extension.OpenSignIn gives a browser the hosted pages'
// sign-in session without a pending authorization request (a package's
// first factor that starts elsewhere, such as an unsolicited SAML
// response), so that a service's next authorization request completes
// without a page, with the amr given; prompt=login still asks; nothing is
// opened while a second factor is due, nor for a disabled account.
func TestOpenSignIn(t *testing.T) {
	var srv *httptest.Server
	var inst *authostest.Instance
	// Answers are checked against openapi.yaml, but for /test/open, the
	// test's own route.
	// The check is built here, on the test's goroutine (it may fail t).
	checked := oapitest.Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inst.Handler().ServeHTTP(w, r) }))
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/test/open" {
			inst.Handler().ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	inst = authostest.New(t, func(c *authos.Config) {
		c.BaseURL, c.AutoApproveOrgs = srv.URL, true
		c.RateLimits.Disabled = true
	})
	ctx := t.Context()
	ext := authos.Extend(inst.Authos)
	// GET /test/open?email= is a first factor that ends outside any flow.
	if err := ext.Handle(authos.Route{Pattern: "GET /test/open", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := inst.Store().GetUserByEmail(r.Context(), r.URL.Query().Get("email"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		opened, err := ext.OpenSignIn(w, r, u, authos.LoginContext{Method: "saml", AMR: []string{"mfa"}})
		switch {
		case err != nil:
			ext.SignInError(w, r, err)
		case opened:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})}); err != nil {
		t.Fatal(err)
	}

	owner := authostest.Token(t, inst, "olive@example.com")
	p, err := inst.VerifyAccessToken(ctx, owner, "")
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	const cb = "https://app.example.com/callback"
	web, err := inst.CreateService(ctx, p.UserID, o, authos.ServiceInput{Slug: str("web"), Name: str("Web"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{cb}})
	if err != nil {
		t.Fatal(err)
	}
	authostest.Token(t, inst, "zoe@example.com")
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: web.ClientID, ClientSecret: web.ClientSecret, RedirectURL: cb,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"}}

	newBrowser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	get := func(b *http.Client, u string) *http.Response {
		t.Helper()
		resp, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	// authorize runs the service's authorization request in b and returns
	// where it sends the browser, with the PKCE verifier.
	authorize := func(b *http.Client, opts ...oauth2.AuthCodeOption) (*url.URL, string) {
		t.Helper()
		v := oauth2.GenerateVerifier()
		resp := get(b, conf.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(v))...))
		to, err := resp.Location()
		if resp.StatusCode != http.StatusFound || err != nil {
			t.Fatalf("authorize: %d %v", resp.StatusCode, err)
		}
		return to, v
	}

	b := newBrowser()
	if resp := get(b, srv.URL+"/test/open?email=zoe@example.com"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("OpenSignIn: %d; want 204 (opened)", resp.StatusCode)
	}
	to, v := authorize(b)
	if !strings.HasPrefix(to.String(), cb+"?") || to.Query().Get("code") == "" {
		t.Fatalf("authorization request after OpenSignIn went to %s; want %s with a code", to, cb)
	}
	tok, err := conf.Exchange(ctx, to.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: web.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string   `json:"email"`
		AMR   []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "zoe@example.com" || !slices.Equal(claims.AMR, []string{"saml", "mfa"}) {
		t.Fatalf("claims %+v; want zoe with amr [saml mfa]", claims)
	}
	if to, _ := authorize(b, oauth2.SetAuthURLParam("prompt", "login")); to.Path != "/auth/signin" {
		t.Fatalf("prompt=login after OpenSignIn went to %s; want the sign-in page", to)
	}
	// Another browser has no session.
	if to, _ := authorize(newBrowser()); to.Path != "/auth/signin" {
		t.Fatalf("a browser without the session went to %s; want the sign-in page", to)
	}

	// A disabled account: the error page, no session.
	zoe, err := inst.Store().GetUserByEmail(ctx, "zoe@example.com")
	if err != nil {
		t.Fatal(err)
	}
	zoe.Disabled = true
	if err := inst.Store().UpdateUser(ctx, zoe); err != nil {
		t.Fatal(err)
	}
	b = newBrowser()
	if resp := get(b, srv.URL+"/test/open?email=zoe@example.com"); resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) != 0 {
		t.Fatalf("OpenSignIn of a disabled account: %d, cookies %v; want the error page and none", resp.StatusCode, resp.Cookies())
	}

	// A second factor due: nothing opened.
	ext.SetSecondFactor(alwaysSecondFactor{})
	b = newBrowser()
	if resp := get(b, srv.URL+"/test/open?email=olive@example.com"); resp.StatusCode != http.StatusAccepted || len(resp.Cookies()) != 0 {
		t.Fatalf("OpenSignIn with a second factor due: %d, cookies %v; want 202 (not opened) and none", resp.StatusCode, resp.Cookies())
	}
	if to, _ := authorize(b); to.Path != "/auth/signin" {
		t.Fatalf("after a refused OpenSignIn the request went to %s; want the sign-in page", to)
	}
}
