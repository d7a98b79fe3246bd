// Package page holds what every HTML page of authos shares: the headers
// (a Content-Security-Policy of default-src 'none' that allows the one
// stylesheet by its hash), the layout and stylesheet, the CSRF token of
// their forms, and the reading of a form body. The root package's account
// pages and device's /activate page use it, so they look and behave alike.
package page

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"strings"
	"time"
)

// MaxFormBytes caps the body of a page's form.
const MaxFormBytes = 16 << 10

// Style is the stylesheet of every page and its CSP source expression.
type Style struct {
	CSS  template.CSS // inlined as the whole content of the layout's <style>
	hash string       // 'sha256-...' of CSS
}

// NewStyle returns css as a Style. css is trusted configuration, but it
// must not close its <style> element.
func NewStyle(css string) (Style, error) {
	if strings.Contains(strings.ToLower(css), "</style") {
		return Style{}, errors.New("the stylesheet must not contain </style")
	}
	sum := sha256.Sum256([]byte(css))
	return Style{CSS: template.CSS(css), hash: "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"}, nil
}

// SetHeaders sets the headers of a page that may carry a one-time token: a
// Content-Security-Policy allowing no script, no external asset and no
// framing (only s's inline stylesheet, by its hash), no Referer, no caching.
func SetHeaders(h http.Header, s Style) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+s.hash+"; form-action 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Language")
}

// DefaultStylesheet is the built-in stylesheet of every page.
const DefaultStylesheet = `:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2430;margin:0;padding:3rem 1rem;line-height:1.45}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=password],input[type=text],input[type=email]{box-sizing:border-box;width:100%;padding:.55rem;border:1px solid #b8bfca;border-radius:4px;font-size:1rem}
input.code{font-size:1.4rem;letter-spacing:.15em;text-transform:uppercase;width:11rem}
button{margin:1.2rem .5rem 0 0;padding:.65rem 1.2rem;border:0;border-radius:4px;background:#2456c7;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#5b6473}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f0b429;outline-offset:2px}
a{color:#2456c7}
.notice{color:#17663a}.error{color:#a8201a}.hint{color:#5b6473;font-size:.9rem}
.box{border:1px solid #d5dae1;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
dt{font-weight:600}dd{margin:0 0 .5rem 0}
.actions{margin-top:1.5rem}
ul.methods{list-style:none;padding:0;margin:.5rem 0}
a.button{display:block;text-align:center;padding:.6rem 1rem;margin:.5rem 0;border:1px solid #b8bfca;border-radius:4px;text-decoration:none;color:#1d2430}
`

// DefaultLayout is the built-in document around every page. It executes
// the page's "content" template; the data has Lang, Title, Product and
// Stylesheet. The stylesheet must stay the whole content of <style>: the
// Content-Security-Policy allows exactly its hash.
const DefaultLayout = `<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · {{.Product}}</title>
<style>{{.Stylesheet}}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{template "content" .}}
</main>
</body>
</html>
`

// Parse returns the template of one page: layout (DefaultLayout when
// empty) around content, which is the page's "content" template.
func Parse(name, layout, content string) (*template.Template, error) {
	if layout == "" {
		layout = DefaultLayout
	}
	t, err := template.New(name).Option("missingkey=error").Parse(layout)
	if err != nil {
		return nil, fmt.Errorf("page layout: %w", err)
	}
	if _, err := t.New("content").Parse(content); err != nil {
		return nil, fmt.Errorf("page %s: %w", name, err)
	}
	return t, nil
}

// CSRF issues and checks the token of a page's form. The form carries a
// random nonce and an expiry sealed with the keyring (so it cannot be
// forged) and a cookie carries the nonce itself (so another site cannot
// reuse a token it fetched for itself). Purpose separates the pages: a
// token of one page is refused by another.
type CSRF struct {
	Seal   func(plain, aad []byte) ([]byte, error)
	Open   func(sealed, aad []byte) ([]byte, error)
	Now    func() time.Time
	Secure bool // the service is served over https: __Host- cookie, Secure
}

const (
	csrfTTL    = time.Hour
	nonceBytes = 16
	// FieldCSRF is the name of the form field that holds the token.
	FieldCSRF = "csrf"
)

func (c CSRF) cookieName() string {
	if c.Secure {
		return "__Host-authos_csrf"
	}
	return "authos_csrf"
}

func (c CSRF) nonce(r *http.Request) []byte {
	ck, err := r.Cookie(c.cookieName())
	if err != nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) != nonceBytes {
		return nil
	}
	return b
}

// Token returns a token for a form of purpose, setting the nonce cookie on
// w when r has none.
func (c CSRF) Token(w http.ResponseWriter, r *http.Request, purpose string) (string, error) {
	nonce := c.nonce(r)
	if nonce == nil {
		nonce = make([]byte, nonceBytes)
		_, _ = rand.Read(nonce) // never fails (Go 1.24+): it crashes the program instead
		http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: base64.RawURLEncoding.EncodeToString(nonce),
			Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Secure})
	}
	plain := binary.BigEndian.AppendUint64(nil, uint64(c.Now().Add(csrfTTL).Unix()))
	sealed, err := c.Seal(append(plain, nonce...), []byte("authos/page-csrf/"+purpose))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Valid reports whether the parsed form of r carries a live token of
// purpose bound to r's cookie.
func (c CSRF) Valid(r *http.Request, purpose string) bool {
	nonce := c.nonce(r)
	if nonce == nil {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get(FieldCSRF))
	if err != nil || len(raw) == 0 {
		return false
	}
	plain, err := c.Open(raw, []byte("authos/page-csrf/"+purpose))
	if err != nil || len(plain) != 8+nonceBytes {
		return false
	}
	if time.Unix(int64(binary.BigEndian.Uint64(plain[:8])), 0).Before(c.Now()) {
		return false
	}
	return subtle.ConstantTimeCompare(plain[8:], nonce) == 1
}

// Form problems ParseForm reports.
var (
	ErrNotForm  = errors.New("page: the body is not a urlencoded form")
	ErrTooLarge = errors.New("page: the form is too large")
	ErrBadForm  = errors.New("page: the form is malformed")
)

// ParseForm reads r's urlencoded body (at most MaxFormBytes) into
// r.PostForm. It returns one of the Err values and the status to answer.
func ParseForm(w http.ResponseWriter, r *http.Request) (int, error) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return http.StatusUnsupportedMediaType, ErrNotForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, ErrTooLarge
		}
		return http.StatusBadRequest, ErrBadForm
	}
	return http.StatusOK, nil
}

// RetryAfter is the Retry-After value of d, in whole seconds rounded up.
func RetryAfter(d time.Duration) string {
	return fmt.Sprint(int((d + time.Second - 1) / time.Second))
}
