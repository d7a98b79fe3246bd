package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var loginFailureTests = []testCase{
	{"Unknown", testLoginFailuresUnknown},
	{"CountAndLock", testLoginFailuresCountAndLock},
	{"WindowRestart", testLoginFailuresWindowRestart},
	{"Clear", testLoginFailuresClear},
	{"Concurrent", testLoginFailuresConcurrent},
	{"ClearScope", testLoginFailuresClearScope},
	{"ClearScopeInTx", testLoginFailuresClearScopeInTx},
	{"DeleteStale", testLoginFailuresDeleteStale},
}

const (
	lfWindow = 15 * time.Minute
	lfLock   = 10 * time.Minute
)

func testLoginFailuresUnknown(t *testing.T, s store.Storage) {
	got, err := s.GetLoginFailures(t.Context(), "nobody")
	must(t, "GetLoginFailures(unknown)", err)
	checkEqual(t, "GetLoginFailures(unknown)", got, store.LoginFailures{Key: "nobody"}, normFailures)
}

func testLoginFailuresCountAndLock(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const maxFailures = 3
	tests := []struct {
		now  time.Time
		want store.LoginFailures
	}{
		{base, store.LoginFailures{Key: "k", Count: 1, WindowStart: base}},
		{at(time.Minute), store.LoginFailures{Key: "k", Count: 2, WindowStart: base}},
		// The third failure reaches max: locked for lfLock from now.
		{at(2 * time.Minute), store.LoginFailures{Key: "k", Count: 3, WindowStart: base, LockedUntil: at(12 * time.Minute)}},
		// While locked, further failures count but do not extend the lock.
		{at(3 * time.Minute), store.LoginFailures{Key: "k", Count: 4, WindowStart: base, LockedUntil: at(12 * time.Minute)}},
		{at(11 * time.Minute), store.LoginFailures{Key: "k", Count: 5, WindowStart: base, LockedUntil: at(12 * time.Minute)}},
	}
	for i, tt := range tests {
		got, err := s.RecordLoginFailure(ctx, "k", tt.now, lfWindow, maxFailures, lfLock)
		must(t, "RecordLoginFailure", err)
		checkEqual(t, name("RecordLoginFailure #%d", i+1), got, tt.want, normFailures)
	}
	got, err := s.GetLoginFailures(ctx, "k")
	must(t, "GetLoginFailures", err)
	checkEqual(t, "GetLoginFailures", got, tests[len(tests)-1].want, normFailures)

	// Another key is independent.
	got, err = s.RecordLoginFailure(ctx, "other", at(4*time.Minute), lfWindow, maxFailures, lfLock)
	must(t, "RecordLoginFailure(other)", err)
	checkEqual(t, "RecordLoginFailure(other)", got, store.LoginFailures{Key: "other", Count: 1, WindowStart: at(4 * time.Minute)}, normFailures)
}

