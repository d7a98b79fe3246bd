package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var orgTests = []testCase{
	{"CreateGet", testOrgCreateGet},
	{"NotFound", testOrgNotFound},
	{"Conflict", testOrgConflict},
	{"Update", testOrgUpdate},
	{"UpdateSlugConflict", testOrgUpdateSlugConflict},
	{"List", testOrgList},
	{"DeleteCascades", testOrgDeleteCascades},
	{"InTx", testOrgInTx},
}

var memberTests = []testCase{
	{"AddGet", testMemberAddGet},
	{"NotFound", testMemberNotFound},
	{"Conflict", testMemberConflict},
	{"ListCount", testMemberListCount},
	{"SetRole", testMemberSetRole},
	{"Remove", testMemberRemove},
	{"ListUserOrgs", testMemberListUserOrgs},
	{"Status", testMemberStatus},
}

// newOrg returns an active organization with the given id and slug, created
// at created.
func newOrg(id, slug string, created time.Time) store.Organization {
	return store.Organization{
		ID:        id,
		Slug:      slug,
		Name:      "Org " + id,
		Status:    store.OrgActive,
		Tier:      "free",
		CreatedAt: created,
		UpdatedAt: created,
	}
}

// addOrg creates o.
func addOrg(t *testing.T, s store.Storage, o store.Organization) store.Organization {
	t.Helper()
	must(t, "CreateOrg("+o.ID+")", s.CreateOrg(t.Context(), o))
	return o
}

// addMember makes userID a member of orgID with role, joined at created.
func addMember(t *testing.T, s store.Storage, orgID, userID, role string, created time.Time) store.Membership {
	t.Helper()
	m := store.Membership{OrgID: orgID, UserID: userID, Role: role, CreatedAt: created}
	must(t, "AddMember("+orgID+", "+userID+")", s.AddMember(t.Context(), m))
	return m
}

func normOrg(o store.Organization) store.Organization {
	o.BillingEventAt, o.CreatedAt, o.UpdatedAt = nt(o.BillingEventAt), nt(o.CreatedAt), nt(o.UpdatedAt)
	return o
}

func normMember(m store.Membership) store.Membership {
	m.CreatedAt = nt(m.CreatedAt)
	if m.Status == "" {
		m.Status = store.MemberActive // AddMember stores "" as active
	}
	return m
}

func orgIDs(os []store.Organization) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func memberUserIDs(ms []store.Membership) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func testOrgCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	o := store.Organization{
		ID:                   "o1",
		Slug:                 "acme",
		Name:                 "Acme Inc.",
		Status:               store.OrgSuspended,
		Tier:                 "pro",
		MaxServices:          -1,
		MaxMembers:           25,
		StatusReason:         "unpaid invoice",
		StripeCustomerID:     "cus_123",
		StripeSubscriptionID: "sub_456",
		BillingEventAt:       at(500 * time.Millisecond),
		CreatedAt:            at(time.Second),
		UpdatedAt:            at(2 * time.Second),
	}
	addOrg(t, s, o)
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	checkEqual(t, "GetOrg", got, o, normOrg)
	got, err = s.GetOrgBySlug(ctx, "acme")
	must(t, "GetOrgBySlug", err)
	checkEqual(t, "GetOrgBySlug", got, o, normOrg)

	// Optional fields may be empty.
	bare := store.Organization{ID: "o2", Slug: "bare", Status: store.OrgPending}
	addOrg(t, s, bare)
	got, err = s.GetOrg(ctx, "o2")
	must(t, "GetOrg(bare)", err)
	checkEqual(t, "GetOrg(bare)", got, bare, normOrg)
}

func testOrgNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	_, err := s.GetOrg(ctx, "missing")
	wantErr(t, "GetOrg(missing)", err, store.ErrNotFound)
	_, err = s.GetOrgBySlug(ctx, "missing")
	wantErr(t, "GetOrgBySlug(missing)", err, store.ErrNotFound)
	wantErr(t, "UpdateOrg(missing)", s.UpdateOrg(ctx, newOrg("missing", "other", base)), store.ErrNotFound)
	// NotFound wins over a slug conflict.
	wantErr(t, "UpdateOrg(missing, taken slug)", s.UpdateOrg(ctx, newOrg("missing", "acme", base)), store.ErrNotFound)
	wantErr(t, "DeleteOrg(missing)", s.DeleteOrg(ctx, "missing"), store.ErrNotFound)
}

func testOrgConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	first := addOrg(t, s, newOrg("o1", "acme", base))
	dupID := newOrg("o1", "other", at(time.Hour))
	wantErr(t, "CreateOrg(same id)", s.CreateOrg(ctx, dupID), store.ErrConflict)
	dupSlug := newOrg("o2", "acme", at(time.Hour))
	wantErr(t, "CreateOrg(same slug)", s.CreateOrg(ctx, dupSlug), store.ErrConflict)

	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	checkEqual(t, "GetOrg after conflicting creates", got, first, normOrg)
	_, err = s.GetOrg(ctx, "o2")
	wantErr(t, "GetOrg(o2)", err, store.ErrNotFound)
	_, err = s.GetOrgBySlug(ctx, "other")
	wantErr(t, "GetOrgBySlug(other)", err, store.ErrNotFound)
}

func testOrgUpdate(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	other := addOrg(t, s, newOrg("o2", "globex", base))

	upd := store.Organization{
		ID:                   "o1",
		Slug:                 "acme-corp",
		Name:                 "Acme Corporation",
		Status:               store.OrgRejected,
		Tier:                 "enterprise",
		MaxServices:          10,
		MaxMembers:           -1,
		StatusReason:         "incomplete application",
		StripeCustomerID:     "cus_1",
		StripeSubscriptionID: "sub_1",
		BillingEventAt:       at(30 * time.Minute),
		CreatedAt:            at(99 * time.Hour), // ignored
		UpdatedAt:            at(time.Hour),
	}
	must(t, "UpdateOrg", s.UpdateOrg(ctx, upd))
	want := upd
	want.CreatedAt = base
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg after UpdateOrg", err)
	checkEqual(t, "GetOrg after UpdateOrg", got, want, normOrg)
	got, err = s.GetOrgBySlug(ctx, "acme-corp")
	must(t, "GetOrgBySlug(new slug)", err)
	checkEqual(t, "GetOrgBySlug(new slug)", got, want, normOrg)
	_, err = s.GetOrgBySlug(ctx, "acme")
	wantErr(t, "GetOrgBySlug(old slug)", err, store.ErrNotFound)

	// The old slug is free again; keeping one's own slug is no conflict.
	must(t, "UpdateOrg(o2 takes the old slug)", s.UpdateOrg(ctx, func() store.Organization {
		o := other
		o.Slug = "acme"
		return o
	}()))
	want.Name, want.Tier = "Renamed", "free"
	must(t, "UpdateOrg(same slug)", s.UpdateOrg(ctx, want))
	got, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg after second UpdateOrg", err)
	checkEqual(t, "GetOrg after second UpdateOrg", got, want, normOrg)
	got, err = s.GetOrgBySlug(ctx, "acme")
	must(t, "GetOrgBySlug(acme)", err)
	if got.ID != "o2" {
		t.Errorf("GetOrgBySlug(acme): got %s; want o2", got.ID)
	}
}

func testOrgUpdateSlugConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	o1 := addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	upd := o1
	upd.Slug = "globex"
	upd.Name = "changed"
	wantErr(t, "UpdateOrg(slug taken)", s.UpdateOrg(ctx, upd), store.ErrConflict)
	got, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	checkEqual(t, "GetOrg after conflicting update", got, o1, normOrg)
	got, err = s.GetOrgBySlug(ctx, "globex")
	must(t, "GetOrgBySlug(globex)", err)
	if got.ID != "o2" {
		t.Errorf("GetOrgBySlug(globex): got %s; want o2", got.ID)
	}
}

