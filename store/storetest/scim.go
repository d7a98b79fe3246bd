package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// scimStorage is a backend that offers store.SCIMStore, and scimTx one of
// its transactions.
type (
	scimStorage interface {
		store.Storage
		store.SCIMStore
	}
	scimTx interface {
		store.Tx
		store.SCIMStore
	}
)

var scimTests = []capTest[scimStorage]{
	{"Tokens", testSCIMTokens},
	{"UserCreateGet", testSCIMUserCreateGet},
	{"UserConflicts", testSCIMUserConflicts},
	{"UserUpdateDelete", testSCIMUserUpdateDelete},
	{"UserActiveFollowsMembership", testSCIMUserActive},
	{"RemoveMemberDropsResource", testSCIMRemoveMember},
	{"OrganizationsApart", testSCIMOrgsApart},
	{"Filters", testSCIMFilters},
	{"SortPage", testSCIMSortPage},
	{"InvalidFilter", testSCIMInvalidFilter},
	{"Groups", testSCIMGroups},
	{"GroupMembers", testSCIMGroupMembers},
	{"GroupFilters", testSCIMGroupFilters},
	{"InTx", testSCIMInTx},
}

// scimOrg creates organization o1 with members u1..un (emails uN@example.com).
func scimOrg(t *testing.T, s scimStorage, n int) {
	t.Helper()
	addOrg(t, s, newOrg("o1", "acme", base))
	for i := 1; i <= n; i++ {
		id := name("u%d", i)
		addUser(t, s, id, id+"@example.com")
		addMember(t, s, "o1", id, store.RoleMember, at(time.Duration(i)*time.Second))
	}
}

func newSCIMUser(orgID, userID, userName string, created time.Time) store.SCIMUser {
	return store.SCIMUser{OrgID: orgID, UserID: userID, UserName: userName, ExternalID: "ext-" + userID,
		DisplayName: "User " + userID, Emails: []store.SCIMEmail{{Value: userName, Type: "work", Primary: true}},
		Attributes: []byte(`{"title":"Engineer"}`), Active: true, Version: 1, CreatedAt: created, UpdatedAt: created}
}

func addSCIMUser(t *testing.T, s scimStorage, u store.SCIMUser) store.SCIMUser {
	t.Helper()
	must(t, "CreateSCIMUser("+u.UserID+")", s.CreateSCIMUser(t.Context(), u))
	return u
}

func normSCIMUser(u store.SCIMUser) store.SCIMUser {
	u.Attributes = nb(u.Attributes)
	if len(u.Emails) == 0 {
		u.Emails = nil
	}
	u.CreatedAt, u.UpdatedAt = nt(u.CreatedAt), nt(u.UpdatedAt)
	return u
}

func normSCIMGroup(g store.SCIMGroup) store.SCIMGroup {
	g.CreatedAt, g.UpdatedAt = nt(g.CreatedAt), nt(g.UpdatedAt)
	return g
}

func scimUserIDs(us []store.SCIMUser) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserID
	}
	return out
}

