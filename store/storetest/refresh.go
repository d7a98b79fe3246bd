package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var refreshTests = []testCase{
	{"Conflict", testRefreshConflict},
	{"RotateNotFound", testRefreshRotateNotFound},
	{"Rotate", testRefreshRotate},
	{"RetryWithinGrace", testRefreshRetryWithinGrace},
	{"ReuseAfterGrace", testRefreshReuseAfterGrace},
	{"ReuseOtherSuccessor", testRefreshReuseOtherSuccessor},
	{"ReuseAfterSuccessorRotated", testRefreshReuseAfterSuccessorRotated},
	{"RevokedSession", testRefreshRevokedSession},
	{"Expired", testRefreshExpired},
	{"RotateConcurrent", testRefreshRotateConcurrent},
	{"SuccessorJoinsSession", testRefreshSuccessorJoinsSession},
	{"TakenSuccessor", testRefreshTakenSuccessor},
}

// testRefreshTakenSuccessor: a successor hash that exists already fails the
// rotation with ErrConflict and leaves the presented token as it was.
func testRefreshTakenSuccessor(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	must(t, "CreateRefreshToken(X)", s.CreateRefreshToken(ctx, newRefresh("X", "s1", base)))
	now := at(time.Hour)
	_, err := rotate(t, s, "A", "X", now)
	wantErr(t, "RotateRefreshToken(A->X, X taken)", err, store.ErrConflict)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	checkTime(t, "LastUsedAt after a refused rotation", got.LastUsedAt, base)
	rot, err := rotate(t, s, "A", "B", now)
	must(t, "RotateRefreshToken(A->B) after the refused rotation", err)
	if rot.Retry || rot.Old.ReplacedBy != "B" {
		t.Errorf("Rotation(A->B): got Retry=%v Old.ReplacedBy=%q; want false, B", rot.Retry, rot.Old.ReplacedBy)
	}
}

// testRefreshSuccessorJoinsSession: the caller cannot know the session of
// the presented token, so the backend sets the successor's SessionID.
func testRefreshSuccessorJoinsSession(t *testing.T, s store.Storage) {
	refreshFixture(t, s)
	now := at(time.Hour)
	next := store.RefreshToken{Hash: "B", CreatedAt: now, ExpiresAt: now.Add(365 * 24 * time.Hour)}
	_, err := s.RotateRefreshToken(t.Context(), "A", next, now, grace)
	must(t, "RotateRefreshToken(A->B without SessionID)", err)
	rot, err := rotate(t, s, "B", "C", at(2*time.Hour))
	must(t, "RotateRefreshToken(B->C)", err)
	if rot.Session.ID != "s1" || rot.Old.SessionID != "s1" {
		t.Errorf("successor's session: got Session.ID=%q Old.SessionID=%q; want s1, s1", rot.Session.ID, rot.Old.SessionID)
	}
}

// grace is the retry window the refresh tests use.
const grace = 30 * time.Second

// newRefresh returns a refresh token of sessionID created at created that
// expires seven days later.
func newRefresh(hash, sessionID string, created time.Time) store.RefreshToken {
	return store.RefreshToken{Hash: hash, SessionID: sessionID, CreatedAt: created, ExpiresAt: created.Add(7 * 24 * time.Hour)}
}

// refreshFixture creates user u1, session s1 (created at base, expiring after
// 30 days) and its refresh token "A" (created at base, expiring after 7 days).
func refreshFixture(t *testing.T, s store.Storage) (store.Session, store.RefreshToken) {
	t.Helper()
	refreshUser(t, s)
	sess := addSession(t, s, newSession("s1", "u1", base))
	rt := newRefresh("A", "s1", base)
	must(t, "CreateRefreshToken(A)", s.CreateRefreshToken(t.Context(), rt))
	return sess, rt
}

// refreshUser creates the user u1 of the refresh fixture: verified, with a
// name, created and updated at distinct times.
func refreshUser(t *testing.T, s store.Storage) store.User {
	t.Helper()
	u := newUser("u1", "Alice@Example.com")
	u.Name, u.EmailVerified, u.UpdatedAt = "Alice", true, at(time.Minute)
	must(t, "CreateUser(u1)", s.CreateUser(t.Context(), u))
	return u
}

// rotate calls RotateRefreshToken(old -> newRefresh(next)) at now.
func rotate(t *testing.T, s store.Storage, old, next string, now time.Time) (store.Rotation, error) {
	t.Helper()
	return s.RotateRefreshToken(t.Context(), old, newRefresh(next, "s1", now), now, grace)
}

// notInserted checks that no refresh token with hash was written, by
// creating it (which must not conflict).
func notInserted(t *testing.T, s store.Storage, hash string) {
	t.Helper()
	err := s.CreateRefreshToken(t.Context(), newRefresh(hash, "s1", base))
	if err != nil {
		t.Errorf("CreateRefreshToken(%s) to check it was not written: got error %v; want nil", hash, err)
	}
}