func testOrgList(t *testing.T, s store.Storage) {
	ctx := t.Context()
	pending := func(o store.Organization) store.Organization { o.Status = store.OrgPending; return o }
	for _, o := range []store.Organization{
		newOrg("c", "c", at(2*time.Hour)),
		pending(newOrg("b", "b", at(time.Hour))),
		newOrg("a", "a", at(2*time.Hour)),
		pending(newOrg("d", "d", at(3*time.Hour))),
		newOrg("e", "e", base),
	} {
		addOrg(t, s, o)
	}
	cases := []struct {
		name  string
		f     store.OrgFilter
		want  []string
		total int
	}{
		{"all oldest first, ties by id", store.OrgFilter{}, []string{"e", "b", "a", "c", "d"}, 5},
		{"status", store.OrgFilter{Status: store.OrgPending}, []string{"b", "d"}, 2},
		{"status active", store.OrgFilter{Status: store.OrgActive}, []string{"e", "a", "c"}, 3},
		{"status none", store.OrgFilter{Status: store.OrgSuspended}, nil, 0},
		{"limit", store.OrgFilter{Limit: 2}, []string{"e", "b"}, 5},
		{"offset", store.OrgFilter{Limit: 2, Offset: 2}, []string{"a", "c"}, 5},
		{"offset without limit", store.OrgFilter{Offset: 3}, []string{"c", "d"}, 5},
		{"offset past the end", store.OrgFilter{Offset: 9}, nil, 5},
		{"status limit offset", store.OrgFilter{Status: store.OrgActive, Limit: 1, Offset: 1}, []string{"a"}, 3},
	}
	for _, c := range cases {
		got, total, err := s.ListOrgs(ctx, c.f)
		must(t, "ListOrgs("+c.name+")", err)
		if ids := orgIDs(got); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("ListOrgs(%s): got %v total %d; want %v total %d", c.name, ids, total, c.want, c.total)
		}
	}
	got, _, err := s.ListOrgs(ctx, store.OrgFilter{Status: store.OrgPending, Limit: 1})
	must(t, "ListOrgs(first pending)", err)
	if len(got) == 1 {
		checkEqual(t, "ListOrgs(first pending)", got[0], pending(newOrg("b", "b", at(time.Hour))), normOrg)
	}
}

// orgFixture creates users u1, u2 and, for each of the orgs o1 and o2 (slugs
// acme and globex), memberships of u1 and u2, an invitation, a service and
// two API keys (one bound to the service). Ids and unique keys are suffixed
// with the org's id.
func orgFixture(t *testing.T, s store.Storage) {
	t.Helper()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	for _, o := range []store.Organization{newOrg("o1", "acme", base), newOrg("o2", "globex", base)} {
		addOrg(t, s, o)
		addMember(t, s, o.ID, "u1", store.RoleOwner, at(time.Minute))
		addMember(t, s, o.ID, "u2", store.RoleMember, at(2*time.Minute))
		addInvitation(t, s, newInvitation("inv-"+o.ID, o.ID, "carol@example.com", "tok-"+o.ID, at(time.Minute)))
		addService(t, s, newService("svc-"+o.ID, o.ID, "app", "client-"+o.ID, at(time.Minute)))
		bound := newAPIKey("key-bound-"+o.ID, o.ID, "pfx-bound-"+o.ID, at(time.Minute))
		bound.ServiceID = "svc-" + o.ID
		addAPIKey(t, s, bound)
		addAPIKey(t, s, newAPIKey("key-"+o.ID, o.ID, "pfx-"+o.ID, at(2*time.Minute)))
	}
}

