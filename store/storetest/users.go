package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var userTests = []testCase{
	{"CreateGet", testUserCreateGet},
	{"NotFound", testUserNotFound},
	{"ConflictID", testUserConflictID},
	{"EmailCaseInsensitive", testUserEmailCaseInsensitive},
	{"Update", testUserUpdate},
	{"UpdateNotFound", testUserUpdateNotFound},
	{"UpdateEmailTaken", testUserUpdateEmailTaken},
	{"CountPlatformOwners", testUserCountPlatformOwners},
	{"Delete", testUserDelete},
	{"DeleteRolledBack", testUserDeleteRolledBack},
	{"DeleteUnverified", testUserDeleteUnverified},
}

func testUserCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	u := store.User{
		ID:              "u1",
		Email:           "Alice@Example.com",
		Name:            "Alice",
		EmailVerified:   true,
		IsPlatformOwner: true,
		Disabled:        true,
		CreatedAt:       at(time.Second),
		UpdatedAt:       at(2 * time.Second),
	}
	must(t, "CreateUser", s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	checkEqual(t, "GetUser", got, u, normUser)
	got, err = s.GetUserByEmail(ctx, "Alice@Example.com")
	must(t, "GetUserByEmail", err)
	checkEqual(t, "GetUserByEmail", got, u, normUser)
}

func testUserNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	_, err := s.GetUser(ctx, "missing")
	wantErr(t, "GetUser(missing)", err, store.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "bob@example.com")
	wantErr(t, "GetUserByEmail(missing)", err, store.ErrNotFound)
}

func testUserConflictID(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	err := s.CreateUser(ctx, newUser("u1", "bob@example.com"))
	wantErr(t, "CreateUser(same id)", err, store.ErrConflict)
	_, err = s.GetUserByEmail(ctx, "bob@example.com")
	wantErr(t, "GetUserByEmail after conflicting create", err, store.ErrNotFound)
}

func testUserEmailCaseInsensitive(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "Alice@Example.com")
	err := s.CreateUser(ctx, newUser("u2", "alice@example.COM"))
	wantErr(t, "CreateUser(same email, other case)", err, store.ErrConflict)
	_, err = s.GetUser(ctx, "u2")
	wantErr(t, "GetUser(u2) after conflicting create", err, store.ErrNotFound)

	got, err := s.GetUserByEmail(ctx, "ALICE@example.com")
	must(t, "GetUserByEmail(other case)", err)
	if got.ID != "u1" {
		t.Errorf("GetUserByEmail(other case).ID: got %q; want %q", got.ID, "u1")
	}
	if got.Email != "Alice@Example.com" {
		t.Errorf("GetUserByEmail(other case).Email: got %q; want %q (kept as entered)", got.Email, "Alice@Example.com")
	}
}

func testUserUpdate(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	upd := store.User{
		ID:              "u1",
		Email:           "Alice.New@Example.com",
		Name:            "Alice New",
		EmailVerified:   true,
		IsPlatformOwner: true,
		Disabled:        true,
		CreatedAt:       at(time.Hour), // must be ignored
		UpdatedAt:       at(2 * time.Hour),
	}
	must(t, "UpdateUser", s.UpdateUser(ctx, upd))
	want := upd
	want.CreatedAt = base
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	checkEqual(t, "GetUser after UpdateUser", got, want, normUser)

	got, err = s.GetUserByEmail(ctx, "alice.new@example.com")
	must(t, "GetUserByEmail(new email)", err)
	if got.ID != "u1" {
		t.Errorf("GetUserByEmail(new email).ID: got %q; want %q", got.ID, "u1")
	}
	_, err = s.GetUserByEmail(ctx, "alice@example.com")
	wantErr(t, "GetUserByEmail(old email)", err, store.ErrNotFound)

	// Changing only the case of one's own email is not a conflict.
	upd.Email = "ALICE.NEW@example.com"
	must(t, "UpdateUser(own email, other case)", s.UpdateUser(ctx, upd))
	got, err = s.GetUser(ctx, "u1")
	must(t, "GetUser", err)
	if got.Email != "ALICE.NEW@example.com" {
		t.Errorf("Email after case change: got %q; want %q", got.Email, "ALICE.NEW@example.com")
	}

	// The old email is free again.
	must(t, "CreateUser(old email)", s.CreateUser(ctx, newUser("u2", "Alice@example.com")))
}

func testUserUpdateNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	err := s.UpdateUser(ctx, newUser("missing", "x@example.com"))
	wantErr(t, "UpdateUser(missing)", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, "missing")
	wantErr(t, "GetUser after UpdateUser(missing)", err, store.ErrNotFound)
}

func testUserUpdateEmailTaken(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "Alice@Example.com")
	bob := addUser(t, s, "u2", "bob@example.com")
	upd := bob
	upd.Email = "alice@EXAMPLE.com"
	upd.Name = "changed"
	err := s.UpdateUser(ctx, upd)
	wantErr(t, "UpdateUser(email taken)", err, store.ErrConflict)
	got, err := s.GetUser(ctx, "u2")
	must(t, "GetUser(u2)", err)
	checkEqual(t, "GetUser(u2) after failed update", got, bob, normUser)
	got, err = s.GetUserByEmail(ctx, "alice@example.com")
	must(t, "GetUserByEmail(alice)", err)
	if got.ID != "u1" {
		t.Errorf("GetUserByEmail(alice).ID: got %q; want %q", got.ID, "u1")
	}
}

func testUserCountPlatformOwners(t *testing.T, s store.Storage) {
	ctx := t.Context()
	count := func(want int) {
		t.Helper()
		n, err := s.CountPlatformOwners(ctx)
		must(t, "CountPlatformOwners", err)
		if n != want {
			t.Errorf("CountPlatformOwners: got %d; want %d", n, want)
		}
	}
	count(0)
	for i, owner := range []bool{true, false, true} {
		u := newUser(name("u%d", i), name("u%d@example.com", i))
		u.IsPlatformOwner = owner
		must(t, "CreateUser", s.CreateUser(ctx, u))
	}
	count(2)
	u, err := s.GetUser(ctx, "u0")
	must(t, "GetUser(u0)", err)
	u.IsPlatformOwner = false
	must(t, "UpdateUser(u0)", s.UpdateUser(ctx, u))
	count(1)
}

