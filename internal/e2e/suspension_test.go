package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// TestMemberSuspension: a suspended member is refused on org routes
// (FORBIDDEN), the sessions bound to the organization are revoked (their
// access tokens and refresh tokens refused), a session of the organization
// created later cannot refresh, and restoring lifts it all.
func TestMemberSuspension(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), func(c *authos.Config) { noLimits(c); c.AutoApproveOrgs = true })
			ctx := context.Background()
			alice := h.loginAs("alice@example.com")
			o := h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201).body["organization"].(map[string]any)
			s := h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, map[string]any{"slug": "shop", "name": "Shop", "service_type": "web"}), 201).body["service"].(map[string]any)
			bob := h.loginAs("bob@example.com")
			h.wantOK(h.do("POST", "/api/invitations/accept", bob, map[string]string{"token": h.invite(alice, "acme", "bob@example.com")}), 200)
			bobID := userID(t, h, bob)
			svc := serviceTokens(t, h, "bob@example.com", s["client_id"].(string), s["client_secret"].(string))
			org, err := h.a.Store().GetOrg(ctx, o["id"].(string))
			if err != nil {
				t.Fatal(err)
			}

			var revoked []string
			if err := h.a.Store().Tx(ctx, func(tx store.Tx) error {
				revoked, err = h.a.SuspendMember(ctx, tx, "directory", org, bobID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			h.a.SessionsRevoked(revoked)
			if len(revoked) != 1 || revoked[0] != svc.Session.ID {
				t.Fatalf("revoked %v; want the service session %s only", revoked, svc.Session.ID)
			}
			h.wantError(h.do("GET", "/api/organizations/acme", bob, nil), 403, authos.CodeForbidden)
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": svc.RefreshToken}), 401, authos.CodeSessionRevoked)
			host := h.a.RequireAudience(s["client_id"].(string))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/shop", nil)
			req.Header.Set("Authorization", "Bearer "+svc.AccessToken)
			host.ServeHTTP(rec, req)
			if rec.Code != 401 {
				t.Errorf("the revoked service token reached the host route: %d", rec.Code)
			}
			// A session of the organization created while suspended cannot refresh.
			later := serviceTokens(t, h, "bob@example.com", s["client_id"].(string), s["client_secret"].(string))
			// (A service's refresh token is redeemed by its client at the token endpoint.)
			laterForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {later.RefreshToken},
				"client_id": {s["client_id"].(string)}, "client_secret": {s["client_secret"].(string)}}
			if r := h.tokenEndpoint(laterForm); r.status != 400 || r.str("error") != "invalid_grant" || r.str("error_code") != string(authos.CodeForbidden) {
				t.Fatalf("refresh of a suspended member's service session: %d %s", r.status, r.raw)
			}
			// Bob's own account is untouched.
			h.wantOK(h.do("GET", "/api/user", bob, nil), 200)
			members := h.wantOK(h.do("GET", "/api/organizations/acme/members", alice, nil), 200).body["members"].([]any)
			statuses := map[string]any{}
			for _, m := range members {
				m := m.(map[string]any)
				statuses[m["email"].(string)] = m["status"]
			}
			if statuses["bob@example.com"] != "suspended" || statuses["alice@example.com"] != "active" {
				t.Errorf("member statuses = %v", statuses)
			}

			if err := h.a.Store().Tx(ctx, func(tx store.Tx) error { return h.a.RestoreMember(ctx, tx, "directory", org, bobID) }); err != nil {
				t.Fatal(err)
			}
			h.wantOK(h.do("GET", "/api/organizations/acme", bob, nil), 200)
			if r := h.tokenEndpoint(laterForm); r.status != 200 {
				t.Fatalf("refresh after the membership is restored: %d %s", r.status, r.raw)
			}

			// The last owner can be neither suspended nor removed.
			aliceID := userID(t, h, alice)
			err = h.a.Store().Tx(ctx, func(tx store.Tx) error { _, err := h.a.SuspendMember(ctx, tx, "directory", org, aliceID); return err })
			if !errors.Is(err, authos.CodeConflict) {
				t.Errorf("suspending the last owner: %v", err)
			}
			err = h.a.Store().Tx(ctx, func(tx store.Tx) error { _, err := h.a.EndMembership(ctx, tx, "directory", org, aliceID); return err })
			if !errors.Is(err, authos.CodeConflict) {
				t.Errorf("removing the last owner: %v", err)
			}
			if err := h.a.Store().Tx(ctx, func(tx store.Tx) error { _, err := h.a.EndMembership(ctx, tx, "directory", org, bobID); return err }); err != nil {
				t.Fatal(err)
			}
			h.wantError(h.do("GET", "/api/organizations/acme", bob, nil), 403, authos.CodeNotOrganizationMember)
			// Bob has a password: his account and its other sessions survive.
			h.wantOK(h.do("GET", "/api/user", bob, nil), 200)
		})
	}
}

func TestTierFeatures(t *testing.T) {
	h := newHarness(t, backends(t, true)[0].Open(t), func(c *authos.Config) {
		c.Tiers = authos.DefaultTiers()
		c.Tiers["team"] = authos.Tier{Name: "team", MaxServices: 5, MaxMembers: 8, Features: []string{authos.FeatureSCIM, "audit-export"}}
	})
	for tier, want := range map[string]bool{"free": false, "starter": false, "pro": true, "enterprise": true, "team": true, "unknown": false} {
		o := authos.Organization{Tier: tier}
		err := h.a.RequireFeature(o, authos.FeatureSCIM)
		if want != (err == nil) || !want && !errors.Is(err, authos.CodeForbidden) {
			t.Errorf("RequireFeature(%s) = %v", tier, err)
		}
	}
	if h.a.RequireFeature(authos.Organization{Tier: "team"}, "audit-export") != nil {
		t.Error("a host-defined feature is not reported")
	}
}
