package sqlstoretest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// Run runs the checks; newStore returns a fresh, empty store per subtest and
// registers its own cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Storage) {
	t.Run("ReuseInsideTxStaysRevoked", func(t *testing.T) { testReuseInsideTx(t, newStore(t)) })
	t.Run("TxSerializesReadThenWrite", func(t *testing.T) { testTxSerializes(t, newStore(t)) })
	t.Run("TxConcurrentCounters", func(t *testing.T) { testTxCounters(t, newStore(t)) })
}

var base = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// A reuse detected inside Tx keeps the session revoked even though the
// caller's transaction rolls back on the ErrReused it returns.
func testReuseInsideTx(t *testing.T, s store.Storage) {
	ctx := t.Context()
	exp := base.Add(time.Hour)
	must(t, s.CreateUser(ctx, store.User{ID: "u1", Email: "a@example.com", CreatedAt: base}))
	must(t, s.CreateSession(ctx, store.Session{ID: "s1", UserID: "u1", CreatedAt: base, ExpiresAt: exp}))
	must(t, s.CreateRefreshToken(ctx, store.RefreshToken{Hash: "A", SessionID: "s1", CreatedAt: base, ExpiresAt: exp}))
	_, err := s.RotateRefreshToken(ctx, "A", store.RefreshToken{Hash: "B", SessionID: "s1", ExpiresAt: exp}, base.Add(time.Minute), time.Second)
	must(t, err)
	err = s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.EnqueueOutbox(ctx, store.OutboxMessage{ID: "m1", Topic: store.TopicEvent, CreatedAt: base}); err != nil {
			return err
		}
		_, err := tx.RotateRefreshToken(ctx, "A", store.RefreshToken{Hash: "X", SessionID: "s1", ExpiresAt: exp}, base.Add(2*time.Minute), time.Second)
		return err
	})
	if !errors.Is(err, store.ErrReused) {
		t.Fatalf("Tx(reuse): got %v; want ErrReused", err)
	}
	sess, err := s.GetSession(ctx, "s1")
	must(t, err)
	if sess.RevokedAt.IsZero() {
		t.Errorf("session after a reuse inside a rolled-back Tx: not revoked")
	}
	// The rest of the transaction was rolled back.
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, err)
	if len(ms) != 0 {
		t.Errorf("outbox after the rolled-back Tx: got %d messages; want none", len(ms))
	}
}

// Concurrent transactions that read, then write depending on what they read
// (the first user becomes the platform owner) behave as if run one by one.
func testTxSerializes(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const n = 10
	errs := make([]error, n)
	parallel(n, func(i int) {
		errs[i] = s.Tx(ctx, func(tx store.Tx) error {
			owners, err := tx.CountPlatformOwners(ctx)
			if err != nil {
				return err
			}
			u := store.User{ID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), CreatedAt: base}
			u.IsPlatformOwner = owners == 0
			return tx.CreateUser(ctx, u)
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Tx #%d: %v", i, err)
		}
	}
	owners, err := s.CountPlatformOwners(ctx)
	must(t, err)
	if owners != 1 {
		t.Errorf("platform owners after %d concurrent bootstrap transactions: got %d; want 1", n, owners)
	}
}

// Concurrent transactions updating the same rows all succeed (retried when
// the database reports a conflict) and none of their updates is lost.
func testTxCounters(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const n = 20
	errs := make([]error, n)
	parallel(n, func(i int) {
		errs[i] = s.Tx(ctx, func(tx store.Tx) error {
			if _, err := tx.RecordLoginFailure(ctx, "k", base, time.Hour, 1000, time.Minute); err != nil {
				return err
			}
			return tx.EnqueueOutbox(ctx, store.OutboxMessage{ID: fmt.Sprintf("m%d", i), Topic: store.TopicEvent, CreatedAt: base})
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Tx #%d: %v", i, err)
		}
	}
	f, err := s.GetLoginFailures(ctx, "k")
	must(t, err)
	if f.Count != n {
		t.Errorf("login failures after %d concurrent transactions: got %d; want %d", n, f.Count, n)
	}
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, err)
	if len(ms) != n {
		t.Errorf("outbox after %d concurrent transactions: got %d messages; want %d", n, len(ms), n)
	}
}
