package signintest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// signInHarness is an instance served over HTTP at its BaseURL with one
// active organization and its confidential (web) and public (desktop)
// services, and a signed-in person (a management access token).
type signInHarness struct {
	t        *testing.T
	inst     *authostest.Instance
	srv      *httptest.Server
	org      authos.Organization
	web      authos.ServiceView
	desktop  authos.ServiceView
	ownerTok string // the organization owner's access token (the person who signs in)
	ownerID  string
	// viaPage makes signIn sign the owner in on the hosted sign-in page
	// with ownerEmail and ownerPassword instead of the JSON completion.
	viaPage bool
}

// The organization owner's credentials.
const (
	ownerEmail    = "owner@example.com"
	ownerPassword = "olive owner's own passphrase"
)

const webCallback = "https://app.example.com/callback"

func newSignInHarness(t *testing.T, st store.Storage, opts ...func(*authos.Config)) *signInHarness {
	t.Helper()
	h := &signInHarness{t: t}
	handler := http.NotFoundHandler()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(h.srv.Close)
	h.inst = authostest.New(t, func(c *authos.Config) {
		c.Store, c.BaseURL, c.AutoApproveOrgs = st, h.srv.URL, true
		c.RateLimits.Disabled = true
		c.Pages.SignInURL = "https://front.example.com/signin"
		for _, o := range opts {
			o(c)
		}
	})
	handler = oapitest.Handler(t, h.inst.Handler())
	ctx := t.Context()
	h.ownerTok = authostest.Token(t, h.inst, ownerEmail, authostest.Name("Olive Owner"), authostest.Password(ownerPassword))
	p, err := h.inst.VerifyAccessToken(ctx, h.ownerTok, "")
	if err != nil {
		t.Fatal(err)
	}
	h.ownerID = p.UserID
	h.org, _, err = h.inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	h.web, err = h.inst.CreateService(ctx, p.UserID, h.org, authos.ServiceInput{Slug: str("webapp"), Name: str("Web app"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{webCallback}})
	if err != nil {
		t.Fatal(err)
	}
	h.desktop, err = h.inst.CreateService(ctx, p.UserID, h.org, authos.ServiceInput{Slug: str("desk"), Name: str("Desk"),
		ServiceType: str(authos.ServiceDesktop), RedirectURIs: &[]string{"http://127.0.0.1/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// browser returns a client with its own cookie jar that follows no redirect.
func (h *signInHarness) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get sends GET u with the browser and returns the response (body read).
func (h *signInHarness) get(b *http.Client, u string) (*http.Response, string) {
	h.t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, string(body)
}

// location returns the parsed Location of a 302.
func (h *signInHarness) location(resp *http.Response) *url.URL {
	h.t.Helper()
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("status %d; want 302", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// complete finishes the pending request flow as the owner (the JSON
// completion, with the browser's jar receiving the sign-in cookie) and
// returns the redirect it answers.
func (h *signInHarness) complete(b *http.Client, flow string) *url.URL {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"flow": flow})
	req, _ := http.NewRequest("POST", h.srv.URL+"/auth/authorize/complete", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.ownerTok)
	resp, err := b.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := json.Unmarshal([]byte(readBody(h.t, resp)), &out); err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("complete: status %d, %v", resp.StatusCode, err)
	}
	// The sign-in cookie: HttpOnly, SameSite=Lax, for the whole site (the
	// test server is http: no __Host- prefix, not Secure).
	ck := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, "authos_signin=") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") ||
		!strings.Contains(ck, "Path=/") || strings.Contains(ck, "Secure") {
		h.t.Errorf("sign-in cookie %q; want authos_signin, HttpOnly, SameSite=Lax, Path=/", ck)
	}
	u, err := url.Parse(out.RedirectTo)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

func (h *signInHarness) oauthConfig(scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: h.web.ClientID, ClientSecret: h.web.ClientSecret, RedirectURL: webCallback,
		Endpoint: oauth2.Endpoint{AuthURL: h.srv.URL + "/auth/authorize", TokenURL: h.srv.URL + "/auth/token"},
		Scopes:   scopes}
}

// wantRetrieveError checks that err is the token endpoint's rfc error with
// the catalog code.
func wantRetrieveError(t *testing.T, err error, rfc string, code authos.ErrorCode) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got %v; want an oauth2.RetrieveError %s", err, rfc)
	}
	var body struct {
		ErrorCode string `json:"error_code"`
	}
	_ = json.Unmarshal(re.Body, &body)
	if re.ErrorCode != rfc || body.ErrorCode != string(code) {
		t.Fatalf("got error %q, error_code %q; want %s and %s (body %s)", re.ErrorCode, body.ErrorCode, rfc, code, re.Body)
	}
}

// TestSignInWithOAuth2AndOIDC signs a person in to a confidential service
// with golang.org/x/oauth2 (PKCE S256) and coreos/go-oidc (discovery, ID
// token, nonce, at_hash) over HTTP, on every backend; then single sign-on,
// code reuse, a wrong verifier, refresh and client_credentials.
func TestSignInWithOAuth2AndOIDC(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st)
		ctx := t.Context()
		provider, err := oidc.NewProvider(ctx, h.srv.URL)
		if err != nil {
			t.Fatalf("oidc.NewProvider: %v", err)
		}
		conf := h.oauthConfig(oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess)
		conf.Endpoint = provider.Endpoint()
		idv := provider.Verifier(&oidc.Config{ClientID: h.web.ClientID})

		b := h.browser()
		verifier, state, nonce := oauth2.GenerateVerifier(), "st-1", "n-1"
		resp, _ := h.get(b, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
		toSignIn := h.location(resp)
		if toSignIn.Host != "front.example.com" || toSignIn.Query().Get("flow") == "" {
			t.Fatalf("without a sign-in session: redirected to %s; want the sign-in page with a flow", toSignIn)
		}
		back := h.complete(b, toSignIn.Query().Get("flow"))
		q := back.Query()
		if back.Scheme+"://"+back.Host+back.Path != webCallback || q.Get("state") != state || q.Get("iss") != h.srv.URL || q.Get("code") == "" {
			t.Fatalf("redirect after sign-in: %s; want the callback with code, state and iss", back)
		}
		code := q.Get("code")
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idt, err := idv.Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		if idt.Nonce != nonce {
			t.Errorf("ID token nonce %q; want %q", idt.Nonce, nonce)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("at_hash: %v", err)
		}
		var claims struct {
			Email    string   `json:"email"`
			Verified bool     `json:"email_verified"`
			Name     string   `json:"name"`
			AMR      []string `json:"amr"`
			SID      string   `json:"sid"`
			AuthTime int64    `json:"auth_time"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != h.ownerID || claims.Email != "owner@example.com" || !claims.Verified || claims.Name != "Olive Owner" ||
			!slices.Contains(claims.AMR, "pwd") || claims.SID == "" || claims.AuthTime == 0 {
			t.Errorf("ID token claims: sub %q %+v", idt.Subject, claims)
		}
		if tok.RefreshToken == "" || tok.Extra("scope") != "openid email profile offline_access" {
			t.Errorf("token response: refresh %q, scope %v", tok.RefreshToken, tok.Extra("scope"))
		}
		// The access token is the service's, not the management API's.
		if p, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID); err != nil || p.UserID != h.ownerID || p.Org != "acme" {
			t.Errorf("VerifyAccessToken(client_id): %+v, %v", p, err)
		}
		if _, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, ""); authos.AsError(err).Code != authos.CodeJWTError {
			t.Errorf("the service's token at the management API: %v; want JWT_ERROR", err)
		}
		// The sign-in session is listed with the person's sessions.
		sess, err := h.inst.ListSessions(ctx, h.ownerID, "")
		if err != nil || !slices.ContainsFunc(sess, func(s authos.SessionInfo) bool { return s.ID == claims.SID }) {
			t.Errorf("ListSessions: %+v, %v; want the sign-in session %s", sess, err, claims.SID)
		}

		// The code works once; presented again it is refused and what it
		// issued is revoked.
		_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		wantRetrieveError(t, err, "invalid_grant", authos.CodeOAuthCodeExpired)
		if _, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID); authos.AsError(err).Code != authos.CodeSessionRevoked {
			t.Errorf("access token after the code's reuse: %v; want SESSION_REVOKED", err)
		}
		_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		wantRetrieveError(t, err, "invalid_grant", authos.CodeSessionRevoked)

		// Single sign-on: the next request is answered without a page.
		verifier2 := oauth2.GenerateVerifier()
		resp, _ = h.get(b, conf.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier2), oidc.Nonce("n-2")))
		back = h.location(resp)
		if back.Host != "app.example.com" || back.Query().Get("code") == "" || back.Query().Get("state") != "st-2" {
			t.Fatalf("with a sign-in session: redirected to %s; want the callback with a code", back)
		}
		// A wrong verifier is invalid_grant with OAUTH_CODE_EXPIRED.
		_, err = conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantRetrieveError(t, err, "invalid_grant", authos.CodeOAuthCodeExpired)

		// Refresh with the client's authentication; the rotated token is
		// single use.
		resp, _ = h.get(b, conf.AuthCodeURL("st-3", oauth2.S256ChallengeOption(verifier2), oidc.Nonce("n-3")))
		tok3, err := conf.Exchange(ctx, h.location(resp).Query().Get("code"), oauth2.VerifierOption(verifier2))
		if err != nil {
			t.Fatalf("Exchange (SSO): %v", err)
		}
		next, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok3.RefreshToken}).Token()
		if err != nil || next.RefreshToken == "" || next.RefreshToken == tok3.RefreshToken {
			t.Fatalf("refresh: %+v, %v", next, err)
		}
		if raw, _ := next.Extra("id_token").(string); raw == "" {
			t.Error("refresh with openid: no id_token")
		} else if idt, err := idv.Verify(ctx, raw); err != nil || idt.Subject != h.ownerID {
			t.Errorf("refreshed ID token: %v", err)
		}
		// Another client (the desktop service) cannot redeem it, nor can a
		// request without the client's secret.
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}, "client_id": {h.desktop.ClientID}}
		if r := postForm(t, h.srv.URL+"/auth/token", form); r.status != 400 || r.body["error"] != "invalid_grant" {
			t.Errorf("refresh by another client: %d %v", r.status, r.body)
		}
		form.Set("client_id", h.web.ClientID)
		if r := postForm(t, h.srv.URL+"/auth/token", form); r.status != 400 || r.body["error"] != "invalid_client" {
			t.Errorf("refresh without the secret: %d %v", r.status, r.body)
		}

		// client_credentials: a token whose subject is the client.
		cc := clientcredentials.Config{ClientID: h.web.ClientID, ClientSecret: h.web.ClientSecret, TokenURL: h.srv.URL + "/auth/token"}
		ctok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client_credentials: %v", err)
		}
		if p, err := h.inst.VerifyAccessToken(ctx, ctok.AccessToken, h.web.ClientID); err != nil || p.UserID != h.web.ClientID || ctok.RefreshToken != "" {
			t.Errorf("client_credentials token: %+v, %v, refresh %q", p, err, ctok.RefreshToken)
		}
		pub := clientcredentials.Config{ClientID: h.desktop.ClientID, TokenURL: h.srv.URL + "/auth/token", AuthStyle: oauth2.AuthStyleInParams}
		_, err = pub.Token(ctx)
		wantRetrieveError(t, err, "unauthorized_client", authos.CodeUnauthorized)
	})
}

type formResult struct {
	status int
	body   map[string]any
}

func postForm(t *testing.T, u string, form url.Values) formResult {
	t.Helper()
	resp, err := http.PostForm(u, form)
	return decodeResult(t, resp, err)
}

// decodeResult reads a JSON answer's status and body.
func decodeResult(t *testing.T, resp *http.Response, err error) formResult {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	readJSON(t, resp, &out)
	return formResult{resp.StatusCode, out}
}

// TestAuthorizeRefusals: the errors of the authorization endpoint, shown
// as a page (bad client or redirect URI) or sent back to the client.
func TestAuthorizeRefusals(t *testing.T) {
	h := newSignInHarness(t, memory.New())
	b := h.browser()
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	authURL := func(mod func(q url.Values)) string {
		q := url.Values{"response_type": {"code"}, "client_id": {h.web.ClientID}, "redirect_uri": {webCallback},
			"scope": {"openid"}, "state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		mod(q)
		return h.srv.URL + "/auth/authorize?" + q.Encode()
	}
	page := func(name string, mod func(q url.Values), wantCode authos.ErrorCode) {
		t.Helper()
		resp, body := h.get(b, authURL(mod))
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(body, string(wantCode)) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: status %d, Location %q, body has %s: %v; want the 400 page", name, resp.StatusCode,
				resp.Header.Get("Location"), wantCode, strings.Contains(body, string(wantCode)))
		}
	}
	page("unknown client", func(q url.Values) { q.Set("client_id", "cl_nobody") }, authos.CodeUnauthorized)
	page("unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/cb") }, authos.CodeInvalidURL)
	page("trailing slash", func(q url.Values) { q.Set("redirect_uri", webCallback+"/") }, authos.CodeInvalidURL)
	page("other case", func(q url.Values) { q.Set("redirect_uri", strings.ToUpper(webCallback)) }, authos.CodeInvalidURL)
	page("extra query", func(q url.Values) { q.Set("redirect_uri", webCallback+"?x=1") }, authos.CodeInvalidURL)
	page("missing redirect", func(q url.Values) { q.Del("redirect_uri") }, authos.CodeBadRequest)
	page("loopback for a web service", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:5000/callback") }, authos.CodeInvalidURL)
	resp, _ := h.get(b, h.srv.URL+"/auth/authorize?client_id=a&client_id=b")
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("repeated client_id: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	redirected := func(name string, mod func(q url.Values), wantErr string) {
		t.Helper()
		resp, _ := h.get(b, authURL(mod))
		u := h.location(resp)
		q := u.Query()
		if u.Host != "app.example.com" || q.Get("error") != wantErr || q.Get("state") != "s1" || q.Get("iss") != h.srv.URL {
			t.Errorf("%s: redirected to %s; want error=%s with state and iss", name, u, wantErr)
		}
	}
	redirected("missing code_challenge", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request")
	redirected("plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request")
	redirected("token response type", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type")
	redirected("unknown scope", func(q url.Values) { q.Set("scope", "openid admin") }, "invalid_scope")
	redirected("prompt=none without a session", func(q url.Values) { q.Set("prompt", "none") }, "login_required")

	// A desktop service may use its loopback redirect on any port.
	resp, _ = h.get(b, authURL(func(q url.Values) {
		q.Set("client_id", h.desktop.ClientID)
		q.Set("redirect_uri", "http://127.0.0.1:49152/cb")
	}))
	if u := h.location(resp); u.Host != "front.example.com" {
		t.Errorf("desktop loopback redirect: sent to %s; want the sign-in page", u)
	}
	page("desktop loopback with another path", func(q url.Values) {
		q.Set("client_id", h.desktop.ClientID)
		q.Set("redirect_uri", "http://127.0.0.1:49152/other")
	}, authos.CodeInvalidURL)

	// A suspended organization: refused back to the client.
	if _, err := h.inst.TransitionOrganization(t.Context(), h.ownerID, authos.OrgTransition{OrgID: h.org.ID, Action: "suspend", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	resp, _ = h.get(b, authURL(func(url.Values) {}))
	if q := h.location(resp).Query(); q.Get("error") != "access_denied" || q.Get("error_code") != string(authos.CodeOrganizationNotActive) {
		t.Errorf("suspended organization: %v; want access_denied with ORGANIZATION_NOT_ACTIVE", q)
	}
}

// TestSignInStoreRequired: without store.SignInStore the authorization
// endpoint and the code grant are left out, and discovery says so.
func TestSignInStoreRequired(t *testing.T) {
	inst := authostest.New(t, func(c *authos.Config) { c.Store = authostest.CoreOnly(memory.New()) })
	grants, _ := inst.Discovery()["grant_types_supported"].([]string)
	if slices.Contains(inst.Routes(), "GET /auth/authorize") || slices.Contains(grants, "authorization_code") {
		t.Errorf("a store without SignInStore: routes %v, grants %v", inst.Routes(), grants)
	}
	if d := inst.Discovery(); d["authorization_endpoint"] != nil || len(d["response_types_supported"].([]string)) != 0 {
		t.Errorf("discovery without SignInStore: %v", d)
	}
	full := authostest.New(t)
	d := full.Discovery()
	if !slices.Equal(d["response_types_supported"].([]string), []string{"code"}) ||
		!slices.Equal(d["code_challenge_methods_supported"].([]string), []string{"S256"}) ||
		d["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("discovery: %v", d)
	}
}

// completeStatus posts the completion of flow with tok and returns the
// status and error_code.
func (h *signInHarness) completeStatus(b *http.Client, flow, tok string) (int, string) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{"flow": flow})
	req, _ := http.NewRequest("POST", h.srv.URL+"/auth/authorize/complete", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := b.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	var out struct {
		ErrorCode string `json:"error_code"`
	}
	readJSON(h.t, resp, &out)
	return resp.StatusCode, out.ErrorCode
}

// TestSignInFreshness: prompt=login and max_age send a signed-in browser
// to the sign-in page again, and the completion then needs a sign-in that
// is fresh enough; a completed request works once; the refresh grant
// narrows scope and refuses more.
func TestSignInFreshness(t *testing.T) {
	h := newSignInHarness(t, memory.New())
	ctx := t.Context()
	conf := h.oauthConfig(oidc.ScopeOpenID, "email", oidc.ScopeOfflineAccess)
	b := h.browser()
	v := oauth2.GenerateVerifier()
	resp, _ := h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	flow := h.location(resp).Query().Get("flow")
	h.complete(b, flow)
	if st, code := h.completeStatus(b, flow, h.ownerTok); st != 400 || code != string(authos.CodeBadRequest) {
		t.Errorf("completing a request twice: %d %s; want 400 BAD_REQUEST", st, code)
	}

	// prompt=login: the sign-in page again, and the token of the earlier
	// sign-in does not complete it.
	resp, _ = h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")))
	to := h.location(resp)
	if to.Host != "front.example.com" {
		t.Fatalf("prompt=login with a sign-in session: sent to %s; want the sign-in page", to)
	}
	h.inst.Clock.Advance(time.Second)
	if st, code := h.completeStatus(b, to.Query().Get("flow"), h.ownerTok); st != 401 || code != string(authos.CodeUnauthorized) {
		t.Errorf("prompt=login completed with an older sign-in: %d %s; want 401 UNAUTHORIZED", st, code)
	}
	fresh := authostest.Token(t, h.inst, "owner@example.com")
	if st, _ := h.completeStatus(b, to.Query().Get("flow"), fresh); st != 200 {
		t.Errorf("prompt=login completed with a fresh sign-in: %d; want 200", st)
	}

	// max_age: an older sign-in session is not enough.
	h.inst.Clock.Advance(2 * time.Minute)
	resp, _ = h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("max_age", "60")))
	to = h.location(resp)
	if to.Host != "front.example.com" {
		t.Fatalf("max_age=60 two minutes after signing in: sent to %s; want the sign-in page", to)
	}
	if st, _ := h.completeStatus(b, to.Query().Get("flow"), fresh); st != 401 {
		t.Errorf("max_age=60 completed with a two-minute-old sign-in: %d; want 401", st)
	}
	resp, _ = h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("max_age", "600")))
	back := h.location(resp)
	if back.Host != "app.example.com" || back.Query().Get("code") == "" {
		t.Fatalf("max_age=600: sent to %s; want the callback with a code", back)
	}

	// A token request without the verifier is refused (PKCE downgrade).
	_, err := conf.Exchange(ctx, back.Query().Get("code"))
	wantRetrieveError(t, err, "invalid_grant", authos.CodeOAuthCodeExpired)

	resp, _ = h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	tok, err := conf.Exchange(ctx, h.location(resp).Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	narrow := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"offline_access"},
		"client_id": {h.web.ClientID}, "client_secret": {h.web.ClientSecret}}
	r := postForm(t, h.srv.URL+"/auth/token", narrow)
	if r.status != 200 || r.body["scope"] != "offline_access" || r.body["id_token"] != nil {
		t.Errorf("narrowed refresh: %d %v; want scope offline_access and no id_token", r.status, r.body)
	}
	narrow.Set("refresh_token", r.body["refresh_token"].(string))
	narrow.Set("scope", "openid profile")
	if r := postForm(t, h.srv.URL+"/auth/token", narrow); r.status != 400 || r.body["error"] != "invalid_scope" {
		t.Errorf("refresh asking for more: %d %v; want invalid_scope", r.status, r.body)
	}
}

// TestPublicClientLoopback: a desktop service (public, no secret) signs in
// with PKCE through a loopback redirect on a random port, redeeming the
// code with its client_id alone; the hourly cleanup then forgets the used
// code and the pending requests.
func TestPublicClientLoopback(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st)
		ctx := t.Context()
		cb := httptest.NewServer(http.NotFoundHandler()) // the app's loopback listener, on a random port
		t.Cleanup(cb.Close)
		redirect := cb.URL + "/cb"
		conf := &oauth2.Config{ClientID: h.desktop.ClientID, RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID},
			Endpoint: oauth2.Endpoint{AuthURL: h.srv.URL + "/auth/authorize", TokenURL: h.srv.URL + "/auth/token",
				AuthStyle: oauth2.AuthStyleInParams}}
		b := h.browser()
		v := oauth2.GenerateVerifier()
		resp, _ := h.get(b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
		back := h.complete(b, h.location(resp).Query().Get("flow"))
		if back.Scheme+"://"+back.Host+back.Path != redirect {
			t.Fatalf("redirected to %s; want %s", back, redirect)
		}
		code := back.Query().Get("code")
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatalf("Exchange (public client): %v", err)
		}
		if p, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.desktop.ClientID); err != nil || p.UserID != h.ownerID {
			t.Errorf("public client's access token: %+v, %v", p, err)
		}
		if tok.RefreshToken != "" || tok.Extra("id_token") == nil {
			t.Errorf("scope openid without offline_access: refresh %q, id_token %v", tok.RefreshToken, tok.Extra("id_token"))
		}
		// A pending request and the used code are forgotten by the cleanup.
		resp, _ = h.get(h.browser(), conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(v)))
		flow := h.location(resp).Query().Get("flow")
		h.inst.Clock.Advance(2 * time.Hour)
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		ss := store.Require[store.SignInStore]
		sst, err := ss(h.inst.Store())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := sst.DeleteExpiredSignIn(ctx, h.inst.Now()); err != nil || n != 0 {
			t.Errorf("after Cleanup, DeleteExpiredSignIn still found %d rows (%v)", n, err)
		}
		if st, code := h.completeStatus(b, flow, authostest.Token(t, h.inst, "owner@example.com")); st != 400 || code != string(authos.CodeBadRequest) {
			t.Errorf("completing a request after the cleanup: %d %s; want 400 BAD_REQUEST", st, code)
		}
	})
}