func testSCIMTokens(t *testing.T, s scimStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "beta", base))
	t1 := store.SCIMToken{ID: "t1", OrgID: "o1", Name: "Okta", TokenHash: "h1", CreatedBy: "u1", CreatedAt: base,
		ExpiresAt: at(time.Hour)}
	t2 := store.SCIMToken{ID: "t2", OrgID: "o1", Name: "Entra", TokenHash: "h2", CreatedAt: at(time.Second)}
	must(t, "CreateSCIMToken(t1)", s.CreateSCIMToken(ctx, t1))
	must(t, "CreateSCIMToken(t2)", s.CreateSCIMToken(ctx, t2))
	wantErr(t, "CreateSCIMToken(same id)", s.CreateSCIMToken(ctx, store.SCIMToken{ID: "t1", OrgID: "o1", TokenHash: "h9"}), store.ErrConflict)
	wantErr(t, "CreateSCIMToken(same hash)", s.CreateSCIMToken(ctx, store.SCIMToken{ID: "t9", OrgID: "o1", TokenHash: "h1"}), store.ErrConflict)

	got, err := s.GetSCIMTokenByHash(ctx, "h1")
	must(t, "GetSCIMTokenByHash", err)
	norm := func(x store.SCIMToken) store.SCIMToken {
		x.CreatedAt, x.ExpiresAt, x.RevokedAt, x.LastUsedAt = nt(x.CreatedAt), nt(x.ExpiresAt), nt(x.RevokedAt), nt(x.LastUsedAt)
		return x
	}
	checkEqual(t, "GetSCIMTokenByHash", got, t1, norm)
	_, err = s.GetSCIMTokenByHash(ctx, "nope")
	wantErr(t, "GetSCIMTokenByHash(unknown)", err, store.ErrNotFound)

	l, err := s.ListSCIMTokens(ctx, "o1")
	must(t, "ListSCIMTokens", err)
	if len(l) != 2 || l[0].ID != "t2" || l[1].ID != "t1" {
		t.Errorf("ListSCIMTokens = %+v; want t2, t1", l)
	}
	if l, _ := s.ListSCIMTokens(ctx, "o2"); len(l) != 0 {
		t.Errorf("ListSCIMTokens(o2) = %+v; want none", l)
	}

	wantErr(t, "RevokeSCIMToken(other org)", s.RevokeSCIMToken(ctx, "o2", "t1", at(time.Minute)), store.ErrNotFound)
	must(t, "RevokeSCIMToken", s.RevokeSCIMToken(ctx, "o1", "t1", at(time.Minute)))
	must(t, "RevokeSCIMToken(again)", s.RevokeSCIMToken(ctx, "o1", "t1", at(2*time.Minute)))
	got, _ = s.GetSCIMTokenByHash(ctx, "h1")
	checkTime(t, "RevokedAt keeps the first time", got.RevokedAt, at(time.Minute))

	wrote, err := s.TouchSCIMToken(ctx, "t2", at(time.Minute), time.Minute)
	must(t, "TouchSCIMToken", err)
	again, _ := s.TouchSCIMToken(ctx, "t2", at(90*time.Second), time.Minute)
	later, _ := s.TouchSCIMToken(ctx, "t2", at(2*time.Minute), time.Minute)
	if !wrote || again || !later {
		t.Errorf("TouchSCIMToken wrote %v, %v, %v; want true, false, true", wrote, again, later)
	}
	_, err = s.TouchSCIMToken(ctx, "nope", base, time.Minute)
	wantErr(t, "TouchSCIMToken(unknown)", err, store.ErrNotFound)
}

func testSCIMUserCreateGet(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 1)
	u := newSCIMUser("o1", "u1", "Alice@Example.com", at(time.Minute))
	u.Emails = append(u.Emails, store.SCIMEmail{Value: "alice@home.example", Type: "home"})
	addSCIMUser(t, s, u)
	got, err := s.GetSCIMUser(ctx, "o1", "u1")
	must(t, "GetSCIMUser", err)
	checkEqual(t, "GetSCIMUser", got, u, normSCIMUser)
	_, err = s.GetSCIMUser(ctx, "o1", "nope")
	wantErr(t, "GetSCIMUser(unknown)", err, store.ErrNotFound)
}

func testSCIMUserConflicts(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 3)
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
	wantErr(t, "CreateSCIMUser(same user)", s.CreateSCIMUser(ctx, newSCIMUser("o1", "u1", "other@example.com", base)), store.ErrConflict)
	wantErr(t, "CreateSCIMUser(userName in another case)", s.CreateSCIMUser(ctx, newSCIMUser("o1", "u2", "ALICE@example.COM", base)), store.ErrConflict)
	wantErr(t, "CreateSCIMUser(not a member)", s.CreateSCIMUser(ctx, newSCIMUser("o1", "stranger", "s@example.com", base)), store.ErrNotFound)
	addSCIMUser(t, s, newSCIMUser("o1", "u2", "bob@example.com", base))
	u := newSCIMUser("o1", "u2", "Alice@example.com", base)
	wantErr(t, "UpdateSCIMUser(userName taken)", s.UpdateSCIMUser(ctx, u), store.ErrConflict)
	// The failed writes changed nothing.
	got, err := s.GetSCIMUser(ctx, "o1", "u2")
	must(t, "GetSCIMUser", err)
	if got.UserName != "bob@example.com" {
		t.Errorf("userName after refused update = %q", got.UserName)
	}
}

