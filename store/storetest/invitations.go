package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var invitationTests = []testCase{
	{"CreateGet", testInvitationCreateGet},
	{"NotFound", testInvitationNotFound},
	{"Conflict", testInvitationConflict},
	{"ListOrgInvitations", testInvitationListOrg},
	{"ListEmailInvitations", testInvitationListEmail},
	{"Respond", testInvitationRespond},
	{"RespondConcurrent", testInvitationRespondConcurrent},
}

// newInvitation returns a pending member invitation of orgID for email,
// created at created and expiring a week later.
func newInvitation(id, orgID, email, tokenHash string, created time.Time) store.Invitation {
	return store.Invitation{
		ID:        id,
		OrgID:     orgID,
		Email:     email,
		Role:      store.RoleMember,
		TokenHash: tokenHash,
		InvitedBy: "u1",
		Status:    store.InvitationPending,
		CreatedAt: created,
		ExpiresAt: created.Add(7 * 24 * time.Hour),
	}
}

// addInvitation creates inv.
func addInvitation(t *testing.T, s store.Storage, inv store.Invitation) store.Invitation {
	t.Helper()
	must(t, "CreateInvitation("+inv.ID+")", s.CreateInvitation(t.Context(), inv))
	return inv
}

func normInvitation(x store.Invitation) store.Invitation {
	x.CreatedAt, x.ExpiresAt, x.RespondedAt = nt(x.CreatedAt), nt(x.ExpiresAt), nt(x.RespondedAt)
	return x
}

func invitationIDs(invs []store.Invitation) []string {
	out := make([]string, len(invs))
	for i, inv := range invs {
		out[i] = inv.ID
	}
	return out
}

// invitationOrgs creates the organizations o1 and o2 and the user u1.
func invitationOrgs(t *testing.T, s store.Storage) {
	t.Helper()
	addUser(t, s, "u1", "alice@example.com")
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
}

func testInvitationCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	inv := store.Invitation{
		ID:        "i1",
		OrgID:     "o1",
		Email:     "Carol@Example.COM",
		Role:      store.RoleAdmin,
		TokenHash: "hash-1",
		InvitedBy: "u1",
		Status:    store.InvitationPending,
		CreatedAt: at(time.Second),
		ExpiresAt: at(48 * time.Hour),
	}
	addInvitation(t, s, inv)
	got, err := s.GetInvitation(ctx, "i1")
	must(t, "GetInvitation", err)
	checkEqual(t, "GetInvitation", got, inv, normInvitation)
	got, err = s.GetInvitationByToken(ctx, "hash-1")
	must(t, "GetInvitationByToken", err)
	checkEqual(t, "GetInvitationByToken", got, inv, normInvitation)

	// An invitation may be stored already answered.
	done := newInvitation("i2", "o1", "dave@example.com", "hash-2", base)
	done.Status, done.RespondedAt = store.InvitationCancelled, at(time.Hour)
	addInvitation(t, s, done)
	got, err = s.GetInvitation(ctx, "i2")
	must(t, "GetInvitation(i2)", err)
	checkEqual(t, "GetInvitation(i2)", got, done, normInvitation)
}

func testInvitationNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	addInvitation(t, s, newInvitation("i1", "o1", "carol@example.com", "hash-1", base))
	_, err := s.GetInvitation(ctx, "missing")
	wantErr(t, "GetInvitation(missing)", err, store.ErrNotFound)
	_, err = s.GetInvitation(ctx, "hash-1")
	wantErr(t, "GetInvitation(a token hash)", err, store.ErrNotFound)
	_, err = s.GetInvitationByToken(ctx, "missing")
	wantErr(t, "GetInvitationByToken(missing)", err, store.ErrNotFound)
	_, err = s.GetInvitationByToken(ctx, "i1")
	wantErr(t, "GetInvitationByToken(an id)", err, store.ErrNotFound)
	wantErr(t, "RespondInvitation(missing)", s.RespondInvitation(ctx, "missing", store.InvitationAccepted, base), store.ErrNotFound)
	invs, err := s.ListOrgInvitations(ctx, "o2")
	must(t, "ListOrgInvitations(no invitations)", err)
	if len(invs) != 0 {
		t.Errorf("ListOrgInvitations(no invitations): got %v; want none", invitationIDs(invs))
	}
	invs, err = s.ListEmailInvitations(ctx, "nobody@example.com", base)
	must(t, "ListEmailInvitations(no invitations)", err)
	if len(invs) != 0 {
		t.Errorf("ListEmailInvitations(no invitations): got %v; want none", invitationIDs(invs))
	}
}

func testInvitationConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	first := addInvitation(t, s, newInvitation("i1", "o1", "carol@example.com", "hash-1", base))
	wantErr(t, "CreateInvitation(same id)",
		s.CreateInvitation(ctx, newInvitation("i1", "o2", "dave@example.com", "hash-2", at(time.Hour))), store.ErrConflict)
	wantErr(t, "CreateInvitation(same token hash)",
		s.CreateInvitation(ctx, newInvitation("i2", "o2", "dave@example.com", "hash-1", at(time.Hour))), store.ErrConflict)
	got, err := s.GetInvitation(ctx, "i1")
	must(t, "GetInvitation", err)
	checkEqual(t, "GetInvitation after conflicting creates", got, first, normInvitation)
	_, err = s.GetInvitation(ctx, "i2")
	wantErr(t, "GetInvitation(i2)", err, store.ErrNotFound)
	_, err = s.GetInvitationByToken(ctx, "hash-2")
	wantErr(t, "GetInvitationByToken(hash-2)", err, store.ErrNotFound)
}

func testInvitationListOrg(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	answered := newInvitation("b", "o1", "x@example.com", "h-b", at(2*time.Hour))
	answered.Status, answered.RespondedAt = store.InvitationDeclined, at(3*time.Hour)
	expired := newInvitation("d", "o1", "y@example.com", "h-d", base)
	expired.ExpiresAt = at(time.Hour)
	for _, inv := range []store.Invitation{
		newInvitation("c", "o1", "carol@example.com", "h-c", at(time.Hour)),
		answered,
		newInvitation("a", "o1", "carol@example.com", "h-a", at(time.Hour)),
		expired,
		newInvitation("e", "o2", "carol@example.com", "h-e", at(5*time.Hour)),
	} {
		addInvitation(t, s, inv)
	}
	got, err := s.ListOrgInvitations(ctx, "o1")
	must(t, "ListOrgInvitations(o1)", err)
	if ids, want := invitationIDs(got), []string{"b", "a", "c", "d"}; !slices.Equal(ids, want) {
		t.Fatalf("ListOrgInvitations(o1): got %v; want %v (newest first, ties by id, any status)", ids, want)
	}
	checkEqual(t, "ListOrgInvitations(o1)[0]", got[0], answered, normInvitation)
	got, err = s.ListOrgInvitations(ctx, "o2")
	must(t, "ListOrgInvitations(o2)", err)
	if ids := invitationIDs(got); !slices.Equal(ids, []string{"e"}) {
		t.Errorf("ListOrgInvitations(o2): got %v; want [e]", ids)
	}
}

func testInvitationListEmail(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	now := at(10 * time.Hour)
	expiresAtNow := newInvitation("expired-now", "o1", "carol@example.com", "h1", at(time.Hour))
	expiresAtNow.ExpiresAt = now
	stillValid := newInvitation("valid-1ms", "o2", "CAROL@example.com", "h2", at(2*time.Hour))
	stillValid.ExpiresAt = now.Add(time.Millisecond)
	accepted := newInvitation("accepted", "o1", "carol@example.com", "h3", at(3*time.Hour))
	cancelled := newInvitation("cancelled", "o2", "carol@example.com", "h4", at(3*time.Hour))
	for _, inv := range []store.Invitation{
		expiresAtNow,
		stillValid,
		accepted,
		cancelled,
		newInvitation("mixed-case", "o1", "Carol@Example.Com", "h5", at(4*time.Hour)),
		newInvitation("b-tie", "o2", "carol@example.com", "h6", at(5*time.Hour)),
		newInvitation("a-tie", "o1", "carol@example.com", "h7", at(5*time.Hour)),
		newInvitation("other", "o1", "dave@example.com", "h8", at(6*time.Hour)),
	} {
		addInvitation(t, s, inv)
	}
	must(t, "RespondInvitation(accepted)", s.RespondInvitation(ctx, "accepted", store.InvitationAccepted, at(4*time.Hour)))
	must(t, "RespondInvitation(cancelled)", s.RespondInvitation(ctx, "cancelled", store.InvitationCancelled, at(4*time.Hour)))

	want := []string{"a-tie", "b-tie", "mixed-case", "valid-1ms"}
	for _, email := range []string{"carol@example.com", "CAROL@EXAMPLE.COM", "cArOl@eXaMpLe.CoM"} {
		got, err := s.ListEmailInvitations(ctx, email, now)
		must(t, "ListEmailInvitations("+email+")", err)
		if ids := invitationIDs(got); !slices.Equal(ids, want) {
			t.Errorf("ListEmailInvitations(%s): got %v; want %v", email, ids, want)
		}
	}
	got, err := s.ListEmailInvitations(ctx, "carol@example.com", now)
	must(t, "ListEmailInvitations", err)
	if len(got) == len(want) {
		checkEqual(t, "ListEmailInvitations[3]", got[3], stillValid, normInvitation)
	}
	got, err = s.ListEmailInvitations(ctx, "carol@example.com", now.Add(time.Millisecond))
	must(t, "ListEmailInvitations(1ms later)", err)
	if ids, want := invitationIDs(got), []string{"a-tie", "b-tie", "mixed-case"}; !slices.Equal(ids, want) {
		t.Errorf("ListEmailInvitations(1ms later): got %v; want %v", ids, want)
	}
}

