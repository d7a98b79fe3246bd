package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// keyOrg is an active organization "acme" owned by alice, with bob as an
// admin, on one backend.
type keyOrg struct {
	*harness
	st         store.Storage
	org        store.Organization
	alice, bob string // access tokens
	aliceID    string
	bobID      string
}

func newKeyOrg(t *testing.T, st store.Storage) *keyOrg {
	t.Helper()
	h := newHarness(t, st, func(c *authos.Config) { c.AutoApproveOrgs = true; c.RateLimits.Disabled = true })
	k := &keyOrg{harness: h, st: st}
	k.alice = h.loginAs("alice@example.com")
	h.wantOK(h.do("POST", "/api/organizations", k.alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
	inv := h.wantOK(h.do("POST", "/api/organizations/acme/invitations", k.alice,
		map[string]string{"email": "bob@example.com", "role": "admin"}), 201).str("token")
	k.bob = h.loginAs("bob@example.com")
	h.wantOK(h.do("POST", "/api/invitations/accept", k.bob, map[string]string{"token": inv}), 200)
	k.aliceID, k.bobID = userID(t, h, k.alice), userID(t, h, k.bob)
	o, err := st.GetOrgBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	k.org = o
	return k
}

// key creates an API key with the caller's bearer (a token or a key) and
// returns the plaintext key and its view.
func (k *keyOrg) key(bearer string, body map[string]any) (string, map[string]any) {
	k.t.Helper()
	r := k.wantOK(k.do("POST", "/api/organizations/acme/api-keys", bearer, body), 201)
	return r.str("key"), r.body["api_key"].(map[string]any)
}

// service creates a confidential service with alice's token.
func (k *keyOrg) service(slug string) {
	k.t.Helper()
	k.wantOK(k.do("POST", "/api/organizations/acme/services", k.alice, map[string]any{
		"slug": slug, "name": "App " + slug, "service_type": "web", "redirect_uris": []string{"https://app.example.com/cb"}}), 201)
}

// keyWith sends a JSON request authenticated by the API key.
func (k *keyOrg) keyWith(method, path, key string, body any) response {
	k.t.Helper()
	return k.doWith(method, path, map[string]string{"X-API-Key": key}, body)
}

// storedKeys returns the organization's stored keys.
func (k *keyOrg) storedKeys() []store.APIKey {
	k.t.Helper()
	ks, err := k.st.ListAPIKeys(context.Background(), k.org.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	return ks
}

func (k *keyOrg) storedKey(id string) store.APIKey {
	k.t.Helper()
	sk, err := k.st.GetAPIKey(context.Background(), id)
	if err != nil {
		k.t.Fatal(err)
	}
	return sk
}

// TestAPIKeyCannotGrantScopesItLacks: a key holding only api_keys:write
// could mint a key with services:write, members:read and
// organization:write, which then read the members. A key now grants only
// scopes it holds, and the new key records the creating key's user.
func TestAPIKeyCannotGrantScopesItLacks(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		k := newKeyOrg(t, st)
		writer, _ := k.key(k.alice, map[string]any{"name": "keys only", "scopes": []string{"api_keys:write"}})
		before := len(k.storedKeys())

		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", writer, map[string]any{
			"name": "escalated", "scopes": []string{"services:write", "members:read", "organization:write"}}), 403, authos.CodeForbidden)
		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", writer, map[string]any{
			"name": "one more", "scopes": []string{"api_keys:write", "members:read"}}), 403, authos.CodeForbidden)
		// Without scopes a key-made key gets the creating key's :read scopes: here none.
		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", writer, map[string]any{"name": "defaults"}), 400, authos.CodeBadRequest)
		if n := len(k.storedKeys()); n != before {
			t.Fatalf("refused creations stored keys: %d, want %d", n, before)
		}

		// Within its scopes it may: the new key records alice, and its role.
		r := k.wantOK(k.keyWith("POST", "/api/organizations/acme/api-keys", writer, map[string]any{
			"name": "same scopes", "scopes": []string{"api_keys:write"}}), 201)
		view := r.body["api_key"].(map[string]any)
		if view["created_by"] != k.aliceID || view["role"] != "owner" {
			t.Fatalf("key-made key view = %s", r.raw)
		}
		child := k.storedKey(view["id"].(string))
		if child.CreatedBy != k.aliceID || !slices.Equal(child.Scopes, []string{"api_keys:write"}) {
			t.Fatalf("stored key-made key = %+v", child)
		}
		k.wantError(k.doKey("GET", "/api/organizations/acme/members", r.str("key")), 403, authos.CodeForbidden)

		// A reader's key without scopes gets the :read scopes it holds.
		reader, _ := k.key(k.alice, map[string]any{"name": "reader", "scopes": []string{"api_keys:write", "services:read", "organization:read"}})
		_, v := k.key(reader, map[string]any{"name": "defaults"}) // through HTTP with the key as bearer
		if got := v["scopes"].([]any); len(got) != 2 || got[0] != "organization:read" || got[1] != "services:read" {
			t.Fatalf("default scopes of a key-made key = %v", got)
		}
	})
}