func testRefreshConflict(t *testing.T, s store.Storage) {
	refreshFixture(t, s)
	err := s.CreateRefreshToken(t.Context(), newRefresh("A", "s1", at(time.Hour)))
	wantErr(t, "CreateRefreshToken(same hash)", err, store.ErrConflict)
}

func testRefreshRotateNotFound(t *testing.T, s store.Storage) {
	refreshFixture(t, s)
	_, err := rotate(t, s, "unknown", "B", at(time.Hour))
	wantErr(t, "RotateRefreshToken(unknown)", err, store.ErrNotFound)
	notInserted(t, s, "B")
}

func testRefreshRotate(t *testing.T, s store.Storage) {
	ctx := t.Context()
	sess, old := refreshFixture(t, s)
	now := at(time.Hour)
	rot, err := rotate(t, s, "A", "B", now)
	must(t, "RotateRefreshToken(A->B)", err)
	if rot.Retry {
		t.Errorf("Rotation.Retry: got true; want false")
	}
	wantOld := old
	wantOld.RotatedAt = now
	wantOld.ReplacedBy = "B"
	checkEqual(t, "Rotation.Old", rot.Old, wantOld, normRefresh)
	wantSess := sess
	wantSess.LastUsedAt = now
	checkEqual(t, "Rotation.Session", rot.Session, wantSess, normSession)
	wantUser, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	checkEqual(t, "Rotation.User", rot.User, wantUser, normUser)

	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	checkEqual(t, "GetSession after rotation", got, wantSess, normSession)

	// The successor was inserted: it rotates in turn, and its hash is taken.
	wantErr(t, "CreateRefreshToken(B)", s.CreateRefreshToken(ctx, newRefresh("B", "s1", now)), store.ErrConflict)
	later := at(2 * time.Hour)
	rot, err = rotate(t, s, "B", "C", later)
	must(t, "RotateRefreshToken(B->C)", err)
	if rot.Retry || rot.Old.Hash != "B" || rot.Old.ReplacedBy != "C" {
		t.Errorf("Rotation(B->C): got Retry=%v Old.Hash=%q Old.ReplacedBy=%q; want false, B, C", rot.Retry, rot.Old.Hash, rot.Old.ReplacedBy)
	}
	checkTime(t, "Rotation(B->C).Session.LastUsedAt", rot.Session.LastUsedAt, later)
}

func testRefreshRetryWithinGrace(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	first := at(time.Hour)
	_, err := rotate(t, s, "A", "B", first)
	must(t, "RotateRefreshToken(A->B)", err)

	retryAt := first.Add(grace / 2)
	rot, err := rotate(t, s, "A", "B", retryAt)
	must(t, "RotateRefreshToken(A->B) retry", err)
	if !rot.Retry {
		t.Errorf("retry Rotation.Retry: got false; want true")
	}
	if rot.Old.Hash != "A" || rot.Old.ReplacedBy != "B" {
		t.Errorf("retry Rotation.Old: got Hash=%q ReplacedBy=%q; want A, B", rot.Old.Hash, rot.Old.ReplacedBy)
	}
	checkTime(t, "retry Rotation.Old.RotatedAt", rot.Old.RotatedAt, first)
	if rot.Session.ID != "s1" {
		t.Errorf("retry Rotation.Session.ID: got %q; want s1", rot.Session.ID)
	}
	if rot.User.ID != "u1" || rot.User.Email != "Alice@Example.com" || !rot.User.EmailVerified {
		t.Errorf("retry Rotation.User: got %+v; want u1, Alice@Example.com, verified", rot.User)
	}
	// Nothing was written: LastUsedAt is still the first rotation's.
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	checkTime(t, "LastUsedAt after retry", got.LastUsedAt, first)
	if !got.RevokedAt.IsZero() {
		t.Errorf("RevokedAt after retry: got %v; want zero", got.RevokedAt)
	}
	// The successor still rotates normally.
	_, err = rotate(t, s, "B", "C", retryAt.Add(time.Minute))
	must(t, "RotateRefreshToken(B->C)", err)
}

func testRefreshReuseAfterGrace(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	first := at(time.Hour)
	_, err := rotate(t, s, "A", "B", first)
	must(t, "RotateRefreshToken(A->B)", err)

	reuseAt := first.Add(grace + time.Minute)
	_, err = rotate(t, s, "A", "B", reuseAt)
	wantErr(t, "RotateRefreshToken(A->B) after grace", err, store.ErrReused)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	if got.RevokedAt.IsZero() {
		t.Errorf("session RevokedAt after reuse: got zero; want set")
	}
	// The whole family is dead: the successor no longer rotates.
	_, err = rotate(t, s, "B", "C", reuseAt.Add(time.Minute))
	wantErr(t, "RotateRefreshToken(B->C) after reuse", err, store.ErrRevoked)
	notInserted(t, s, "C")
}