func testSCIMUserUpdateDelete(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 1)
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
	u := newSCIMUser("o1", "u1", "alice.smith@example.com", at(time.Hour)) // CreatedAt is kept
	u.ExternalID, u.DisplayName, u.Version, u.UpdatedAt = "new-ext", "Alice Smith", 2, at(time.Minute)
	u.Emails = []store.SCIMEmail{{Value: "alice.smith@example.com", Type: "work", Primary: true}, {Value: "a@example.org", Type: "other"}}
	u.Attributes = []byte(`{"title":"Lead"}`)
	must(t, "UpdateSCIMUser", s.UpdateSCIMUser(ctx, u))
	got, err := s.GetSCIMUser(ctx, "o1", "u1")
	must(t, "GetSCIMUser", err)
	want := u
	want.CreatedAt = base
	checkEqual(t, "GetSCIMUser after update", got, want, normSCIMUser)
	wantErr(t, "UpdateSCIMUser(absent)", s.UpdateSCIMUser(ctx, newSCIMUser("o1", "nope", "x@example.com", base)), store.ErrNotFound)

	must(t, "DeleteSCIMUser", s.DeleteSCIMUser(ctx, "o1", "u1"))
	_, err = s.GetSCIMUser(ctx, "o1", "u1")
	wantErr(t, "GetSCIMUser after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteSCIMUser(again)", s.DeleteSCIMUser(ctx, "o1", "u1"), store.ErrNotFound)
	if _, err := s.GetMember(ctx, "o1", "u1"); err != nil {
		t.Errorf("DeleteSCIMUser removed the membership: %v", err)
	}
	// The name is free again.
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
}

func testSCIMUserActive(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 2)
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
	addSCIMUser(t, s, newSCIMUser("o1", "u2", "bob@example.com", at(time.Second)))
	must(t, "SetMemberStatus", s.SetMemberStatus(ctx, "o1", "u1", store.MemberSuspended))
	got, err := s.GetSCIMUser(ctx, "o1", "u1")
	must(t, "GetSCIMUser", err)
	if got.Active {
		t.Error("a suspended member's resource is active")
	}
	l, _, err := s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Count: 10,
		Filter: store.SCIMCompare{Attr: store.SCIMAttrActive, Op: store.SCIMEq, Value: false}})
	must(t, "ListSCIMUsers(active eq false)", err)
	if ids := scimUserIDs(l); !slices.Equal(ids, []string{"u1"}) || l[0].Active {
		t.Errorf("active eq false = %v", ids)
	}
	l, _, _ = s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Count: 10,
		Filter: store.SCIMCompare{Attr: store.SCIMAttrActive, Op: store.SCIMNe, Value: false}})
	if ids := scimUserIDs(l); !slices.Equal(ids, []string{"u2"}) || !l[0].Active {
		t.Errorf("active ne false = %v", ids)
	}
}

func testSCIMRemoveMember(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 2)
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
	addSCIMUser(t, s, newSCIMUser("o1", "u2", "bob@example.com", base))
	must(t, "CreateSCIMGroup", s.CreateSCIMGroup(ctx, store.SCIMGroup{ID: "g1", OrgID: "o1", DisplayName: "Eng", CreatedAt: base, UpdatedAt: base}))
	_, err := s.AddSCIMGroupMembers(ctx, "o1", "g1", []string{"u1", "u2"})
	must(t, "AddSCIMGroupMembers", err)
	must(t, "RemoveMember", s.RemoveMember(ctx, "o1", "u1"))
	_, err = s.GetSCIMUser(ctx, "o1", "u1")
	wantErr(t, "GetSCIMUser after RemoveMember", err, store.ErrNotFound)
	ids, err := s.ListSCIMGroupMembers(ctx, "o1", "g1")
	must(t, "ListSCIMGroupMembers", err)
	if !slices.Equal(ids, []string{"u2"}) {
		t.Errorf("group members after RemoveMember = %v; want [u2]", ids)
	}
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err = s.GetSCIMUser(ctx, "o1", "u2")
	wantErr(t, "GetSCIMUser after DeleteOrg", err, store.ErrNotFound)
	_, err = s.GetSCIMGroup(ctx, "o1", "g1")
	wantErr(t, "GetSCIMGroup after DeleteOrg", err, store.ErrNotFound)
}

