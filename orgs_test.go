package authos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

func TestPlatformGovernance(t *testing.T) {
	a, _ := newTestAuthos(t, func(c *Config) {
		c.Tiers = DefaultTiers()
		c.Tiers["team"] = Tier{Name: "team", MaxServices: 5, MaxMembers: 8} // host-defined tier
	})
	ctx := context.Background()
	po, _, _ := a.EnsurePlatformOwner(ctx, "po@example.test", "platform owner pw")
	alice := verifiedUser(t, a, "alice@example.test", "password for A!")
	o, _, err := a.CreateOrganization(ctx, alice.ID, CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	// Status machine.
	for _, c := range []struct {
		action string
		code   ErrorCode
	}{{"suspend", CodeConflict}, {"activate", CodeConflict}, {"reject", ""}, {"approve", CodeConflict}} {
		_, err := a.TransitionOrganization(ctx, po.ID, OrgTransition{OrgID: o.ID, Action: c.action, Reason: "not a fit"})
		if c.code == "" && err != nil || c.code != "" && !errors.Is(err, c.code) {
			t.Errorf("%s: %v; want %q", c.action, err, c.code)
		}
	}
	b, _, _ := a.CreateOrganization(ctx, alice.ID, CreateOrgInput{Slug: "beta", Name: "Beta"})
	if _, err := a.TransitionOrganization(ctx, po.ID, OrgTransition{OrgID: b.ID, Action: "approve", Tier: "team"}); err != nil {
		t.Fatal(err)
	}
	got, _ := a.st.GetOrg(ctx, b.ID)
	if l := a.LimitsOf(got); got.Status != store.OrgActive || l.Tier != "team" || l.MaxServices != 5 || l.MaxMembers != 8 {
		t.Fatalf("approved on team: %+v %+v", got, l)
	}
	// Overrides win over the tier; 0 clears; -1 is unlimited.
	ten, unlimited, zero := 10, -1, 0
	got, err = a.SetOrganizationTier(ctx, po.ID, TierChange{OrgID: b.ID, Tier: TierFree, MaxServices: &ten, MaxMembers: &unlimited, Reason: "deal"})
	if l := a.LimitsOf(got); err != nil || l.MaxServices != 10 || l.MaxMembers != -1 || l.Tier != TierFree {
		t.Fatalf("overrides: %+v %v", l, err)
	}
	got, _ = a.SetOrganizationTier(ctx, po.ID, TierChange{OrgID: b.ID, Tier: TierFree, MaxServices: &zero})
	if l := a.LimitsOf(got); l.MaxServices != 2 || l.MaxMembers != -1 {
		t.Fatalf("cleared override: %+v", l)
	}
	if _, err := a.SetOrganizationTier(ctx, po.ID, TierChange{OrgID: b.ID, Tier: "gold"}); !errors.Is(err, CodeBadRequest) {
		t.Errorf("unknown tier: %v", err)
	}
	// Listing with a filter.
	l, total, err := a.ListOrganizations(ctx, store.OrgFilter{Status: store.OrgRejected})
	if err != nil || total != 1 || l[0].Slug != "acme" {
		t.Fatalf("rejected orgs = %+v %d %v", l, total, err)
	}
	// Owners: promote, never demote the last.
	if err := a.SetPlatformOwner(ctx, po.ID, po.ID, false); !errors.Is(err, CodeConflict) {
		t.Errorf("demote last owner: %v", err)
	}
	if err := a.SetPlatformOwner(ctx, po.ID, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPlatformOwner(ctx, alice.ID, po.ID, false); err != nil {
		t.Fatal(err)
	}
	es, total, _ := a.ListAudit(ctx, store.AuditFilter{})
	want := map[string]bool{"reject_organization": true, "approve_organization": true, "update_organization_tier": true,
		"promote_platform_owner": true, "demote_platform_owner": true}
	for _, e := range es {
		delete(want, e.Action)
	}
	if len(want) != 0 || total != 6 {
		t.Errorf("audit total %d, missing %v", total, want)
	}
	// Deleting cascades.
	if err := a.PlatformDeleteOrganization(ctx, alice.ID, OrgDeletion{OrgID: b.ID, Reason: "cleanup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.GetOrg(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted org still there: %v", err)
	}
}

func TestAPIKeyLastUsedAndHostMiddleware(t *testing.T) {
	a, clk := newTestAuthos(t, func(c *Config) { c.AutoApproveOrgs = true })
	ctx := context.Background()
	alice := verifiedUser(t, a, "alice@example.test", "password for A!")
	o, _, err := a.CreateOrganization(ctx, alice.ID, CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	exp := clk.Now().Add(time.Hour)
	_, key, err := a.CreateAPIKey(ctx, &Principal{Kind: PrincipalAccessToken, UserID: alice.ID}, o, APIKeyInput{Name: "ci", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		ks, _ := a.st.ListAPIKeys(ctx, o.ID)
		return ks[0].LastUsedAt
	}
	p, err := a.AuthenticateAPIKey(ctx, key)
	if err != nil || p.Org != o.ID || p.HasScope("organization:write") || !p.HasScope("members:read") {
		t.Fatalf("principal = %+v, %v", p, err)
	}
	first := lastUsed()
	clk.Advance(30 * time.Second)
	if _, err := a.AuthenticateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().Equal(first) {
		t.Error("last_used_at written twice within a minute")
	}
	clk.Advance(31 * time.Second)
	if _, err := a.AuthenticateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().After(first) {
		t.Error("last_used_at not updated after a minute")
	}
	// Wrong secret, expiry.
	if _, err := a.AuthenticateAPIKey(ctx, key[:len(key)-2]+"xx"); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("tampered key: %v", err)
	}
	// Host routes: member, role, scope.
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org, m, _ := OrgFrom(r.Context())
		w.Header().Set("X-Org", org.Slug+"/"+m.Role)
	})
	mux.Handle("GET /reports/{org}", a.RequireOrgMember(a.RequireScope("organization:read")(ok)))
	mux.Handle("POST /reports/{org}", a.RequireOrgRole(store.RoleOwner)(a.RequireScope("organization:write")(ok)))
	bob := verifiedUser(t, a, "bob@example.test", "bob password!!")
	tokA, _ := a.CompleteLogin(ctx, alice, LoginContext{Method: AMRPassword})
	tokB, _ := a.CompleteLogin(ctx, bob, LoginContext{Method: AMRPassword})
	for _, c := range []struct {
		method, hdr, val string
		status           int
		code             ErrorCode
	}{
		{"GET", "Authorization", "Bearer " + tokA.AccessToken, 200, ""},
		{"GET", "Authorization", "Bearer " + tokB.AccessToken, 403, CodeNotOrganizationMember},
		{"GET", "X-API-Key", key, 200, ""},
		{"GET", "Authorization", "Bearer " + key, 200, ""},
		{"POST", "X-API-Key", key, 403, CodeForbidden}, // read-only key
		{"POST", "Authorization", "Bearer " + tokA.AccessToken, 200, ""},
	} {
		r := httptest.NewRequest(c.method, "/reports/acme", nil)
		r.Header.Set(c.hdr, c.val)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if rec.Code != c.status || c.code != "" && !containsCode(rec.Body.String(), c.code) {
			t.Errorf("%s %s: %d %s", c.method, c.hdr, rec.Code, rec.Body)
		}
	}
	clk.Advance(time.Hour)
	if _, err := a.AuthenticateAPIKey(ctx, key); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("expired key: %v", err)
	}
}