// testUserDelete: DeleteUser revokes the sessions still open (expired ones
// too), keeps every revocation visible to ListRevokedSessions, and removes
// the account with what hangs off it (password, tokens, sessions, refresh
// tokens, memberships and what capabilities keep), leaving other users
// alone; the email is free again.
func testUserDelete(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "gone@example.com")
	addUser(t, s, "u2", "stays@example.com")
	must(t, "SetPassword", s.SetPassword(ctx, store.PasswordCredential{UserID: "u1", Hash: "$argon2id$x", UpdatedAt: base}))
	must(t, "CreateToken", s.CreateToken(ctx, store.OneTimeToken{Hash: "h1", Purpose: store.PurposeVerifyEmail, UserID: "u1",
		CreatedAt: base, ExpiresAt: at(time.Hour)}))
	addSession(t, s, newSession("s1", "u1", base))
	addSession(t, s, newSession("s2", "u1", base))
	expired := newSession("s3", "u1", base)
	expired.ExpiresAt = at(time.Minute)
	addSession(t, s, expired)
	addSession(t, s, newSession("s4", "u2", base))
	must(t, "RevokeSession(s2)", s.RevokeSession(ctx, "s2", at(time.Hour)))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "r1", SessionID: "s1", CreatedAt: base, ExpiresAt: at(48 * time.Hour)}))
	addOrg(t, s, newOrg("o1", "acme", base))
	addMember(t, s, "o1", "u1", store.RoleMember, base)
	addMember(t, s, "o1", "u2", store.RoleOwner, base)
	if m, ok := store.As[store.MFAStore](s); ok {
		must(t, "PutMFAFactor", m.PutMFAFactor(ctx, store.MFAFactor{UserID: "u1", Secret: []byte("x"), CreatedAt: base}))
	}
	if sc, ok := store.As[store.SCIMStore](s); ok {
		must(t, "CreateSCIMUser", sc.CreateSCIMUser(ctx, store.SCIMUser{OrgID: "o1", UserID: "u1", UserName: "gone@example.com",
			Emails: []store.SCIMEmail{{Value: "gone@example.com"}}, Version: 1, CreatedAt: base, UpdatedAt: base}))
	}

	now := at(2 * time.Hour)
	ids, err := s.DeleteUser(ctx, "u1", now)
	must(t, "DeleteUser", err)
	if !slices.Equal(ids, []string{"s1", "s3"}) {
		t.Errorf("DeleteUser revoked %v; want [s1 s3] (the active and the expired session, not the revoked one)", ids)
	}
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, "GetUser(deleted)", err, store.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "GONE@example.com")
	wantErr(t, "GetUserByEmail(deleted)", err, store.ErrNotFound)
	_, err = s.GetPassword(ctx, "u1")
	wantErr(t, "GetPassword(deleted)", err, store.ErrNotFound)
	_, err = s.GetToken(ctx, store.PurposeVerifyEmail, "h1", base)
	wantErr(t, "GetToken(deleted user's)", err, store.ErrNotFound)
	for _, id := range []string{"s1", "s2", "s3"} {
		_, err = s.GetSession(ctx, id)
		wantErr(t, "GetSession("+id+")", err, store.ErrNotFound)
	}
	_, err = s.RotateRefreshToken(ctx, "r1", store.RefreshToken{Hash: "r2", CreatedAt: now, ExpiresAt: at(72 * time.Hour)}, now, time.Minute)
	wantErr(t, "RotateRefreshToken(deleted user's)", err, store.ErrNotFound)
	_, err = s.GetMember(ctx, "o1", "u1")
	wantErr(t, "GetMember(deleted)", err, store.ErrNotFound)
	if m, ok := store.As[store.MFAStore](s); ok {
		_, err = m.GetMFAFactor(ctx, "u1")
		wantErr(t, "GetMFAFactor(deleted)", err, store.ErrNotFound)
	}
	if sc, ok := store.As[store.SCIMStore](s); ok {
		_, err = sc.GetSCIMUser(ctx, "o1", "u1")
		wantErr(t, "GetSCIMUser(deleted)", err, store.ErrNotFound)
	}

	// The revocations outlive the sessions.
	got, err := s.ListRevokedSessions(ctx, base)
	must(t, "ListRevokedSessions", err)
	want := []store.RevokedSession{{ID: "s2", RevokedAt: at(time.Hour)}, {ID: "s1", RevokedAt: now}, {ID: "s3", RevokedAt: now}}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].ID == want[i].ID && sameTime(got[i].RevokedAt, want[i].RevokedAt)
	}
	if !ok {
		t.Errorf("ListRevokedSessions after DeleteUser: got %v; want %v", got, want)
	}
	got, err = s.ListRevokedSessions(ctx, now.Add(time.Millisecond))
	must(t, "ListRevokedSessions(after)", err)
	if len(got) != 0 {
		t.Errorf("ListRevokedSessions(after the deletion): got %v; want none", got)
	}

	// Others are untouched; the email is free; a second delete is NotFound.
	if _, err := s.GetSession(ctx, "s4"); err != nil {
		t.Errorf("GetSession(other user's): %v", err)
	}
	if m, err := s.GetMember(ctx, "o1", "u2"); err != nil || m.Role != store.RoleOwner {
		t.Errorf("GetMember(other user): %+v, %v", m, err)
	}
	addUser(t, s, "u3", "gone@example.com")
	_, err = s.DeleteUser(ctx, "u1", now)
	wantErr(t, "DeleteUser(again)", err, store.ErrNotFound)
	_, err = s.DeleteUser(ctx, "missing", now)
	wantErr(t, "DeleteUser(missing)", err, store.ErrNotFound)
}

// testUserDeleteRolledBack: a DeleteUser inside a transaction that rolls
// back leaves the account, its sessions and the revocation list as they were.
func testUserDeleteRolledBack(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addSession(t, s, newSession("s1", "u1", base))
	errRollback := errors.New("roll back")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteUser(ctx, "u1", at(time.Hour)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx: %v", err)
	}
	if _, err := s.GetUser(ctx, "u1"); err != nil {
		t.Errorf("GetUser after a rolled-back DeleteUser: %v", err)
	}
	if sess, err := s.GetSession(ctx, "s1"); err != nil || !sess.RevokedAt.IsZero() {
		t.Errorf("GetSession after a rolled-back DeleteUser: %+v, %v", sess, err)
	}
	if got, err := s.ListRevokedSessions(ctx, base); err != nil || len(got) != 0 {
		t.Errorf("ListRevokedSessions after a rolled-back DeleteUser: %v, %v", got, err)
	}
}

