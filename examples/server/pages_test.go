package main

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/mailer"
)

const (
	pageCSP    = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	pagesEmail = "ada@example.com"
	pagesPass  = "analytical engine"
)

// pagesServer is a memory-store server whose mail is written to a mailbox.
func pagesServer(t *testing.T) (*server, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mail")
	return mustSetup(t, map[string]string{envDatabaseURL: "memory:", envMailboxDir: dir}), dir
}

// mailedLink delivers the outbox and returns the link to path (e.g.
// "/verify-email") of the newest email to "to".
func mailedLink(t *testing.T, s *server, dir, to, path string) string {
	t.Helper()
	if _, err := s.authos.ProcessOutbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	msgs, err := mailer.ReadMailbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(defaultBaseURL+path+"?token=") + `\S+`)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to {
			if link := re.FindString(msgs[i].Text); link != "" {
				return link
			}
		}
	}
	t.Fatalf("no email to %s with a %s link in %d messages", to, path, len(msgs))
	return ""
}

func getPage(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec
}

// postForm submits form to path with the headers a browser sends from the
// pages: Sec-Fetch-Site same-origin and, because of their Referrer-Policy
// no-referrer, "Origin: null". hdr adds or overrides headers ("" deletes)
// and the Host.
func postForm(t *testing.T, h http.Handler, path string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", defaultBaseURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "null")
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkPage asserts the status, the security headers and that the body
// contains every one of want (markup as is, or text HTML-escaped).
func checkPage(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, want ...string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("%s: status %d, want %d; body:\n%s", what, rec.Code, status, rec.Body)
	}
	for k, v := range map[string]string{
		"Content-Security-Policy": pageCSP,
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	body := rec.Body.String()
	for _, w := range want {
		if !strings.Contains(body, w) && !strings.Contains(body, html.EscapeString(w)) {
			t.Errorf("%s: body does not contain %q:\n%s", what, w, body)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: body contains %q", what, bad)
		}
	}
}

var hiddenToken = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)

// formToken is the token the page's form would submit.
func formToken(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	m := hiddenToken.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no hidden token in the page:\n%s", rec.Body)
	}
	return html.UnescapeString(m[1])
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

// invalidTokenMessage is what authos says of a used or unknown token.
func invalidTokenMessage(t *testing.T, s *server) string {
	t.Helper()
	_, err := s.authos.VerifyEmail(t.Context(), "no-such-token")
	if e := authos.AsError(err); e.Code != authos.CodeInvalidToken {
		t.Fatalf("VerifyEmail with an unknown token = %v", err)
	}
	return authos.AsError(err).PublicMessage()
}

