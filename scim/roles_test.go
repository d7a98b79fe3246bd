package scim_test

import (
	"context"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// TestGroupRoles: an owner maps SCIM groups to roles; members of
// role-mapped groups get the highest role their groups grant, and the
// directory's changes (members added and removed, in Okta's and Entra's
// shapes, a group deleted) move the roles with them. Owners keep theirs.
func TestGroupRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := context.Background()
		ids := map[string]string{}
		for _, n := range []string{"alice", "bob", "carol", "owner"} {
			r := h.scim("POST", "/scim/v2/Users", userBody(n+"@example.com"))
			if r.status != 201 {
				t.Fatalf("create %s: %d %s", n, r.status, r.raw)
			}
			ids[n] = r.body["id"].(string)
		}
		group := func(name string, members ...string) string {
			var list []map[string]string
			for _, m := range members {
				list = append(list, map[string]string{"value": ids[m]})
			}
			r := h.scim("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": name, "members": list})
			if r.status != 201 {
				t.Fatalf("create group %s: %d %s", name, r.status, r.raw)
			}
			return r.body["id"].(string)
		}
		admins := group("Admins", "alice", "bob")
		staff := group("Staff", "carol", "bob", "owner")
		roles := func() map[string]string {
			out := map[string]string{}
			for n, id := range ids {
				m, err := st.GetMember(ctx, h.org.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				out[n] = m.Role
			}
			return out
		}
		want := func(step string, w map[string]string) {
			t.Helper()
			got := roles()
			for n, r := range w {
				if got[n] != r {
					t.Errorf("%s: %s is %s; want %s (all: %v)", step, n, got[n], r, got)
				}
			}
		}
		want("groups without roles", map[string]string{"alice": "member", "bob": "member", "carol": "member", "owner": "owner"})

		list := h.do("GET", "/api/organizations/acme/scim-groups", h.owner, nil, 200).body["scim_groups"].([]any)
		if len(list) != 2 || list[0].(map[string]any)["display_name"] != "Admins" || list[0].(map[string]any)["role"] != nil {
			t.Fatalf("scim_groups = %v", list)
		}
		setRole := func(id string, role any, status int) response {
			t.Helper()
			return h.do("PATCH", "/api/organizations/acme/scim-groups/"+id, h.owner, map[string]any{"role": role}, status)
		}
		r := setRole(admins, "admin", 200)
		if g := r.body["scim_group"].(map[string]any); g["role"] != "admin" || g["id"] != admins {
			t.Errorf("PATCH answer: %s", r.raw)
		}
		want("Admins → admin", map[string]string{"alice": "admin", "bob": "admin", "carol": "member", "owner": "owner"})
		setRole(staff, "member", 200)
		want("Staff → member: the highest role wins", map[string]string{"alice": "admin", "bob": "admin", "carol": "member", "owner": "owner"})

		patch := func(id string, ops ...map[string]any) {
			t.Helper()
			r := h.scim("PATCH", "/scim/v2/Groups/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
			if r.status != 200 && r.status != 204 {
				t.Fatalf("PATCH group: %d %s", r.status, r.raw)
			}
		}
		// Entra removes bob from Admins: he keeps Staff's role.
		patch(admins, map[string]any{"op": "Remove", "path": "members", "value": []map[string]string{{"value": ids["bob"]}}})
		want("bob leaves Admins", map[string]string{"alice": "admin", "bob": "member", "carol": "member"})
		// Okta adds carol.
		patch(admins, map[string]any{"op": "add", "path": "members", "value": []map[string]string{{"value": ids["carol"]}}})
		want("carol joins Admins", map[string]string{"alice": "admin", "bob": "member", "carol": "admin"})
		// The RFC form of removal.
		patch(admins, map[string]any{"op": "remove", "path": `members[value eq "` + ids["alice"] + `"]`})
		want("alice leaves Admins", map[string]string{"alice": "member", "carol": "admin"})
		// The owner, in a member group, stays owner; so does everyone when
		// their groups change nothing.
		patch(staff, map[string]any{"op": "replace", "path": "displayName", "value": "Everyone"})
		want("rename", map[string]string{"owner": "owner", "carol": "admin"})
		// Deleting a role-mapped group takes its role away.
		if r := h.scim("DELETE", "/scim/v2/Groups/"+admins, nil); r.status != 204 {
			t.Fatalf("DELETE group: %d %s", r.status, r.raw)
		}
		want("Admins deleted", map[string]string{"alice": "member", "bob": "member", "carol": "member", "owner": "owner"})
		// Mapping a group to admin and removing the mapping again.
		setRole(staff, "admin", 200)
		want("Everyone → admin", map[string]string{"bob": "admin", "carol": "admin", "owner": "owner"})
		setRole(staff, nil, 200)
		want("mapping removed", map[string]string{"bob": "member", "carol": "member", "owner": "owner"})

		// Refusals.
		for _, bad := range []string{"owner", "superuser"} {
			if r := setRole(staff, bad, 400); r.body["error_code"] != string(authos.CodeBadRequest) {
				t.Errorf("role %q: %s", bad, r.raw)
			}
		}
		if r := setRole("nope", "admin", 404); r.body["error_code"] != string(authos.CodeNotFound) {
			t.Errorf("unknown group: %s", r.raw)
		}
		acct, err := st.GetUser(ctx, ids["carol"])
		if err != nil {
			t.Fatal(err)
		}
		setRole(staff, "admin", 200)
		tr, err := h.a.CompleteLogin(ctx, acct, authos.LoginContext{Method: "ext"})
		if err != nil {
			t.Fatal(err)
		}
		// An admin lists the groups but only owners map roles.
		h.do("GET", "/api/organizations/acme/scim-groups", tr.AccessToken, nil, 200)
		h.do("PATCH", "/api/organizations/acme/scim-groups/"+staff, tr.AccessToken, map[string]any{"role": "member"}, 403)
	})
}
