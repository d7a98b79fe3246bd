package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/scim"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

func userBody(userName string) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
		"emails": []map[string]any{{"value": userName, "type": "work", "primary": true}}, "active": true}
}

func filterPath(res, f string) string { return "/scim/v2/" + res + "?filter=" + url.QueryEscape(f) }

// TestErrorCodes: each SCIM error code with SCIM's error schema, and the
// tokens: missing, invalid, revoked, expired, of another organization.
func TestErrorCodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		alice := h.scim("POST", "/scim/v2/Users", userBody("alice@example.com"))
		if alice.status != 201 {
			t.Fatalf("create: %d %s", alice.status, alice.raw)
		}
		aliceID := alice.body["id"].(string)

		checkSCIMError(t, h.scim("POST", "/scim/v2/Users", userBody("ALICE@example.com")), 409, authos.CodeSCIMUserExists, "uniqueness")
		checkSCIMError(t, h.scim("GET", "/scim/v2/Users/nope", nil), 404, authos.CodeSCIMUserNotFound, "")
		checkSCIMError(t, h.scim("PATCH", "/scim/v2/Users/nope", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}}}), 404, authos.CodeSCIMUserNotFound, "")
		checkSCIMError(t, h.scim("DELETE", "/scim/v2/Users/nope", nil), 404, authos.CodeSCIMUserNotFound, "")
		for _, f := range []string{`userName eq`, `userName xx "a"`, `title eq "x"`, `userName gt "a"`, `active eq "maybe"`, `(userName eq "a"`} {
			checkSCIMError(t, h.scim("GET", filterPath("Users", f), nil), 400, authos.CodeSCIMFilterInvalid, "invalidFilter")
		}
		checkSCIMError(t, h.scim("GET", filterPath("Groups", `userName eq "a"`), nil), 400, authos.CodeSCIMFilterInvalid, "invalidFilter")

		// Tokens.
		r := h.send("GET", "/scim/v2/Users", "", nil, nil)
		checkSCIMError(t, r, 401, authos.CodeUnauthorized, "")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		for _, bad := range []string{"scim_nope", "not-a-scim-token", h.owner} {
			checkSCIMError(t, h.send("GET", "/scim/v2/Users", bad, nil, nil), 401, authos.CodeInvalidSCIMToken, "")
		}
		list := h.do("GET", "/api/organizations/acme/scim-tokens", h.owner, nil, 200).body["scim_tokens"].([]any)
		if len(list) != 1 {
			t.Fatalf("tokens = %v", list)
		}
		if _, leaked := list[0].(map[string]any)["token"]; leaked {
			t.Error("the token list shows the secret")
		}
		second := h.scimToken(h.owner, "acme")
		id := list[0].(map[string]any)["id"].(string)
		h.do("DELETE", "/api/organizations/acme/scim-tokens/"+id, h.owner, nil, 204)
		checkSCIMError(t, h.scim("GET", "/scim/v2/Users", nil), 401, authos.CodeInvalidSCIMToken, "")
		if r := h.send("GET", "/scim/v2/Users", second, nil, nil); r.status != 200 {
			t.Errorf("the other token stopped working: %d", r.status)
		}
		expiring := h.do("POST", "/api/organizations/acme/scim-tokens", h.owner,
			map[string]any{"name": "short", "expires_at": time.Now().Add(-time.Hour)}, 400)
		_ = expiring

		// Another organization's token sees only its own users.
		bob := h.login("bob@example.com")
		h.newOrg(bob, "beta", authos.TierEnterprise)
		beta := h.scimToken(bob, "beta")
		r = h.send("GET", "/scim/v2/Users", beta, nil, nil)
		if r.status != 200 || r.body["totalResults"] != json0 {
			t.Errorf("beta lists %d %s", r.status, r.raw)
		}
		checkSCIMError(t, h.send("GET", "/scim/v2/Users/"+aliceID, beta, nil, nil), 404, authos.CodeSCIMUserNotFound, "")
		checkSCIMError(t, h.send("DELETE", "/scim/v2/Users/"+aliceID, beta, nil, nil), 404, authos.CodeSCIMUserNotFound, "")
		// The same person provisioned into beta: each DELETE removes one membership.
		r = h.send("POST", "/scim/v2/Users", beta, userBody("alice@example.com"), nil)
		if r.status != 201 || r.body["id"] != aliceID {
			t.Fatalf("provisioning alice into beta: %d %s", r.status, r.raw)
		}
		if r := h.send("DELETE", "/scim/v2/Users/"+aliceID, beta, nil, nil); r.status != 204 {
			t.Fatalf("delete in beta: %d", r.status)
		}
		if got := h.memberState(h.org.ID, "alice@example.com"); got != "active" {
			t.Errorf("alice in acme after her deletion in beta: %s", got)
		}
		// Someone else's admin cannot manage acme's tokens.
		h.do("GET", "/api/organizations/acme/scim-tokens", bob, nil, 403)
	})
}

