package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var sessionTests = []testCase{
	{"CreateGet", testSessionCreateGet},
	{"NotFound", testSessionNotFound},
	{"Conflict", testSessionConflict},
	{"ListUserSessions", testSessionList},
	{"Touch", testSessionTouch},
	{"Revoke", testSessionRevoke},
	{"RevokeUserSessions", testSessionRevokeUser},
	{"ListRevokedSessions", testSessionListRevoked},
}

func testSessionCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	sess := store.Session{
		ID:         "s1",
		UserID:     "u1",
		AMR:        []string{"pwd", "otp"},
		Audience:   "https://api.example.com",
		OrgID:      "org1",
		ServiceID:  "svc1",
		UserAgent:  "Mozilla/5.0",
		IP:         "2001:db8::1",
		CreatedAt:  at(time.Second),
		LastUsedAt: at(2 * time.Second),
		ExpiresAt:  at(24 * time.Hour),
	}
	addSession(t, s, sess)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	checkEqual(t, "GetSession", got, sess, normSession)

	// Optional fields may be empty.
	bare := store.Session{ID: "s2", UserID: "u1", CreatedAt: base, LastUsedAt: base, ExpiresAt: at(time.Hour)}
	addSession(t, s, bare)
	got, err = s.GetSession(ctx, "s2")
	must(t, "GetSession(bare)", err)
	checkEqual(t, "GetSession(bare)", got, bare, normSession)
}

func testSessionNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	_, err := s.GetSession(ctx, "missing")
	wantErr(t, "GetSession(missing)", err, store.ErrNotFound)
	wantErr(t, "TouchSession(missing)", s.TouchSession(ctx, "missing", base), store.ErrNotFound)
	wantErr(t, "RevokeSession(missing)", s.RevokeSession(ctx, "missing", base), store.ErrNotFound)
}

func testSessionConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	first := addSession(t, s, newSession("s1", "u1", base))
	dup := newSession("s1", "u1", at(time.Hour))
	dup.Audience = "other"
	wantErr(t, "CreateSession(same id)", s.CreateSession(ctx, dup), store.ErrConflict)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	checkEqual(t, "GetSession after conflicting create", got, first, normSession)
}

func testSessionList(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	now := at(4 * time.Hour)

	s1 := newSession("s1", "u1", base)
	s2 := newSession("s2", "u1", at(time.Hour))
	s3 := newSession("s3", "u1", at(2*time.Hour)) // revoked below
	s4 := newSession("s4", "u1", at(30*time.Minute))
	s4.ExpiresAt = now // expired exactly at now
	s5 := newSession("s5", "u1", at(3*time.Hour))
	s5.ExpiresAt = now.Add(time.Millisecond) // still active at now
	s6 := newSession("s6", "u2", at(3*time.Hour+30*time.Minute))
	s7 := newSession("s7", "u1", at(10*time.Minute))
	s7.ExpiresAt = at(20 * time.Minute) // long expired
	for _, x := range []store.Session{s2, s1, s3, s4, s5, s6, s7} {
		addSession(t, s, x)
	}
	must(t, "RevokeSession(s3)", s.RevokeSession(ctx, "s3", at(3*time.Hour)))

	got, err := s.ListUserSessions(ctx, "u1", now)
	must(t, "ListUserSessions(u1)", err)
	if ids, want := sessionIDs(got), []string{"s5", "s2", "s1"}; !slices.Equal(ids, want) {
		t.Fatalf("ListUserSessions(u1): got %v; want %v", ids, want)
	}
	checkEqual(t, "ListUserSessions(u1)[0]", got[0], s5, normSession)

	got, err = s.ListUserSessions(ctx, "u2", now)
	must(t, "ListUserSessions(u2)", err)
	if ids, want := sessionIDs(got), []string{"s6"}; !slices.Equal(ids, want) {
		t.Errorf("ListUserSessions(u2): got %v; want %v", ids, want)
	}

	got, err = s.ListUserSessions(ctx, "nobody", now)
	must(t, "ListUserSessions(unknown user)", err)
	if len(got) != 0 {
		t.Errorf("ListUserSessions(unknown user): got %v; want none", sessionIDs(got))
	}
}

func testSessionTouch(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	sess := addSession(t, s, newSession("s1", "u1", base))
	addSession(t, s, newSession("s2", "u1", base))
	must(t, "TouchSession", s.TouchSession(ctx, "s1", at(5*time.Minute)))
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession(s1)", err)
	want := sess
	want.LastUsedAt = at(5 * time.Minute)
	checkEqual(t, "GetSession after TouchSession", got, want, normSession)
	got, err = s.GetSession(ctx, "s2")
	must(t, "GetSession(s2)", err)
	checkTime(t, "untouched session LastUsedAt", got.LastUsedAt, base)
}

