package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc.def.ghi": "abc.def.ghi", "bearer  x ": "x", "Basic Zm9v": "", "Bearer ": "", "Bearer a b": "", "": "",
		"Bearer " + strings.Repeat("a", MaxBearerBytes+10): "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if got := BearerToken(r); got != want {
			t.Errorf("BearerToken(%.40q) = %.40q; want %q", h, got, want)
		}
	}
}

// FuzzBearerToken: header parsing never panics and never returns a token
// with whitespace or beyond the size cap.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer x", "Basic Zm9v", "Bearer ", "Bearer a b", strings.Repeat(".", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok := ParseBearer(h)
		if tok != "" && (strings.ContainsAny(tok, " \t\r\n") || len(tok) > MaxBearerBytes+16) {
			t.Fatalf("ParseBearer(%q) = %q", h, tok)
		}
	})
}

func TestAppendQuery(t *testing.T) {
	q := url.Values{"state": {"a b&c"}, "code": {"x"}}
	for uri, want := range map[string]string{
		"https://app.example.com/cb":           "https://app.example.com/cb?code=x&state=a+b%26c",
		"https://app.example.com/cb?tenant=1":  "https://app.example.com/cb?tenant=1&code=x&state=a+b%26c",
		"https://app.example.com/cb?":          "https://app.example.com/cb?code=x&state=a+b%26c",
		"https://app.example.com/cb?t=1&":      "https://app.example.com/cb?t=1&code=x&state=a+b%26c",
		"https://app.example.com/cb#top":       "https://app.example.com/cb?code=x&state=a+b%26c#top",
		"https://app.example.com/cb?t=1#x?y=2": "https://app.example.com/cb?t=1&code=x&state=a+b%26c#x?y=2",
	} {
		if got := AppendQuery(uri, q); got != want {
			t.Errorf("AppendQuery(%q) = %q; want %q", uri, got, want)
		}
	}
	if got := AppendQuery("https://app.example.com/cb", nil); got != "https://app.example.com/cb" {
		t.Errorf("AppendQuery without parameters = %q", got)
	}
}

// Redirect answers 302 with Location and no-store, and no body or
// Content-Type, for GET as for POST; a path is resolved as http.Redirect
// does.
func TestRedirect(t *testing.T) {
	for _, c := range []struct{ method, target, to, want string }{
		{"GET", "/auth/authorize", "https://app.example.com/cb?code=x", "https://app.example.com/cb?code=x"},
		{"POST", "/auth/signin", "/auth/signin?flow=f", "/auth/signin?flow=f"},
		{"GET", "/saml/corp/login", "acs?x=1", "/saml/corp/acs?x=1"},
		{"GET", "/auth/logout", "https://app.example.com/bye/é", "https://app.example.com/bye/%c3%a9"},
	} {
		rec := httptest.NewRecorder()
		Redirect(rec, httptest.NewRequest(c.method, c.target, nil), c.to)
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != c.want || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s to %q: %d %v; want 302 to %q, no-store", c.method, c.target, c.to, rec.Code, rec.Header(), c.want)
		}
		if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
			t.Errorf("%s %s: body %q with Content-Type %q; want neither", c.method, c.target, rec.Body, rec.Header().Get("Content-Type"))
		}
	}
}
