package e2e_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store/memory"
)

const (
	pageEmail = "ada@example.com"
	pagePass  = "analytical engine 1843"
)

// cspFor is the Content-Security-Policy of a page with stylesheet css.
func cspFor(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// browser is a client with a cookie jar that posts forms as a browser does
// from the pages: Sec-Fetch-Site same-origin and, because of their
// Referrer-Policy no-referrer, "Origin: null".
type browser struct {
	t    *testing.T
	c    *http.Client
	base string // the URL the pages are served under
	lang string // Accept-Language
}

func newBrowser(t *testing.T, h *harness, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *h.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, c: &c, base: base}
}

type pageAnswer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) send(req *http.Request) pageAnswer {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return pageAnswer{resp.StatusCode, resp.Header, string(raw)}
}

func (b *browser) get(target string) pageAnswer {
	b.t.Helper()
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// post submits form to the page at path, with hdr added ("" deletes).
func (b *browser) post(path string, form url.Values, hdr map[string]string) pageAnswer {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "null")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.send(req)
}

// checkPage asserts the status, the page headers (with the CSP of css) and
// that the body contains every one of want (markup as is, or text
// HTML-escaped), and no script.
func checkPage(t *testing.T, what string, p pageAnswer, status int, css string, want ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d; body:\n%s", what, p.status, status, p.body)
	}
	for k, v := range map[string]string{
		"Content-Security-Policy": cspFor(css),
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) && !strings.Contains(p.body, html.EscapeString(w)) {
			t.Errorf("%s: body does not contain %q:\n%s", what, w, p.body)
		}
	}
	for _, bad := range []string{"<script", " style=", "<link", "<img", "src="} {
		if strings.Contains(p.body, bad) {
			t.Errorf("%s: body contains %q", what, bad)
		}
	}
	if !strings.Contains(p.body, "<style>"+css+"</style>") {
		t.Errorf("%s: the stylesheet is not the whole content of <style>", what)
	}
}

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="(token|csrf)" value="([^"]*)">`)
	linkRE      = regexp.MustCompile(`https?://\S+`)
)

// fields returns the hidden fields of the page's form.
func (p pageAnswer) fields(t *testing.T) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(p.body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("token") == "" || v.Get("csrf") == "" {
		t.Fatalf("the page's form lacks its hidden token or csrf field:\n%s", p.body)
	}
	return v
}

// mailedLink is the link of the newest email to "to" about subject.
func (h *harness) mailedLink(to, subject string) string {
	h.t.Helper()
	m, _ := h.mail(to, subject)
	link := linkRE.FindString(m.Text)
	if link == "" {
		h.t.Fatalf("no link in %q", m.Text)
	}
	return link
}

func pageHarness(t *testing.T, mutate func(*authos.Config)) *harness {
	t.Helper()
	return newHarness(t, memory.New(), func(c *authos.Config) {
		c.Hasher = authostest.FastHasher{}
		if mutate != nil {
			mutate(c)
		}
	})
}