func testInvitationRespond(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	inv := addInvitation(t, s, newInvitation("i1", "o1", "carol@example.com", "hash-1", base))
	other := addInvitation(t, s, newInvitation("i2", "o1", "carol@example.com", "hash-2", base))

	must(t, "RespondInvitation", s.RespondInvitation(ctx, "i1", store.InvitationAccepted, at(time.Hour)))
	want := inv
	want.Status, want.RespondedAt = store.InvitationAccepted, at(time.Hour)
	got, err := s.GetInvitation(ctx, "i1")
	must(t, "GetInvitation after RespondInvitation", err)
	checkEqual(t, "GetInvitation after RespondInvitation", got, want, normInvitation)

	for _, status := range []string{store.InvitationAccepted, store.InvitationDeclined, store.InvitationCancelled} {
		wantErr(t, "RespondInvitation(again, "+status+")", s.RespondInvitation(ctx, "i1", status, at(2*time.Hour)), store.ErrUsed)
	}
	got, err = s.GetInvitationByToken(ctx, "hash-1")
	must(t, "GetInvitationByToken after second RespondInvitation", err)
	checkEqual(t, "GetInvitationByToken after second RespondInvitation", got, want, normInvitation)

	// The other invitation is untouched and can be cancelled, even after it expired.
	got, err = s.GetInvitation(ctx, "i2")
	must(t, "GetInvitation(i2)", err)
	checkEqual(t, "GetInvitation(i2)", got, other, normInvitation)
	late := other.ExpiresAt.Add(time.Hour)
	must(t, "RespondInvitation(i2, cancelled)", s.RespondInvitation(ctx, "i2", store.InvitationCancelled, late))
	got, err = s.GetInvitation(ctx, "i2")
	must(t, "GetInvitation(i2) after cancel", err)
	if got.Status != store.InvitationCancelled || !sameTime(got.RespondedAt, late) {
		t.Errorf("GetInvitation(i2) after cancel: status %q responded %v; want cancelled at %v", got.Status, got.RespondedAt, late)
	}
}

func testInvitationRespondConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	invitationOrgs(t, s)
	addInvitation(t, s, newInvitation("i1", "o1", "carol@example.com", "hash-1", base))
	const n = 50
	errs := make([]error, n)
	status := func(i int) string {
		if i%2 == 0 {
			return store.InvitationAccepted
		}
		return store.InvitationDeclined
	}
	when := func(i int) time.Time { return at(time.Hour + time.Duration(i)*time.Millisecond) }
	parallel(n, func(i int) {
		errs[i] = s.RespondInvitation(ctx, "i1", status(i), when(i))
	})
	winner, used := -1, 0
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("RespondInvitation: calls %d and %d both succeeded", winner, i)
			}
			winner = i
		case errors.Is(err, store.ErrUsed):
			used++
		default:
			t.Errorf("RespondInvitation call %d: unexpected error %v", i, err)
		}
	}
	if winner < 0 || used != n-1 {
		t.Fatalf("RespondInvitation x%d: %d ErrUsed, winner %d; want exactly one success and %d ErrUsed", n, used, winner, n-1)
	}
	got, err := s.GetInvitation(ctx, "i1")
	must(t, "GetInvitation", err)
	if got.Status != status(winner) || !sameTime(got.RespondedAt, when(winner)) {
		t.Errorf("GetInvitation: status %q responded %v; want the winner's %q at %v", got.Status, got.RespondedAt, status(winner), when(winner))
	}
}