func testOrgDeleteCascades(t *testing.T, s store.Storage) {
	ctx := t.Context()
	orgFixture(t, s)
	must(t, "DeleteOrg(o1)", s.DeleteOrg(ctx, "o1"))
	wantErr(t, "DeleteOrg(o1) again", s.DeleteOrg(ctx, "o1"), store.ErrNotFound)

	_, err := s.GetOrg(ctx, "o1")
	wantErr(t, "GetOrg(deleted)", err, store.ErrNotFound)
	_, err = s.GetOrgBySlug(ctx, "acme")
	wantErr(t, "GetOrgBySlug(deleted)", err, store.ErrNotFound)
	_, err = s.GetMember(ctx, "o1", "u1")
	wantErr(t, "GetMember(deleted org)", err, store.ErrNotFound)
	ms, err := s.ListMembers(ctx, "o1")
	must(t, "ListMembers(deleted org)", err)
	if len(ms) != 0 {
		t.Errorf("ListMembers(deleted org): got %v; want none", memberUserIDs(ms))
	}
	if n, err := s.CountMembers(ctx, "o1"); err != nil || n != 0 {
		t.Errorf("CountMembers(deleted org): got %d, %v; want 0, nil", n, err)
	}
	_, err = s.GetInvitation(ctx, "inv-o1")
	wantErr(t, "GetInvitation(deleted org)", err, store.ErrNotFound)
	_, err = s.GetInvitationByToken(ctx, "tok-o1")
	wantErr(t, "GetInvitationByToken(deleted org)", err, store.ErrNotFound)
	invs, err := s.ListOrgInvitations(ctx, "o1")
	must(t, "ListOrgInvitations(deleted org)", err)
	if len(invs) != 0 {
		t.Errorf("ListOrgInvitations(deleted org): got %v; want none", invitationIDs(invs))
	}
	invs, err = s.ListEmailInvitations(ctx, "carol@example.com", base)
	must(t, "ListEmailInvitations", err)
	if ids := invitationIDs(invs); !slices.Equal(ids, []string{"inv-o2"}) {
		t.Errorf("ListEmailInvitations after DeleteOrg: got %v; want [inv-o2]", ids)
	}
	_, err = s.GetService(ctx, "svc-o1")
	wantErr(t, "GetService(deleted org)", err, store.ErrNotFound)
	_, err = s.GetServiceByClientID(ctx, "client-o1")
	wantErr(t, "GetServiceByClientID(deleted org)", err, store.ErrNotFound)
	if n, err := s.CountServices(ctx, "o1"); err != nil || n != 0 {
		t.Errorf("CountServices(deleted org): got %d, %v; want 0, nil", n, err)
	}
	for _, id := range []string{"key-o1", "key-bound-o1"} {
		_, err = s.GetAPIKey(ctx, id)
		wantErr(t, "GetAPIKey("+id+")", err, store.ErrNotFound)
	}
	_, err = s.GetAPIKeyByPrefix(ctx, "pfx-o1")
	wantErr(t, "GetAPIKeyByPrefix(deleted org)", err, store.ErrNotFound)
	keys, err := s.ListAPIKeys(ctx, "o1")
	must(t, "ListAPIKeys(deleted org)", err)
	if len(keys) != 0 {
		t.Errorf("ListAPIKeys(deleted org): got %v; want none", apiKeyIDs(keys))
	}
	uos, err := s.ListUserOrgs(ctx, "u1")
	must(t, "ListUserOrgs(u1)", err)
	if len(uos) != 1 || uos[0].Org.ID != "o2" {
		t.Errorf("ListUserOrgs(u1) after DeleteOrg: got %+v; want only o2", uos)
	}

	// The other organization keeps everything.
	if n, err := s.CountMembers(ctx, "o2"); err != nil || n != 2 {
		t.Errorf("CountMembers(o2): got %d, %v; want 2, nil", n, err)
	}
	_, err = s.GetInvitation(ctx, "inv-o2")
	must(t, "GetInvitation(inv-o2)", err)
	_, err = s.GetService(ctx, "svc-o2")
	must(t, "GetService(svc-o2)", err)
	keys, err = s.ListAPIKeys(ctx, "o2")
	must(t, "ListAPIKeys(o2)", err)
	if ids := apiKeyIDs(keys); !slices.Equal(ids, []string{"key-o2", "key-bound-o2"}) {
		t.Errorf("ListAPIKeys(o2): got %v; want [key-o2 key-bound-o2]", ids)
	}

	// The unique keys of the deleted rows are free again.
	addOrg(t, s, newOrg("o1", "acme", at(time.Hour)))
	addMember(t, s, "o1", "u1", store.RoleMember, at(time.Hour))
	addInvitation(t, s, newInvitation("inv-o1", "o1", "carol@example.com", "tok-o1", at(time.Hour)))
	addService(t, s, newService("svc-o1", "o1", "app", "client-o1", at(time.Hour)))
	addAPIKey(t, s, newAPIKey("key-o1", "o1", "pfx-o1", at(time.Hour)))
	addAPIKey(t, s, newAPIKey("key-bound-o1", "o1", "pfx-bound-o1", at(time.Hour)))
}

func testOrgInTx(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, newOrg("o1", "acme", base)); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, store.Membership{OrgID: "o1", UserID: "u1", Role: store.RoleOwner, CreatedAt: base}); err != nil {
			return err
		}
		if n, err := tx.CountMembers(ctx, "o1"); err != nil || n != 1 {
			t.Errorf("CountMembers inside Tx: got %d, %v; want 1, nil", n, err)
		}
		if err := tx.MarkEventProcessed(ctx, "stripe", "evt_1", base); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: got error %v; want %v", err, boom)
	}
	_, err = s.GetOrg(ctx, "o1")
	wantErr(t, "GetOrg after rollback", err, store.ErrNotFound)
	_, err = s.GetMember(ctx, "o1", "u1")
	wantErr(t, "GetMember after rollback", err, store.ErrNotFound)
	must(t, "MarkEventProcessed after rollback", s.MarkEventProcessed(ctx, "stripe", "evt_1", base))

	err = s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, newOrg("o1", "acme", base)); err != nil {
			return err
		}
		return tx.AddMember(ctx, store.Membership{OrgID: "o1", UserID: "u1", Role: store.RoleOwner, CreatedAt: base})
	})
	must(t, "Tx(commit)", err)
	m, err := s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember after commit", err)
	if m.Role != store.RoleOwner {
		t.Errorf("GetMember after commit: role %q; want owner", m.Role)
	}
}

func testMemberAddGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	m := addMember(t, s, "o1", "u1", store.RoleAdmin, at(time.Second))
	got, err := s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember", err)
	checkEqual(t, "GetMember", got, m, normMember)
}

func testMemberNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	addMember(t, s, "o1", "u1", store.RoleOwner, base)
	for _, k := range []struct{ org, user string }{{"o1", "u2"}, {"o2", "u1"}, {"missing", "missing"}} {
		op := name("(%s, %s)", k.org, k.user)
		_, err := s.GetMember(ctx, k.org, k.user)
		wantErr(t, "GetMember"+op, err, store.ErrNotFound)
		wantErr(t, "SetMemberRole"+op, s.SetMemberRole(ctx, k.org, k.user, store.RoleAdmin), store.ErrNotFound)
		wantErr(t, "RemoveMember"+op, s.RemoveMember(ctx, k.org, k.user), store.ErrNotFound)
	}
	ms, err := s.ListMembers(ctx, "missing")
	must(t, "ListMembers(missing)", err)
	if len(ms) != 0 {
		t.Errorf("ListMembers(missing): got %v; want none", memberUserIDs(ms))
	}
	if n, err := s.CountMembers(ctx, "missing"); err != nil || n != 0 {
		t.Errorf("CountMembers(missing): got %d, %v; want 0, nil", n, err)
	}
	uos, err := s.ListUserOrgs(ctx, "u2")
	must(t, "ListUserOrgs(no memberships)", err)
	if len(uos) != 0 {
		t.Errorf("ListUserOrgs(no memberships): got %+v; want none", uos)
	}
}

func testMemberConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	first := addMember(t, s, "o1", "u1", store.RoleOwner, base)
	dup := store.Membership{OrgID: "o1", UserID: "u1", Role: store.RoleMember, CreatedAt: at(time.Hour)}
	wantErr(t, "AddMember(again)", s.AddMember(ctx, dup), store.ErrConflict)
	got, err := s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember", err)
	checkEqual(t, "GetMember after conflicting add", got, first, normMember)
	if n, err := s.CountMembers(ctx, "o1"); err != nil || n != 1 {
		t.Errorf("CountMembers: got %d, %v; want 1, nil", n, err)
	}
}

func testMemberListCount(t *testing.T, s store.Storage) {
	ctx := t.Context()
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		addUser(t, s, u, u+"@example.com")
	}
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	m3 := addMember(t, s, "o1", "u3", store.RoleMember, at(2*time.Minute))
	addMember(t, s, "o1", "u4", store.RoleOwner, base)
	addMember(t, s, "o1", "u1", store.RoleAdmin, at(2*time.Minute))
	addMember(t, s, "o1", "u2", store.RoleMember, at(time.Minute))
	addMember(t, s, "o2", "u5", store.RoleOwner, base)

	ms, err := s.ListMembers(ctx, "o1")
	must(t, "ListMembers(o1)", err)
	if ids, want := memberUserIDs(ms), []string{"u4", "u2", "u1", "u3"}; !slices.Equal(ids, want) {
		t.Fatalf("ListMembers(o1): got %v; want %v", ids, want)
	}
	checkEqual(t, "ListMembers(o1)[3]", ms[3], m3, normMember)
	if n, err := s.CountMembers(ctx, "o1"); err != nil || n != 4 {
		t.Errorf("CountMembers(o1): got %d, %v; want 4, nil", n, err)
	}
	if n, err := s.CountMembers(ctx, "o2"); err != nil || n != 1 {
		t.Errorf("CountMembers(o2): got %d, %v; want 1, nil", n, err)
	}
}