// The verification email links to the library's page; GET shows only a
// button, the POST verifies (once) and links to sign-in.
func TestVerifyEmailPage(t *testing.T) {
	h := pageHarness(t, func(c *authos.Config) { c.Pages.SignInURL = "https://app.example.com/sign-in" })
	css := page.DefaultStylesheet
	h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": pageEmail, "password": pagePass}), 201)
	link := h.mailedLink(pageEmail, "Verify")
	if !strings.HasPrefix(link, h.srv.URL+"/verify-email?token=") {
		t.Fatalf("verification link %q is not BaseURL/verify-email?token=", link)
	}
	b := newBrowser(t, h, h.srv.URL)
	p := b.get(link)
	checkPage(t, "GET verify page", p, 200, css, "Verify my email", `action="verify-email"`, `method="post"`, `<html lang="en">`)
	if cs := p.header.Values("Set-Cookie"); len(cs) != 1 || !strings.Contains(cs[0], "HttpOnly") || !strings.Contains(cs[0], "SameSite=Strict") {
		t.Errorf("CSRF cookie: %q", cs)
	}
	form := p.fields(t)
	// GET does not verify (mail scanners prefetch links).
	h.wantError(h.login(pageEmail, pagePass), 401, authos.CodeEmailNotVerified)

	// Cross-site, without the CSRF token, with another page's token, or
	// without the cookie: refused, nothing verified.
	checkPage(t, "cross-site POST", b.post("/verify-email", form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}),
		403, css, "another site")
	noCSRF := url.Values{"token": {form.Get("token")}}
	checkPage(t, "POST without csrf", b.post("/verify-email", noCSRF, nil), 403, css, "expired")
	other := newBrowser(t, h, h.srv.URL)
	checkPage(t, "POST without the cookie", other.post("/verify-email", form, nil), 403, css, "expired")
	resetPage := b.get(h.srv.URL + "/reset-password?token=x")
	wrongPurpose := url.Values{"token": {form.Get("token")}, "csrf": {resetPage.fields(t).Get("csrf")}}
	checkPage(t, "POST with the reset form's csrf", b.post("/verify-email", wrongPurpose, nil), 403, css)
	h.wantError(h.login(pageEmail, pagePass), 401, authos.CodeEmailNotVerified)

	p = b.post("/verify-email", form, nil)
	checkPage(t, "POST verify", p, 200, css, "Email verified", pageEmail, `<a href="https://app.example.com/sign-in">Sign in</a>`)
	h.wantOK(h.login(pageEmail, pagePass), 200)

	// The link works once.
	msg := authos.AsError(authos.NewError(authos.CodeInvalidToken, "Token is invalid, expired or already used")).PublicMessage()
	checkPage(t, "second POST", b.post("/verify-email", form, nil), 400, css, msg, "Request a new one")
	// A link without its token.
	checkPage(t, "GET without token", b.get(h.srv.URL+"/verify-email"), 400, css, "incomplete")
	checkPage(t, "POST without token", b.post("/verify-email", url.Values{"csrf": {form.Get("csrf")}}, nil), 400, css, "incomplete")
}

// The reset email links to the library's page; a mismatch or a weak
// password shows the form again and leaves the token unused; success signs
// every session out and links to sign-in (default BaseURL + "/").
func TestResetPasswordPage(t *testing.T) {
	h := pageHarness(t, nil)
	css := page.DefaultStylesheet
	h.registerVerified(pageEmail, pagePass)
	refresh := h.wantOK(h.login(pageEmail, pagePass), 200).str("refresh_token")
	h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": pageEmail}), 202)
	link := h.mailedLink(pageEmail, "Reset")
	if !strings.HasPrefix(link, h.srv.URL+"/reset-password?token=") {
		t.Fatalf("reset link %q is not BaseURL/reset-password?token=", link)
	}
	b := newBrowser(t, h, h.srv.URL)
	p := b.get(link)
	checkPage(t, "GET reset page", p, 200, css, `action="reset-password"`, `<label for="password">New password</label>`,
		`<input id="password" name="password" type="password"`, `<label for="confirm">`, `id="confirm" name="confirm"`, "At least 8 characters")
	form := p.fields(t)
	const newPass = "difference engine 1822"

	form.Set("password", newPass)
	form.Set("confirm", newPass+"!")
	p = b.post("/reset-password", form, nil)
	checkPage(t, "mismatch", p, 400, css, "do not match", `role="alert"`, `name="password"`)
	form = p.fields(t) // a fresh form
	form.Set("password", "short")
	form.Set("confirm", "short")
	p = b.post("/reset-password", form, nil)
	checkPage(t, "weak password", p, 400, css, `role="alert"`, `aria-invalid="true"`, `name="password"`)
	h.wantOK(h.login(pageEmail, pagePass), 200) // unchanged

	form = p.fields(t)
	form.Set("password", newPass)
	form.Set("confirm", newPass)
	checkPage(t, "cross-site", b.post("/reset-password", form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}), 403, css)
	p = b.post("/reset-password", form, nil)
	checkPage(t, "reset", p, 200, css, "Password changed", `<a href="`+h.srv.URL+`/">Sign in</a>`)
	h.wantOK(h.login(pageEmail, newPass), 200)
	h.wantError(h.login(pageEmail, pagePass), 401, authos.CodeInvalidCredentials)
	if r := h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": refresh}); r.status != 401 {
		t.Errorf("refresh of a session from before the reset: %d %s", r.status, r.raw)
	}
	// Used: the page says so.
	checkPage(t, "reuse", b.post("/reset-password", form, nil), 400, css, "Request a new one")
}

