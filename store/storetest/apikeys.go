package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var apiKeyTests = []testCase{
	{"CreateGet", testAPIKeyCreateGet},
	{"NotFound", testAPIKeyNotFound},
	{"Conflict", testAPIKeyConflict},
	{"List", testAPIKeyList},
	{"Revoke", testAPIKeyRevoke},
	{"Touch", testAPIKeyTouch},
	{"TouchConcurrent", testAPIKeyTouchConcurrent},
	{"ScopeCopies", testAPIKeyCopies},
	{"CreatorRole", testAPIKeyCreatorRole},
}

var processedEventTests = []testCase{
	{"Mark", testEventMark},
	{"MarkConcurrent", testEventMarkConcurrent},
	{"OrderedWithOrg", testEventOrderedWithOrg},
}

// newAPIKey returns an org-wide key of orgID created at created.
func newAPIKey(id, orgID, prefix string, created time.Time) store.APIKey {
	return store.APIKey{
		ID:         id,
		OrgID:      orgID,
		Name:       "Key " + id,
		Prefix:     prefix,
		SecretHash: "hash-" + id,
		Scopes:     []string{"users:read"},
		CreatedBy:  "u1",
		CreatedAt:  created,
	}
}

// addAPIKey creates k.
func addAPIKey(t *testing.T, s store.Storage, k store.APIKey) store.APIKey {
	t.Helper()
	must(t, "CreateAPIKey("+k.ID+")", s.CreateAPIKey(t.Context(), k))
	return k
}

func normAPIKey(x store.APIKey) store.APIKey {
	x.Scopes = ns(x.Scopes)
	x.CreatedAt, x.ExpiresAt, x.RevokedAt, x.LastUsedAt = nt(x.CreatedAt), nt(x.ExpiresAt), nt(x.RevokedAt), nt(x.LastUsedAt)
	return x
}

func apiKeyIDs(ks []store.APIKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

// apiKeyOrgs creates the organizations o1 and o2 and the service s1 of o1.
func apiKeyOrgs(t *testing.T, s store.Storage) {
	t.Helper()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	addService(t, s, newService("s1", "o1", "app", "client-1", base))
}

func testAPIKeyCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	k := store.APIKey{
		ID:         "k1",
		OrgID:      "o1",
		ServiceID:  "s1",
		Name:       "CI deploys",
		Prefix:     "ak_live_abc",
		SecretHash: "0123abcd",
		Scopes:     []string{"users:read", "users:write", "sessions:revoke"},
		CreatedBy:  "u1",
		Role:       store.RoleAdmin,
		CreatedAt:  at(time.Second),
		ExpiresAt:  at(90 * 24 * time.Hour),
		RevokedAt:  at(time.Hour),
		LastUsedAt: at(time.Minute),
	}
	addAPIKey(t, s, k)
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey", err)
	checkEqual(t, "GetAPIKey", got, k, normAPIKey)
	got, err = s.GetAPIKeyByPrefix(ctx, "ak_live_abc")
	must(t, "GetAPIKeyByPrefix(revoked key)", err)
	checkEqual(t, "GetAPIKeyByPrefix", got, k, normAPIKey)

	// Org-wide, no scopes, never expires, never used.
	bare := store.APIKey{ID: "k2", OrgID: "o2", Prefix: "ak_live_def", SecretHash: "4567"}
	addAPIKey(t, s, bare)
	got, err = s.GetAPIKey(ctx, "k2")
	must(t, "GetAPIKey(bare)", err)
	checkEqual(t, "GetAPIKey(bare)", got, bare, normAPIKey)
}

func testAPIKeyNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	addAPIKey(t, s, newAPIKey("k1", "o1", "pfx-1", base))
	_, err := s.GetAPIKey(ctx, "missing")
	wantErr(t, "GetAPIKey(missing)", err, store.ErrNotFound)
	_, err = s.GetAPIKey(ctx, "pfx-1")
	wantErr(t, "GetAPIKey(a prefix)", err, store.ErrNotFound)
	_, err = s.GetAPIKeyByPrefix(ctx, "missing")
	wantErr(t, "GetAPIKeyByPrefix(missing)", err, store.ErrNotFound)
	_, err = s.GetAPIKeyByPrefix(ctx, "k1")
	wantErr(t, "GetAPIKeyByPrefix(an id)", err, store.ErrNotFound)
	wantErr(t, "RevokeAPIKey(missing)", s.RevokeAPIKey(ctx, "missing", base), store.ErrNotFound)
	wrote, err := s.TouchAPIKey(ctx, "missing", base, time.Minute)
	wantErr(t, "TouchAPIKey(missing)", err, store.ErrNotFound)
	if wrote {
		t.Errorf("TouchAPIKey(missing): reported a write")
	}
	keys, err := s.ListAPIKeys(ctx, "o2")
	must(t, "ListAPIKeys(no keys)", err)
	if len(keys) != 0 {
		t.Errorf("ListAPIKeys(no keys): got %v; want none", apiKeyIDs(keys))
	}
}

func testAPIKeyConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	first := addAPIKey(t, s, newAPIKey("k1", "o1", "pfx-1", base))
	wantErr(t, "CreateAPIKey(same id)", s.CreateAPIKey(ctx, newAPIKey("k1", "o2", "pfx-2", at(time.Hour))), store.ErrConflict)
	wantErr(t, "CreateAPIKey(same prefix)", s.CreateAPIKey(ctx, newAPIKey("k2", "o2", "pfx-1", at(time.Hour))), store.ErrConflict)
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey", err)
	checkEqual(t, "GetAPIKey after conflicting creates", got, first, normAPIKey)
	_, err = s.GetAPIKey(ctx, "k2")
	wantErr(t, "GetAPIKey(k2)", err, store.ErrNotFound)
	_, err = s.GetAPIKeyByPrefix(ctx, "pfx-2")
	wantErr(t, "GetAPIKeyByPrefix(pfx-2)", err, store.ErrNotFound)
}

func testAPIKeyList(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	newest := newAPIKey("d", "o1", "pfx-d", at(3*time.Hour))
	newest.ServiceID = "s1"
	for _, k := range []store.APIKey{
		newAPIKey("c", "o1", "pfx-c", at(time.Hour)),
		newest,
		newAPIKey("b", "o1", "pfx-b", base),
		newAPIKey("a", "o1", "pfx-a", at(time.Hour)),
		newAPIKey("e", "o2", "pfx-e", at(4*time.Hour)),
	} {
		addAPIKey(t, s, k)
	}
	must(t, "RevokeAPIKey(c)", s.RevokeAPIKey(ctx, "c", at(2*time.Hour)))
	got, err := s.ListAPIKeys(ctx, "o1")
	must(t, "ListAPIKeys(o1)", err)
	if ids, want := apiKeyIDs(got), []string{"d", "a", "c", "b"}; !slices.Equal(ids, want) {
		t.Fatalf("ListAPIKeys(o1): got %v; want %v (newest first, ties by id, revoked included)", ids, want)
	}
	checkEqual(t, "ListAPIKeys(o1)[0]", got[0], newest, normAPIKey)
	checkTime(t, "ListAPIKeys(o1): RevokedAt of c", got[2].RevokedAt, at(2*time.Hour))
	got, err = s.ListAPIKeys(ctx, "o2")
	must(t, "ListAPIKeys(o2)", err)
	if ids := apiKeyIDs(got); !slices.Equal(ids, []string{"e"}) {
		t.Errorf("ListAPIKeys(o2): got %v; want [e]", ids)
	}
}

func testAPIKeyRevoke(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	k := addAPIKey(t, s, newAPIKey("k1", "o1", "pfx-1", base))
	addAPIKey(t, s, newAPIKey("k2", "o1", "pfx-2", base))
	must(t, "RevokeAPIKey", s.RevokeAPIKey(ctx, "k1", at(time.Hour)))
	want := k
	want.RevokedAt = at(time.Hour)
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey after RevokeAPIKey", err)
	checkEqual(t, "GetAPIKey after RevokeAPIKey", got, want, normAPIKey)

	must(t, "RevokeAPIKey(again)", s.RevokeAPIKey(ctx, "k1", at(2*time.Hour)))
	got, err = s.GetAPIKeyByPrefix(ctx, "pfx-1")
	must(t, "GetAPIKeyByPrefix after second RevokeAPIKey", err)
	checkTime(t, "RevokedAt after second RevokeAPIKey", got.RevokedAt, at(time.Hour))
	got, err = s.GetAPIKey(ctx, "k2")
	must(t, "GetAPIKey(k2)", err)
	checkTime(t, "RevokedAt of k2", got.RevokedAt, time.Time{})
}

