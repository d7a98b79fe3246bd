package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// mfaStorage is a backend that offers store.MFAStore, and mfaTx one of its
// transactions.
type (
	mfaStorage interface {
		store.Storage
		store.MFAStore
	}
	mfaTx interface {
		store.Tx
		store.MFAStore
	}
)

var mfaTests = []capTest[mfaStorage]{
	{"NotFound", testMFANotFound},
	{"PutGet", testMFAPutGet},
	{"Upsert", testMFAUpsert},
	{"StepCAS", testMFAStepCAS},
	{"StepConcurrent", testMFAStepConcurrent},
	{"BackupCodes", testMFABackupCodes},
	{"BackupCodesReplace", testMFABackupCodesReplace},
	{"BackupCodeConcurrent", testMFABackupCodeConcurrent},
	{"DeleteCascade", testMFADeleteCascade},
	{"SecretCopies", testMFASecretCopies},
	{"InTx", testMFAInTx},
	{"AttemptCounterUnderClear", testMFAAttemptCounterUnderClear},
	{"UserMFA", testMFAUserMFA},
}

// testMFAUserMFA: GetUserMFA returns the user with the state of their
// factor: none and pending count as off, enabled as on, on the Storage and
// inside a transaction.
func testMFAUserMFA(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	u := addUser(t, s, "u1", "alice@example.com")
	check := func(step string, want bool) {
		t.Helper()
		got, on, err := s.GetUserMFA(ctx, "u1")
		must(t, "GetUserMFA ("+step+")", err)
		checkEqual(t, "GetUserMFA user ("+step+")", got, u, normUser)
		if on != want {
			t.Errorf("GetUserMFA (%s): got enabled %v; want %v", step, on, want)
		}
	}
	check("no factor", false)
	must(t, "PutMFAFactor(pending)", s.PutMFAFactor(ctx, newFactor("u1")))
	check("pending factor", false)
	f := newFactor("u1")
	f.Enabled, f.EnabledAt = true, at(time.Minute)
	must(t, "PutMFAFactor(enabled)", s.PutMFAFactor(ctx, f))
	check("enabled factor", true)
	must(t, "Tx", s.Tx(ctx, func(tx store.Tx) error {
		_, on, err := within[mfaTx](t, tx).GetUserMFA(ctx, "u1")
		if err == nil && !on {
			t.Errorf("GetUserMFA in a transaction: got enabled false; want true")
		}
		return err
	}))
	must(t, "DeleteMFAFactor", s.DeleteMFAFactor(ctx, "u1"))
	check("factor deleted", false)
	_, _, err := s.GetUserMFA(ctx, "nobody")
	wantErr(t, "GetUserMFA(unknown)", err, store.ErrNotFound)
}

// newFactor returns a pending factor of userID created at base.
func newFactor(userID string) store.MFAFactor {
	return store.MFAFactor{UserID: userID, Secret: []byte("sealed:" + userID), CreatedAt: base}
}

func normFactor(f store.MFAFactor) store.MFAFactor {
	f.Secret = nb(f.Secret)
	f.CreatedAt, f.EnabledAt = nt(f.CreatedAt), nt(f.EnabledAt)
	return f
}

// wantBackupCount fails the test unless the user has want unused codes.
func wantBackupCount(t *testing.T, s mfaStorage, userID string, want int) {
	t.Helper()
	n, err := s.CountBackupCodes(t.Context(), userID)
	must(t, "CountBackupCodes("+userID+")", err)
	if n != want {
		t.Errorf("CountBackupCodes(%s): got %d; want %d", userID, n, want)
	}
}

func testMFANotFound(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	_, err := s.GetMFAFactor(ctx, "u1")
	wantErr(t, "GetMFAFactor(none)", err, store.ErrNotFound)
	wantErr(t, "DeleteMFAFactor(none)", s.DeleteMFAFactor(ctx, "u1"), store.ErrNotFound)
	wantErr(t, "UseTOTPStep(none)", s.UseTOTPStep(ctx, "u1", 10), store.ErrNotFound)
	wantErr(t, "ConsumeBackupCode(none)", s.ConsumeBackupCode(ctx, "u1", "h1", base), store.ErrNotFound)
	wantBackupCount(t, s, "u1", 0)
	wantBackupCount(t, s, "nobody", 0)
}

