package storetest

import (
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