func testLoginFailuresWindowRestart(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const maxFailures = 10
	tests := []struct {
		name  string
		now   time.Time
		count int
		start time.Time
	}{
		{"first", base, 1, base},
		{"inside window", at(time.Minute), 2, base},
		{"1ms before window ends", at(lfWindow - time.Millisecond), 3, base},
		{"window start at now-window", at(lfWindow), 1, at(lfWindow)},
		{"inside new window", at(lfWindow + time.Minute), 2, at(lfWindow)},
		{"long after", at(5 * time.Hour), 1, at(5 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := s.RecordLoginFailure(ctx, "k", tt.now, lfWindow, maxFailures, lfLock)
		must(t, "RecordLoginFailure("+tt.name+")", err)
		if got.Key != "k" || got.Count != tt.count || !sameTime(got.WindowStart, tt.start) {
			t.Errorf("RecordLoginFailure(%s): got Key=%q Count=%d WindowStart=%v; want k, %d, %v",
				tt.name, got.Key, got.Count, got.WindowStart, tt.count, tt.start)
		}
		if !got.LockedUntil.IsZero() {
			t.Errorf("RecordLoginFailure(%s): got LockedUntil=%v; want zero (max not reached)", tt.name, got.LockedUntil)
		}
	}
}

func testLoginFailuresClear(t *testing.T, s store.Storage) {
	ctx := t.Context()
	for i := range 3 {
		_, err := s.RecordLoginFailure(ctx, "k", at(time.Duration(i)*time.Second), lfWindow, 2, lfLock)
		must(t, "RecordLoginFailure", err)
	}
	_, err := s.RecordLoginFailure(ctx, "keep", base, lfWindow, 2, lfLock)
	must(t, "RecordLoginFailure(keep)", err)

	must(t, "ClearLoginFailures", s.ClearLoginFailures(ctx, "k"))
	got, err := s.GetLoginFailures(ctx, "k")
	must(t, "GetLoginFailures after clear", err)
	checkEqual(t, "GetLoginFailures after clear", got, store.LoginFailures{Key: "k"}, normFailures)

	got, err = s.RecordLoginFailure(ctx, "k", at(5*time.Second), lfWindow, 2, lfLock)
	must(t, "RecordLoginFailure after clear", err)
	checkEqual(t, "RecordLoginFailure after clear", got, store.LoginFailures{Key: "k", Count: 1, WindowStart: at(5 * time.Second)}, normFailures)

	got, err = s.GetLoginFailures(ctx, "keep")
	must(t, "GetLoginFailures(keep)", err)
	if got.Count != 1 {
		t.Errorf("GetLoginFailures(keep).Count after clearing another key: got %d; want 1", got.Count)
	}
}

func testLoginFailuresConcurrent(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const n = 50
	counts := make([]int, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		var f store.LoginFailures
		f, errs[i] = s.RecordLoginFailure(ctx, "k", base, lfWindow, 1000, lfLock)
		counts[i] = f.Count
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("RecordLoginFailure #%d: got error %v; want nil", i, err)
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Errorf("concurrent RecordLoginFailure: got counts %v; want 1..%d each once", counts, n)
			break
		}
	}
	got, err := s.GetLoginFailures(ctx, "k")
	must(t, "GetLoginFailures", err)
	if got.Count != n {
		t.Errorf("Count after %d concurrent failures: got %d; want %d", n, got.Count, n)
	}
}

func testLoginFailuresClearScope(t *testing.T, s store.Storage) {
	ctx := t.Context()
	keys := []string{
		"pwd:a",      // the account's own counter
		"pwd:a|ip:1", // its per-address counters
		"pwd:a|ip:2",
		"pwd:ab", // another account whose key extends "pwd:a"
		"pwd:ab|ip:1",
		"mfa:a",
		"x|pwd:a", // "pwd:a" elsewhere in a key of another scope
	}
	for _, k := range keys {
		_, err := s.RecordLoginFailure(ctx, k, base, lfWindow, 1, lfLock)
		must(t, "RecordLoginFailure("+k+")", err)
	}
	must(t, "ClearLoginFailureScope", s.ClearLoginFailureScope(ctx, "pwd:a"))
	for _, k := range keys {
		got, err := s.GetLoginFailures(ctx, k)
		must(t, "GetLoginFailures("+k+")", err)
		wantGone := store.FailureScope(k) == "pwd:a"
		if wantGone && got.Count != 0 {
			t.Errorf("GetLoginFailures(%s) after clearing its scope: got Count=%d; want 0", k, got.Count)
		}
		if !wantGone && (got.Count != 1 || !got.LockedUntil.After(base)) {
			t.Errorf("GetLoginFailures(%s) after clearing scope pwd:a: got %+v; want count 1, still locked", k, got)
		}
	}
	// A cleared key counts from scratch and clears with its scope again.
	got, err := s.RecordLoginFailure(ctx, "pwd:a|ip:1", at(time.Minute), lfWindow, 5, lfLock)
	must(t, "RecordLoginFailure after clear", err)
	checkEqual(t, "RecordLoginFailure after clear", got,
		store.LoginFailures{Key: "pwd:a|ip:1", Count: 1, WindowStart: at(time.Minute)}, normFailures)
	must(t, "ClearLoginFailureScope(again)", s.ClearLoginFailureScope(ctx, "pwd:a"))
	got, err = s.GetLoginFailures(ctx, "pwd:a|ip:1")
	must(t, "GetLoginFailures", err)
	checkEqual(t, "GetLoginFailures after second clear", got, store.LoginFailures{Key: "pwd:a|ip:1"}, normFailures)
	must(t, "ClearLoginFailureScope(unknown)", s.ClearLoginFailureScope(ctx, "nothing"))
}

func testLoginFailuresClearScopeInTx(t *testing.T, s store.Storage) {
	ctx := t.Context()
	for _, k := range []string{"pwd:a", "pwd:a|ip:1"} {
		_, err := s.RecordLoginFailure(ctx, k, base, lfWindow, 10, lfLock)
		must(t, "RecordLoginFailure("+k+")", err)
	}
	rollback := errors.New("rollback")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.ClearLoginFailureScope(ctx, "pwd:a"); err != nil {
			return err
		}
		return rollback
	})
	wantErr(t, "Tx(rolled back)", err, rollback)
	for _, k := range []string{"pwd:a", "pwd:a|ip:1"} {
		got, err := s.GetLoginFailures(ctx, k)
		must(t, "GetLoginFailures("+k+")", err)
		if got.Count != 1 {
			t.Errorf("GetLoginFailures(%s) after a rolled-back clear: got Count=%d; want 1", k, got.Count)
		}
	}
	must(t, "Tx", s.Tx(ctx, func(tx store.Tx) error { return tx.ClearLoginFailureScope(ctx, "pwd:a") }))
	for _, k := range []string{"pwd:a", "pwd:a|ip:1"} {
		got, err := s.GetLoginFailures(ctx, k)
		must(t, "GetLoginFailures("+k+")", err)
		if got.Count != 0 {
			t.Errorf("GetLoginFailures(%s) after a committed clear: got Count=%d; want 0", k, got.Count)
		}
	}
}