// verifyThroughPage registers pagesEmail and verifies it with the emailed
// link's page, checking every step.
func verifyThroughPage(t *testing.T, s *server, dir string) {
	t.Helper()
	h := s.handler
	registerUnverified(t, h)
	link := mailedLink(t, s, dir, pagesEmail, "/verify-email")

	// GET only shows the button: mail scanners prefetch links.
	rec := getPage(t, h, link)
	checkPage(t, "GET verify page", rec, 200, "Verify my email", `action="verify-email"`, `method="post"`)
	if got := formToken(t, rec); got != tokenOf(t, link) {
		t.Fatalf("form token %q, want the link's %q", got, tokenOf(t, link))
	}
	getPage(t, h, link) // a second prefetch changes nothing either
	if code, body := login(t, h, pagesEmail, pagesPass); code != 401 || body["error_code"] != "EMAIL_NOT_VERIFIED" {
		t.Fatalf("login after GET of the verify page = %d %v; the GET must not verify", code, body)
	}

	// A cross-site post is refused before the token is looked at.
	form := url.Values{"token": {formToken(t, rec)}}
	rec403 := postForm(t, h, "/verify-email", form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	checkPage(t, "cross-site POST verify", rec403, 403, "another site")
	if code, body := login(t, h, pagesEmail, pagesPass); code != 401 || body["error_code"] != "EMAIL_NOT_VERIFIED" {
		t.Fatalf("login after a refused cross-site POST = %d %v", code, body)
	}

	checkPage(t, "POST verify", postForm(t, h, "/verify-email", form, nil), 200, "is verified", pagesEmail)
	if code, body := login(t, h, pagesEmail, pagesPass); code != 200 {
		t.Fatalf("login after verification = %d %v", code, body)
	}
}

func TestVerifyEmailPage(t *testing.T) {
	s, dir := pagesServer(t)
	verifyThroughPage(t, s, dir)

	// The token works once.
	form := url.Values{"token": {tokenOf(t, mailedLink(t, s, dir, pagesEmail, "/verify-email"))}}
	checkPage(t, "second POST verify", postForm(t, s.handler, "/verify-email", form, nil), 400,
		invalidTokenMessage(t, s), "Request a new one")
}

func TestResetPasswordPage(t *testing.T) {
	s, dir := pagesServer(t)
	h := s.handler
	verifyThroughPage(t, s, dir)

	if code, body := call(t, h, "POST", "/api/auth/forgot-password", "", map[string]string{"email": pagesEmail}); code != 202 {
		t.Fatalf("forgot-password = %d %v", code, body)
	}
	link := mailedLink(t, s, dir, pagesEmail, "/reset-password")
	rec := getPage(t, h, link)
	checkPage(t, "GET reset page", rec, 200, `action="reset-password"`, `name="password"`, `name="confirm"`,
		`autocomplete="new-password"`)
	token := formToken(t, rec)
	if token != tokenOf(t, link) {
		t.Fatalf("form token %q, want the link's %q", token, tokenOf(t, link))
	}
	const newPass = "difference engine"

	// The confirmation differs: nothing changes and the form comes back.
	rec = postForm(t, h, "/reset-password", url.Values{"token": {token}, "password": {newPass}, "confirm": {newPass + "!"}}, nil)
	checkPage(t, "POST reset, confirmation differs", rec, 400, "do not match", `name="password"`)
	if formToken(t, rec) != token {
		t.Error("the form shown again lost the token")
	}
	if code, body := login(t, h, pagesEmail, pagesPass); code != 200 {
		t.Fatalf("login with the old password after a mismatch = %d %v", code, body)
	}

	// A weak password: WEAK_PASSWORD's message, the form again.
	weakErr := authos.AsError(s.authos.Config().Password.Validate(t.Context(), "short", authos.User{}))
	if weakErr.Code != authos.CodeWeakPassword {
		t.Fatalf("policy on %q: %v", "short", weakErr)
	}
	rec = postForm(t, h, "/reset-password", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}}, nil)
	checkPage(t, "POST reset, weak password", rec, 400, weakErr.PublicMessage(), `name="password"`)
	if code, body := login(t, h, pagesEmail, pagesPass); code != 200 {
		t.Fatalf("login with the old password after a weak one = %d %v", code, body)
	}

	// A foreign Origin is refused (old browsers send no Sec-Fetch-Site).
	rec = postForm(t, h, "/reset-password", url.Values{"token": {token}, "password": {newPass}, "confirm": {newPass}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""})
	checkPage(t, "POST reset, foreign Origin", rec, 403)

	rec = postForm(t, h, "/reset-password", url.Values{"token": {token}, "password": {newPass}, "confirm": {newPass}}, nil)
	checkPage(t, "POST reset", rec, 200, "Your password has been changed")
	if code, body := login(t, h, pagesEmail, newPass); code != 200 {
		t.Errorf("login with the new password = %d %v", code, body)
	}
	if code, body := login(t, h, pagesEmail, pagesPass); code != 401 || body["error_code"] != "INVALID_CREDENTIALS" {
		t.Errorf("login with the old password = %d %v", code, body)
	}

	rec = postForm(t, h, "/reset-password", url.Values{"token": {token}, "password": {"yet another one"}, "confirm": {"yet another one"}}, nil)
	checkPage(t, "second POST reset", rec, 400, invalidTokenMessage(t, s))
	if code, body := login(t, h, pagesEmail, newPass); code != 200 {
		t.Errorf("login with the new password after a reused link = %d %v", code, body)
	}
}