func testMFAPutGet(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	f := newFactor("u1")
	must(t, "PutMFAFactor", s.PutMFAFactor(ctx, f))
	got, err := s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor", err)
	checkEqual(t, "GetMFAFactor(pending)", got, f, normFactor)

	_, err = s.GetMFAFactor(ctx, "u2")
	wantErr(t, "GetMFAFactor(other user)", err, store.ErrNotFound)
}

func testMFAUpsert(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	must(t, "PutMFAFactor(first)", s.PutMFAFactor(ctx, newFactor("u1")))
	must(t, "UseTOTPStep", s.UseTOTPStep(ctx, "u1", 7))

	// A new setup replaces the pending secret and every other field.
	repl := store.MFAFactor{UserID: "u1", Secret: []byte("sealed:second"), CreatedAt: at(time.Hour)}
	must(t, "PutMFAFactor(replace)", s.PutMFAFactor(ctx, repl))
	got, err := s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor", err)
	checkEqual(t, "GetMFAFactor(replaced)", got, repl, normFactor)

	// Enabling rewrites the row.
	en := repl
	en.Enabled, en.EnabledAt, en.LastStep = true, at(2*time.Hour), 42
	must(t, "PutMFAFactor(enable)", s.PutMFAFactor(ctx, en))
	got, err = s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor", err)
	checkEqual(t, "GetMFAFactor(enabled)", got, en, normFactor)

	// Backup codes are left alone by PutMFAFactor.
	must(t, "ReplaceBackupCodes", s.ReplaceBackupCodes(ctx, "u1", []string{"h1", "h2"}, base))
	must(t, "PutMFAFactor(again)", s.PutMFAFactor(ctx, en))
	wantBackupCount(t, s, "u1", 2)
}

func testMFAStepCAS(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	must(t, "PutMFAFactor(u1)", s.PutMFAFactor(ctx, newFactor("u1")))
	must(t, "PutMFAFactor(u2)", s.PutMFAFactor(ctx, newFactor("u2")))

	steps := []struct {
		step int64
		want error
	}{
		{100, nil},
		{100, store.ErrUsed}, // replay
		{99, store.ErrUsed},  // older step
		{101, nil},
		{103, nil}, // skipping ahead is fine
		{102, store.ErrUsed},
		{103, store.ErrUsed},
	}
	for _, st := range steps {
		err := s.UseTOTPStep(ctx, "u1", st.step)
		if !errors.Is(err, st.want) {
			t.Errorf("UseTOTPStep(%d): got error %v; want %v", st.step, err, st.want)
		}
	}
	got, err := s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor(u1)", err)
	if got.LastStep != 103 {
		t.Errorf("LastStep: got %d; want 103", got.LastStep)
	}
	// Steps are per user.
	must(t, "UseTOTPStep(u2, 100)", s.UseTOTPStep(ctx, "u2", 100))
}

func testMFAStepConcurrent(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	must(t, "PutMFAFactor", s.PutMFAFactor(ctx, newFactor("u1")))
	const n = 50
	errs := make([]error, n)
	parallel(n, func(i int) { errs[i] = s.UseTOTPStep(ctx, "u1", 5000) })
	countOutcomes(t, "UseTOTPStep", errs)
}

// countOutcomes fails the test unless exactly one of errs is nil and every
// other one is ErrUsed.
func countOutcomes(t *testing.T, op string, errs []error) {
	t.Helper()
	var ok, used int
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrUsed):
			used++
		default:
			t.Errorf("%s #%d: got error %v; want nil or ErrUsed", op, i, err)
		}
	}
	if ok != 1 || used != len(errs)-1 {
		t.Errorf("%d parallel %s: got %d successes and %d ErrUsed; want 1 and %d", len(errs), op, ok, used, len(errs)-1)
	}
}

