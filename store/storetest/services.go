package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var serviceTests = []testCase{
	{"CreateGet", testServiceCreateGet},
	{"NotFound", testServiceNotFound},
	{"Conflict", testServiceConflict},
	{"ListCount", testServiceListCount},
	{"Update", testServiceUpdate},
	{"UpdateConflict", testServiceUpdateConflict},
	{"DeleteRemovesBoundKeys", testServiceDelete},
	{"RedirectURICopies", testServiceCopies},
}

// newService returns a web service of orgID created at created.
func newService(id, orgID, slug, clientID string, created time.Time) store.Service {
	return store.Service{
		ID:               id,
		OrgID:            orgID,
		Slug:             slug,
		Name:             "Service " + id,
		Type:             "web",
		RedirectURIs:     []string{"https://" + slug + ".example.com/callback"},
		ClientID:         clientID,
		ClientSecretHash: "secret-" + id,
		CreatedAt:        created,
		UpdatedAt:        created,
	}
}

// addService creates svc.
func addService(t *testing.T, s store.Storage, svc store.Service) store.Service {
	t.Helper()
	must(t, "CreateService("+svc.ID+")", s.CreateService(t.Context(), svc))
	return svc
}

func normService(x store.Service) store.Service {
	x.RedirectURIs = ns(x.RedirectURIs)
	x.PostLogoutRedirectURIs = ns(x.PostLogoutRedirectURIs)
	x.CreatedAt, x.UpdatedAt = nt(x.CreatedAt), nt(x.UpdatedAt)
	return x
}

func serviceIDs(ss []store.Service) []string {
	out := make([]string, len(ss))
	for i, x := range ss {
		out[i] = x.ID
	}
	return out
}

// serviceOrgs creates the organizations o1 and o2.
func serviceOrgs(t *testing.T, s store.Storage) {
	t.Helper()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
}

func testServiceCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	svc := store.Service{
		ID:                     "s1",
		OrgID:                  "o1",
		Slug:                   "dashboard",
		Name:                   "Dashboard",
		Type:                   "desktop",
		RedirectURIs:           []string{"https://app.example.com/cb", "http://127.0.0.1/cb", "com.example.app:/oauth"},
		DeviceActivationURI:    "https://app.example.com/activate",
		PostLogoutRedirectURIs: []string{"https://app.example.com/signed-out", "http://127.0.0.1/bye"},
		MembersOnly:            true,
		ClientID:               "client-1",
		ClientSecretHash:       "abc123",
		CreatedAt:              at(time.Second),
		UpdatedAt:              at(2 * time.Second),
	}
	addService(t, s, svc)
	got, err := s.GetService(ctx, "s1")
	must(t, "GetService", err)
	checkEqual(t, "GetService", got, svc, normService)
	got, err = s.GetServiceBySlug(ctx, "o1", "dashboard")
	must(t, "GetServiceBySlug", err)
	checkEqual(t, "GetServiceBySlug", got, svc, normService)
	got, err = s.GetServiceByClientID(ctx, "client-1")
	must(t, "GetServiceByClientID", err)
	checkEqual(t, "GetServiceByClientID", got, svc, normService)

	// A public client without redirect URIs; the same slug in another org.
	bare := store.Service{ID: "s2", OrgID: "o2", Slug: "dashboard", Type: "api", ClientID: "client-2"}
	addService(t, s, bare)
	got, err = s.GetServiceBySlug(ctx, "o2", "dashboard")
	must(t, "GetServiceBySlug(o2)", err)
	checkEqual(t, "GetServiceBySlug(o2)", got, bare, normService)
}

func testServiceNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	addService(t, s, newService("s1", "o1", "app", "client-1", base))
	_, err := s.GetService(ctx, "missing")
	wantErr(t, "GetService(missing)", err, store.ErrNotFound)
	_, err = s.GetServiceBySlug(ctx, "o2", "app")
	wantErr(t, "GetServiceBySlug(other org)", err, store.ErrNotFound)
	_, err = s.GetServiceBySlug(ctx, "o1", "missing")
	wantErr(t, "GetServiceBySlug(missing)", err, store.ErrNotFound)
	_, err = s.GetServiceByClientID(ctx, "missing")
	wantErr(t, "GetServiceByClientID(missing)", err, store.ErrNotFound)
	_, err = s.GetServiceByClientID(ctx, "s1")
	wantErr(t, "GetServiceByClientID(an id)", err, store.ErrNotFound)
	wantErr(t, "UpdateService(missing)", s.UpdateService(ctx, newService("missing", "o1", "other", "client-x", base)), store.ErrNotFound)
	// NotFound wins over a conflict.
	wantErr(t, "UpdateService(missing, taken slug)", s.UpdateService(ctx, newService("missing", "o1", "app", "client-1", base)), store.ErrNotFound)
	wantErr(t, "DeleteService(missing)", s.DeleteService(ctx, "missing"), store.ErrNotFound)
	got, err := s.ListServices(ctx, "o2")
	must(t, "ListServices(no services)", err)
	if len(got) != 0 {
		t.Errorf("ListServices(no services): got %v; want none", serviceIDs(got))
	}
}

func testServiceConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	first := addService(t, s, newService("s1", "o1", "app", "client-1", base))
	cases := []struct {
		name string
		svc  store.Service
	}{
		{"same id", newService("s1", "o2", "other", "client-2", at(time.Hour))},
		{"same org and slug", newService("s2", "o1", "app", "client-2", at(time.Hour))},
		{"same client id", newService("s2", "o2", "other", "client-1", at(time.Hour))},
	}
	for _, c := range cases {
		wantErr(t, "CreateService("+c.name+")", s.CreateService(ctx, c.svc), store.ErrConflict)
	}
	got, err := s.GetService(ctx, "s1")
	must(t, "GetService", err)
	checkEqual(t, "GetService after conflicting creates", got, first, normService)
	_, err = s.GetService(ctx, "s2")
	wantErr(t, "GetService(s2)", err, store.ErrNotFound)
	if n, err := s.CountServices(ctx, "o1"); err != nil || n != 1 {
		t.Errorf("CountServices(o1): got %d, %v; want 1, nil", n, err)
	}
	if n, err := s.CountServices(ctx, "o2"); err != nil || n != 0 {
		t.Errorf("CountServices(o2): got %d, %v; want 0, nil", n, err)
	}
}

func testServiceListCount(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	last := newService("d", "o1", "d", "client-d", at(3*time.Hour))
	for _, svc := range []store.Service{
		newService("c", "o1", "c", "client-c", at(time.Hour)),
		last,
		newService("b", "o1", "b", "client-b", base),
		newService("a", "o1", "a", "client-a", at(time.Hour)),
		newService("e", "o2", "e", "client-e", base),
	} {
		addService(t, s, svc)
	}
	got, err := s.ListServices(ctx, "o1")
	must(t, "ListServices(o1)", err)
	if ids, want := serviceIDs(got), []string{"b", "a", "c", "d"}; !slices.Equal(ids, want) {
		t.Fatalf("ListServices(o1): got %v; want %v", ids, want)
	}
	checkEqual(t, "ListServices(o1)[3]", got[3], last, normService)
	if n, err := s.CountServices(ctx, "o1"); err != nil || n != 4 {
		t.Errorf("CountServices(o1): got %d, %v; want 4, nil", n, err)
	}
	if n, err := s.CountServices(ctx, "o2"); err != nil || n != 1 {
		t.Errorf("CountServices(o2): got %d, %v; want 1, nil", n, err)
	}
	if n, err := s.CountServices(ctx, "missing"); err != nil || n != 0 {
		t.Errorf("CountServices(missing): got %d, %v; want 0, nil", n, err)
	}
}

