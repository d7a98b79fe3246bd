package scim_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/scim"
)

// TestDeprovisionAcrossInstances: two instances share one PostgreSQL
// database. The directory deactivates a signed-in member through instance
// A; instance B refuses the member's organization-bound access token on
// every route and its refresh token within a second, and the member's
// other token on the organization's routes at once.
func TestDeprovisionAcrossInstances(t *testing.T) {
	if postgresURL() == "" {
		t.Skip(testbackends.PostgresEnv + " not set")
	}
	stores := testbackends.Instances(t, testbackends.Backend{Name: "postgres"}, 2)
	keyring := authostest.Keyring(t)
	a := newHarnessWith(t, stores[0], func(c *authos.Config) { c.Keyring = keyring }, scim.Config{})

	// Instance B: the same configuration on its own connection pool.
	b, err := authos.New(context.Background(), authos.Config{Store: stores[1], Keyring: keyring, Hasher: authostest.FastHasher{}, BaseURL: a.a.Config().BaseURL,
		Logger: slog.New(slog.DiscardHandler), AutoApproveOrgs: true, RateLimits: authos.RateLimits{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	srvB := httptest.NewServer(oapitest.Handler(t, b.Handler()))
	t.Cleanup(srvB.Close)
	onB := func(method, path, bearer string, body any) response {
		t.Helper()
		req := authostest.NewJSONRequest(t, method, srvB.URL+path, nil, body)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		r := authostest.Send(t, srvB.Client(), req)
		return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
	}

	// Dora has a password and two sessions, one of them bound to acme.
	a.login("dora@example.com")
	created := a.scim("POST", "/scim/v2/Users", userBody("dora@example.com"))
	if created.status != 201 {
		t.Fatalf("provision: %d %s", created.status, created.raw)
	}
	ctx := context.Background()
	plain, err := b.Login(ctx, authos.LoginInput{Email: "dora@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := b.Login(ctx, authos.LoginInput{Email: "dora@example.com", Password: password, Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{plain.AccessToken, bound.AccessToken} {
		if r := onB("GET", "/api/organizations/acme", tok, nil); r.status != 200 {
			t.Fatalf("before: %d %s", r.status, r.raw)
		}
	}

	deactivate := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}}}
	if r := a.scim("PATCH", "/scim/v2/Users/"+created.body["id"].(string), deactivate); r.status != 200 {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	start := time.Now()

	// At once: B refuses the organization's routes to both tokens (the
	// membership is suspended) and the bound session's refresh token.
	for _, tok := range []string{plain.AccessToken, bound.AccessToken} {
		if r := onB("GET", "/api/organizations/acme", tok, nil); r.status != http.StatusForbidden && r.status != http.StatusUnauthorized {
			t.Errorf("org route right after deactivation: %d %s", r.status, r.raw)
		}
	}
	r := onB("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": bound.RefreshToken})
	if r.status != 401 || r.body["error_code"] != string(authos.CodeSessionRevoked) {
		t.Errorf("refresh right after deactivation: %d %s", r.status, r.raw)
	}
	// Within a second: B refuses the bound access token everywhere.
	for {
		r := onB("GET", "/api/user", bound.AccessToken, nil)
		if r.status == 401 && r.body["error_code"] == string(authos.CodeSessionRevoked) {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("instance B still accepts the deprovisioned member's token after %v: %d %s", time.Since(start), r.status, r.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("instance B refused the revoked token %v after the PATCH on instance A", time.Since(start).Round(time.Millisecond))
	if r := onB("GET", "/api/organizations/acme", bound.AccessToken, nil); r.status != 401 || r.body["error_code"] != string(authos.CodeSessionRevoked) {
		t.Errorf("org route with the revoked token: %d %s", r.status, r.raw)
	}
	// Dora's own account stays hers: her unbound session goes on outside acme.
	if r := onB("GET", "/api/user", plain.AccessToken, nil); r.status != 200 {
		t.Errorf("the unbound session outside the organization: %d %s", r.status, r.raw)
	}
}