func testAPIKeyTouch(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	k := addAPIKey(t, s, newAPIKey("k1", "o1", "pfx-1", base))
	addAPIKey(t, s, newAPIKey("k2", "o1", "pfx-2", base))
	const interval = time.Minute
	t0 := at(time.Hour)
	steps := []struct {
		name     string
		now      time.Time
		wrote    bool
		lastUsed time.Time
	}{
		{"never used", t0, true, t0},
		{"same instant", t0, false, t0},
		{"within the interval", t0.Add(30 * time.Second), false, t0},
		{"exactly the interval later", t0.Add(interval), false, t0},
		{"just past the interval", t0.Add(interval + time.Millisecond), true, t0.Add(interval + time.Millisecond)},
		{"earlier than the last use", t0, false, t0.Add(interval + time.Millisecond)},
	}
	for _, st := range steps {
		wrote, err := s.TouchAPIKey(ctx, "k1", st.now, interval)
		must(t, "TouchAPIKey("+st.name+")", err)
		if wrote != st.wrote {
			t.Errorf("TouchAPIKey(%s): wrote %v; want %v", st.name, wrote, st.wrote)
		}
		got, err := s.GetAPIKey(ctx, "k1")
		must(t, "GetAPIKey", err)
		want := k
		want.LastUsedAt = st.lastUsed
		checkEqual(t, "GetAPIKey after TouchAPIKey("+st.name+")", got, want, normAPIKey)
	}
	got, err := s.GetAPIKey(ctx, "k2")
	must(t, "GetAPIKey(k2)", err)
	checkTime(t, "LastUsedAt of untouched k2", got.LastUsedAt, time.Time{})

	// A zero interval writes whenever time has moved on.
	wrote, err := s.TouchAPIKey(ctx, "k2", t0, 0)
	if err != nil || !wrote {
		t.Errorf("TouchAPIKey(k2, interval 0): got %v, %v; want true, nil", wrote, err)
	}
	wrote, err = s.TouchAPIKey(ctx, "k2", t0.Add(time.Millisecond), 0)
	if err != nil || !wrote {
		t.Errorf("TouchAPIKey(k2, interval 0, 1ms later): got %v, %v; want true, nil", wrote, err)
	}
}

func testAPIKeyTouchConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	k := newAPIKey("k1", "o1", "pfx-1", base)
	k.LastUsedAt = base
	addAPIKey(t, s, k)
	const n = 20
	now := at(time.Hour)
	wrote := make([]bool, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		wrote[i], errs[i] = s.TouchAPIKey(ctx, "k1", now, time.Minute)
	})
	writes := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("TouchAPIKey call %d: unexpected error %v", i, errs[i])
		}
		if wrote[i] {
			writes++
		}
	}
	if writes != 1 {
		t.Errorf("TouchAPIKey x%d at one instant: %d reported a write; want exactly 1", n, writes)
	}
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey", err)
	checkTime(t, "LastUsedAt", got.LastUsedAt, now)
}

func testAPIKeyCopies(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	k := newAPIKey("k1", "o1", "pfx-1", base)
	k.Scopes = []string{"users:read", "users:write"}
	want := slices.Clone(k.Scopes)
	must(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
	k.Scopes[0] = "mutated-input"

	check := func(op string) {
		t.Helper()
		got, err := s.GetAPIKey(ctx, "k1")
		must(t, "GetAPIKey", err)
		if !slices.Equal(got.Scopes, want) {
			t.Errorf("Scopes after %s: got %v; want %v", op, got.Scopes, want)
		}
	}
	check("mutating the input")

	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey", err)
	got.Scopes[0] = "mutated-get"
	check("mutating GetAPIKey's result")

	got, err = s.GetAPIKeyByPrefix(ctx, "pfx-1")
	must(t, "GetAPIKeyByPrefix", err)
	got.Scopes[0] = "mutated-by-prefix"
	check("mutating GetAPIKeyByPrefix's result")

	list, err := s.ListAPIKeys(ctx, "o1")
	must(t, "ListAPIKeys", err)
	list[0].Scopes[0] = "mutated-list"
	check("mutating ListAPIKeys' result")
}

func testEventMark(t *testing.T, s store.Storage) {
	ctx := t.Context()
	must(t, "MarkEventProcessed", s.MarkEventProcessed(ctx, "stripe", "evt_1", base))
	wantErr(t, "MarkEventProcessed(again)", s.MarkEventProcessed(ctx, "stripe", "evt_1", at(time.Hour)), store.ErrConflict)
	must(t, "MarkEventProcessed(other id)", s.MarkEventProcessed(ctx, "stripe", "evt_2", base))
	must(t, "MarkEventProcessed(same id, other source)", s.MarkEventProcessed(ctx, "github", "evt_1", base))
	wantErr(t, "MarkEventProcessed(other source, again)", s.MarkEventProcessed(ctx, "github", "evt_1", base), store.ErrConflict)
}

func testEventMarkConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const n = 20
	errs := make([]error, n)
	parallel(n, func(i int) {
		errs[i] = s.MarkEventProcessed(ctx, "stripe", "evt_1", at(time.Duration(i)*time.Millisecond))
	})
	ok, conflicts := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Errorf("MarkEventProcessed call %d: unexpected error %v", i, err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Errorf("MarkEventProcessed x%d: %d succeeded, %d ErrConflict; want 1 and %d", n, ok, conflicts, n-1)
	}
}