func TestPagesIncompleteLink(t *testing.T) {
	s, _ := pagesServer(t)
	for _, target := range []string{"/verify-email", "/verify-email?token=", "/reset-password", "/reset-password?tok=x"} {
		rec := getPage(t, s.handler, target)
		checkPage(t, "GET "+target, rec, 400, "link is incomplete")
		if strings.Contains(rec.Body.String(), "<form") {
			t.Errorf("GET %s shows a form", target)
		}
	}
	for _, path := range []string{"/verify-email", "/reset-password"} {
		checkPage(t, "POST "+path+" without token", postForm(t, s.handler, path, url.Values{"password": {"x"}, "confirm": {"x"}}, nil),
			400, "link is incomplete")
	}
}

func TestPagesOriginCheck(t *testing.T) {
	s, _ := pagesServer(t)
	cases := []struct {
		name    string
		hdr     map[string]string
		refused bool
	}{
		{"browser, same origin, Origin null (no-referrer)", nil, false},
		{"no Origin, no Sec-Fetch-Site (not a browser)", map[string]string{"Origin": "", "Sec-Fetch-Site": ""}, false},
		{"Origin of the base URL", map[string]string{"Origin": defaultBaseURL, "Sec-Fetch-Site": ""}, false},
		{"Origin of the base URL, Host rewritten by a proxy", map[string]string{"Origin": defaultBaseURL, "Sec-Fetch-Site": "", "Host": "backend:8080"}, false},
		{"foreign Origin", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""}, true},
		{"foreign Origin, cross-site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, true},
		{"same-site", map[string]string{"Origin": "http://other.localhost:8080", "Sec-Fetch-Site": "same-site"}, true},
		{"cross-site without Origin", map[string]string{"Origin": "", "Sec-Fetch-Site": "cross-site"}, true},
		{"Origin null without Sec-Fetch-Site", map[string]string{"Sec-Fetch-Site": ""}, true},
	}
	for _, tc := range cases {
		for _, path := range []string{"/verify-email", "/reset-password"} {
			form := url.Values{"token": {"bogus"}, "password": {"difference engine"}, "confirm": {"difference engine"}}
			rec := postForm(t, s.handler, path, form, tc.hdr)
			if tc.refused {
				checkPage(t, tc.name+" "+path, rec, 403)
			} else {
				checkPage(t, tc.name+" "+path, rec, 400, invalidTokenMessage(t, s)) // got past the check
			}
		}
	}
}

func TestPagesBadBodies(t *testing.T) {
	s, _ := pagesServer(t)
	big := url.Values{"token": {strings.Repeat("a", 17<<10)}}
	checkPage(t, "POST 17 KiB", postForm(t, s.handler, "/verify-email", big, nil), 413)
	checkPage(t, "POST JSON", postForm(t, s.handler, "/verify-email", url.Values{"token": {"x"}},
		map[string]string{"Content-Type": "application/json"}), 415)
}

func TestPagesRateLimited(t *testing.T) {
	s, _ := pagesServer(t)
	var rec *httptest.ResponseRecorder
	for range 100 {
		if rec = postForm(t, s.handler, "/verify-email", url.Values{"token": {"bogus"}}, nil); rec.Code != 400 {
			break
		}
	}
	checkPage(t, "POST past the per-IP limit", rec, 429)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The bucket is the JSON API's.
	if code, body := login(t, s.handler, pagesEmail, pagesPass); code != 429 {
		t.Errorf("login after the pages used up the limit = %d %v", code, body)
	}
}

func TestPagesLeaveTheAPIAlone(t *testing.T) {
	s, _ := pagesServer(t)
	code, body := call(t, s.handler, "POST", "/api/auth/verify-email", "", map[string]string{"token": "bogus"})
	if code != 400 || body["error_code"] != "INVALID_TOKEN" {
		t.Errorf("POST /api/auth/verify-email = %d %v", code, body)
	}
	code, body = call(t, s.handler, "GET", "/no-such-page", "", nil)
	if code != 404 || body["error_code"] != "NOT_FOUND" {
		t.Errorf("GET /no-such-page = %d %v", code, body)
	}
}