func testMemberSetRole(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	m := addMember(t, s, "o1", "u1", store.RoleMember, at(time.Second))
	addMember(t, s, "o1", "u2", store.RoleMember, at(time.Second))
	must(t, "SetMemberRole", s.SetMemberRole(ctx, "o1", "u1", store.RoleAdmin))
	got, err := s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember(u1)", err)
	want := m
	want.Role = store.RoleAdmin
	checkEqual(t, "GetMember after SetMemberRole", got, want, normMember)
	got, err = s.GetMember(ctx, "o1", "u2")
	must(t, "GetMember(u2)", err)
	if got.Role != store.RoleMember {
		t.Errorf("role of u2 after SetMemberRole(u1): got %q; want member", got.Role)
	}
}

func testMemberRemove(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	addMember(t, s, "o1", "u1", store.RoleOwner, base)
	addMember(t, s, "o1", "u2", store.RoleMember, base)
	must(t, "RemoveMember", s.RemoveMember(ctx, "o1", "u2"))
	_, err := s.GetMember(ctx, "o1", "u2")
	wantErr(t, "GetMember(removed)", err, store.ErrNotFound)
	wantErr(t, "RemoveMember(again)", s.RemoveMember(ctx, "o1", "u2"), store.ErrNotFound)
	if n, err := s.CountMembers(ctx, "o1"); err != nil || n != 1 {
		t.Errorf("CountMembers after RemoveMember: got %d, %v; want 1, nil", n, err)
	}
	// The user may join again.
	addMember(t, s, "o1", "u2", store.RoleAdmin, at(time.Hour))
}

func testMemberListUserOrgs(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	oa := addOrg(t, s, newOrg("oa", "a", at(3*time.Hour))) // newest org, oldest membership
	ob := addOrg(t, s, newOrg("ob", "b", base))
	oc := addOrg(t, s, newOrg("oc", "c", base))
	addOrg(t, s, newOrg("od", "d", base))
	addMember(t, s, "oc", "u1", store.RoleMember, at(5*time.Hour))
	addMember(t, s, "ob", "u1", store.RoleAdmin, at(5*time.Hour))
	addMember(t, s, "oa", "u1", store.RoleOwner, at(4*time.Hour))
	addMember(t, s, "od", "u2", store.RoleOwner, base)

	got, err := s.ListUserOrgs(ctx, "u1")
	must(t, "ListUserOrgs(u1)", err)
	want := []store.UserOrg{{Org: oa, Role: store.RoleOwner}, {Org: ob, Role: store.RoleAdmin}, {Org: oc, Role: store.RoleMember}}
	if len(got) != len(want) {
		t.Fatalf("ListUserOrgs(u1): got %+v; want %+v", got, want)
	}
	for i := range want {
		checkEqual(t, name("ListUserOrgs(u1)[%d]", i), got[i], want[i], func(u store.UserOrg) store.UserOrg {
			u.Org = normOrg(u.Org)
			return u
		})
	}

	// A role change shows.
	must(t, "SetMemberRole", s.SetMemberRole(ctx, "oc", "u1", store.RoleAdmin))
	got, err = s.ListUserOrgs(ctx, "u1")
	must(t, "ListUserOrgs(u1) after SetMemberRole", err)
	if len(got) != 3 || got[2].Org.ID != "oc" || got[2].Role != store.RoleAdmin {
		t.Errorf("ListUserOrgs(u1) after SetMemberRole: got %+v", got)
	}
}

func testMemberStatus(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	addMember(t, s, "o1", "u1", store.RoleMember, base)
	got, err := s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember", err)
	if got.Status != store.MemberActive {
		t.Errorf("new member status = %q; want %q", got.Status, store.MemberActive)
	}
	must(t, "SetMemberStatus(suspended)", s.SetMemberStatus(ctx, "o1", "u1", store.MemberSuspended))
	got, err = s.GetMember(ctx, "o1", "u1")
	must(t, "GetMember", err)
	ms, err := s.ListMembers(ctx, "o1")
	must(t, "ListMembers", err)
	if got.Status != store.MemberSuspended || len(ms) != 1 || ms[0].Status != store.MemberSuspended || got.Role != store.RoleMember {
		t.Errorf("after suspension: GetMember %+v, ListMembers %+v", got, ms)
	}
	must(t, "SetMemberStatus(active)", s.SetMemberStatus(ctx, "o1", "u1", store.MemberActive))
	if got, _ = s.GetMember(ctx, "o1", "u1"); got.Status != store.MemberActive {
		t.Errorf("after restore: %q", got.Status)
	}
	wantErr(t, "SetMemberStatus(not a member)", s.SetMemberStatus(ctx, "o1", "nobody", store.MemberSuspended), store.ErrNotFound)
}
