package device_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// cspFor is the Content-Security-Policy of a page with stylesheet css.
func cspFor(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

var wantCSP = cspFor(page.DefaultStylesheet)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page fetches the activation page.
func (h *harness) page(method, query string, form url.Values, cookies []*http.Cookie, hdr map[string]string) (int, http.Header, string) {
	h.t.Helper()
	var req *http.Request
	if method == "GET" {
		req, _ = http.NewRequest("GET", h.srv.URL+"/activate"+query, nil)
	} else {
		req, _ = http.NewRequest("POST", h.srv.URL+"/activate", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	r := h.send(req)
	return r.status, r.header, string(r.raw)
}

func TestActivationPage(t *testing.T) {
	h := newHarness(t, memoryStore(), device.Config{})
	start := h.start()
	uc := start.str("user_code")

	status, hdr, body := h.page("GET", "", nil, nil, nil)
	if status != 200 || hdr.Get("Content-Security-Policy") != wantCSP || !strings.Contains(body, `name="user_code"`) {
		t.Fatalf("GET /activate: %d %q\n%s", status, hdr.Get("Content-Security-Policy"), body)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("the page loads or links external content")
	}
	// verification_uri_complete: the code is prefilled and the request shown.
	status, hdr, body = h.page("GET", "?user_code="+url.QueryEscape(uc), nil, nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if status != 200 || m == nil || !strings.Contains(body, "Acme cli") || !strings.Contains(body, "Acme Corp") ||
		!strings.Contains(body, "Requested") || hdr.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /activate?user_code: %d\n%s", status, body)
	}
	cookies := (&http.Response{Header: hdr}).Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("CSRF cookie: %v", cookies)
	}
	token := m[1]
	pending := func() {
		t.Helper()
		d, err := devices(h.st).GetDeviceByCodeHash(t.Context(), hashOf(start.str("device_code")))
		if err != nil || d.Status != store.DeviceStatusPending {
			t.Fatalf("status changed: %+v %v", d, err)
		}
	}
	pending() // GET never approves

	access := h.accessToken(h.owner.Email)
	bearer := map[string]string{"Authorization": "Bearer " + access}
	form := url.Values{"user_code": {uc}, "action": {"approve"}}
	// Without the token, or without the cookie: refused.
	if status, _, _ := h.page("POST", "", form, cookies, bearer); status != http.StatusForbidden {
		t.Errorf("POST without csrf: %d", status)
	}
	form.Set("csrf", token)
	if status, _, _ := h.page("POST", "", form, nil, bearer); status != http.StatusForbidden {
		t.Errorf("POST without the cookie: %d", status)
	}
	form.Set("csrf", token[:len(token)-2]+"AA")
	if status, _, _ := h.page("POST", "", form, cookies, bearer); status != http.StatusForbidden {
		t.Errorf("POST with a forged token: %d", status)
	}
	form.Set("csrf", token)
	// A cross-site POST is refused before anything else.
	if status, _, _ := h.page("POST", "", form, cookies, map[string]string{"Sec-Fetch-Site": "cross-site",
		"Authorization": "Bearer " + access}); status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", status)
	}
	pending()
	// A browser form without sign-in: a clear message, nothing approved.
	status, _, body = h.page("POST", "", form, cookies, nil)
	if status != http.StatusUnauthorized || !strings.Contains(body, "signed in") {
		t.Errorf("POST without sign-in: %d\n%s", status, body)
	}
	pending()
	// Signed in: approved.
	status, _, body = h.page("POST", "", form, cookies, bearer)
	if status != 200 || !strings.Contains(body, "Device approved") {
		t.Fatalf("POST approve: %d\n%s", status, body)
	}
	d, _ := devices(h.st).GetDeviceByCodeHash(t.Context(), hashOf(start.str("device_code")))
	if d.Status != store.DeviceStatusApproved || d.UserID != h.owner.ID {
		t.Errorf("after approval: %+v", d)
	}
	// Unknown code on the page.
	if status, _, body := h.page("GET", "?user_code=BBBB-BBBB", nil, nil, nil); status != 400 || !strings.Contains(body, "Unknown") {
		t.Errorf("unknown code: %d\n%s", status, body)
	}
}

func TestActivationTemplateReplaced(t *testing.T) {
	tmpl := template.Must(template.New("x").Parse(`<p>custom {{with .Request}}{{.ServiceName}}{{end}} {{.CSRFToken}}</p>`))
	h := newHarness(t, memoryStore(), device.Config{Template: tmpl})
	uc := h.start().str("user_code")
	status, _, body := h.page("GET", "?user_code="+uc, nil, nil, nil)
	if status != 200 || !strings.HasPrefix(body, "<p>custom Acme cli ") {
		t.Errorf("custom template: %d %s", status, body)
	}
}

// The page shares the layout and the stylesheet of every authos page: a
// host's Config.Pages reach it, and the CSP allows exactly that stylesheet.
func TestActivationPageSharesLayoutAndStylesheet(t *testing.T) {
	const css = "body{background:#123}"
	a, err := authos.New(t.Context(), authos.Config{Store: memory.New(), Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{},
		Pages: authos.Pages{Stylesheet: css, Templates: map[string]string{
			"layout": `<!doctype html><html lang="{{.Lang}}"><title>{{.Title}}</title><style>{{.Stylesheet}}</style><body class="acme">{{template "content" .}}</body></html>`}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := device.New(a, device.Config{}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/activate", nil))
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Security-Policy") != cspFor(css) || rec.Header().Get("Cache-Control") != "no-store" ||
		!strings.Contains(body, "<style>"+css+"</style>") || !strings.Contains(body, `<body class="acme">`) ||
		!strings.Contains(body, `<label for="user_code">`) {
		t.Errorf("GET /activate: %d %q\n%s", rec.Code, rec.Header().Get("Content-Security-Policy"), body)
	}
	// In the request's language.
	req := httptest.NewRequest("GET", "/activate?user_code=BBBB-BBBB", nil)
	req.Header.Set("Accept-Language", "de")
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	body = rec.Body.String()
	if rec.Code != 400 || !strings.Contains(body, `<html lang="de">`) || !strings.Contains(body, "<title>Gerät aktivieren</title>") ||
		!strings.Contains(body, "Unbekannter oder abgelaufener Code") || !strings.Contains(body, "Geben Sie den Code ein") {
		t.Errorf("GET /activate in German: %d\n%s", rec.Code, body)
	}
}

// An MFA user approves only from a session that passed the second factor;
// the device's token then carries device, pwd and otp.
func TestApprovalNeedsMFA(t *testing.T) {
	h := newHarness(t, memoryStore(), device.Config{})
	u := h.user("mfa@example.com")
	access := h.accessToken(u.Email)
	setup := h.do("POST", "/api/user/mfa/setup", access, map[string]string{"current_password": password})
	secret := setup.str("secret")
	code := func() string {
		c, err := totp.GenerateCodeCustom(secret, h.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if r := h.do("POST", "/api/user/mfa/enable", access, map[string]string{"code": code(), "current_password": password}); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	start := h.start()
	// The password-only session may not approve.
	r := h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": start.str("user_code")})
	h.wantError(r, 401, authos.CodeMFARequired)
	if r.str("preauth_token") != "" {
		t.Error("approval handed out a preauth token")
	}
	// Sign in with MFA, then approve.
	h.clock.Advance(30 * time.Second)
	r = h.do("POST", "/api/auth/login", "", map[string]string{"email": u.Email, "password": password})
	r = h.do("POST", "/api/auth/mfa/verify", "", map[string]string{"preauth_token": r.str("preauth_token"), "code": code()})
	if r.status != 200 {
		t.Fatalf("mfa verify: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/auth/device/verify", r.str("access_token"), map[string]string{"user_code": start.str("user_code")}); r.status != 200 {
		t.Fatalf("verify with otp: %d %s", r.status, r.raw)
	}
	tok := h.poll(start.str("device_code"))
	if tok.status != 200 {
		t.Fatalf("exchange: %d %s", tok.status, tok.raw)
	}
	p, err := h.a.VerifyAccessToken(t.Context(), tok.str("access_token"), h.clientID)
	if err != nil || strings.Join(p.AMR, ",") != "device,pwd,otp" {
		t.Fatalf("amr %v, %v", p, err)
	}
}