func testMFABackupCodes(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	must(t, "ReplaceBackupCodes(u1)", s.ReplaceBackupCodes(ctx, "u1", []string{"h1", "h2", "h3", "h3"}, base))
	wantBackupCount(t, s, "u1", 3)
	wantBackupCount(t, s, "u2", 0)

	must(t, "ConsumeBackupCode(h2)", s.ConsumeBackupCode(ctx, "u1", "h2", at(time.Minute)))
	wantErr(t, "ConsumeBackupCode(h2 again)", s.ConsumeBackupCode(ctx, "u1", "h2", at(2*time.Minute)), store.ErrUsed)
	wantErr(t, "ConsumeBackupCode(unknown)", s.ConsumeBackupCode(ctx, "u1", "h9", at(time.Minute)), store.ErrNotFound)
	wantErr(t, "ConsumeBackupCode(other user's)", s.ConsumeBackupCode(ctx, "u2", "h1", at(time.Minute)), store.ErrNotFound)
	wantBackupCount(t, s, "u1", 2)

	must(t, "ConsumeBackupCode(h1)", s.ConsumeBackupCode(ctx, "u1", "h1", at(time.Minute)))
	must(t, "ConsumeBackupCode(h3)", s.ConsumeBackupCode(ctx, "u1", "h3", at(time.Minute)))
	wantBackupCount(t, s, "u1", 0)
}

func testMFABackupCodesReplace(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	must(t, "ReplaceBackupCodes(u1, old)", s.ReplaceBackupCodes(ctx, "u1", []string{"old1", "old2"}, base))
	must(t, "ReplaceBackupCodes(u2)", s.ReplaceBackupCodes(ctx, "u2", []string{"old1"}, base))
	must(t, "ConsumeBackupCode(old1)", s.ConsumeBackupCode(ctx, "u1", "old1", base))

	// Replacing voids the whole old set, used or not; a new set may reuse a hash.
	must(t, "ReplaceBackupCodes(u1, new)", s.ReplaceBackupCodes(ctx, "u1", []string{"new1", "old1"}, at(time.Hour)))
	wantBackupCount(t, s, "u1", 2)
	wantErr(t, "ConsumeBackupCode(voided)", s.ConsumeBackupCode(ctx, "u1", "old2", at(time.Hour)), store.ErrNotFound)
	must(t, "ConsumeBackupCode(reissued old1)", s.ConsumeBackupCode(ctx, "u1", "old1", at(time.Hour)))
	must(t, "ConsumeBackupCode(new1)", s.ConsumeBackupCode(ctx, "u1", "new1", at(time.Hour)))

	// An empty set removes every code.
	must(t, "ReplaceBackupCodes(u1, none)", s.ReplaceBackupCodes(ctx, "u1", nil, at(time.Hour)))
	wantBackupCount(t, s, "u1", 0)
	wantErr(t, "ConsumeBackupCode(after empty replace)", s.ConsumeBackupCode(ctx, "u1", "new1", at(time.Hour)), store.ErrNotFound)
	// Another user's codes are untouched.
	wantBackupCount(t, s, "u2", 1)
}

func testMFABackupCodeConcurrent(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	must(t, "ReplaceBackupCodes", s.ReplaceBackupCodes(ctx, "u1", []string{"h1", "h2"}, base))
	const n = 50
	errs := make([]error, n)
	parallel(n, func(i int) { errs[i] = s.ConsumeBackupCode(ctx, "u1", "h1", at(time.Minute)) })
	countOutcomes(t, "ConsumeBackupCode", errs)
	wantBackupCount(t, s, "u1", 1)
}