func containsCode(body string, code ErrorCode) bool {
	return len(body) > 0 && (string(code) == "" || strings.Contains(body, `"`+string(code)+`"`))
}

func TestInvitationExpiryRotationAndOrgScopedTokens(t *testing.T) {
	a, clk := newTestAuthos(t, func(c *Config) { c.AutoApproveOrgs = true; c.RateLimits.Disabled = true })
	ctx := context.Background()
	alice := verifiedUser(t, a, "alice@example.test", "password for A!")
	bob := verifiedUser(t, a, "bob@example.test", "bob password!!")
	acme, _, _ := a.CreateOrganization(ctx, alice.ID, CreateOrgInput{Slug: "acme", Name: "Acme"})
	if _, _, err := a.CreateOrganization(ctx, bob.ID, CreateOrgInput{Slug: "other", Name: "Other"}); err != nil {
		t.Fatal(err)
	}

	// Invitations expire after InvitationTTL.
	_, tok, err := a.Invite(ctx, alice.ID, acme, InviteInput{Email: "BOB@example.test", Role: store.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Invite(ctx, alice.ID, acme, InviteInput{Email: "bob@example.test"}); !errors.Is(err, CodeConflict) {
		t.Errorf("second pending invitation: %v", err)
	}
	clk.Advance(a.cfg.InvitationTTL + time.Second)
	if _, err := a.AcceptInvitation(ctx, bob.ID, tok); !errors.Is(err, CodeInvitationExpired) {
		t.Errorf("expired invitation: %v", err)
	}
	_, tok, _ = a.Invite(ctx, alice.ID, acme, InviteInput{Email: "bob@example.test", Role: store.RoleAdmin})
	if m, err := a.AcceptInvitation(ctx, bob.ID, tok); err != nil || m.Role != store.RoleAdmin {
		t.Fatalf("accept: %+v %v", m, err)
	}

	// Client secret rotation: the old secret stops, the new one works.
	v, err := a.CreateService(ctx, alice.ID, acme, ServiceInput{Slug: ptr("web"), Name: ptr("Web"), ServiceType: ptr(ServiceWeb)})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := a.UpdateService(ctx, acme, "web", ServiceUpdate{RotateSecret: true})
	if err != nil || rotated.ClientSecret == "" || rotated.ClientSecret == v.ClientSecret {
		t.Fatalf("rotation: %+v %v", rotated, err)
	}
	if _, err := a.AuthenticateClient(ctx, v.ClientID, v.ClientSecret); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("old secret: %v", err)
	}
	if _, err := a.AuthenticateClient(ctx, v.ClientID, ""); !errors.Is(err, CodeUnauthorized) {
		t.Errorf("confidential client without secret: %v", err)
	}
	if c, err := a.AuthenticateClient(ctx, v.ClientID, rotated.ClientSecret); err != nil || c.Org.ID != acme.ID {
		t.Errorf("new secret: %+v %v", c, err)
	}

	// An org-scoped management token carries org and cannot act on another org.
	tr, err := a.Login(ctx, LoginInput{Email: "bob@example.test", Password: "bob password!!", Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.VerifyAccessToken(ctx, tr.AccessToken, "")
	if err != nil || p.Org != "acme" {
		t.Fatalf("org-scoped token: %+v %v", p, err)
	}
	if _, _, err := a.OrgAccess(ctx, p, "acme", store.RoleMember); err != nil {
		t.Errorf("own org: %v", err)
	}
	if _, _, err := a.OrgAccess(ctx, p, "other", store.RoleMember); !errors.Is(err, CodeForbidden) {
		t.Errorf("other org with an acme token: %v", err)
	}
	if _, err := a.Login(ctx, LoginInput{Email: "alice@example.test", Password: "password for A!", Org: "other"}); !errors.Is(err, CodeNotOrganizationMember) {
		t.Errorf("login scoped to a foreign org: %v", err)
	}
	// The membership is read from the store: removing bob refuses his org token at once.
	if err := a.RemoveMember(ctx, alice.ID, store.RoleOwner, acme, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.OrgAccess(ctx, p, "acme", store.RoleMember); !errors.Is(err, CodeNotOrganizationMember) {
		t.Errorf("removed member: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
