package httpx

import (
	"net/http/httptest"
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