func testSCIMOrgsApart(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 1)
	addOrg(t, s, newOrg("o2", "beta", base))
	addMember(t, s, "o2", "u1", store.RoleMember, base)
	// The same person, the same userName, in two organizations.
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "alice@example.com", base))
	addSCIMUser(t, s, newSCIMUser("o2", "u1", "alice@example.com", base))
	must(t, "CreateSCIMGroup", s.CreateSCIMGroup(ctx, store.SCIMGroup{ID: "g2", OrgID: "o2", DisplayName: "Beta", CreatedAt: base, UpdatedAt: base}))
	l, total, err := s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Count: 10})
	must(t, "ListSCIMUsers", err)
	if total != 1 || len(l) != 1 || l[0].OrgID != "o1" {
		t.Errorf("o1 lists %+v (total %d)", l, total)
	}
	_, err = s.GetSCIMGroup(ctx, "o1", "g2")
	wantErr(t, "GetSCIMGroup(other org)", err, store.ErrNotFound)
	_, err = s.AddSCIMGroupMembers(ctx, "o1", "g2", []string{"u1"})
	wantErr(t, "AddSCIMGroupMembers(other org's group)", err, store.ErrNotFound)
	wantErr(t, "DeleteSCIMGroup(other org)", s.DeleteSCIMGroup(ctx, "o1", "g2"), store.ErrNotFound)
	must(t, "DeleteSCIMUser(o1)", s.DeleteSCIMUser(ctx, "o1", "u1"))
	if _, err := s.GetSCIMUser(ctx, "o2", "u1"); err != nil {
		t.Errorf("deleting u1 in o1 touched o2: %v", err)
	}
}

// scimFilterFixture: five users with various attributes.
func scimFilterFixture(t *testing.T, s scimStorage) {
	scimOrg(t, s, 5)
	u1 := newSCIMUser("o1", "u1", "Alice@Example.com", at(1*time.Minute))
	u2 := newSCIMUser("o1", "u2", "bob@example.org", at(2*time.Minute))
	u2.Emails = []store.SCIMEmail{{Value: "bob@example.org", Type: "work", Primary: true}, {Value: "Bobby@Home.net", Type: "home"}}
	u3 := newSCIMUser("o1", "u3", "carol_100%@example.com", at(3*time.Minute))
	u3.ExternalID = "EXT-u3"
	u4 := newSCIMUser("o1", "u4", "dave@corp.example", at(4*time.Minute))
	u4.Emails = nil
	u4.DisplayName = ""
	u5 := newSCIMUser("o1", "u5", "carol1000@example.com", at(5*time.Minute))
	for _, u := range []store.SCIMUser{u1, u2, u3, u4, u5} {
		addSCIMUser(t, s, u)
	}
	must(t, "SetMemberStatus", s.SetMemberStatus(t.Context(), "o1", "u4", store.MemberSuspended))
}

type scimFilterCase struct {
	name string
	f    store.SCIMFilter
	want []string
}

func cmpF(a store.SCIMAttr, op store.SCIMOp, v any) store.SCIMCompare {
	return store.SCIMCompare{Attr: a, Op: op, Value: v}
}

