package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var tokenTests = []testCase{
	{"CreateGet", testTokenCreateGet},
	{"NotFound", testTokenNotFound},
	{"Conflict", testTokenConflict},
	{"Expired", testTokenExpired},
	{"Consume", testTokenConsume},
	{"ConsumeConcurrent", testTokenConsumeConcurrent},
	{"RecordAttempt", testTokenRecordAttempt},
	{"RecordAttemptConcurrent", testTokenRecordAttemptConcurrent},
	{"DeleteUserTokens", testTokenDeleteUserTokens},
	{"PruneUserTokens", testTokenPruneUserTokens},
	{"PruneUserTokensInTx", testTokenPruneUserTokensInTx},
	{"DeleteExpiredTokens", testTokenDeleteExpired},
}

// newToken returns an unused token of purpose for userID, created at base and
// expiring an hour later.
func newToken(hash, purpose, userID string) store.OneTimeToken {
	return store.OneTimeToken{
		Hash:      hash,
		Purpose:   purpose,
		UserID:    userID,
		Data:      []byte(`{"k":"` + hash + `"}`),
		CreatedAt: base,
		ExpiresAt: at(time.Hour),
	}
}

func addToken(t *testing.T, s store.Storage, tok store.OneTimeToken) store.OneTimeToken {
	t.Helper()
	must(t, "CreateToken("+tok.Hash+")", s.CreateToken(t.Context(), tok))
	return tok
}

func testTokenCreateGet(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	tok := newToken("h1", store.PurposeVerifyEmail, "u1")
	addToken(t, s, tok)
	got, err := s.GetToken(ctx, store.PurposeVerifyEmail, "h1", at(time.Minute))
	must(t, "GetToken", err)
	checkEqual(t, "GetToken", got, tok, normToken)

	// GetToken does not consume: a second read works the same.
	got, err = s.GetToken(ctx, store.PurposeVerifyEmail, "h1", at(time.Minute))
	must(t, "GetToken (second)", err)
	checkEqual(t, "GetToken (second)", got, tok, normToken)

	// A token without data round-trips too.
	empty := newToken("h2", store.PurposePreAuth, "u1")
	empty.Data = nil
	addToken(t, s, empty)
	got, err = s.GetToken(ctx, store.PurposePreAuth, "h2", base)
	must(t, "GetToken(no data)", err)
	checkEqual(t, "GetToken(no data)", got, empty, normToken)
}

func testTokenNotFound(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposeVerifyEmail, "u1"))
	now := at(time.Minute)
	tests := []struct {
		name, purpose, hash string
	}{
		{"unknown hash", store.PurposeVerifyEmail, "nope"},
		{"wrong purpose", store.PurposeResetPassword, "h1"},
	}
	for _, tt := range tests {
		_, err := s.GetToken(ctx, tt.purpose, tt.hash, now)
		wantErr(t, "GetToken("+tt.name+")", err, store.ErrNotFound)
		_, err = s.ConsumeToken(ctx, tt.purpose, tt.hash, now)
		wantErr(t, "ConsumeToken("+tt.name+")", err, store.ErrNotFound)
		_, err = s.RecordTokenAttempt(ctx, tt.purpose, tt.hash)
		wantErr(t, "RecordTokenAttempt("+tt.name+")", err, store.ErrNotFound)
	}
	// The wrong-purpose calls neither consumed nor counted.
	got, err := s.GetToken(ctx, store.PurposeVerifyEmail, "h1", now)
	must(t, "GetToken(right purpose)", err)
	if got.Attempts != 0 || !got.UsedAt.IsZero() {
		t.Errorf("token after wrong-purpose calls: got Attempts=%d UsedAt=%v; want 0 and zero", got.Attempts, got.UsedAt)
	}
}

func testTokenConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposeVerifyEmail, "u1"))
	err := s.CreateToken(ctx, newToken("h1", store.PurposeVerifyEmail, "u1"))
	wantErr(t, "CreateToken(same hash)", err, store.ErrConflict)
	err = s.CreateToken(ctx, newToken("h1", store.PurposeResetPassword, "u1"))
	wantErr(t, "CreateToken(same hash, other purpose)", err, store.ErrConflict)
	_, err = s.GetToken(ctx, store.PurposeResetPassword, "h1", base)
	wantErr(t, "GetToken(conflicting purpose)", err, store.ErrNotFound)
}

func testTokenExpired(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	tok := addToken(t, s, newToken("h1", store.PurposeResetPassword, "u1")) // expires base+1h
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"1ms before expiry", tok.ExpiresAt.Add(-time.Millisecond), nil},
		{"at expiry", tok.ExpiresAt, store.ErrExpired},
		{"after expiry", tok.ExpiresAt.Add(time.Hour), store.ErrExpired},
	}
	for _, tt := range tests {
		_, err := s.GetToken(ctx, store.PurposeResetPassword, "h1", tt.now)
		if !errors.Is(err, tt.want) {
			t.Errorf("GetToken(%s): got error %v; want %v", tt.name, err, tt.want)
		}
	}
	for _, tt := range tests[1:] {
		_, err := s.ConsumeToken(ctx, store.PurposeResetPassword, "h1", tt.now)
		wantErr(t, "ConsumeToken("+tt.name+")", err, store.ErrExpired)
	}
	// Expired consumption attempts did not use the token.
	_, err := s.ConsumeToken(ctx, store.PurposeResetPassword, "h1", at(time.Minute))
	must(t, "ConsumeToken(before expiry, after expired attempts)", err)
}

func testTokenConsume(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	tok := addToken(t, s, newToken("h1", store.PurposeVerifyEmail, "u1"))
	now := at(10 * time.Minute)
	got, err := s.ConsumeToken(ctx, store.PurposeVerifyEmail, "h1", now)
	must(t, "ConsumeToken", err)
	want := tok
	want.UsedAt = now
	checkEqual(t, "ConsumeToken", got, want, normToken)

	later := at(20 * time.Minute)
	_, err = s.GetToken(ctx, store.PurposeVerifyEmail, "h1", later)
	wantErr(t, "GetToken(after consume)", err, store.ErrUsed)
	_, err = s.ConsumeToken(ctx, store.PurposeVerifyEmail, "h1", later)
	wantErr(t, "ConsumeToken(second)", err, store.ErrUsed)
	_, err = s.ConsumeToken(ctx, store.PurposeResetPassword, "h1", later)
	wantErr(t, "ConsumeToken(used, wrong purpose)", err, store.ErrNotFound)
}

func testTokenConsumeConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposeResetPassword, "u1"))
	const n = 50
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, errs[i] = s.ConsumeToken(ctx, store.PurposeResetPassword, "h1", at(time.Minute))
	})
	countOutcomes(t, "ConsumeToken", errs)
}

func testTokenRecordAttempt(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposePreAuth, "u1"))
	addToken(t, s, newToken("h2", store.PurposePreAuth, "u1"))
	for want := 1; want <= 3; want++ {
		got, err := s.RecordTokenAttempt(ctx, store.PurposePreAuth, "h1")
		must(t, "RecordTokenAttempt", err)
		if got != want {
			t.Errorf("RecordTokenAttempt #%d: got %d; want %d", want, got, want)
		}
	}
	tok, err := s.GetToken(ctx, store.PurposePreAuth, "h1", base)
	must(t, "GetToken(h1)", err)
	if tok.Attempts != 3 {
		t.Errorf("GetToken(h1).Attempts: got %d; want 3", tok.Attempts)
	}
	tok, err = s.GetToken(ctx, store.PurposePreAuth, "h2", base)
	must(t, "GetToken(h2)", err)
	if tok.Attempts != 0 {
		t.Errorf("GetToken(h2).Attempts: got %d; want 0", tok.Attempts)
	}
}

func testTokenRecordAttemptConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposePreAuth, "u1"))
	const n = 50
	counts := make([]int, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		counts[i], errs[i] = s.RecordTokenAttempt(ctx, store.PurposePreAuth, "h1")
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("RecordTokenAttempt #%d: got error %v; want nil", i, err)
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Errorf("concurrent RecordTokenAttempt: got counts %v; want 1..%d each once", counts, n)
			break
		}
	}
	tok, err := s.GetToken(ctx, store.PurposePreAuth, "h1", base)
	must(t, "GetToken", err)
	if tok.Attempts != n {
		t.Errorf("Attempts after %d concurrent attempts: got %d; want %d", n, tok.Attempts, n)
	}
}

func testTokenDeleteUserTokens(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	addToken(t, s, newToken("a", store.PurposeVerifyEmail, "u1"))
	addToken(t, s, newToken("b", store.PurposeVerifyEmail, "u1"))
	addToken(t, s, newToken("c", store.PurposeResetPassword, "u1"))
	addToken(t, s, newToken("d", store.PurposeVerifyEmail, "u2"))
	must(t, "DeleteUserTokens", s.DeleteUserTokens(ctx, "u1", store.PurposeVerifyEmail))
	tests := []struct {
		hash, purpose string
		want          error
	}{
		{"a", store.PurposeVerifyEmail, store.ErrNotFound},
		{"b", store.PurposeVerifyEmail, store.ErrNotFound},
		{"c", store.PurposeResetPassword, nil},
		{"d", store.PurposeVerifyEmail, nil},
	}
	for _, tt := range tests {
		_, err := s.GetToken(ctx, tt.purpose, tt.hash, base)
		if !errors.Is(err, tt.want) {
			t.Errorf("GetToken(%s) after DeleteUserTokens: got error %v; want %v", tt.hash, err, tt.want)
		}
	}
	must(t, "DeleteUserTokens(nothing left)", s.DeleteUserTokens(ctx, "u1", store.PurposeVerifyEmail))
}

func testTokenDeleteExpired(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	for i, h := range []string{"a", "b", "c"} {
		tok := newToken(h, store.PurposeVerifyEmail, "u1")
		tok.ExpiresAt = at(time.Duration(i+1) * time.Hour)
		addToken(t, s, tok)
	}
	n, err := s.DeleteExpiredTokens(ctx, base)
	must(t, "DeleteExpiredTokens(nothing expired)", err)
	if n != 0 {
		t.Errorf("DeleteExpiredTokens(nothing expired): got %d; want 0", n)
	}
	n, err = s.DeleteExpiredTokens(ctx, at(2*time.Hour+30*time.Minute))
	must(t, "DeleteExpiredTokens", err)
	if n != 2 {
		t.Errorf("DeleteExpiredTokens: got %d; want 2", n)
	}
	tests := []struct {
		hash string
		want error
	}{
		{"a", store.ErrNotFound},
		{"b", store.ErrNotFound},
		{"c", nil},
	}
	for _, tt := range tests {
		_, err := s.GetToken(ctx, store.PurposeVerifyEmail, tt.hash, base)
		if !errors.Is(err, tt.want) {
			t.Errorf("GetToken(%s) after DeleteExpiredTokens: got error %v; want %v", tt.hash, err, tt.want)
		}
	}
	// A deleted hash can be created again.
	must(t, "CreateToken(deleted hash)", s.CreateToken(ctx, newToken("a", store.PurposeVerifyEmail, "u1")))
}