var json0 = jsonNumber("0")

// TestTierGate: an organization whose tier lacks SCIM can neither create
// tokens nor use them.
func TestTierGate(t *testing.T) {
	h := newHarness(t, testbackends.List(t, true)[0].Open(t))
	carol := h.login("carol@example.com")
	h.newOrg(carol, "gamma", authos.TierFree)
	r := h.do("POST", "/api/organizations/gamma/scim-tokens", carol, map[string]string{"name": "x"}, 403)
	if r.body["error_code"] != string(authos.CodeForbidden) {
		t.Errorf("free tier token: %s", r.raw)
	}
	// Downgrading acme stops its token.
	o := h.org
	o.Tier = authos.TierFree
	if err := h.st.UpdateOrg(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	checkSCIMError(t, h.scim("GET", "/scim/v2/Users", nil), 403, authos.CodeForbidden, "")
}

func TestNeedsCapability(t *testing.T) {
	a, err := authos.New(context.Background(), authos.Config{Store: authostest.CoreOnly(memory.New()), Keyring: authostest.Keyring(t),
		Hasher: authostest.FastHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scim.New(a, scim.Config{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("scim.New on a core-only store: %v", err)
	}
}

// TestListFeatures: pagination (itemsPerPage is the number returned),
// sort, attributes, excludedAttributes, ETags.
func TestListFeatures(t *testing.T) {
	h := newHarness(t, testbackends.List(t, true)[0].Open(t))
	for _, n := range []string{"carol@example.com", "alice@example.com", "bob@example.com"} {
		if r := h.scim("POST", "/scim/v2/Users", userBody(n)); r.status != 201 {
			t.Fatal(r.raw)
		}
	}
	r := h.scim("GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=5&attributes=userName", nil)
	res, _ := r.body["Resources"].([]any)
	if r.status != 200 || r.body["itemsPerPage"] != jsonNumber("2") || r.body["totalResults"] != jsonNumber("3") || len(res) != 2 {
		t.Fatalf("page: %s", r.raw)
	}
	first := res[0].(map[string]any)
	if first["userName"] != "bob@example.com" || first["emails"] != nil || first["id"] == nil || first["active"] != nil {
		t.Errorf("projected, sorted page: %v", first)
	}
	r = h.scim("GET", "/scim/v2/Users?excludedAttributes=emails,name&count=1", nil)
	u := r.body["Resources"].([]any)[0].(map[string]any)
	if u["emails"] != nil || u["userName"] == nil || r.body["itemsPerPage"] != jsonNumber("1") {
		t.Errorf("excludedAttributes: %s", r.raw)
	}
	checkSCIMError(t, h.scim("GET", "/scim/v2/Users?sortBy=title", nil), 400, authos.CodeBadRequest, "invalidValue")

	// ETags.
	id := u["id"].(string)
	r = h.scim("GET", "/scim/v2/Users/"+id, nil)
	etag := r.header.Get("Etag")
	if etag == "" || r.body["meta"].(map[string]any)["version"] != etag {
		t.Fatalf("etag %q, meta %v", etag, r.body["meta"])
	}
	if r := h.send("GET", "/scim/v2/Users/"+id, h.token, nil, map[string]string{"If-None-Match": etag}); r.status != 304 {
		t.Errorf("If-None-Match: %d", r.status)
	}
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "displayName", "value": "X"}}}
	r = h.send("PATCH", "/scim/v2/Users/"+id, h.token, patch, map[string]string{"If-Match": etag})
	if r.status != 200 || r.header.Get("Etag") == etag {
		t.Fatalf("If-Match current: %d %s", r.status, r.raw)
	}
	checkSCIMError(t, h.send("PATCH", "/scim/v2/Users/"+id, h.token, patch, map[string]string{"If-Match": etag}), 412, authos.CodePreconditionFailed, "")

	// Discovery needs the token and answers SCIM.
	for _, p := range []string{"/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas", "/scim/v2/ResourceTypes"} {
		if r := h.scim("GET", p, nil); r.status != 200 || r.header.Get("Content-Type") != "application/scim+json" {
			t.Errorf("%s: %d %s", p, r.status, r.raw)
		}
		checkSCIMError(t, h.send("GET", p, "", nil, nil), 401, authos.CodeUnauthorized, "")
	}
	spc := h.scim("GET", "/scim/v2/ServiceProviderConfig", nil)
	if v, _ := get(spc.body, "etag.supported"); v != true {
		t.Errorf("ServiceProviderConfig: %s", spc.raw)
	}
}

// TestDeleteAccount: DELETE removes the membership; an account that only
// the directory vouched for (no password, no other membership) is deleted
// and the tokens it held are refused, while an account with a password
// stays, signed in.
func TestDeleteAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := context.Background()
		carol := h.scim("POST", "/scim/v2/Users", userBody("carol@example.com"))
		if carol.status != 201 {
			t.Fatalf("create: %d %s", carol.status, carol.raw)
		}
		acct, err := st.GetUserByEmail(ctx, "carol@example.com")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := h.a.CompleteLogin(ctx, acct, authos.LoginContext{Method: "ext"})
		if err != nil {
			t.Fatal(err)
		}
		h.do("GET", "/api/user", tr.AccessToken, nil, 200)
		dave := h.login("dave@example.com")
		daveRes := h.scim("POST", "/scim/v2/Users", userBody("dave@example.com"))
		if daveRes.status != 201 {
			t.Fatalf("create dave: %d %s", daveRes.status, daveRes.raw)
		}

		for _, id := range []string{carol.body["id"].(string), daveRes.body["id"].(string)} {
			if r := h.scim("DELETE", "/scim/v2/Users/"+id, nil); r.status != 204 {
				t.Fatalf("DELETE: %d %s", r.status, r.raw)
			}
		}
		if _, err := st.GetUserByEmail(ctx, "carol@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("carol's directory-only account survived DELETE: %v", err)
		}
		r := h.send("GET", "/api/user", tr.AccessToken, nil, nil)
		if r.status != 401 || r.body["error_code"] != string(authos.CodeSessionRevoked) {
			t.Errorf("carol's token after DELETE: %d %s", r.status, r.raw)
		}
		if _, err := st.GetUserByEmail(ctx, "dave@example.com"); err != nil {
			t.Errorf("dave's account (with a password) was deleted: %v", err)
		}
		h.do("GET", "/api/user", dave, nil, 200)
		if got := h.memberState(h.org.ID, "dave@example.com"); got != "absent" {
			t.Errorf("dave's SCIM user after DELETE: %s", got)
		}
		// Provisioning carol again creates a new account.
		if r := h.scim("POST", "/scim/v2/Users", userBody("carol@example.com")); r.status != 201 || r.body["id"] == carol.body["id"] {
			t.Errorf("provisioning carol again: %d %s", r.status, r.raw)
		}
	})
}