func testSCIMFilters(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimFilterFixture(t, s)
	emailAny := func(f store.SCIMFilter) store.SCIMAny { return store.SCIMAny{Attr: store.SCIMAttrEmails, Filter: f} }
	cases := []scimFilterCase{
		{"userName eq (case-insensitive)", cmpF(store.SCIMAttrUserName, store.SCIMEq, "ALICE@example.COM"), []string{"u1"}},
		{"userName ne", cmpF(store.SCIMAttrUserName, store.SCIMNe, "alice@example.com"), []string{"u2", "u3", "u4", "u5"}},
		{"userName co with a literal %", cmpF(store.SCIMAttrUserName, store.SCIMCo, "100%"), []string{"u3"}},
		{"userName co with a literal _", cmpF(store.SCIMAttrUserName, store.SCIMCo, "l_"), []string{"u3"}},
		{"userName sw", cmpF(store.SCIMAttrUserName, store.SCIMSw, "CAROL"), []string{"u3", "u5"}},
		{"userName ew", cmpF(store.SCIMAttrUserName, store.SCIMEw, ".ORG"), []string{"u2"}},
		{"userName pr", store.SCIMCompare{Attr: store.SCIMAttrUserName, Op: store.SCIMPr}, []string{"u1", "u2", "u3", "u4", "u5"}},
		{"externalId eq is exact", cmpF(store.SCIMAttrExternalID, store.SCIMEq, "ext-u3"), nil},
		{"externalId eq", cmpF(store.SCIMAttrExternalID, store.SCIMEq, "EXT-u3"), []string{"u3"}},
		{"externalId sw is exact", cmpF(store.SCIMAttrExternalID, store.SCIMSw, "EXT"), []string{"u3"}},
		{"externalId co with glob characters", cmpF(store.SCIMAttrExternalID, store.SCIMCo, "*"), nil},
		{"id eq", cmpF(store.SCIMAttrID, store.SCIMEq, "u2"), []string{"u2"}},
		{"displayName pr", store.SCIMCompare{Attr: store.SCIMAttrDisplayName, Op: store.SCIMPr}, []string{"u1", "u2", "u3", "u5"}},
		{"active eq true", cmpF(store.SCIMAttrActive, store.SCIMEq, true), []string{"u1", "u2", "u3", "u5"}},
		{"meta.created gt", cmpF(store.SCIMAttrCreated, store.SCIMGt, at(3*time.Minute)), []string{"u4", "u5"}},
		{"meta.created ge", cmpF(store.SCIMAttrCreated, store.SCIMGe, at(3*time.Minute)), []string{"u3", "u4", "u5"}},
		{"meta.created lt", cmpF(store.SCIMAttrCreated, store.SCIMLt, at(2*time.Minute)), []string{"u1"}},
		{"meta.lastModified le", cmpF(store.SCIMAttrLastModified, store.SCIMLe, at(2*time.Minute)), []string{"u1", "u2"}},
		{"meta.created eq", cmpF(store.SCIMAttrCreated, store.SCIMEq, at(2*time.Minute)), []string{"u2"}},
		{"emails.value eq", emailAny(cmpF(store.SCIMAttrEmailValue, store.SCIMEq, "bobby@home.NET")), []string{"u2"}},
		{"emails[type eq work and value co example.com]", emailAny(store.SCIMAnd{
			Left:  cmpF(store.SCIMAttrEmailType, store.SCIMEq, "WORK"),
			Right: cmpF(store.SCIMAttrEmailValue, store.SCIMCo, "example.com")}), []string{"u1", "u3", "u5"}},
		{"emails one value must match both", emailAny(store.SCIMAnd{
			Left:  cmpF(store.SCIMAttrEmailType, store.SCIMEq, "home"),
			Right: cmpF(store.SCIMAttrEmailValue, store.SCIMEq, "bob@example.org")}), nil},
		{"emails[primary eq true]", emailAny(cmpF(store.SCIMAttrEmailPrimary, store.SCIMEq, true)), []string{"u1", "u2", "u3", "u5"}},
		{"emails pr", emailAny(store.SCIMCompare{Attr: store.SCIMAttrEmailValue, Op: store.SCIMPr}), []string{"u1", "u2", "u3", "u5"}},
		{"and", store.SCIMAnd{Left: cmpF(store.SCIMAttrUserName, store.SCIMSw, "carol"),
			Right: cmpF(store.SCIMAttrCreated, store.SCIMGt, at(4*time.Minute))}, []string{"u5"}},
		{"or", store.SCIMOr{Left: cmpF(store.SCIMAttrID, store.SCIMEq, "u1"), Right: cmpF(store.SCIMAttrID, store.SCIMEq, "u4")}, []string{"u1", "u4"}},
		{"not", store.SCIMNot{X: emailAny(store.SCIMCompare{Attr: store.SCIMAttrEmailValue, Op: store.SCIMPr})}, []string{"u4"}},
	}
	for _, c := range cases {
		l, total, err := s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Filter: c.f, Count: 100})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := scimUserIDs(l); !slices.Equal(ns(got), c.want) || total != len(c.want) {
			t.Errorf("%s: got %v (total %d); want %v", c.name, got, total, c.want)
		}
	}
}

