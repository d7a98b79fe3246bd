package page

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testCSRF seals with AES-GCM under a random key and a settable clock.
func testCSRF(t *testing.T, now *time.Time) CSRF {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return CSRF{
		Seal: func(plain, aad []byte) ([]byte, error) {
			nonce := make([]byte, gcm.NonceSize())
			_, _ = rand.Read(nonce)
			return gcm.Seal(nonce, nonce, plain, aad), nil
		},
		Open: func(sealed, aad []byte) ([]byte, error) {
			if len(sealed) < gcm.NonceSize() {
				return nil, errors.New("short")
			}
			return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
		},
		Now: func() time.Time { return *now },
	}
}

func TestCSRF(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := testCSRF(t, &now)
	rec := httptest.NewRecorder()
	tok, err := c.Token(rec, httptest.NewRequest("GET", "/verify-email", nil), "verify")
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "authos_csrf" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" {
		t.Fatalf("cookie: %+v", cookies)
	}
	post := func(token string, cookie *http.Cookie) *http.Request {
		r := httptest.NewRequest("POST", "/verify-email", strings.NewReader(url.Values{FieldCSRF: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if !c.Valid(post(tok, cookies[0]), "verify") {
		t.Error("a fresh token with its cookie is refused")
	}
	// A second page view with the cookie reuses it and sets none.
	rec2 := httptest.NewRecorder()
	g := httptest.NewRequest("GET", "/verify-email", nil)
	g.AddCookie(cookies[0])
	tok2, _ := c.Token(rec2, g, "verify")
	if len(rec2.Result().Cookies()) != 0 || !c.Valid(post(tok2, cookies[0]), "verify") {
		t.Error("a second token under the same cookie")
	}
	other := &http.Cookie{Name: "authos_csrf", Value: "AAAAAAAAAAAAAAAAAAAAAA"}
	for name, r := range map[string]*http.Request{
		"no cookie":      post(tok, nil),
		"another cookie": post(tok, other),
		"no token":       post("", cookies[0]),
		"tampered token": post(tok[:len(tok)-2]+"AA", cookies[0]),
		"garbage token":  post("!!!", cookies[0]),
	} {
		if c.Valid(r, "verify") {
			t.Errorf("%s: accepted", name)
		}
	}
	if c.Valid(post(tok, cookies[0]), "reset") {
		t.Error("a token of one page is accepted by another")
	}
	now = now.Add(csrfTTL + time.Second)
	if c.Valid(post(tok, cookies[0]), "verify") {
		t.Error("an expired token is accepted")
	}
	c.Secure = true
	rec = httptest.NewRecorder()
	if _, err := c.Token(rec, httptest.NewRequest("GET", "/", nil), "verify"); err != nil {
		t.Fatal(err)
	}
	if ck := rec.Result().Cookies(); len(ck) != 1 || ck[0].Name != "__Host-authos_csrf" || !ck[0].Secure {
		t.Errorf("https cookie: %+v", ck)
	}
}

func TestStyleAndHeaders(t *testing.T) {
	if _, err := NewStyle("p{}</STYLE><script>alert(1)</script>"); err == nil {
		t.Error("a stylesheet closing its element is accepted")
	}
	s, err := NewStyle(DefaultStylesheet)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	SetHeaders(h, s)
	csp := h.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		strings.Contains(csp, "unsafe") || h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", h)
	}
	tmpl, err := Parse("p", "", `<p>{{.Title}}</p>`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	data := struct{ Lang, Title, Product, Stylesheet any }{"de", "<T>", "P", s.CSS}
	if err := tmpl.Execute(&buf, data); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "<style>"+DefaultStylesheet+"</style>") || !strings.Contains(out, "<p>&lt;T&gt;</p>") ||
		!strings.Contains(out, `<html lang="de">`) {
		t.Errorf("page:\n%s", out)
	}
	if _, err := Parse("p", "{{template \"content\" .}", "x"); err == nil {
		t.Error("a broken layout is accepted")
	}
}

func TestParseForm(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		status   int
		err      error
	}{
		{"application/x-www-form-urlencoded", "a=1", 200, nil},
		{"application/json", "{}", 415, ErrNotForm},
		{"application/x-www-form-urlencoded", strings.Repeat("a", MaxFormBytes+1), 413, ErrTooLarge},
		{"application/x-www-form-urlencoded", "a=%zz", 400, ErrBadForm},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.ct)
		status, err := ParseForm(httptest.NewRecorder(), r)
		if status != tc.status || !errors.Is(err, tc.err) {
			t.Errorf("%s %.20q: %d %v; want %d %v", tc.ct, tc.body, status, err, tc.status, tc.err)
		}
	}
}