// TestAPIKeyActsWithItsCreatorsRole: an admin's key deleted a service
// although the admin's own token got 403 "needs the owner role". A key
// carries its creator's role as a ceiling, and a key made by a key keeps
// that ceiling even if its creator is promoted later.
func TestAPIKeyActsWithItsCreatorsRole(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		k := newKeyOrg(t, st)
		k.service("app")
		k.wantError(k.do("DELETE", "/api/organizations/acme/services/app", k.bob, nil), 403, authos.CodeForbidden)

		bobKey, v := k.key(k.bob, map[string]any{"name": "bob's", "scopes": []string{"services:read", "services:write", "api_keys:write"}})
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/services/app", bobKey), 403, authos.CodeForbidden)
		if _, err := st.GetServiceBySlug(context.Background(), k.org.ID, "app"); err != nil {
			t.Fatalf("service after the admin key's delete: %v", err)
		}
		if v["role"] != "admin" || v["created_by"] != k.bobID {
			t.Fatalf("bob's key = %v", v)
		}
		// Admin work still works with it.
		k.wantOK(k.keyWith("PATCH", "/api/organizations/acme/services/app", bobKey, map[string]any{"name": "Renamed"}), 200)

		// A key made by bob's key stays at admin, even once bob is an owner.
		childKey, cv := k.key(bobKey, map[string]any{"name": "child", "scopes": []string{"services:write"}})
		if cv["role"] != "admin" || cv["created_by"] != k.bobID {
			t.Fatalf("child key = %v", cv)
		}
		k.wantOK(k.do("PATCH", "/api/organizations/acme/members/"+k.bobID, k.alice, map[string]string{"role": "owner"}), 204)
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/services/app", childKey), 403, authos.CodeForbidden)
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/services/app", bobKey), 403, authos.CodeForbidden)

		// An owner's key may do owner work.
		aliceKey, _ := k.key(k.alice, map[string]any{"name": "alice's", "scopes": []string{"services:write"}})
		k.wantOK(k.doKey("DELETE", "/api/organizations/acme/services/app", aliceKey), 204)
		if _, err := st.GetServiceBySlug(context.Background(), k.org.ID, "app"); err == nil {
			t.Fatal("the owner key's delete left the service")
		}
	})
}

