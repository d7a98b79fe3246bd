package oauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// An organization admin sets up, reads, lists and removes the
// organization's own credentials; the secret is stored encrypted (bound to
// the organization and provider), never returned, and every change is
// audited. Members and other organizations' admins are refused.
func TestOrgProviderAPI(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		r := h.do("PUT", "/api/organizations/acme/oauth-providers/github", h.owner, map[string]any{"client_id": "Iv1.abc", "client_secret": "s3cret-value"})
		if r.status != 200 || r.json["has_secret"] != true || r.json["client_id"] != "Iv1.abc" || r.json["enabled"] != true ||
			r.json["redirect_uri"] != h.srv.URL+"/auth/social/github/callback" || strings.Contains(r.body, "s3cret-value") {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		p, err := st.(store.OAuthStore).GetOAuthProvider(context.Background(), h.org.ID, "github")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Secret) == 0 || strings.Contains(string(p.Secret), "s3cret-value") {
			t.Fatalf("stored secret %q is not ciphertext", p.Secret)
		}
		// Bound to the organization and provider: opening it under another
		// binding fails.
		if _, err := h.inst.Keyring().Decrypt(p.Secret, []byte("authos_oauth_providers.secret:"+h.org.ID+":google")); err == nil {
			t.Fatal("the secret opens under another provider's binding")
		}
		// A change without a secret keeps it.
		r = h.do("PUT", "/api/organizations/acme/oauth-providers/github", h.owner, map[string]any{"client_id": "Iv1.def", "enabled": false})
		if r.status != 200 || r.json["has_secret"] != true || r.json["enabled"] != false {
			t.Fatalf("PUT without secret: %d %s", r.status, r.body)
		}
		wantCode(t, h.do("PUT", "/api/organizations/acme/oauth-providers/corp", h.owner, map[string]any{"client_id": "c", "client_secret": "s"}), 400, authos.CodeBadRequest)
		wantCode(t, h.do("PUT", "/api/organizations/acme/oauth-providers/google", h.owner, map[string]any{"client_id": "c"}), 400, authos.CodeBadRequest)
		wantCode(t, h.do("PUT", "/api/organizations/acme/oauth-providers/Bad_Name", h.owner, map[string]any{"client_id": "c", "client_secret": "s"}), 400, authos.CodeBadRequest)
		h.setOrgProvider("corp", map[string]any{"client_id": "c", "client_secret": "s", "issuer": "https://idp.example.com", "scopes": []string{"openid", "email"}})

		r = h.do("GET", "/api/organizations/acme/oauth-providers", h.owner, nil)
		list, _ := r.json["providers"].([]any)
		if r.status != 200 || len(list) != 2 || strings.Contains(r.body, "client_secret") {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		r = h.do("GET", "/api/organizations/acme/oauth-providers/corp", h.owner, nil)
		if r.status != 200 || r.json["issuer"] != "https://idp.example.com" {
			t.Fatalf("GET: %d %s", r.status, r.body)
		}
		member := authostest.Token(t, h.inst, "member@example.com")
		wantCode(t, h.do("GET", "/api/organizations/acme/oauth-providers", member, nil), 403, authos.CodeNotOrganizationMember)
		if r := h.do("DELETE", "/api/organizations/acme/oauth-providers/corp", h.owner, nil); r.status != 204 {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		wantCode(t, h.do("GET", "/api/organizations/acme/oauth-providers/corp", h.owner, nil), 404, authos.CodeNotFound)
		wantCode(t, h.do("DELETE", "/api/organizations/acme/oauth-providers/corp", h.owner, nil), 404, authos.CodeNotFound)

		entries, _, err := h.inst.ListAudit(context.Background(), store.AuditFilter{TargetID: h.org.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if strings.Contains(e.Action, "oauth_provider") {
				actions = append(actions, e.Action)
				if strings.Contains(string(e.After)+string(e.Before), "s3cret") {
					t.Errorf("audit entry %s shows the secret", e.Action)
				}
			}
		}
		if len(actions) != 4 {
			t.Errorf("audit actions %v; want 3 puts and a delete", actions)
		}
	})
}
