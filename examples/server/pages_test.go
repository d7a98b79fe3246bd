package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostedPagesMounted: the example server serves the hosted sign-in
// pages beside the account pages (an unknown flow gets the sign-in error
// page, not a 404).
func TestHostedPagesMounted(t *testing.T) {
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:"})
	for _, path := range []string{"/auth/signin", "/auth/signin/mfa", "/auth/signup", "/auth/forgot", "/verify-email", "/reset-password"} {
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, httptest.NewRequest("GET", path+"?flow=unknown", nil))
		if rec.Code != http.StatusBadRequest || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: %d %q; want the 400 page", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}