func testSCIMSortPage(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimFilterFixture(t, s)
	list := func(q store.SCIMQuery) ([]string, int) {
		t.Helper()
		l, total, err := s.ListSCIMUsers(ctx, "o1", q)
		must(t, "ListSCIMUsers", err)
		return scimUserIDs(l), total
	}
	if ids, total := list(store.SCIMQuery{Count: 2}); !slices.Equal(ids, []string{"u1", "u2"}) || total != 5 {
		t.Errorf("first page = %v (total %d)", ids, total)
	}
	if ids, _ := list(store.SCIMQuery{StartIndex: 4, Count: 10}); !slices.Equal(ids, []string{"u4", "u5"}) {
		t.Errorf("from 4 = %v", ids)
	}
	if ids, total := list(store.SCIMQuery{Count: 0}); len(ids) != 0 || total != 5 {
		t.Errorf("count 0 = %v (total %d)", ids, total)
	}
	if ids, _ := list(store.SCIMQuery{StartIndex: 9, Count: 10}); len(ids) != 0 {
		t.Errorf("past the end = %v", ids)
	}
	if ids, _ := list(store.SCIMQuery{SortBy: store.SCIMAttrUserName, Count: 10}); !slices.Equal(ids, []string{"u1", "u2", "u5", "u3", "u4"}) {
		t.Errorf("by userName = %v", ids)
	}
	if ids, _ := list(store.SCIMQuery{SortBy: store.SCIMAttrUserName, Descending: true, Count: 2}); !slices.Equal(ids, []string{"u4", "u3"}) {
		t.Errorf("by userName descending = %v", ids)
	}
	if ids, _ := list(store.SCIMQuery{SortBy: store.SCIMAttrCreated, Descending: true, StartIndex: 2, Count: 2}); !slices.Equal(ids, []string{"u4", "u3"}) {
		t.Errorf("by created descending from 2 = %v", ids)
	}
}

func testSCIMInvalidFilter(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 1)
	bad := []store.SCIMFilter{
		cmpF("title", store.SCIMEq, "x"),
		cmpF(store.SCIMAttrUserName, store.SCIMGt, "a"),
		cmpF(store.SCIMAttrActive, store.SCIMEq, "true"),
		cmpF(store.SCIMAttrEmailValue, store.SCIMEq, "x"), // outside emails[...]
		cmpF(store.SCIMAttrMemberValue, store.SCIMEq, "x"),
		store.SCIMAny{Attr: store.SCIMAttrMembers, Filter: cmpF(store.SCIMAttrMemberValue, store.SCIMEq, "x")},
		store.SCIMAnd{Left: cmpF(store.SCIMAttrID, store.SCIMEq, "x")},
	}
	for i, f := range bad {
		_, _, err := s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Filter: f, Count: 1})
		if !errors.Is(err, store.ErrInvalidSCIMFilter) {
			t.Errorf("bad filter %d (%+v): err %v; want ErrInvalidSCIMFilter", i, f, err)
		}
	}
	_, _, err := s.ListSCIMUsers(ctx, "o1", store.SCIMQuery{SortBy: store.SCIMAttrActive, Count: 1})
	wantErr(t, "sort by active", err, store.ErrInvalidSCIMFilter)
	_, _, err = s.ListSCIMGroups(ctx, "o1", store.SCIMQuery{Filter: cmpF(store.SCIMAttrUserName, store.SCIMEq, "x"), Count: 1})
	wantErr(t, "groups by userName", err, store.ErrInvalidSCIMFilter)
}

func testSCIMGroups(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 0)
	g := store.SCIMGroup{ID: "g1", OrgID: "o1", DisplayName: "Engineering", ExternalID: "ext-g1", Role: store.RoleAdmin,
		Version: 1, CreatedAt: base, UpdatedAt: base}
	must(t, "CreateSCIMGroup", s.CreateSCIMGroup(ctx, g))
	wantErr(t, "CreateSCIMGroup(same id)", s.CreateSCIMGroup(ctx, g), store.ErrConflict)
	got, err := s.GetSCIMGroup(ctx, "o1", "g1")
	must(t, "GetSCIMGroup", err)
	checkEqual(t, "GetSCIMGroup", got, g, normSCIMGroup)
	g.DisplayName, g.Role, g.Version, g.UpdatedAt, g.CreatedAt = "Eng", "", 2, at(time.Minute), at(time.Hour)
	must(t, "UpdateSCIMGroup", s.UpdateSCIMGroup(ctx, g))
	got, _ = s.GetSCIMGroup(ctx, "o1", "g1")
	want := g
	want.CreatedAt = base
	checkEqual(t, "GetSCIMGroup after update", got, want, normSCIMGroup)
	wantErr(t, "UpdateSCIMGroup(absent)", s.UpdateSCIMGroup(ctx, store.SCIMGroup{ID: "nope", OrgID: "o1"}), store.ErrNotFound)
	must(t, "DeleteSCIMGroup", s.DeleteSCIMGroup(ctx, "o1", "g1"))
	_, err = s.GetSCIMGroup(ctx, "o1", "g1")
	wantErr(t, "GetSCIMGroup after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteSCIMGroup(again)", s.DeleteSCIMGroup(ctx, "o1", "g1"), store.ErrNotFound)
}

