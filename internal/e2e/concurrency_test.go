package e2e_test

import (
	"context"
	"sync"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/lockoutkey"
)

// noLimits turns the per-IP limit off: these tests fire 50 requests from
// one address on purpose.
func noLimits(c *authos.Config) { c.RateLimits.Disabled = true }

// TestParallelRefresh: 50 concurrent refreshes of one token never fail with
// a 500, all get the same new pair (retries inside the grace window), and
// exactly one successor exists: it rotates once, and the session survives.
func TestParallelRefresh(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), noLimits)
			h.registerVerified("par@example.com", "parallel password")
			rt := h.wantOK(h.login("par@example.com", "parallel password"), 200).str("refresh_token")

			const n = 50
			var wg sync.WaitGroup
			results := make([]response, n)
			for i := range n {
				wg.Go(func() {
					results[i] = h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": rt})
				})
			}
			wg.Wait()
			pairs := map[string]bool{}
			for i, r := range results {
				if r.status != 200 {
					t.Fatalf("refresh %d: %d %s", i, r.status, r.raw)
				}
				pairs[r.str("refresh_token")+" "+r.str("access_token")] = true
			}
			if len(pairs) != 1 {
				t.Fatalf("%d distinct pairs; want exactly 1", len(pairs))
			}
			next := results[0].str("refresh_token")
			if next == rt {
				t.Fatal("token not rotated")
			}
			// The one successor is live and the family was not revoked.
			h.wantOK(h.do("GET", "/api/user", results[0].str("access_token"), nil), 200)
			h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": next}), 200)
		})
	}
}

// TestParallelWrongPasswords: 50 concurrent failed logins are all counted
// (no lost update) on every backend.
func TestParallelWrongPasswords(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) {
				noLimits(c)
				c.Lockout.MaxFailures = 100 // count all 50 without locking
			})
			h.registerVerified("victim@example.com", "the real password")
			const n = 50
			var wg sync.WaitGroup
			results := make([]response, n)
			for i := range n {
				wg.Go(func() {
					results[i] = h.login("victim@example.com", "a wrong password")
				})
			}
			wg.Wait()
			for i, r := range results {
				if r.status != 401 || r.str("error_code") != string(authos.CodeInvalidCredentials) {
					t.Fatalf("login %d: %d %s", i, r.status, r.raw)
				}
			}
			lf, err := st.GetLoginFailures(context.Background(), lockoutkey.Account("victim@example.com"))
			if err != nil {
				t.Fatal(err)
			}
			if lf.Count != n {
				t.Fatalf("failure counter = %d; want %d", lf.Count, n)
			}
		})
	}
}

// TestHTTPEnvelopeEverywhere: unknown routes, wrong methods, oversized and
// malformed bodies all answer with the catalog envelope.
func TestHTTPEnvelopeEverywhere(t *testing.T) {
	h := newHarness(t, backends(t, true)[0].Open(t), nil)
	cases := []struct {
		method, path string
		body         any
		status       int
		code         authos.ErrorCode
	}{
		{"GET", "/api/nope", nil, 404, authos.CodeNotFound},
		{"GET", "/api/auth/login", nil, 405, authos.CodeMethodNotAllowed},
		{"DELETE", "/.well-known/jwks.json", nil, 405, authos.CodeMethodNotAllowed},
		{"POST", "/api/auth/login", `{"email":`, 400, authos.CodeBadRequest},
		{"POST", "/api/auth/login", `{"email":"a@b.co","password":"x","extra":1}`, 400, authos.CodeBadRequest},
		{"POST", "/api/auth/register", `{"email":"a@b.co","password":"` + string(make([]byte, 70_000)) + `"}`, 413, authos.CodePayloadTooLarge},
		{"POST", "/api/auth/refresh", `{"refresh_token":"nope"}`, 401, authos.CodeUnauthorized},
		{"POST", "/api/auth/verify-email", `{"token":"nope"}`, 400, authos.CodeInvalidToken},
		{"POST", "/api/auth/login", `{"email":"ghost@example.com","password":"whatever1"}`, 401, authos.CodeInvalidCredentials},
		{"POST", "/api/auth/logout", nil, 401, authos.CodeUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			h.wantError(h.do(c.method, c.path, "", c.body), c.status, c.code)
		})
	}
	// Resend and forgot answer 202 whatever the email.
	for _, p := range []string{"/api/auth/resend-verification", "/api/auth/forgot-password"} {
		h.wantOK(h.do("POST", p, "", map[string]string{"email": "nobody@example.com"}), 202)
	}
	jwks := h.wantOK(h.do("GET", "/.well-known/jwks.json", "", nil), 200)
	if keys, _ := jwks.body["keys"].([]any); len(keys) != 1 {
		t.Fatalf("jwks = %s", jwks.raw)
	}
	disc := h.wantOK(h.do("GET", "/.well-known/openid-configuration", "", nil), 200)
	if disc.str("issuer") != h.a.Config().Issuer || disc.str("jwks_uri") != h.a.Config().BaseURL+"/.well-known/jwks.json" {
		t.Fatalf("discovery = %s", disc.raw)
	}
}