func testLoginFailuresDeleteStale(t *testing.T, s store.Storage) {
	ctx := t.Context()
	record := func(key string, now time.Time, maxFailures int, lockFor time.Duration) {
		t.Helper()
		_, err := s.RecordLoginFailure(ctx, key, now, lfWindow, maxFailures, lockFor)
		must(t, "RecordLoginFailure("+key+")", err)
	}
	record("old", base, 10, lfLock)                // window started long ago, never locked
	record("old-lock-over", base, 1, lfLock)       // locked until base+10m: over
	record("old-locked", base, 1, 48*time.Hour)    // still locked at now
	record("recent", at(2*time.Hour), 10, lfLock)  // window started after before
	record("at-before", at(time.Hour), 10, lfLock) // window started exactly at before: kept
	now := at(3 * time.Hour)
	n, err := s.DeleteStaleLoginFailures(ctx, at(time.Hour), now)
	must(t, "DeleteStaleLoginFailures", err)
	if n != 2 {
		t.Errorf("DeleteStaleLoginFailures: got %d removed; want 2", n)
	}
	for _, tt := range []struct {
		key  string
		kept bool
	}{{"old", false}, {"old-lock-over", false}, {"old-locked", true}, {"recent", true}, {"at-before", true}} {
		got, err := s.GetLoginFailures(ctx, tt.key)
		must(t, "GetLoginFailures("+tt.key+")", err)
		if kept := got.Count > 0; kept != tt.kept {
			t.Errorf("%s after DeleteStaleLoginFailures: kept=%v (%+v); want kept=%v", tt.key, kept, got, tt.kept)
		}
	}
	n, err = s.DeleteStaleLoginFailures(ctx, at(time.Hour), now)
	must(t, "DeleteStaleLoginFailures(again)", err)
	if n != 0 {
		t.Errorf("DeleteStaleLoginFailures(again): got %d; want 0", n)
	}
}