func testSessionRevoke(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addSession(t, s, newSession("s1", "u1", base))
	must(t, "RevokeSession", s.RevokeSession(ctx, "s1", at(time.Hour)))
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession(revoked)", err)
	checkTime(t, "RevokedAt", got.RevokedAt, at(time.Hour))

	must(t, "RevokeSession(again)", s.RevokeSession(ctx, "s1", at(2*time.Hour)))
	got, err = s.GetSession(ctx, "s1")
	must(t, "GetSession(revoked twice)", err)
	checkTime(t, "RevokedAt after second revoke", got.RevokedAt, at(time.Hour))
}

func testSessionRevokeUser(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	for _, x := range []store.Session{
		newSession("a", "u1", base),
		newSession("b", "u1", at(time.Minute)),
		newSession("c", "u1", at(2*time.Minute)),
		newSession("d", "u1", at(3*time.Minute)),
		newSession("e", "u2", at(4*time.Minute)),
	} {
		addSession(t, s, x)
	}
	must(t, "RevokeSession(d)", s.RevokeSession(ctx, "d", at(10*time.Minute)))

	revoke := func(except string, now time.Time, want []string) {
		t.Helper()
		got, err := s.RevokeUserSessions(ctx, "u1", except, now)
		must(t, "RevokeUserSessions", err)
		got = slices.Clone(got)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("RevokeUserSessions(u1, except %q): got %v; want %v", except, got, want)
		}
	}
	revoke("b", at(time.Hour), []string{"a", "c"})

	wantRevoked := map[string]time.Time{
		"a": at(time.Hour),
		"b": {},
		"c": at(time.Hour),
		"d": at(10 * time.Minute), // the first revocation is kept
		"e": {},
	}
	for id, want := range wantRevoked {
		got, err := s.GetSession(ctx, id)
		must(t, "GetSession("+id+")", err)
		checkTime(t, "RevokedAt of "+id, got.RevokedAt, want)
	}

	revoke("", at(2*time.Hour), []string{"b"})
	revoke("", at(3*time.Hour), nil)
	got, err := s.GetSession(ctx, "b")
	must(t, "GetSession(b)", err)
	checkTime(t, "RevokedAt of b", got.RevokedAt, at(2*time.Hour))
}

// rs is a RevokedSession revoked at base+d.
func rs(id string, d time.Duration) store.RevokedSession {
	return store.RevokedSession{ID: id, RevokedAt: at(d)}
}

func testSessionListRevoked(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	for _, x := range []store.Session{
		newSession("s1", "u1", base),
		newSession("s2", "u1", base),
		newSession("s3", "u2", base),
		newSession("s4", "u1", base),
	} {
		addSession(t, s, x)
	}
	must(t, "RevokeSession(s1)", s.RevokeSession(ctx, "s1", at(time.Hour)))
	must(t, "RevokeSession(s2)", s.RevokeSession(ctx, "s2", at(3*time.Hour)))
	must(t, "RevokeSession(s3)", s.RevokeSession(ctx, "s3", at(2*time.Hour)))

	tests := []struct {
		name  string
		since time.Time
		want  []store.RevokedSession
	}{
		{"all", base, []store.RevokedSession{rs("s1", time.Hour), rs("s3", 2*time.Hour), rs("s2", 3*time.Hour)}},
		{"since equal to a revocation", at(2 * time.Hour), []store.RevokedSession{rs("s3", 2*time.Hour), rs("s2", 3*time.Hour)}},
		{"since just after", at(2*time.Hour + time.Millisecond), []store.RevokedSession{rs("s2", 3*time.Hour)}},
		{"none", at(4 * time.Hour), nil},
	}
	for _, tt := range tests {
		got, err := s.ListRevokedSessions(ctx, tt.since)
		must(t, "ListRevokedSessions("+tt.name+")", err)
		ok := len(got) == len(tt.want)
		for i := 0; ok && i < len(got); i++ {
			ok = got[i].ID == tt.want[i].ID && sameTime(got[i].RevokedAt, tt.want[i].RevokedAt)
		}
		if !ok {
			t.Errorf("ListRevokedSessions(%s): got %v; want %v", tt.name, got, tt.want)
		}
	}
}