// testAPIKeyCreatorRole checks that every read of a key carries its
// creator's membership role as of that read: authos stops a key whose
// creator left the organization or lost the admin role, and the check must
// not need a second read that could disagree with the first.
func testAPIKeyCreatorRole(t *testing.T, s store.Storage) {
	ctx := t.Context()
	apiKeyOrgs(t, s)
	addUser(t, s, "u1", "u1@example.com")
	addUser(t, s, "u2", "u2@example.com")
	addMember(t, s, "o1", "u1", store.RoleAdmin, base)
	addMember(t, s, "o2", "u2", store.RoleOwner, base) // u2 belongs to the other org only

	byAdmin := newAPIKey("k1", "o1", "pfx-1", base)
	byAdmin.Role = store.RoleAdmin
	byAdmin.CreatorRole = store.RoleOwner // never written: the read says what it is
	addAPIKey(t, s, byAdmin)
	byOutsider := newAPIKey("k2", "o1", "pfx-2", at(time.Second))
	byOutsider.CreatedBy = "u2"
	addAPIKey(t, s, byOutsider)
	noCreator := newAPIKey("k3", "o1", "pfx-3", at(2*time.Second))
	noCreator.CreatedBy = ""
	addAPIKey(t, s, noCreator)

	check := func(step string, want map[string]string) {
		t.Helper()
		for id, role := range want {
			got, err := s.GetAPIKey(ctx, id)
			must(t, step+": GetAPIKey("+id+")", err)
			if got.CreatorRole != role {
				t.Errorf("%s: GetAPIKey(%s).CreatorRole = %q; want %q", step, id, got.CreatorRole, role)
			}
			got, err = s.GetAPIKeyByPrefix(ctx, "pfx-"+id[1:])
			must(t, step+": GetAPIKeyByPrefix("+id+")", err)
			if got.CreatorRole != role {
				t.Errorf("%s: GetAPIKeyByPrefix(%s).CreatorRole = %q; want %q", step, id, got.CreatorRole, role)
			}
		}
		list, err := s.ListAPIKeys(ctx, "o1")
		must(t, step+": ListAPIKeys", err)
		for _, k := range list {
			if k.CreatorRole != want[k.ID] {
				t.Errorf("%s: ListAPIKeys: %s.CreatorRole = %q; want %q", step, k.ID, k.CreatorRole, want[k.ID])
			}
		}
	}
	check("created", map[string]string{"k1": store.RoleAdmin, "k2": "", "k3": ""})
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, "GetAPIKey(k1)", err)
	if got.Role != store.RoleAdmin || got.CreatedBy != "u1" {
		t.Errorf("GetAPIKey(k1): Role %q, CreatedBy %q; want admin, u1", got.Role, got.CreatedBy)
	}

	must(t, "SetMemberRole(u1, member)", s.SetMemberRole(ctx, "o1", "u1", store.RoleMember))
	check("creator demoted", map[string]string{"k1": store.RoleMember, "k2": "", "k3": ""})
	must(t, "SetMemberRole(u1, owner)", s.SetMemberRole(ctx, "o1", "u1", store.RoleOwner))
	check("creator promoted", map[string]string{"k1": store.RoleOwner, "k2": "", "k3": ""})
	must(t, "SetMemberStatus(u1, suspended)", s.SetMemberStatus(ctx, "o1", "u1", store.MemberSuspended))
	check("creator suspended", map[string]string{"k1": "", "k2": "", "k3": ""})
	must(t, "SetMemberStatus(u1, active)", s.SetMemberStatus(ctx, "o1", "u1", store.MemberActive))
	check("creator reinstated", map[string]string{"k1": store.RoleOwner, "k2": "", "k3": ""})
	must(t, "RemoveMember(u1)", s.RemoveMember(ctx, "o1", "u1"))
	check("creator removed", map[string]string{"k1": "", "k2": "", "k3": ""})

	// Inside a transaction the read sees the transaction's own change.
	must(t, "Tx", s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.AddMember(ctx, store.Membership{OrgID: "o1", UserID: "u1", Role: store.RoleAdmin, CreatedAt: base}); err != nil {
			return err
		}
		k, err := tx.GetAPIKeyByPrefix(ctx, "pfx-1")
		if err != nil {
			return err
		}
		if k.CreatorRole != store.RoleAdmin {
			t.Errorf("in Tx after AddMember: CreatorRole = %q; want admin", k.CreatorRole)
		}
		return nil
	}))
}

