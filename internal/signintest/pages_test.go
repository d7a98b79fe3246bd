package signintest_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// pagesHarness is an instance with the hosted sign-in pages (no
// Pages.SignInURL), package mfa, an organization with two confidential
// services, and a verified user with a password.
type pagesHarness struct {
	t        *testing.T
	inst     *authostest.Instance
	srv      *httptest.Server
	mfa      *mfa.Service
	web, two authos.ServiceView
	userID   string
}

const (
	pagesEmail    = "ada@example.com"
	pagesPassword = "analytical engine 1843"
	twoCallback   = "https://two.example.com/cb"
)

func newPagesHarness(t *testing.T, st store.Storage) *pagesHarness {
	t.Helper()
	h := &pagesHarness{t: t}
	// The handler is built at the first request, so that a test may
	// register routes first. Its answers are checked against openapi.yaml,
	// but for /test-idp, a test's own route (TestSignInMethodSeam).
	// The openapi.yaml check is built here, on the test's goroutine (it
	// may fail t).
	checked := oapitest.Handler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.inst.Handler().ServeHTTP(w, r) }))
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/test-idp" {
			h.inst.Handler().ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	h.inst = authostest.New(t, func(c *authos.Config) {
		c.Store, c.BaseURL, c.AutoApproveOrgs = st, h.srv.URL, true
		c.RateLimits.Disabled = true
	})
	var err error
	if h.mfa, err = mfa.New(h.inst.Authos, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tok := authostest.Token(t, h.inst, pagesEmail, authostest.Password(pagesPassword), authostest.Name("Ada"))
	p, err := h.inst.VerifyAccessToken(ctx, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	h.userID = p.UserID
	org, _, err := h.inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	h.web, err = h.inst.CreateService(ctx, p.UserID, org, authos.ServiceInput{Slug: str("webapp"), Name: str("Web app"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{webCallback}})
	if err != nil {
		t.Fatal(err)
	}
	h.two, err = h.inst.CreateService(ctx, p.UserID, org, authos.ServiceInput{Slug: str("two"), Name: str("Two"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{twoCallback}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// client is an OpenID Connect client of service s: x/oauth2 with the
// endpoints from discovery, and go-oidc's ID token verifier.
type client struct {
	conf *oauth2.Config
	idv  *oidc.IDTokenVerifier
}

func (h *pagesHarness) client(s authos.ServiceView, callback string) client {
	h.t.Helper()
	provider, err := oidc.NewProvider(h.t.Context(), h.srv.URL)
	if err != nil {
		h.t.Fatalf("oidc.NewProvider: %v", err)
	}
	return client{
		conf: &oauth2.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, RedirectURL: callback,
			Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"}},
		idv: provider.Verifier(&oidc.Config{ClientID: s.ClientID}),
	}
}

// authRequest is one authorization request of a client in progress.
type authRequest struct {
	c                      client
	verifier, state, nonce string
}

// start sends the browser b to the authorization endpoint and returns the
// request and where it was redirected.
func (h *pagesHarness) start(b *http.Client, c client, opts ...oauth2.AuthCodeOption) (authRequest, *url.URL) {
	h.t.Helper()
	ar := authRequest{c: c, verifier: oauth2.GenerateVerifier(), state: "st-" + time.Now().Format("150405.000"), nonce: "n-" + h.t.Name()}
	opts = append(opts, oauth2.S256ChallengeOption(ar.verifier), oidc.Nonce(ar.nonce))
	resp, _ := (&signInHarness{t: h.t}).get(b, c.conf.AuthCodeURL(ar.state, opts...))
	return ar, (&signInHarness{t: h.t}).location(resp)
}

// finish checks the redirect to the client and redeems its code; it
// returns the verified ID token.
func (h *pagesHarness) finish(ar authRequest, back *url.URL) *oidc.IDToken {
	h.t.Helper()
	q := back.Query()
	if back.Scheme+"://"+back.Host+back.Path != ar.c.conf.RedirectURL || q.Get("state") != ar.state || q.Get("iss") != h.srv.URL || q.Get("code") == "" {
		h.t.Fatalf("redirect %s; want %s with code, state %s and iss", back, ar.c.conf.RedirectURL, ar.state)
	}
	tok, err := ar.c.conf.Exchange(h.t.Context(), q.Get("code"), oauth2.VerifierOption(ar.verifier))
	if err != nil {
		h.t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := ar.c.idv.Verify(h.t.Context(), raw)
	if err != nil {
		h.t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != ar.nonce {
		h.t.Fatalf("ID token nonce %q; want %q", idt.Nonce, ar.nonce)
	}
	return idt
}

// amr is the amr claim of idt.
func amr(t *testing.T, idt *oidc.IDToken) []string {
	var c struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c.AMR
}

// page is a fetched HTML page.
type page struct {
	resp *http.Response
	body string
}

var (
	pageFormRE   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	pageHiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	pageLinkRE   = regexp.MustCompile(`https?://\S+`)
)

// open GETs u with b.
func (h *pagesHarness) open(b *http.Client, u string) page {
	h.t.Helper()
	resp, body := (&signInHarness{t: h.t}).get(b, u)
	return page{resp, body}
}

// submit posts the page's form with its hidden fields and fields.
func (h *pagesHarness) submit(b *http.Client, p page, fields url.Values) page {
	h.t.Helper()
	m := pageFormRE.FindStringSubmatch(p.body)
	if m == nil {
		h.t.Fatalf("no form on the page (status %d):\n%s", p.resp.StatusCode, p.body)
	}
	form := url.Values{}
	for _, hm := range pageHiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(hm[1], html.UnescapeString(hm[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	action, err := p.resp.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := b.PostForm(action.String(), form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var sb strings.Builder
	if _, err := io.Copy(&sb, resp.Body); err != nil {
		h.t.Fatal(err)
	}
	return page{resp, sb.String()}
}

// wantPage checks a page's status, its headers (CSP without script and
// framing, no-store) and that its body holds every want.
func wantPage(t *testing.T, p page, status int, want ...string) {
	t.Helper()
	if p.resp.StatusCode != status {
		t.Fatalf("%s %s: status %d; want %d\n%s", p.resp.Request.Method, p.resp.Request.URL.Path, p.resp.StatusCode, status, p.body)
	}
	h := p.resp.Header
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		strings.Contains(csp, "script-src") || h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("page headers: CSP %q, Cache-Control %q, X-Frame-Options %q, Content-Type %q", csp,
			h.Get("Cache-Control"), h.Get("X-Frame-Options"), h.Get("Content-Type"))
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: page lacks %q:\n%s", p.resp.Request.URL.Path, w, p.body)
		}
	}
}

// location is the Location of a 302 page answer.
func location(t *testing.T, p page) *url.URL {
	t.Helper()
	if p.resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d; want 302\n%s", p.resp.StatusCode, p.body)
	}
	u, err := url.Parse(p.resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestHostedSignInPage signs a person in to a confidential service
// through the hosted page with x/oauth2 and go-oidc on every backend: a
// wrong password shows the form again and counts toward the lockout; the
// right one returns to the client with a code; a second service then gets
// a code without a page (single sign-on); the used flow is gone.
func TestHostedSignInPage(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newPagesHarness(t, st)
		b := (&signInHarness{t: t}).browser()
		ar, to := h.start(b, h.client(h.web, webCallback), oauth2.SetAuthURLParam("login_hint", pagesEmail))
		if to.String() != h.srv.URL+"/auth/signin?flow="+to.Query().Get("flow") || to.Query().Get("flow") == "" {
			t.Fatalf("without a sign-in session: redirected to %s; want the hosted sign-in page", to)
		}
		signin := h.open(b, to.String())
		wantPage(t, signin, 200, `<label for="email">`, `<label for="password">`, `value="`+pagesEmail+`"`,
			`name="csrf"`, "/auth/signup?flow=", "/auth/forgot?flow=", "<title>Sign in")

		// The password field is optional in the browser (an email of a
		// single sign-on domain goes to its provider without one); an empty
		// password shows the form again and counts as no failure.
		if strings.Contains(signin.body, `autocomplete="current-password" required`) {
			t.Errorf("the password field is required in the browser; home-realm discovery needs it optional")
		}
		empty := h.submit(b, signin, url.Values{"email": {pagesEmail}, "password": {""}})
		wantPage(t, empty, http.StatusBadRequest, `role="alert"`, `<label for="password">`)
		if lf, err := st.GetLoginFailures(t.Context(), lockoutkey.Account(pagesEmail)); err == nil && lf.Count != 0 {
			t.Fatalf("account failures after an empty password: %d; want 0", lf.Count)
		}

		wrong := h.submit(b, empty, url.Values{"email": {pagesEmail}, "password": {"not the password"}})
		wantPage(t, wrong, http.StatusUnauthorized, `role="alert"`, "Invalid email or password", `<label for="password">`)
		lf, err := st.GetLoginFailures(t.Context(), lockoutkey.Account(pagesEmail))
		if err != nil || lf.Count != 1 {
			t.Fatalf("account failures after a wrong password on the page: %+v, %v; want 1", lf, err)
		}

		back := location(t, h.submit(b, wrong, url.Values{"email": {pagesEmail}, "password": {pagesPassword}}))
		idt := h.finish(ar, back)
		if idt.Subject != h.userID || !slices.Equal(amr(t, idt), []string{authos.AMRPassword}) {
			t.Fatalf("ID token sub %s amr %v; want %s [pwd]", idt.Subject, amr(t, idt), h.userID)
		}
		if lf, _ := st.GetLoginFailures(t.Context(), lockoutkey.Account(pagesEmail)); lf.Count != 0 {
			t.Errorf("failures after the right password: %d; want 0", lf.Count)
		}
		if sess, err := st.ListUserSessions(t.Context(), h.userID, h.inst.Now()); err != nil || !slices.ContainsFunc(sess, func(s store.Session) bool {
			return s.Audience == "authos:signin" && slices.Equal(s.AMR, []string{authos.AMRPassword}) && s.RevokedAt.IsZero()
		}) {
			t.Errorf("stored sessions %+v, %v; want a live sign-in session with amr [pwd]", sess, err)
		}

		// Single sign-on: the second service gets a code at once.
		ar2, back2 := h.start(b, h.client(h.two, twoCallback))
		h.finish(ar2, back2)

		// The flow was consumed.
		gone := h.open(b, to.String())
		wantPage(t, gone, http.StatusBadRequest, `role="alert"`, "BAD_REQUEST")
	})
}

// TestHostedSignInLanguage serves the sign-in page in German for
// Accept-Language: de.
func TestHostedSignInLanguage(t *testing.T) {
	h := newPagesHarness(t, memory.New())
	b := (&signInHarness{t: t}).browser()
	_, to := h.start(b, h.client(h.web, webCallback))
	req, _ := http.NewRequest("GET", to.String(), nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	wantPage(t, page{resp, sb.String()}, 200, `<html lang="de">`, "E-Mail-Adresse", "Passwort vergessen?")
}

// TestHostedSignInMFA: a user with TOTP gets the second step after the
// password; a wrong code shows the form again; the right one returns to
// the client and the ID token's amr has otp.
func TestHostedSignInMFA(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newPagesHarness(t, st)
		ctx := t.Context()
		tok := authostest.Token(t, h.inst, pagesEmail)
		p, err := h.inst.VerifyAccessToken(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		en, err := h.mfa.Setup(ctx, p, pagesPassword)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(en.Secret, h.inst.Clock.Now())
		backup, err := h.mfa.Enable(ctx, p, code, pagesPassword)
		if err != nil || len(backup) == 0 {
			t.Fatal(backup, err)
		}
		h.inst.Clock.Advance(31 * time.Second) // the next code is a new step

		b := (&signInHarness{t: t}).browser()
		ar, to := h.start(b, h.client(h.web, webCallback))
		toMFA := location(t, h.submit(b, h.open(b, to.String()), url.Values{"email": {pagesEmail}, "password": {pagesPassword}}))
		if toMFA.Path != "/auth/signin/mfa" || toMFA.Query().Get("flow") != to.Query().Get("flow") {
			t.Fatalf("after the password: %s; want the second step of the flow", toMFA)
		}
		step := h.open(b, toMFA.String())
		wantPage(t, step, 200, `<label for="code">`, `autocomplete="one-time-code"`)
		// Without the pending login's cookie the step is refused.
		other := h.open(&http.Client{CheckRedirect: b.CheckRedirect}, toMFA.String())
		wantPage(t, other, http.StatusUnauthorized, `role="alert"`, "/auth/signin?flow=")

		// The pending login of the page cannot finish as a JSON login.
		srvURL, _ := url.Parse(h.srv.URL)
		var preauth string
		for _, ck := range b.Jar.Cookies(srvURL) {
			if ck.Name == "authos_mfa" {
				preauth = ck.Value
			}
		}
		if preauth == "" {
			t.Fatal("no authos_mfa cookie after the password")
		}
		if tr, err := authos.Extend(h.inst.Authos).FinishPreAuth(ctx, preauth, authos.AMROTP); err == nil || tr != nil {
			t.Fatalf("FinishPreAuth of a page's pending login: %v; want UNAUTHORIZED", err)
		}

		bad := h.submit(b, step, url.Values{"code": {"000000"}})
		wantPage(t, bad, http.StatusBadRequest, `role="alert"`, `<label for="code">`)
		code, _ = totp.GenerateCode(en.Secret, h.inst.Clock.Now())
		back := location(t, h.submit(b, bad, url.Values{"code": {code}}))
		idt := h.finish(ar, back)
		if got := amr(t, idt); !slices.Contains(got, authos.AMROTP) || !slices.Contains(got, authos.AMRPassword) {
			t.Fatalf("ID token amr %v; want pwd and otp", got)
		}

		// Another browser passes the step with a backup code, once.
		b2 := (&signInHarness{t: t}).browser()
		ar2, to2 := h.start(b2, h.client(h.web, webCallback))
		step2 := h.open(b2, location(t, h.submit(b2, h.open(b2, to2.String()), url.Values{"email": {pagesEmail}, "password": {pagesPassword}})).String())
		// The JSON second step refuses the page's pending login before it
		// looks at the code: the backup code is not used up by the refusal.
		preauth2 := ""
		for _, ck := range b2.Jar.Cookies(srvURL) {
			if ck.Name == "authos_mfa" {
				preauth2 = ck.Value
			}
		}
		if preauth2 == "" { // else the refusal below would prove nothing
			t.Fatal("no authos_mfa cookie for the page's pending login")
		}
		if r := postJSON(t, h.srv.URL+"/api/auth/mfa/verify", map[string]string{"preauth_token": preauth2, "code": backup[0]}); r.status != http.StatusUnauthorized || r.body["error_code"] != string(authos.CodeUnauthorized) {
			t.Fatalf("POST /api/auth/mfa/verify with a page's pending login: %d %v; want 401 UNAUTHORIZED", r.status, r.body)
		}
		idt2 := h.finish(ar2, location(t, h.submit(b2, step2, url.Values{"code": {backup[0]}})))
		if got := amr(t, idt2); !slices.Contains(got, authos.AMROTP) {
			t.Fatalf("backup code: amr %v; want otp", got)
		}
		b3 := (&signInHarness{t: t}).browser()
		_, to3 := h.start(b3, h.client(h.web, webCallback))
		step3 := h.open(b3, location(t, h.submit(b3, h.open(b3, to3.String()), url.Values{"email": {pagesEmail}, "password": {pagesPassword}})).String())
		wantPage(t, h.submit(b3, step3, url.Values{"code": {backup[0]}}), http.StatusBadRequest, `role="alert"`)
	})
}

// TestHostedSignUp: prompt=create shows the sign-up page; signing up sends
// the verification email whose link carries the flow; verifying leads back
// to the flow's sign-in page, which returns to the client.
func TestHostedSignUp(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newPagesHarness(t, st)
		b := (&signInHarness{t: t}).browser()
		ar, to := h.start(b, h.client(h.web, webCallback), oauth2.SetAuthURLParam("prompt", "create"))
		if to.Path != "/auth/signup" || to.Query().Get("flow") == "" {
			t.Fatalf("prompt=create: redirected to %s; want the sign-up page", to)
		}
		flow := to.Query().Get("flow")
		signup := h.open(b, to.String())
		wantPage(t, signup, 200, `<label for="email">`, `<label for="name">`, `<label for="confirm">`, "/auth/signin?flow=")

		const newEmail, newPassword = "grace@example.com", "cobol compiler 1959"
		mismatch := h.submit(b, signup, url.Values{"email": {newEmail}, "password": {newPassword}, "confirm": {"other"}})
		wantPage(t, mismatch, http.StatusBadRequest, `role="alert"`)
		done := h.submit(b, mismatch, url.Values{"email": {newEmail}, "name": {"Grace"}, "password": {newPassword}, "confirm": {newPassword}})
		wantPage(t, done, 200, newEmail)
		u, err := st.GetUserByEmail(t.Context(), newEmail)
		if err != nil || u.EmailVerified || u.Name != "Grace" {
			t.Fatalf("stored account %+v, %v; want unverified Grace", u, err)
		}

		var link string
		for _, m := range h.inst.Emails() {
			if m.To == newEmail {
				link = pageLinkRE.FindString(m.Text)
			}
		}
		lu, err := url.Parse(link)
		if err != nil || lu.Path != "/verify-email" || lu.Query().Get("flow") != flow || lu.Query().Get("token") == "" {
			t.Fatalf("verification link %q; want /verify-email with the token and the flow", link)
		}
		verify := h.open(b, link)
		wantPage(t, verify, 200, `name="flow" value="`+flow+`"`)
		verified := h.submit(b, verify, nil)
		wantPage(t, verified, 200, "/auth/signin?flow="+flow)
		if u, _ := st.GetUserByEmail(t.Context(), newEmail); !u.EmailVerified {
			t.Fatal("the account is not verified after the verify page")
		}
		next := html.UnescapeString(regexp.MustCompile(`href="([^"]*auth/signin\?flow=[^"]*)"`).FindStringSubmatch(verified.body)[1])
		signin := h.open(b, next)
		wantPage(t, signin, 200, `value="`+newEmail+`"`)
		back := location(t, h.submit(b, signin, url.Values{"email": {newEmail}, "password": {newPassword}}))
		if idt := h.finish(ar, back); idt.Subject != u.ID {
			t.Fatalf("signed in as %s; want %s", idt.Subject, u.ID)
		}
	})
}

// TestHostedForgotPassword: the forgot page's email link carries the flow;
// the reset page's success leads back to it, where the new password works.
func TestHostedForgotPassword(t *testing.T) {
	h := newPagesHarness(t, memory.New())
	b := (&signInHarness{t: t}).browser()
	ar, to := h.start(b, h.client(h.web, webCallback))
	flow := to.Query().Get("flow")
	forgot := h.open(b, h.srv.URL+"/auth/forgot?flow="+flow)
	wantPage(t, forgot, 200, `<label for="email">`)
	sent := h.submit(b, forgot, url.Values{"email": {pagesEmail}})
	wantPage(t, sent, 200, `role="status"`, "/auth/signin?flow="+flow)
	var link string
	for _, m := range h.inst.Emails() {
		if m.To == pagesEmail && strings.Contains(m.Text, "reset-password") {
			link = pageLinkRE.FindString(m.Text)
		}
	}
	lu, err := url.Parse(link)
	if err != nil || lu.Query().Get("flow") != flow {
		t.Fatalf("reset link %q; want the flow in it", link)
	}
	const newPassword = "difference engine 1822"
	reset := h.submit(b, h.open(b, link), url.Values{"password": {newPassword}, "confirm": {newPassword}})
	wantPage(t, reset, 200, "/auth/signin?flow="+flow)
	signin := h.open(b, h.srv.URL+"/auth/signin?flow="+flow)
	h.finish(ar, location(t, h.submit(b, signin, url.Values{"email": {pagesEmail}, "password": {newPassword}})))
}

// TestSignInMethodSeam: a registered method's button shows on the page
// for the flows it offers itself to; its handler continues the flow with
// ContinueSignIn (one path: the same code, cookie and SSO) or ends it with
// FailSignIn (error=access_denied with state and iss).
func TestSignInMethodSeam(t *testing.T) {
	h := newPagesHarness(t, memory.New())
	ext := authos.Extend(h.inst.Authos)
	ext.AddSignInMethod(authos.SignInMethod{ID: "test", Label: "Test provider", Start: func(_ context.Context, f authos.SignInFlow) string {
		if f.ClientID != h.web.ClientID {
			return ""
		}
		return h.srv.URL + "/test-idp?flow=" + url.QueryEscape(f.ID)
	}})
	err := ext.Handle(authos.Route{Pattern: "GET /test-idp", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flow := r.URL.Query().Get("flow")
		f, err := ext.SignInFlow(r.Context(), flow)
		if err != nil || f.ClientID != h.web.ClientID || f.ServiceID != h.web.ID {
			t.Errorf("SignInFlow: %+v, %v", f, err)
		}
		if r.URL.Query().Get("cancel") != "" {
			ext.FailSignIn(w, r, flow, "access_denied", "", "The person cancelled")
			return
		}
		u, _ := h.inst.Store().GetUserByEmail(r.Context(), pagesEmail)
		ext.ContinueSignIn(w, r, flow, u, []string{"ext"})
	})})
	if err != nil {
		t.Fatal(err)
	}
	b := (&signInHarness{t: t}).browser()

	// Cancelled at the provider.
	ar, to := h.start(b, h.client(h.web, webCallback))
	signin := h.open(b, to.String())
	wantPage(t, signin, 200, "Test provider", "/test-idp?flow=")
	back := location(t, h.open(b, h.srv.URL+"/test-idp?cancel=1&flow="+to.Query().Get("flow")))
	if q := back.Query(); q.Get("error") != "access_denied" || q.Get("state") != ar.state || q.Get("iss") != h.srv.URL || q.Get("code") != "" || q.Get("error_code") != "" {
		t.Fatalf("FailSignIn redirect %s; want error=access_denied, state, iss", back)
	}

	// The other service's flow does not show the button.
	b2 := (&signInHarness{t: t}).browser()
	_, to2 := h.start(b2, h.client(h.two, twoCallback))
	if p := h.open(b2, to2.String()); strings.Contains(p.body, "Test provider") {
		t.Error("the method offered itself to a client it declined")
	}

	ar, to = h.start(b, h.client(h.web, webCallback))
	idt := h.finish(ar, location(t, h.open(b, h.srv.URL+"/test-idp?flow="+to.Query().Get("flow"))))
	if !slices.Equal(amr(t, idt), []string{"ext"}) {
		t.Fatalf("amr %v; want [ext]", amr(t, idt))
	}
	ar2, back2 := h.start(b, h.client(h.two, twoCallback))
	h.finish(ar2, back2)
}

// TestHostedSignInRefusals: a form without its CSRF token is refused and
// counts nothing; wrong passwords on the page lock the account as the JSON
// login does, after which even the right password is refused on the page.
func TestHostedSignInRefusals(t *testing.T) {
	st := memory.New()
	h := newPagesHarness(t, st)
	b := (&signInHarness{t: t}).browser()
	_, to := h.start(b, h.client(h.web, webCallback))
	flow := to.Query().Get("flow")
	signin := h.open(b, to.String())

	resp, err := b.PostForm(h.srv.URL+"/auth/signin", url.Values{"flow": {flow}, "email": {pagesEmail}, "password": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("POST without the CSRF token: %d; want the 403 page", resp.StatusCode)
	}
	if lf, _ := st.GetLoginFailures(t.Context(), lockoutkey.Account(pagesEmail)); lf.Count != 0 {
		t.Fatalf("a refused form counted %d failures", lf.Count)
	}

	p := signin
	locked := false
	for range 30 {
		p = h.submit(b, p, url.Values{"email": {pagesEmail}, "password": {"wrong password"}})
		wantPage(t, p, http.StatusUnauthorized, `role="alert"`)
		if strings.Contains(p.body, "Too many failed") {
			locked = true
			break
		}
	}
	if !locked {
		t.Fatal("30 wrong passwords on the page never locked the account")
	}
	p = h.submit(b, p, url.Values{"email": {pagesEmail}, "password": {pagesPassword}})
	wantPage(t, p, http.StatusUnauthorized, "Too many failed")
	if p.resp.Header.Get("Retry-After") == "" {
		t.Error("the locked page has no Retry-After")
	}
}