func testMFADeleteCascade(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	for _, u := range []string{"u1", "u2"} {
		must(t, "PutMFAFactor("+u+")", s.PutMFAFactor(ctx, newFactor(u)))
		must(t, "ReplaceBackupCodes("+u+")", s.ReplaceBackupCodes(ctx, u, []string{"h1", "h2"}, base))
	}
	must(t, "ConsumeBackupCode", s.ConsumeBackupCode(ctx, "u1", "h1", base))
	must(t, "DeleteMFAFactor", s.DeleteMFAFactor(ctx, "u1"))
	_, err := s.GetMFAFactor(ctx, "u1")
	wantErr(t, "GetMFAFactor(deleted)", err, store.ErrNotFound)
	wantBackupCount(t, s, "u1", 0)
	wantErr(t, "ConsumeBackupCode(deleted, unused)", s.ConsumeBackupCode(ctx, "u1", "h2", base), store.ErrNotFound)
	wantErr(t, "ConsumeBackupCode(deleted, used)", s.ConsumeBackupCode(ctx, "u1", "h1", base), store.ErrNotFound)
	wantErr(t, "DeleteMFAFactor(again)", s.DeleteMFAFactor(ctx, "u1"), store.ErrNotFound)

	// The other user keeps everything.
	_, err = s.GetMFAFactor(ctx, "u2")
	must(t, "GetMFAFactor(u2)", err)
	wantBackupCount(t, s, "u2", 2)

	// After a delete the user can start over; the step counter starts over too.
	must(t, "PutMFAFactor(again)", s.PutMFAFactor(ctx, newFactor("u1")))
	must(t, "UseTOTPStep(after re-setup)", s.UseTOTPStep(ctx, "u1", 1))
}

func testMFASecretCopies(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	f := newFactor("u1")
	want := bytes.Clone(f.Secret)
	must(t, "PutMFAFactor", s.PutMFAFactor(ctx, f))
	f.Secret[0] = 'X'
	check := func(op string) {
		t.Helper()
		got, err := s.GetMFAFactor(ctx, "u1")
		must(t, "GetMFAFactor", err)
		if !bytes.Equal(got.Secret, want) {
			t.Errorf("Secret after %s: got %q; want %q", op, got.Secret, want)
		}
	}
	check("mutating the input")
	got, err := s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor", err)
	got.Secret[0] = 'Y'
	check("mutating GetMFAFactor's result")
}

func testMFAInTx(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	must(t, "PutMFAFactor", s.PutMFAFactor(ctx, newFactor("u1")))
	boom := errors.New("boom")
	// A rolled-back enable leaves the factor pending, the step unused and no codes.
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[mfaTx](t, stx)
		if err := tx.UseTOTPStep(ctx, "u1", 10); err != nil {
			return err
		}
		f, err := tx.GetMFAFactor(ctx, "u1")
		if err != nil {
			return err
		}
		f.Enabled, f.EnabledAt = true, at(time.Minute)
		if err := tx.PutMFAFactor(ctx, f); err != nil {
			return err
		}
		if err := tx.ReplaceBackupCodes(ctx, "u1", []string{"h1"}, at(time.Minute)); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "Tx(rolled back)", err, boom)
	got, err := s.GetMFAFactor(ctx, "u1")
	must(t, "GetMFAFactor", err)
	checkEqual(t, "GetMFAFactor(after rollback)", got, newFactor("u1"), normFactor)
	wantBackupCount(t, s, "u1", 0)

	// Committed, the same steps stick, and a step used inside is used outside.
	err = s.Tx(ctx, func(stx store.Tx) error {
		tx := within[mfaTx](t, stx)
		if err := tx.UseTOTPStep(ctx, "u1", 10); err != nil {
			return err
		}
		if err := tx.UseTOTPStep(ctx, "u1", 10); !errors.Is(err, store.ErrUsed) {
			t.Errorf("UseTOTPStep(replay in tx): got error %v; want ErrUsed", err)
		}
		return tx.ReplaceBackupCodes(ctx, "u1", []string{"h1"}, at(time.Minute))
	})
	must(t, "Tx(committed)", err)
	wantErr(t, "UseTOTPStep(after commit)", s.UseTOTPStep(ctx, "u1", 10), store.ErrUsed)
	wantBackupCount(t, s, "u1", 1)
}

// The mfa package counts code checks with RecordLoginFailure and clears the
// count on success, concurrently: neither may fail because of the other.
func testMFAAttemptCounterUnderClear(t *testing.T, s mfaStorage) {
	ctx := t.Context()
	const n = 40
	errs := make([]error, n)
	parallel(n, func(i int) {
		if i%2 == 0 {
			errs[i] = s.ClearLoginFailures(ctx, "mfa:u1")
			return
		}
		_, errs[i] = s.RecordLoginFailure(ctx, "mfa:u1", at(time.Minute), 15*time.Minute, 5, 15*time.Minute)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: got error %v; want nil", i, err)
		}
	}
}