// Bodies other than a small urlencoded form are refused with a page.
func TestAccountPagesRefuseOtherBodies(t *testing.T) {
	h := pageHarness(t, nil)
	css := page.DefaultStylesheet
	b := newBrowser(t, h, h.srv.URL)
	form := b.get(h.srv.URL + "/verify-email?token=abc").fields(t)
	checkPage(t, "JSON body", b.post("/verify-email", form, map[string]string{"Content-Type": "application/json"}), 415, css, "Submit the form")
	big := url.Values{"token": {strings.Repeat("a", page.MaxFormBytes)}, "csrf": {form.Get("csrf")}}
	checkPage(t, "large body", b.post("/verify-email", big, nil), 413, css, "too large")
}

// A host replaces a page's template, the layout and the stylesheet; the
// stylesheet is device's too (its test), and the CSP allows exactly it.
func TestAccountPagesReplaced(t *testing.T) {
	const css = "body{background:#000;color:#fff}"
	h := pageHarness(t, func(c *authos.Config) {
		c.Pages.Stylesheet = css
		c.Pages.Templates = map[string]string{
			"layout":       `<!doctype html><html lang="{{.Lang}}"><head><title>{{.Title}}</title><style>{{.Stylesheet}}</style></head><body class="acme">{{template "content" .}}</body></html>`,
			"verify_email": `<p>Acme verification</p>{{if .Token}}<form method="post" action="verify-email"><input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="csrf" value="{{.CSRFToken}}"><button>{{.T "page.verify.button"}}</button></form>{{end}}{{with .Notice}}<p>{{.}}</p>{{end}}`,
		}
	})
	b := newBrowser(t, h, h.srv.URL)
	p := b.get(h.srv.URL + "/verify-email?token=abc")
	checkPage(t, "replaced verify page", p, 200, css, `<body class="acme">`, "Acme verification", "Verify my email")
	checkPage(t, "reset page in the replaced layout", b.get(h.srv.URL+"/reset-password?token=abc"), 200, css, `<body class="acme">`, "New password")

	for name, tmpl := range map[string]string{"nope": "x", "verify_email": "{{.Missing"} {
		_, err := authos.New(t.Context(), authos.Config{Store: memory.New(), Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{},
			Pages: authos.Pages{Templates: map[string]string{name: tmpl}}})
		if err == nil {
			t.Errorf("New accepted page template %q = %q", name, tmpl)
		}
	}
	if _, err := authos.New(t.Context(), authos.Config{Store: memory.New(), Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{},
		Pages: authos.Pages{Stylesheet: "p{}</style><script>"}}); err == nil {
		t.Error("New accepted a stylesheet closing its <style>")
	}
}

// Under a base path, the links carry it and the pages work mounted there
// (the answers checked against the document's routes under /id).
func TestAccountPagesUnderBasePath(t *testing.T) {
	h := pageHarness(t, nil)
	srv := httptest.NewUnstartedServer(nil)
	a, err := authos.New(t.Context(), authos.Config{Store: memory.New(), Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{},
		BaseURL: "http://" + srv.Listener.Addr().String() + "/id", Mailer: h.a.Config().Mailer, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/id/", oapitest.Under(t, "/id", a.Handler())) // Handler serves under BaseURL's path itself
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	h.a, h.srv = a, srv
	h.wantOK(h.do("POST", "/id/api/auth/register", "", map[string]string{"email": pageEmail, "password": pagePass}), 201)
	link := h.mailedLink(pageEmail, "Verify")
	if !strings.HasPrefix(link, srv.URL+"/id/verify-email?token=") {
		t.Fatalf("link %q does not carry the base path", link)
	}
	b := newBrowser(t, h, srv.URL+"/id")
	form := b.get(link).fields(t)
	checkPage(t, "POST verify under /id", b.post("/verify-email", form, nil), 200, page.DefaultStylesheet, "Email verified", `<a href="`+srv.URL+`/id/">`)
	h.wantOK(h.do("POST", "/id/api/auth/login", "", map[string]string{"email": pageEmail, "password": pagePass}), 200)
}

// Pages.Disabled leaves the pages to the host.
func TestAccountPagesDisabled(t *testing.T) {
	a, err := authos.New(t.Context(), authos.Config{Store: memory.New(), Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{},
		Pages: authos.Pages{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/verify-email?token=abc", "/reset-password?token=abc"} {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"NOT_FOUND"`) {
			t.Errorf("GET %s with Pages.Disabled: %d %s", target, rec.Code, rec.Body)
		}
	}
	for _, r := range a.Routes() {
		if strings.Contains(r, "verify-email") && !strings.Contains(r, "/api/") {
			t.Errorf("Routes lists %s with Pages.Disabled", r)
		}
	}
}
