package mfa_test

import (
	"net/http"
	"testing"

	"github.com/authos/authos/store/memory"
)

// TestTokenAnswersAreNotCached: the answers that carry tokens (login,
// refresh, MFA verify, and the MFA_REQUIRED answer with its preauth
// token) forbid caching with Cache-Control: no-store and, for HTTP/1.0
// caches, Pragma: no-cache (RFC 6749 §5.1).
func TestTokenAnswersAreNotCached(t *testing.T) {
	h := newHarness(t, memory.New())
	h.user("nocache@example.com")
	check := func(what string, r response) {
		t.Helper()
		if cc, p := r.header.Get("Cache-Control"), r.header.Get("Pragma"); cc != "no-store" || p != "no-cache" {
			t.Errorf("%s: Cache-Control %q, Pragma %q; want no-store, no-cache", what, cc, p)
		}
	}
	login := h.wantOK(h.login("nocache@example.com"), http.StatusOK)
	check("login", login)
	check("refresh", h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": login.str("refresh_token")}), http.StatusOK))
	secret, _ := h.enroll(login.str("access_token"))
	r := h.login("nocache@example.com")
	check("MFA_REQUIRED", r)
	pre := h.preauth("nocache@example.com")
	check("MFA verify", h.wantOK(h.verify(pre, h.code(secret, 0)), http.StatusOK))
}