// TestFailedTokenLimit: wrong SCIM tokens are counted per client address;
// over the limit, that address is refused every SCIM call (429 with
// Retry-After), even with the right token, while another address goes on.
func TestFailedTokenLimit(t *testing.T) {
	h := newHarnessWith(t, testbackends.List(t, true)[0].Open(t), func(c *authos.Config) {
		c.RateLimits = authos.RateLimits{PerIP: authos.Limit{Rate: 1000, Period: time.Second, Burst: 1000}}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}, scim.Config{FailedAuthLimit: authos.Limit{Rate: 1, Period: time.Hour, Burst: 3}})
	from := func(ip, token string) response {
		return h.send("GET", "/scim/v2/Users", token, nil, map[string]string{"X-Forwarded-For": ip})
	}
	const attacker, idp = "203.0.113.7", "198.51.100.20"
	for i := range 3 {
		checkSCIMError(t, from(attacker, fmt.Sprintf("scim_guess%d", i)), 401, authos.CodeInvalidSCIMToken, "")
	}
	r := from(attacker, "scim_guess3")
	checkSCIMError(t, r, 429, authos.CodeRateLimitExceeded, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Blocked: the right token is refused too, so guesses teach nothing.
	checkSCIMError(t, from(attacker, h.token), 429, authos.CodeRateLimitExceeded, "")
	checkSCIMError(t, from(attacker, ""), 429, authos.CodeRateLimitExceeded, "")
	if r := from(idp, h.token); r.status != 200 {
		t.Errorf("another address with the right token: %d %s", r.status, r.raw)
	}
	// Right tokens are not counted.
	for range 5 {
		if r := from(idp, h.token); r.status != 200 {
			t.Fatalf("right token: %d %s", r.status, r.raw)
		}
	}
	checkSCIMError(t, from(idp, "scim_wrong"), 401, authos.CodeInvalidSCIMToken, "")
}