// TestServiceBoundKeyStaysOnItsService: a key bound to svc2 rotated svc1's
// client secret (and received it) and deleted svc1. A bound key now sees
// only its own service: the others answer NOT_FOUND and are unchanged.
func TestServiceBoundKeyStaysOnItsService(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		ctx := context.Background()
		k := newKeyOrg(t, st)
		k.service("svc1")
		k.service("svc2")
		svc1, err := st.GetServiceBySlug(ctx, k.org.ID, "svc1")
		if err != nil {
			t.Fatal(err)
		}
		bound, bv := k.key(k.alice, map[string]any{"name": "svc2 backend", "service": "svc2",
			"scopes": []string{"services:read", "services:write", "api_keys:read", "api_keys:write", "organization:read", "members:read"}})

		r := k.wantError(k.keyWith("PATCH", "/api/organizations/acme/services/svc1", bound, map[string]any{"rotate_secret": true}), 404, authos.CodeNotFound)
		if len(r.body) != 3 { // error, error_code, timestamp: no client_secret
			t.Fatalf("refused rotation answered %s", r.raw)
		}
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/services/svc1", bound), 404, authos.CodeNotFound)
		k.wantError(k.doKey("GET", "/api/organizations/acme/services/svc1", bound), 404, authos.CodeNotFound)
		after, err := st.GetServiceBySlug(ctx, k.org.ID, "svc1")
		if err != nil || after.ClientSecretHash != svc1.ClientSecretHash || after.Name != svc1.Name {
			t.Fatalf("svc1 after the bound key's attempts: %+v, %v", after, err)
		}
		list := k.wantOK(k.doKey("GET", "/api/organizations/acme/services", bound), 200)
		if l := list.body["services"].([]any); len(l) != 1 || l[0].(map[string]any)["slug"] != "svc2" {
			t.Fatalf("bound key's service list = %s", list.raw)
		}
		k.wantError(k.keyWith("POST", "/api/organizations/acme/services", bound, map[string]any{
			"slug": "svc3", "name": "Three", "service_type": "api"}), 403, authos.CodeForbidden)
		k.wantError(k.doKey("GET", "/api/organizations/acme/members", bound), 403, authos.CodeForbidden)
		k.wantOK(k.doKey("GET", "/api/organizations/acme", bound), 200)

		// Its own service it may manage.
		own := k.wantOK(k.keyWith("PATCH", "/api/organizations/acme/services/svc2", bound, map[string]any{"rotate_secret": true}), 200)
		if own.body["service"].(map[string]any)["client_secret"] == nil {
			t.Fatalf("own rotation = %s", own.raw)
		}

		// Keys it makes are bound to svc2; it cannot bind one to svc1, nor
		// see or revoke keys outside svc2.
		_, cv := k.key(bound, map[string]any{"name": "child", "scopes": []string{"services:read"}})
		if cv["service_id"] != bv["service_id"] {
			t.Fatalf("child of a bound key = %v; want service %v", cv, bv["service_id"])
		}
		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", bound, map[string]any{
			"name": "other", "service": "svc1", "scopes": []string{"services:read"}}), 404, authos.CodeNotFound)
		_, wide := k.key(k.alice, map[string]any{"name": "org-wide"})
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/api-keys/"+wide["id"].(string), bound), 404, authos.CodeNotFound)
		if sk := k.storedKey(wide["id"].(string)); !sk.RevokedAt.IsZero() {
			t.Fatal("a bound key revoked an organization-wide key")
		}
		keys := k.wantOK(k.doKey("GET", "/api/organizations/acme/api-keys", bound), 200)
		for _, x := range keys.body["api_keys"].([]any) {
			if x.(map[string]any)["service_id"] != bv["service_id"] {
				t.Fatalf("bound key lists %s", keys.raw)
			}
		}
	})
}

