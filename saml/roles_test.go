package saml_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/event"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/store"
)

// roleChanges returns the member.role_changed events of userID as
// "from>to".
func roleChanges(h *harness, userID string) []string {
	var out []string
	for _, ev := range h.inst.Events() {
		if ev.Type == event.MemberRoleChanged && ev.TargetID == userID && ev.OrgID == h.org.ID {
			from, _ := ev.Data["from"].(string)
			to, _ := ev.Data["to"].(string)
			out = append(out, from+">"+to)
			if ev.Data["via"] != "saml_group" {
				h.t.Errorf("member.role_changed %v; want via saml_group", ev.Data)
			}
		}
	}
	return out
}

// TestGroupRoles on every backend: zoe joins with the highest role her
// groups map to, her role follows her groups at later sign-ins
// (member.role_changed), falls back to the default role without a mapped
// group, and an owner is never demoted; only an owner may map a group to
// owner, and roles outside owner, admin and member are refused.
func TestGroupRoles(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := t.Context()
		// Adam, an admin, may not map a group to owner; Olive may.
		adam := authostest.Token(t, h.inst, "adam@corp.example")
		ap, err := h.inst.VerifyAccessToken(ctx, adam, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddMember(ctx, store.Membership{OrgID: h.org.ID, UserID: ap.UserID, Role: store.RoleAdmin, CreatedAt: h.inst.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"idp_metadata_xml": h.idp.metadata(t), "domains": []string{"corp.example"},
			"attribute_mapping": map[string]any{"groups": "eduPersonAffiliation"},
			"group_roles":       map[string]any{"staff": "member", "idp-admins": "admin", "founders": "owner"}}
		req := authostest.NewJSONRequest(t, http.MethodPut, h.srv.URL+"/api/organizations/corp/saml", map[string]string{"Authorization": "Bearer " + adam}, body)
		if r := authostest.Send(t, http.DefaultClient, req); r.Status != http.StatusForbidden || r.Body["error_code"] != string(authos.CodeForbidden) {
			t.Fatalf("an admin mapping a group to owner: %d %s; want 403 FORBIDDEN", r.Status, r.Raw)
		}
		for _, bad := range []map[string]any{{"staff": "superuser"}, {"": "admin"}, {" staff": "admin"}} {
			b := map[string]any{"idp_metadata_xml": h.idp.metadata(t), "domains": []string{"corp.example"}, "group_roles": bad}
			if r := h.api(http.MethodPut, "/api/organizations/corp/saml", b); r.Status != http.StatusBadRequest {
				t.Errorf("group_roles %v: %d %s; want 400", bad, r.Status, r.Raw)
			}
		}
		r := h.connect(map[string]any{"attribute_mapping": map[string]any{"groups": "eduPersonAffiliation"},
			"group_roles": map[string]any{"staff": "member", "idp-admins": "admin", "founders": "owner"}})
		if gr, _ := r.Body["group_roles"].(map[string]any); len(gr) != 3 || gr["idp-admins"] != "admin" {
			t.Fatalf("PUT answer %s", r.Raw)
		}
		h.client()
		signIn := func(groups ...string) string {
			t.Helper()
			h.idp.groups = groups
			l := h.start(zoe)
			idt := h.finish(l, location(t, h.acs(l.b, h.atIDP(l))))
			m, err := st.GetMember(ctx, h.org.ID, idt.Subject)
			if err != nil {
				t.Fatal(err)
			}
			return m.Role
		}

		if role := signIn("staff", "idp-admins", "unmapped"); role != store.RoleAdmin {
			t.Fatalf("joined as %s; want admin (the highest of staff, idp-admins)", role)
		}
		u, err := st.GetUserByEmail(ctx, zoe)
		if err != nil {
			t.Fatal(err)
		}
		var joined string
		for _, ev := range h.inst.Events() {
			if ev.Type == event.MemberAdded && ev.TargetID == u.ID {
				joined, _ = ev.Data["role"].(string)
			}
		}
		if joined != store.RoleAdmin {
			t.Fatalf("member.added role %q; want admin", joined)
		}
		if role := signIn("staff"); role != store.RoleMember {
			t.Fatalf("after leaving idp-admins: %s; want member", role)
		}
		if got := roleChanges(h, u.ID); len(got) != 1 || got[0] != "admin>member" {
			t.Fatalf("role changes %v; want [admin>member]", got)
		}
		if role := signIn(); role != store.RoleMember { // no mapped group: the default role, unchanged
			t.Fatalf("without groups: %s; want member", role)
		}
		if role := signIn("founders"); role != store.RoleOwner {
			t.Fatalf("in founders: %s; want owner", role)
		}
		if role := signIn("staff"); role != store.RoleOwner {
			t.Fatalf("an owner back in staff only: %s; want owner (never demoted by SAML)", role)
		}
		if got := roleChanges(h, u.ID); len(got) != 2 || got[1] != "member>owner" {
			t.Fatalf("role changes %v; want [admin>member member>owner]", got)
		}
	})
}

// TestClockSkewBound: a ClockSkew above what crewjam/saml tolerates
// (180 s) would be ineffective, so New refuses it; 180 s is accepted.
func TestClockSkewBound(t *testing.T) {
	if _, err := saml.New(authostest.New(t).Authos, saml.Config{ClockSkew: 181 * time.Second}); err == nil {
		t.Fatal("New with ClockSkew 181s succeeded")
	}
	if _, err := saml.New(authostest.New(t).Authos, saml.Config{ClockSkew: 180 * time.Second}); err != nil {
		t.Fatalf("New with ClockSkew 180s: %v", err)
	}
}