func testRefreshReuseOtherSuccessor(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	first := at(time.Hour)
	_, err := rotate(t, s, "A", "B", first)
	must(t, "RotateRefreshToken(A->B)", err)
	_, err = rotate(t, s, "A", "X", first.Add(time.Second))
	wantErr(t, "RotateRefreshToken(A->X) within grace", err, store.ErrReused)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	if got.RevokedAt.IsZero() {
		t.Errorf("session RevokedAt after reuse: got zero; want set")
	}
	notInserted(t, s, "X")
	_, err = rotate(t, s, "B", "C", first.Add(time.Minute))
	wantErr(t, "RotateRefreshToken(B->C) after reuse", err, store.ErrRevoked)
}

func testRefreshReuseAfterSuccessorRotated(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	first := at(time.Hour)
	_, err := rotate(t, s, "A", "B", first)
	must(t, "RotateRefreshToken(A->B)", err)
	_, err = rotate(t, s, "B", "C", first.Add(time.Second))
	must(t, "RotateRefreshToken(B->C)", err)
	// Within A's grace window, but B has been rotated itself: reuse.
	_, err = rotate(t, s, "A", "B", first.Add(2*time.Second))
	wantErr(t, "RotateRefreshToken(A->B) after B rotated", err, store.ErrReused)
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	if got.RevokedAt.IsZero() {
		t.Errorf("session RevokedAt after reuse: got zero; want set")
	}
	_, err = rotate(t, s, "C", "D", first.Add(time.Minute))
	wantErr(t, "RotateRefreshToken(C->D) after reuse", err, store.ErrRevoked)
}

func testRefreshRevokedSession(t *testing.T, s store.Storage) {
	refreshFixture(t, s)
	must(t, "RevokeSession", s.RevokeSession(t.Context(), "s1", at(time.Minute)))
	_, err := rotate(t, s, "A", "B", at(time.Hour))
	wantErr(t, "RotateRefreshToken(revoked session)", err, store.ErrRevoked)
	notInserted(t, s, "B")
}

func testRefreshExpired(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshUser(t, s)
	short := newSession("s1", "u1", base)
	short.ExpiresAt = at(48 * time.Hour)
	addSession(t, s, short)
	// "A" outlives the session; "T" expires after a day.
	must(t, "CreateRefreshToken(A)", s.CreateRefreshToken(ctx, newRefresh("A", "s1", base)))
	tokT := newRefresh("T", "s1", base)
	tokT.ExpiresAt = at(24 * time.Hour)
	must(t, "CreateRefreshToken(T)", s.CreateRefreshToken(ctx, tokT))

	tests := []struct {
		name, old, next string
		now             time.Time
		want            error
	}{
		{"token at expiry", "T", "T2", at(24 * time.Hour), store.ErrExpired},
		{"token after expiry", "T", "T3", at(25 * time.Hour), store.ErrExpired},
		{"session at expiry", "A", "A2", at(48 * time.Hour), store.ErrExpired},
		{"session after expiry", "A", "A3", at(49 * time.Hour), store.ErrExpired},
		{"token 1ms before expiry", "T", "T4", at(24*time.Hour - time.Millisecond), nil},
	}
	for _, tt := range tests {
		_, err := s.RotateRefreshToken(ctx, tt.old, newRefresh(tt.next, "s1", tt.now), tt.now, grace)
		if !errors.Is(err, tt.want) {
			t.Errorf("RotateRefreshToken(%s): got error %v; want %v", tt.name, err, tt.want)
		}
	}
	for _, h := range []string{"T2", "T3", "A2", "A3"} {
		notInserted(t, s, h)
	}
}

func testRefreshRotateConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	refreshFixture(t, s)
	now := at(time.Hour)
	const n = 50
	rots := make([]store.Rotation, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		rots[i], errs[i] = s.RotateRefreshToken(ctx, "A", newRefresh("B", "s1", now), now, time.Minute)
	})
	var fresh, retries int
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent RotateRefreshToken #%d: got error %v; want nil", i, errs[i])
			continue
		}
		if rots[i].Retry {
			retries++
		} else {
			fresh++
		}
		if rots[i].Old.ReplacedBy != "B" {
			t.Errorf("concurrent RotateRefreshToken #%d: Old.ReplacedBy got %q; want B", i, rots[i].Old.ReplacedBy)
		}
	}
	if fresh != 1 || retries != n-1 {
		t.Errorf("concurrent RotateRefreshToken: got %d rotations and %d retries; want 1 and %d", fresh, retries, n-1)
	}
	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	if !got.RevokedAt.IsZero() {
		t.Errorf("session RevokedAt after concurrent rotation: got %v; want zero", got.RevokedAt)
	}
	// Exactly one successor exists and works.
	rot, err := rotate(t, s, "B", "C", now.Add(time.Minute))
	must(t, "RotateRefreshToken(B->C)", err)
	if rot.Retry {
		t.Errorf("Rotation(B->C).Retry: got true; want false")
	}
}