func testTokenPruneUserTokens(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	now := at(30 * time.Minute)
	mk := func(hash string, created, expires time.Duration) {
		tok := newToken(hash, store.PurposeResetPassword, "u1")
		tok.CreatedAt, tok.ExpiresAt = at(created), at(expires)
		addToken(t, s, tok)
	}
	mk("live1", 1*time.Minute, time.Hour)
	mk("live2", 2*time.Minute, time.Hour)
	mk("live3", 3*time.Minute, time.Hour)
	mk("live4", 4*time.Minute, time.Hour)
	mk("expired", 5*time.Minute, 30*time.Minute) // expires exactly at now
	mk("used", 6*time.Minute, time.Hour)
	_, err := s.ConsumeToken(ctx, store.PurposeResetPassword, "used", at(7*time.Minute))
	must(t, "ConsumeToken(used)", err)
	addToken(t, s, newToken("other-purpose", store.PurposeVerifyEmail, "u1"))
	addToken(t, s, newToken("other-user", store.PurposeResetPassword, "u2"))

	n, err := s.PruneUserTokens(ctx, "u1", store.PurposeResetPassword, 2, now)
	must(t, "PruneUserTokens(keep 2)", err)
	if n != 4 {
		t.Errorf("PruneUserTokens(keep 2): got %d removed; want 4 (two older live, the expired and the used)", n)
	}
	check := func(op string, want map[string]bool) {
		t.Helper()
		for hash, kept := range want {
			purpose := store.PurposeResetPassword
			if hash == "other-purpose" {
				purpose = store.PurposeVerifyEmail
			}
			_, err := s.GetToken(ctx, purpose, hash, base)
			if gotKept := !errors.Is(err, store.ErrNotFound); gotKept != kept {
				t.Errorf("%s: token %s kept=%v (GetToken error %v); want kept=%v", op, hash, gotKept, err, kept)
			}
		}
	}
	check("after keep 2", map[string]bool{"live1": false, "live2": false, "live3": true, "live4": true,
		"expired": false, "used": false, "other-purpose": true, "other-user": true})

	// Keeping more than exist removes nothing.
	n, err = s.PruneUserTokens(ctx, "u1", store.PurposeResetPassword, 5, now)
	must(t, "PruneUserTokens(keep 5)", err)
	if n != 0 {
		t.Errorf("PruneUserTokens(keep 5): got %d removed; want 0", n)
	}
	// keep 0 removes every token of the purpose, and only those.
	n, err = s.PruneUserTokens(ctx, "u1", store.PurposeResetPassword, 0, now)
	must(t, "PruneUserTokens(keep 0)", err)
	if n != 2 {
		t.Errorf("PruneUserTokens(keep 0): got %d removed; want 2", n)
	}
	check("after keep 0", map[string]bool{"live3": false, "live4": false, "other-purpose": true, "other-user": true})
	n, err = s.PruneUserTokens(ctx, "nobody", store.PurposeResetPassword, 0, now)
	must(t, "PruneUserTokens(unknown user)", err)
	if n != 0 {
		t.Errorf("PruneUserTokens(unknown user): got %d; want 0", n)
	}
}

func testTokenPruneUserTokensInTx(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	for i, h := range []string{"a", "b", "c"} {
		tok := newToken(h, store.PurposeResetPassword, "u1")
		tok.CreatedAt = at(time.Duration(i) * time.Minute)
		addToken(t, s, tok)
	}
	// Prune then create in one transaction: the newest two survive with the
	// new one (three live links).
	must(t, "Tx", s.Tx(ctx, func(tx store.Tx) error {
		if _, err := tx.PruneUserTokens(ctx, "u1", store.PurposeResetPassword, 2, at(5*time.Minute)); err != nil {
			return err
		}
		tok := newToken("d", store.PurposeResetPassword, "u1")
		tok.CreatedAt = at(5 * time.Minute)
		return tx.CreateToken(ctx, tok)
	}))
	for _, tt := range []struct {
		hash string
		want error
	}{{"a", store.ErrNotFound}, {"b", nil}, {"c", nil}, {"d", nil}} {
		_, err := s.GetToken(ctx, store.PurposeResetPassword, tt.hash, at(5*time.Minute))
		if !errors.Is(err, tt.want) {
			t.Errorf("GetToken(%s) after prune and create: got error %v; want %v", tt.hash, err, tt.want)
		}
	}
}