// TestAPIKeyStopsWithItsCreator: a key kept working, and minted new keys,
// after the owner removed the admin who created it. A key now stops when
// its creator leaves or drops below admin (read with the key), and keys
// from before created_by was recorded have no creator and are refused.
func TestAPIKeyStopsWithItsCreator(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		k := newKeyOrg(t, st)
		bobKey, _ := k.key(k.bob, map[string]any{"name": "bob's", "scopes": []string{"organization:read", "api_keys:write"}})
		childKey, _ := k.key(bobKey, map[string]any{"name": "child", "scopes": []string{"organization:read"}})
		k.wantOK(k.doKey("GET", "/api/organizations/acme", bobKey), 200)
		k.wantOK(k.doKey("GET", "/api/organizations/acme", childKey), 200)

		k.wantOK(k.do("PATCH", "/api/organizations/acme/members/"+k.bobID, k.alice, map[string]string{"role": "member"}), 204)
		k.wantError(k.doKey("GET", "/api/organizations/acme", bobKey), 401, authos.CodeUnauthorized)
		k.wantError(k.doKey("GET", "/api/organizations/acme", childKey), 401, authos.CodeUnauthorized)
		k.wantOK(k.do("PATCH", "/api/organizations/acme/members/"+k.bobID, k.alice, map[string]string{"role": "admin"}), 204)
		k.wantOK(k.doKey("GET", "/api/organizations/acme", bobKey), 200)
		// A creator suspended by the organization's directory stops the key too.
		if err := st.SetMemberStatus(context.Background(), k.org.ID, k.bobID, store.MemberSuspended); err != nil {
			t.Fatal(err)
		}
		k.wantError(k.doKey("GET", "/api/organizations/acme", bobKey), 401, authos.CodeUnauthorized)
		if err := st.SetMemberStatus(context.Background(), k.org.ID, k.bobID, store.MemberActive); err != nil {
			t.Fatal(err)
		}
		k.wantOK(k.doKey("GET", "/api/organizations/acme", bobKey), 200)

		k.wantOK(k.do("DELETE", "/api/organizations/acme/members/"+k.bobID, k.alice, nil), 204)
		before := len(k.storedKeys())
		k.wantError(k.doKey("GET", "/api/organizations/acme", bobKey), 401, authos.CodeUnauthorized)
		k.wantError(k.doKey("GET", "/api/organizations/acme", childKey), 401, authos.CodeUnauthorized)
		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", bobKey, map[string]any{
			"name": "after leaving", "scopes": []string{"organization:read"}}), 401, authos.CodeUnauthorized)
		if n := len(k.storedKeys()); n != before {
			t.Fatalf("a departed admin's key minted a key: %d keys, want %d", n, before)
		}

		// Rows from before: no creator → refused; a creator but no role →
		// capped at admin, so an owner's old key cannot do owner work.
		legacy := func(id, createdBy string, scopes ...string) string {
			plain := "ak_legacy" + id + "_secretsecretsecretsecret"
			sum := sha256.Sum256([]byte(plain))
			if err := st.CreateAPIKey(context.Background(), store.APIKey{ID: "legacy-" + id, OrgID: k.org.ID, Name: "old",
				Prefix: "legacy" + id, SecretHash: hex.EncodeToString(sum[:]), Scopes: scopes, CreatedBy: createdBy,
				CreatedAt: k.clock.Now()}); err != nil {
				t.Fatal(err)
			}
			return plain
		}
		k.service("app")
		anon := legacy("anon", "", "organization:read", "api_keys:write")
		k.wantError(k.doKey("GET", "/api/organizations/acme", anon), 401, authos.CodeUnauthorized)
		k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", anon, map[string]any{
			"name": "x", "scopes": []string{"organization:read"}}), 401, authos.CodeUnauthorized)
		old := legacy("owner", k.aliceID, "services:write", "organization:read")
		k.wantOK(k.doKey("GET", "/api/organizations/acme", old), 200)
		k.wantError(k.doKey("DELETE", "/api/organizations/acme/services/app", old), 403, authos.CodeForbidden)
	})
}

// TestAPIKeyMadeByKeyExpiresWithIt: a key cannot outlive the key that
// made it.
func TestAPIKeyMadeByKeyExpiresWithIt(t *testing.T) {
	k := newKeyOrg(t, memoryBackend(t))
	exp := k.clock.Now().Add(time.Hour).UTC()
	parent, _ := k.key(k.alice, map[string]any{"name": "parent", "expires_at": exp, "scopes": []string{"api_keys:write", "organization:read"}})
	_, cv := k.key(parent, map[string]any{"name": "child", "scopes": []string{"organization:read"}})
	if got, _ := time.Parse(time.RFC3339Nano, cv["expires_at"].(string)); !got.Equal(exp) {
		t.Fatalf("child expires_at = %v; want the parent's %v", cv["expires_at"], exp)
	}
	k.wantError(k.keyWith("POST", "/api/organizations/acme/api-keys", parent, map[string]any{
		"name": "later", "expires_at": exp.Add(time.Minute), "scopes": []string{"organization:read"}}), 403, authos.CodeForbidden)
}