func testServiceUpdate(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	addService(t, s, newService("s1", "o1", "app", "client-1", base))
	upd := store.Service{
		ID:                     "s1",
		OrgID:                  "o2", // ignored
		Slug:                   "renamed",
		Name:                   "Renamed",
		Type:                   "mobile",
		RedirectURIs:           []string{"com.example:/cb"},
		DeviceActivationURI:    "https://example.com/device",
		PostLogoutRedirectURIs: []string{"com.example:/bye"},
		MembersOnly:            true,
		ClientID:               "client-1b",
		ClientSecretHash:       "",
		CreatedAt:              at(99 * time.Hour), // ignored
		UpdatedAt:              at(time.Hour),
	}
	must(t, "UpdateService", s.UpdateService(ctx, upd))
	want := upd
	want.OrgID, want.CreatedAt = "o1", base
	got, err := s.GetService(ctx, "s1")
	must(t, "GetService after UpdateService", err)
	checkEqual(t, "GetService after UpdateService", got, want, normService)
	got, err = s.GetServiceBySlug(ctx, "o1", "renamed")
	must(t, "GetServiceBySlug(new slug)", err)
	checkEqual(t, "GetServiceBySlug(new slug)", got, want, normService)
	got, err = s.GetServiceByClientID(ctx, "client-1b")
	must(t, "GetServiceByClientID(new client id)", err)
	checkEqual(t, "GetServiceByClientID(new client id)", got, want, normService)
	_, err = s.GetServiceBySlug(ctx, "o1", "app")
	wantErr(t, "GetServiceBySlug(old slug)", err, store.ErrNotFound)
	_, err = s.GetServiceBySlug(ctx, "o2", "renamed")
	wantErr(t, "GetServiceBySlug(o2)", err, store.ErrNotFound)
	_, err = s.GetServiceByClientID(ctx, "client-1")
	wantErr(t, "GetServiceByClientID(old client id)", err, store.ErrNotFound)

	// Clearing the redirect URIs and members_only; keeping slug and client
	// id is no conflict.
	want.RedirectURIs, want.PostLogoutRedirectURIs, want.MembersOnly = nil, nil, false
	want.Name = "Renamed again"
	must(t, "UpdateService(no redirect URIs)", s.UpdateService(ctx, want))
	got, err = s.GetService(ctx, "s1")
	must(t, "GetService after second UpdateService", err)
	checkEqual(t, "GetService after second UpdateService", got, want, normService)
}

func testServiceUpdateConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	s1 := addService(t, s, newService("s1", "o1", "app", "client-1", base))
	addService(t, s, newService("s2", "o1", "admin", "client-2", base))
	addService(t, s, newService("s3", "o2", "portal", "client-3", base))

	slugTaken := s1
	slugTaken.Slug, slugTaken.Name = "admin", "changed"
	wantErr(t, "UpdateService(slug taken in the org)", s.UpdateService(ctx, slugTaken), store.ErrConflict)
	clientTaken := s1
	clientTaken.ClientID, clientTaken.Name = "client-3", "changed"
	wantErr(t, "UpdateService(client id taken)", s.UpdateService(ctx, clientTaken), store.ErrConflict)
	got, err := s.GetService(ctx, "s1")
	must(t, "GetService", err)
	checkEqual(t, "GetService after conflicting updates", got, s1, normService)

	// A slug used in another org only is free.
	free := s1
	free.Slug = "portal"
	must(t, "UpdateService(slug of another org)", s.UpdateService(ctx, free))
	got, err = s.GetServiceBySlug(ctx, "o1", "portal")
	must(t, "GetServiceBySlug(o1, portal)", err)
	if got.ID != "s1" {
		t.Errorf("GetServiceBySlug(o1, portal): got %s; want s1", got.ID)
	}
}