// applyOrdered is how authos applies a billing event: in one transaction it
// records the event, then moves the organization's tier only when the event
// is not older than the last one applied, storing the event's time with it.
func applyOrdered(s store.Storage, id, tier string, created time.Time, fail error) (applied bool, err error) {
	ctx := context.Background()
	err = s.Tx(ctx, func(tx store.Tx) error {
		applied = false
		if err := tx.MarkEventProcessed(ctx, "stripe", id, created); err != nil {
			return err
		}
		o, err := tx.GetOrg(ctx, "o1")
		if err != nil {
			return err
		}
		if created.Before(o.BillingEventAt) {
			return fail
		}
		o.Tier, o.BillingEventAt = tier, created
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		applied = true
		return fail
	})
	return applied, err
}

// testEventOrderedWithOrg checks the store side of ordered billing events:
// the organization's BillingEventAt and the processed event commit or roll
// back together, and concurrent transactions reading the organization then
// writing it never let an older event overwrite a newer one.
func testEventOrderedWithOrg(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	boom := errors.New("boom")
	if _, err := applyOrdered(s, "evt_rolled_back", "pro", at(time.Hour), boom); err != boom {
		t.Fatalf("rolled back apply: %v; want %v", err, boom)
	}
	o, err := s.GetOrg(ctx, "o1")
	must(t, "GetOrg after rollback", err)
	if o.Tier != "free" || !o.BillingEventAt.IsZero() {
		t.Fatalf("after rollback: tier %q, BillingEventAt %v; want free, zero", o.Tier, o.BillingEventAt)
	}
	must(t, "MarkEventProcessed(rolled back event)", s.MarkEventProcessed(ctx, "stripe", "evt_rolled_back", base))

	if ok, err := applyOrdered(s, "evt_new", "pro", at(2*time.Hour), nil); err != nil || !ok {
		t.Fatalf("newer event: applied %v, %v", ok, err)
	}
	if ok, err := applyOrdered(s, "evt_old", "starter", at(time.Hour), nil); err != nil || ok {
		t.Fatalf("older event: applied %v, %v; want recorded only", ok, err)
	}
	o, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg", err)
	if o.Tier != "pro" || !sameTime(o.BillingEventAt, at(2*time.Hour)) {
		t.Fatalf("after an older event: tier %q, BillingEventAt %v; want pro at %v", o.Tier, o.BillingEventAt, at(2*time.Hour))
	}
	wantErr(t, "MarkEventProcessed(older event)", s.MarkEventProcessed(ctx, "stripe", "evt_old", base), store.ErrConflict)

	// Concurrent deliveries in any order: the newest wins.
	const n = 12
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, errs[i] = applyOrdered(s, name("evt_c%02d", i), name("tier%02d", i), at(3*time.Hour+time.Duration(i)*time.Second), nil)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent apply %d: %v", i, err)
		}
	}
	o, err = s.GetOrg(ctx, "o1")
	must(t, "GetOrg after concurrent applies", err)
	if want := name("tier%02d", n-1); o.Tier != want || !sameTime(o.BillingEventAt, at(3*time.Hour+(n-1)*time.Second)) {
		t.Fatalf("after concurrent applies: tier %q at %v; want %s at %v", o.Tier, o.BillingEventAt, want, at(3*time.Hour+(n-1)*time.Second))
	}
}
