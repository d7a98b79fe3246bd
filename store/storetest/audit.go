package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var auditTests = []testCase{
	{"AppendListFilter", testAuditAppendListFilter},
	{"Conflict", testAuditConflict},
	{"Copies", testAuditCopies},
}

func auditIDs(es []store.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func testAuditAppendListFilter(t *testing.T, s store.Storage) {
	ctx := t.Context()
	entries := []store.AuditEntry{
		{ID: "a1", ActorID: "u1", Action: "approve_organization", TargetType: "organization", TargetID: "o1",
			Before: []byte(`{"status":"pending"}`), After: []byte(`{"status":"active"}`), CreatedAt: at(time.Hour)},
		{ID: "a2", ActorID: "u2", Action: "suspend_organization", TargetType: "organization", TargetID: "o1",
			Reason: "abuse", CreatedAt: at(2 * time.Hour)},
		{ID: "a3", ActorID: "u1", Action: "reset_mfa", TargetType: "user", TargetID: "u9", CreatedAt: at(3 * time.Hour)},
		{ID: "a0", ActorID: "u1", Action: "reset_mfa", TargetType: "user", TargetID: "u8", CreatedAt: at(3 * time.Hour)},
	}
	for _, e := range entries {
		must(t, "AppendAudit("+e.ID+")", s.AppendAudit(ctx, e))
	}
	cases := []struct {
		name  string
		f     store.AuditFilter
		want  []string
		total int
	}{
		{"all newest first, ties by id", store.AuditFilter{}, []string{"a0", "a3", "a2", "a1"}, 4},
		{"actor", store.AuditFilter{ActorID: "u1"}, []string{"a0", "a3", "a1"}, 3},
		{"action", store.AuditFilter{Action: "suspend_organization"}, []string{"a2"}, 1},
		{"target", store.AuditFilter{TargetType: "organization", TargetID: "o1"}, []string{"a2", "a1"}, 2},
		{"since until", store.AuditFilter{Since: at(2 * time.Hour), Until: at(3 * time.Hour)}, []string{"a2"}, 1},
		{"limit", store.AuditFilter{Limit: 2}, []string{"a0", "a3"}, 4},
		{"offset", store.AuditFilter{Offset: 1, Limit: 2}, []string{"a3", "a2"}, 4},
		{"offset without limit", store.AuditFilter{Offset: 3}, []string{"a1"}, 4},
	}
	for _, c := range cases {
		got, total, err := s.ListAudit(ctx, c.f)
		must(t, "ListAudit("+c.name+")", err)
		if ids := auditIDs(got); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("ListAudit(%s): got %v total %d; want %v total %d", c.name, ids, total, c.want, c.total)
		}
	}
	got, _, err := s.ListAudit(ctx, store.AuditFilter{TargetID: "o1", Action: "approve_organization"})
	must(t, "ListAudit(a1)", err)
	if len(got) != 1 || string(got[0].Before) != `{"status":"pending"}` || string(got[0].After) != `{"status":"active"}` ||
		got[0].Reason != "" || !got[0].CreatedAt.Equal(at(time.Hour)) {
		t.Errorf("ListAudit(a1): got %+v", got)
	}
}

func testAuditConflict(t *testing.T, s store.Storage) {
	e := store.AuditEntry{ID: "a1", ActorID: "u1", Action: "x", TargetType: "user", TargetID: "u1", CreatedAt: base}
	must(t, "AppendAudit", s.AppendAudit(t.Context(), e))
	wantErr(t, "AppendAudit(same id)", s.AppendAudit(t.Context(), e), store.ErrConflict)
}

func testAuditCopies(t *testing.T, s store.Storage) {
	before := []byte(`{"a":1}`)
	must(t, "AppendAudit", s.AppendAudit(t.Context(), store.AuditEntry{ID: "a1", ActorID: "u1", Action: "x",
		TargetType: "user", TargetID: "u1", Before: before, CreatedAt: base}))
	before[2] = 'X'
	got, _, err := s.ListAudit(t.Context(), store.AuditFilter{})
	must(t, "ListAudit", err)
	got[0].Before[2] = 'Y'
	again, _, err := s.ListAudit(t.Context(), store.AuditFilter{})
	must(t, "ListAudit again", err)
	if string(again[0].Before) != `{"a":1}` {
		t.Errorf("stored Before changed through a shared slice: %s", again[0].Before)
	}
}