func testServiceDelete(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	addService(t, s, newService("s1", "o1", "app", "client-1", base))
	addService(t, s, newService("s2", "o1", "admin", "client-2", base))
	bound := func(id, svc string) store.APIKey {
		k := newAPIKey(id, "o1", "pfx-"+id, base)
		k.ServiceID = svc
		return k
	}
	addAPIKey(t, s, bound("k1", "s1"))
	addAPIKey(t, s, bound("k2", "s1"))
	addAPIKey(t, s, bound("k3", "s2"))
	addAPIKey(t, s, newAPIKey("k4", "o1", "pfx-k4", base))

	must(t, "DeleteService(s1)", s.DeleteService(ctx, "s1"))
	wantErr(t, "DeleteService(s1) again", s.DeleteService(ctx, "s1"), store.ErrNotFound)
	_, err := s.GetService(ctx, "s1")
	wantErr(t, "GetService(deleted)", err, store.ErrNotFound)
	_, err = s.GetServiceByClientID(ctx, "client-1")
	wantErr(t, "GetServiceByClientID(deleted)", err, store.ErrNotFound)
	for _, id := range []string{"k1", "k2"} {
		_, err = s.GetAPIKey(ctx, id)
		wantErr(t, "GetAPIKey("+id+") bound to the deleted service", err, store.ErrNotFound)
	}
	keys, err := s.ListAPIKeys(ctx, "o1")
	must(t, "ListAPIKeys", err)
	ids := apiKeyIDs(keys)
	slices.Sort(ids)
	if want := []string{"k3", "k4"}; !slices.Equal(ids, want) {
		t.Errorf("ListAPIKeys after DeleteService: got %v; want %v", ids, want)
	}
	if n, err := s.CountServices(ctx, "o1"); err != nil || n != 1 {
		t.Errorf("CountServices after DeleteService: got %d, %v; want 1, nil", n, err)
	}
	// Slug, client id and prefixes are free again.
	addService(t, s, newService("s1", "o1", "app", "client-1", at(time.Hour)))
	addAPIKey(t, s, bound("k1", "s1"))
}

func testServiceCopies(t *testing.T, s store.Storage) {
	ctx := t.Context()
	serviceOrgs(t, s)
	svc := newService("s1", "o1", "app", "client-1", base)
	svc.RedirectURIs = []string{"https://a.example.com/cb", "https://b.example.com/cb"}
	svc.PostLogoutRedirectURIs = []string{"https://a.example.com/bye"}
	want := slices.Clone(svc.RedirectURIs)
	must(t, "CreateService", s.CreateService(ctx, svc))
	svc.RedirectURIs[0] = "mutated-input"
	svc.PostLogoutRedirectURIs[0] = "mutated-input"

	check := func(op string) {
		t.Helper()
		got, err := s.GetService(ctx, "s1")
		must(t, "GetService", err)
		if !slices.Equal(got.RedirectURIs, want) {
			t.Errorf("RedirectURIs after %s: got %v; want %v", op, got.RedirectURIs, want)
		}
		if !slices.Equal(got.PostLogoutRedirectURIs, []string{"https://a.example.com/bye"}) {
			t.Errorf("PostLogoutRedirectURIs after %s: got %v", op, got.PostLogoutRedirectURIs)
		}
	}
	check("mutating the input")

	got, err := s.GetService(ctx, "s1")
	must(t, "GetService", err)
	got.RedirectURIs[0] = "mutated-get"
	got.PostLogoutRedirectURIs[0] = "mutated-get"
	check("mutating GetService's result")

	got, err = s.GetServiceBySlug(ctx, "o1", "app")
	must(t, "GetServiceBySlug", err)
	got.RedirectURIs[0] = "mutated-by-slug"
	check("mutating GetServiceBySlug's result")

	got, err = s.GetServiceByClientID(ctx, "client-1")
	must(t, "GetServiceByClientID", err)
	got.RedirectURIs[0] = "mutated-by-client-id"
	check("mutating GetServiceByClientID's result")

	list, err := s.ListServices(ctx, "o1")
	must(t, "ListServices", err)
	list[0].RedirectURIs[0] = "mutated-list"
	check("mutating ListServices' result")

	upd := svc
	upd.RedirectURIs = slices.Clone(want)
	upd.PostLogoutRedirectURIs = []string{"https://a.example.com/bye"}
	must(t, "UpdateService", s.UpdateService(ctx, upd))
	upd.PostLogoutRedirectURIs[0] = "mutated-update-input"
	upd.RedirectURIs[1] = "mutated-update-input"
	check("mutating UpdateService's input")
}
