package authos

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestSetCookie: the site's cookies are HttpOnly, SameSite=Lax and for
// the whole site; under https they are Secure and __Host- prefixed;
// clearing one sends an empty value that expires at once.
func TestSetCookie(t *testing.T) {
	for _, tc := range []struct {
		base, value string
		ttl         time.Duration
		want        string
	}{
		{"https://id.example.test", "s3cret", 90 * time.Second, "__Host-authos_signin=s3cret; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Lax"},
		{"http://127.0.0.1:8080", "s3cret", 90 * time.Second, "authos_signin=s3cret; Path=/; Max-Age=90; HttpOnly; SameSite=Lax"},
		{"https://id.example.test", "s3cret", 0, "__Host-authos_signin=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
	} {
		a := &Authos{cfg: Config{BaseURL: tc.base}}
		rec := httptest.NewRecorder()
		a.setCookie(rec, signInCookie, tc.value, tc.ttl)
		if got := rec.Header().Get("Set-Cookie"); got != tc.want {
			t.Errorf("setCookie under %s, ttl %v: %q; want %q", tc.base, tc.ttl, got, tc.want)
		}
	}
}