func testSCIMGroupMembers(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 3)
	for i, id := range []string{"u1", "u2", "u3"} {
		addSCIMUser(t, s, newSCIMUser("o1", id, id+"@example.com", at(time.Duration(i)*time.Second)))
	}
	for _, id := range []string{"g1", "g2"} {
		must(t, "CreateSCIMGroup", s.CreateSCIMGroup(ctx, store.SCIMGroup{ID: id, OrgID: "o1", DisplayName: id, CreatedAt: base, UpdatedAt: base}))
	}
	added, err := s.AddSCIMGroupMembers(ctx, "o1", "g1", []string{"u2", "u1", "u2"})
	must(t, "AddSCIMGroupMembers", err)
	if !slices.Equal(added, []string{"u1", "u2"}) {
		t.Errorf("added %v; want [u1 u2]", added)
	}
	added, err = s.AddSCIMGroupMembers(ctx, "o1", "g1", []string{"u1", "u3"})
	must(t, "AddSCIMGroupMembers(again)", err)
	if !slices.Equal(added, []string{"u3"}) {
		t.Errorf("added %v; want [u3]", added)
	}
	_, err = s.AddSCIMGroupMembers(ctx, "o1", "g2", []string{"u1", "stranger"})
	wantErr(t, "AddSCIMGroupMembers(unknown user)", err, store.ErrNotFound)
	if ids, _ := s.ListSCIMGroupMembers(ctx, "o1", "g2"); len(ids) != 0 {
		t.Errorf("a refused add left members %v", ids)
	}
	_, err = s.AddSCIMGroupMembers(ctx, "o1", "nope", []string{"u1"})
	wantErr(t, "AddSCIMGroupMembers(unknown group)", err, store.ErrNotFound)
	_, err = s.AddSCIMGroupMembers(ctx, "o1", "g2", []string{"u1"})
	must(t, "AddSCIMGroupMembers(g2)", err)

	removed, err := s.RemoveSCIMGroupMembers(ctx, "o1", "g1", []string{"u2", "stranger"})
	must(t, "RemoveSCIMGroupMembers", err)
	if !slices.Equal(removed, []string{"u2"}) {
		t.Errorf("removed %v; want [u2]", removed)
	}
	ids, err := s.ListSCIMGroupMembers(ctx, "o1", "g1")
	must(t, "ListSCIMGroupMembers", err)
	if !slices.Equal(ids, []string{"u1", "u3"}) {
		t.Errorf("members of g1 = %v; want [u1 u3] (removing one member keeps the others)", ids)
	}
	_, err = s.ListSCIMGroupMembers(ctx, "o1", "nope")
	wantErr(t, "ListSCIMGroupMembers(unknown group)", err, store.ErrNotFound)
	gs, err := s.ListSCIMUserGroups(ctx, "o1", "u1")
	must(t, "ListSCIMUserGroups", err)
	if len(gs) != 2 || gs[0].ID != "g1" || gs[1].ID != "g2" {
		t.Errorf("groups of u1 = %+v", gs)
	}
	must(t, "DeleteSCIMUser", s.DeleteSCIMUser(ctx, "o1", "u1"))
	if gs, _ := s.ListSCIMUserGroups(ctx, "o1", "u1"); len(gs) != 0 {
		t.Errorf("a deleted user is still in %+v", gs)
	}
	if ids, _ := s.ListSCIMGroupMembers(ctx, "o1", "g1"); !slices.Equal(ids, []string{"u3"}) {
		t.Errorf("members of g1 after deleting u1 = %v", ids)
	}
	must(t, "DeleteSCIMGroup", s.DeleteSCIMGroup(ctx, "o1", "g1"))
	if gs, _ := s.ListSCIMUserGroups(ctx, "o1", "u3"); len(gs) != 0 {
		t.Errorf("u3 still in %+v after the group's deletion", gs)
	}
}

