package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/authos/authos/internal/oapitest"
)

// TestExampleServerMountsEveryLibraryRoute: the example server mounts
// every route openapi.yaml documents as the library's (the sign-in flow,
// its hosted pages and discovery among them), and its discovery document
// names the flow's endpoints.
func TestExampleServerMountsEveryLibraryRoute(t *testing.T) {
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:"})
	routes := s.authos.Routes()
	n := 0
	for path, item := range oapitest.Document(t).Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-served-by"] != nil {
				continue // served by this program itself (TestDocumentedExampleServerRoutesAreServed)
			}
			n++
			if !slices.Contains(routes, method+" "+path) {
				t.Errorf("%s %s is documented but the example server does not mount it", method, path)
			}
		}
	}
	for _, r := range []string{"GET /auth/authorize", "POST /auth/authorize/complete", "POST /auth/token", "GET /auth/userinfo",
		"POST /auth/revoke", "POST /auth/introspect", "GET /auth/logout", "POST /auth/logout", "GET /auth/signin",
		"POST /auth/signin", "GET /auth/signin/mfa", "GET /auth/signup", "GET /auth/forgot", "GET /verify-email",
		"GET /reset-password", "GET /.well-known/openid-configuration", "GET /.well-known/oauth-authorization-server"} {
		if !slices.Contains(routes, r) {
			t.Errorf("the example server does not mount %s", r)
		}
	}
	if n < len(routes)/2 {
		t.Fatalf("openapi.yaml documents %d library operations for %d mounted routes", n, len(routes))
	}

	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest("GET", defaultBaseURL+"/.well-known/openid-configuration", nil))
	var d map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("discovery: %d %s", rec.Code, rec.Body)
	}
	for key, path := range map[string]string{"authorization_endpoint": "/auth/authorize", "token_endpoint": "/auth/token",
		"userinfo_endpoint": "/auth/userinfo", "revocation_endpoint": "/auth/revoke",
		"introspection_endpoint": "/auth/introspect", "end_session_endpoint": "/auth/logout"} {
		if d[key] != defaultBaseURL+path {
			t.Errorf("discovery %s = %v; want %s", key, d[key], defaultBaseURL+path)
		}
	}
}
