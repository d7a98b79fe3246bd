package httpx

import (
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