func testSCIMGroupFilters(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 2)
	addSCIMUser(t, s, newSCIMUser("o1", "u1", "u1@example.com", base))
	addSCIMUser(t, s, newSCIMUser("o1", "u2", "u2@example.com", base))
	for i, name := range []string{"Engineering", "Sales", "Eng Leads"} {
		id := "g" + string(rune('1'+i))
		must(t, "CreateSCIMGroup", s.CreateSCIMGroup(ctx, store.SCIMGroup{ID: id, OrgID: "o1", DisplayName: name,
			ExternalID: "X-" + id, CreatedAt: at(time.Duration(i) * time.Minute), UpdatedAt: base}))
	}
	_, err := s.AddSCIMGroupMembers(ctx, "o1", "g1", []string{"u1", "u2"})
	must(t, "AddSCIMGroupMembers", err)
	_, err = s.AddSCIMGroupMembers(ctx, "o1", "g3", []string{"u2"})
	must(t, "AddSCIMGroupMembers", err)
	members := func(f store.SCIMFilter) store.SCIMAny { return store.SCIMAny{Attr: store.SCIMAttrMembers, Filter: f} }
	cases := []scimFilterCase{
		{"displayName eq", cmpF(store.SCIMAttrDisplayName, store.SCIMEq, "sales"), []string{"g2"}},
		{"displayName sw", cmpF(store.SCIMAttrDisplayName, store.SCIMSw, "ENG"), []string{"g1", "g3"}},
		{"externalId eq", cmpF(store.SCIMAttrExternalID, store.SCIMEq, "X-g3"), []string{"g3"}},
		{"members[value eq]", members(cmpF(store.SCIMAttrMemberValue, store.SCIMEq, "u2")), []string{"g1", "g3"}},
		{"id and members", store.SCIMAnd{Left: cmpF(store.SCIMAttrID, store.SCIMEq, "g1"),
			Right: members(cmpF(store.SCIMAttrMemberValue, store.SCIMEq, "u1"))}, []string{"g1"}},
		{"no members", store.SCIMNot{X: members(store.SCIMCompare{Attr: store.SCIMAttrMemberValue, Op: store.SCIMPr})}, []string{"g2"}},
	}
	for _, c := range cases {
		l, total, err := s.ListSCIMGroups(ctx, "o1", store.SCIMQuery{Filter: c.f, Count: 100})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []string
		for _, g := range l {
			got = append(got, g.ID)
		}
		if !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("%s: got %v (total %d); want %v", c.name, got, total, c.want)
		}
	}
	l, _, err := s.ListSCIMGroups(ctx, "o1", store.SCIMQuery{SortBy: store.SCIMAttrDisplayName, Count: 2})
	must(t, "ListSCIMGroups(sorted)", err)
	if len(l) != 2 || l[0].ID != "g3" || l[1].ID != "g1" {
		t.Errorf("groups by displayName = %+v", l)
	}
}

func testSCIMInTx(t *testing.T, s scimStorage) {
	ctx := t.Context()
	scimOrg(t, s, 1)
	boom := errors.New("boom")
	err := s.Tx(ctx, func(x store.Tx) error {
		tx := within[scimTx](t, x)
		must(t, "CreateSCIMUser in tx", tx.CreateSCIMUser(ctx, newSCIMUser("o1", "u1", "u1@example.com", base)))
		must(t, "CreateSCIMGroup in tx", tx.CreateSCIMGroup(ctx, store.SCIMGroup{ID: "g1", OrgID: "o1", CreatedAt: base, UpdatedAt: base}))
		if _, err := tx.AddSCIMGroupMembers(ctx, "o1", "g1", []string{"u1"}); err != nil {
			t.Fatal(err)
		}
		if l, total, err := tx.ListSCIMUsers(ctx, "o1", store.SCIMQuery{Count: 5}); err != nil || total != 1 || len(l) != 1 {
			t.Errorf("in tx: ListSCIMUsers = %v, %d, %v", l, total, err)
		}
		return boom
	})
	wantErr(t, "Tx", err, boom)
	_, err = s.GetSCIMUser(ctx, "o1", "u1")
	wantErr(t, "GetSCIMUser after rollback", err, store.ErrNotFound)
	_, err = s.GetSCIMGroup(ctx, "o1", "g1")
	wantErr(t, "GetSCIMGroup after rollback", err, store.ErrNotFound)
	must(t, "Tx", s.Tx(ctx, func(x store.Tx) error {
		return within[scimTx](t, x).CreateSCIMUser(ctx, newSCIMUser("o1", "u1", "u1@example.com", base))
	}))
	if _, err := s.GetSCIMUser(ctx, "o1", "u1"); err != nil {
		t.Errorf("GetSCIMUser after commit: %v", err)
	}
}
