package e2e_test

import (
	"fmt"
	"testing"

	"github.com/authos/authos"
)

// TestServiceSignInSettings: the management API creates, changes and shows
// a service's post_logout_redirect_uris and members_only (absent fields
// kept), validates the URIs, and a new service is open to every account
// with no logout URIs; on every backend.
func TestServiceSignInSettings(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), func(c *authos.Config) { noLimits(c); c.AutoApproveOrgs = true })
			alice := h.loginAs("alice@example.com")
			h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
			s := h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, map[string]any{"slug": "shop", "name": "Shop",
				"service_type": "web", "members_only": true, "post_logout_redirect_uris": []string{"https://shop.example.com/bye"}}), 201).body["service"].(map[string]any)
			if s["members_only"] != true || fmt.Sprint(s["post_logout_redirect_uris"]) != "[https://shop.example.com/bye]" {
				t.Fatalf("created service: %v", s)
			}
			plain := h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, map[string]any{"slug": "notes", "name": "Notes",
				"service_type": "web"}), 201).body["service"].(map[string]any)
			if plain["members_only"] != false || fmt.Sprint(plain["post_logout_redirect_uris"]) != "[]" {
				t.Errorf("service without the settings: %v", plain)
			}
			h.wantOK(h.do("PATCH", "/api/organizations/acme/services/shop", alice, map[string]any{"name": "Shop 2"}), 200)
			got := h.wantOK(h.do("GET", "/api/organizations/acme/services/shop", alice, nil), 200).body["service"].(map[string]any)
			if got["members_only"] != true || got["name"] != "Shop 2" || fmt.Sprint(got["post_logout_redirect_uris"]) != "[https://shop.example.com/bye]" {
				t.Errorf("after a PATCH of the name: %v; want the settings kept", got)
			}
			h.wantOK(h.do("PATCH", "/api/organizations/acme/services/shop", alice, map[string]any{"members_only": false,
				"post_logout_redirect_uris": []string{}}), 200)
			got = h.wantOK(h.do("GET", "/api/organizations/acme/services/shop", alice, nil), 200).body["service"].(map[string]any)
			if got["members_only"] != false || fmt.Sprint(got["post_logout_redirect_uris"]) != "[]" {
				t.Errorf("after clearing: %v", got)
			}
			h.wantError(h.do("PATCH", "/api/organizations/acme/services/shop", alice, map[string]any{
				"post_logout_redirect_uris": []string{"javascript:alert(1)"}}), 400, authos.CodeInvalidURL)
		})
	}
}