// testUserDeleteUnverified: only unverified accounts past their last
// verification link go, with what hangs off them; verified, disabled,
// platform-owner, member and young accounts, and those with a live link,
// stay.
func testUserDeleteUnverified(t *testing.T, s store.Storage) {
	ctx := t.Context()
	createdBefore, now := at(24*time.Hour), at(48*time.Hour)
	user := func(id string, created time.Time, edit func(*store.User)) {
		u := newUser(id, id+"@example.com")
		u.CreatedAt, u.UpdatedAt = created, created
		if edit != nil {
			edit(&u)
		}
		must(t, "CreateUser("+id+")", s.CreateUser(ctx, u))
	}
	token := func(hash, userID, purpose string, expires time.Time) {
		must(t, "CreateToken("+hash+")", s.CreateToken(ctx, store.OneTimeToken{Hash: hash, Purpose: purpose,
			UserID: userID, CreatedAt: base, ExpiresAt: expires}))
	}
	user("stale", base, nil)
	token("t-stale", "stale", store.PurposeVerifyEmail, at(24*time.Hour))
	user("stale-full", at(24*time.Hour), nil) // created exactly at createdBefore
	token("t-full-verify", "stale-full", store.PurposeVerifyEmail, now)
	token("t-full-reset", "stale-full", store.PurposeResetPassword, at(72*time.Hour))
	must(t, "SetPassword", s.SetPassword(ctx, store.PasswordCredential{UserID: "stale-full", Hash: "h", UpdatedAt: base}))
	addSession(t, s, newSession("s-full", "stale-full", base))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "r-full", SessionID: "s-full",
		CreatedAt: base, ExpiresAt: at(96 * time.Hour)}))
	mfa, hasMFA := store.As[store.MFAStore](s)
	if hasMFA {
		must(t, "PutMFAFactor", mfa.PutMFAFactor(ctx, store.MFAFactor{UserID: "stale-full", Secret: []byte("c"), CreatedAt: base}))
		must(t, "ReplaceBackupCodes", mfa.ReplaceBackupCodes(ctx, "stale-full", []string{"b1"}, base))
	}
	user("live-link", base, nil)
	token("t-live", "live-link", store.PurposeVerifyEmail, now.Add(time.Millisecond))
	token("t-live-old", "live-link", store.PurposeVerifyEmail, base)
	user("verified", base, func(u *store.User) { u.EmailVerified = true })
	user("disabled", base, func(u *store.User) { u.Disabled = true })
	user("owner", base, func(u *store.User) { u.IsPlatformOwner = true })
	user("young", at(25*time.Hour), nil)
	user("member", base, nil)
	addOrg(t, s, newOrg("o1", "acme", base))
	addMember(t, s, "o1", "member", store.RoleMember, base)

	n, err := s.DeleteUnverifiedUsers(ctx, createdBefore, now)
	must(t, "DeleteUnverifiedUsers", err)
	if n != 2 {
		t.Errorf("DeleteUnverifiedUsers: removed %d; want 2", n)
	}
	for _, id := range []string{"stale", "stale-full"} {
		_, err := s.GetUser(ctx, id)
		wantErr(t, name("GetUser(%s) after delete", id), err, store.ErrNotFound)
	}
	for _, id := range []string{"live-link", "verified", "disabled", "owner", "young", "member"} {
		_, err := s.GetUser(ctx, id)
		must(t, name("GetUser(%s) kept", id), err)
	}
	_, err = s.GetPassword(ctx, "stale-full")
	wantErr(t, "GetPassword of a removed user", err, store.ErrNotFound)
	_, err = s.GetToken(ctx, store.PurposeResetPassword, "t-full-reset", base)
	wantErr(t, "GetToken of a removed user", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, "s-full")
	wantErr(t, "GetSession of a removed user", err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "r-full", store.RefreshToken{Hash: "r-next", CreatedAt: base, ExpiresAt: at(96 * time.Hour)}, at(time.Hour), 0)
	wantErr(t, "RotateRefreshToken of a removed user", err, store.ErrNotFound)
	if hasMFA {
		_, err = mfa.GetMFAFactor(ctx, "stale-full")
		wantErr(t, "GetMFAFactor of a removed user", err, store.ErrNotFound)
		if n, err := mfa.CountBackupCodes(ctx, "stale-full"); err != nil || n != 0 {
			t.Errorf("CountBackupCodes of a removed user: %d, %v; want 0", n, err)
		}
	}
	if _, err := s.GetMember(ctx, "o1", "member"); err != nil {
		t.Errorf("membership of a kept account: %v", err)
	}
	// The address is free again.
	again := newUser("again", "STALE@example.com")
	again.EmailVerified = true
	must(t, "CreateUser(the removed address)", s.CreateUser(ctx, again))
	n, err = s.DeleteUnverifiedUsers(ctx, createdBefore, now)
	must(t, "DeleteUnverifiedUsers again", err)
	if n != 0 {
		t.Errorf("DeleteUnverifiedUsers again: removed %d; want 0", n)
	}
}
