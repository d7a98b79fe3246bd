package e2e_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store"
)

// callLog records the store operations a request makes, in order.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) note(op string) {
	l.mu.Lock()
	l.calls = append(l.calls, op)
	l.mu.Unlock()
}

// take returns the calls recorded so far and forgets them.
func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// countingTx records every operation of the account, password, token,
// session, failure-counter and outbox capabilities it passes on, with
// prefix ("tx." inside a transaction).
type countingTx struct {
	store.Tx
	log    *callLog
	prefix string
}

// countingStore is a store whose operations countingTx records, and whose
// transactions record theirs too.
type countingStore struct {
	countingTx
	st store.Storage
}

func newCountingStore(st store.Storage, log *callLog) countingStore {
	return countingStore{countingTx: countingTx{Tx: st, log: log}, st: st}
}

func (c countingStore) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	c.log.note("Tx")
	return c.st.Tx(ctx, func(tx store.Tx) error { return fn(countingTx{Tx: tx, log: c.log, prefix: "tx."}) })
}

func (c countingStore) Close() error { return c.st.Close() }

func (c countingTx) CreateUser(ctx context.Context, u store.User) error {
	c.log.note(c.prefix + "CreateUser")
	return c.Tx.CreateUser(ctx, u)
}
func (c countingTx) GetUser(ctx context.Context, id string) (store.User, error) {
	c.log.note(c.prefix + "GetUser")
	return c.Tx.GetUser(ctx, id)
}
func (c countingTx) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	c.log.note(c.prefix + "GetUserByEmail")
	return c.Tx.GetUserByEmail(ctx, email)
}
func (c countingTx) UpdateUser(ctx context.Context, u store.User) error {
	c.log.note(c.prefix + "UpdateUser")
	return c.Tx.UpdateUser(ctx, u)
}
func (c countingTx) SetPassword(ctx context.Context, pc store.PasswordCredential) error {
	c.log.note(c.prefix + "SetPassword")
	return c.Tx.SetPassword(ctx, pc)
}
func (c countingTx) GetPassword(ctx context.Context, userID string) (store.PasswordCredential, error) {
	c.log.note(c.prefix + "GetPassword")
	return c.Tx.GetPassword(ctx, userID)
}
func (c countingTx) CreateToken(ctx context.Context, t store.OneTimeToken) error {
	c.log.note(c.prefix + "CreateToken")
	return c.Tx.CreateToken(ctx, t)
}
func (c countingTx) GetToken(ctx context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	c.log.note(c.prefix + "GetToken")
	return c.Tx.GetToken(ctx, purpose, hash, now)
}
func (c countingTx) ConsumeToken(ctx context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	c.log.note(c.prefix + "ConsumeToken")
	return c.Tx.ConsumeToken(ctx, purpose, hash, now)
}
func (c countingTx) DeleteUserTokens(ctx context.Context, userID, purpose string) error {
	c.log.note(c.prefix + "DeleteUserTokens")
	return c.Tx.DeleteUserTokens(ctx, userID, purpose)
}
func (c countingTx) PruneUserTokens(ctx context.Context, userID, purpose string, keep int, now time.Time) (int, error) {
	c.log.note(c.prefix + "PruneUserTokens")
	return c.Tx.PruneUserTokens(ctx, userID, purpose, keep, now)
}
func (c countingTx) CreateSession(ctx context.Context, s store.Session) error {
	c.log.note(c.prefix + "CreateSession")
	return c.Tx.CreateSession(ctx, s)
}
func (c countingTx) GetLoginFailures(ctx context.Context, key string) (store.LoginFailures, error) {
	c.log.note(c.prefix + "GetLoginFailures")
	return c.Tx.GetLoginFailures(ctx, key)
}
func (c countingTx) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, maxFailures int, lockFor time.Duration) (store.LoginFailures, error) {
	c.log.note(c.prefix + "RecordLoginFailure")
	return c.Tx.RecordLoginFailure(ctx, key, now, window, maxFailures, lockFor)
}
func (c countingTx) EnqueueOutbox(ctx context.Context, m store.OutboxMessage) error {
	c.log.note(c.prefix + "EnqueueOutbox")
	return c.Tx.EnqueueOutbox(ctx, m)
}

// TestForgotAndResendDoEqualStoreWork reproduces the timing difference:
// forgot-password and resend-verification make exactly the same store
// calls for an existing account and an unknown email (the lookup happens
// behind the outbox), answer the same, and only the account gets mail.
func TestForgotAndResendDoEqualStoreWork(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			log := &callLog{}
			h := newHarness(t, newCountingStore(b.Open(t), log), func(c *authos.Config) { viaProxy(c); noLimits(c) })
			h.registerVerified("known@example.com", "the real password")
			h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": "pending@example.com", "password": "the real password"}), 201)
			if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				path, known, unknown string
			}{
				{"/api/auth/forgot-password", "known@example.com", "nobody@example.com"},
				{"/api/auth/resend-verification", "pending@example.com", "nobody@example.com"},
			}
			for _, c := range cases {
				log.take()
				known := h.wantOK(h.do("POST", c.path, "", map[string]string{"email": c.known}), 202)
				knownCalls := log.take()
				unknown := h.wantOK(h.do("POST", c.path, "", map[string]string{"email": c.unknown}), 202)
				unknownCalls := log.take()
				if !slices.Equal(knownCalls, unknownCalls) {
					t.Errorf("%s: store calls for an account %v; for an unknown email %v; want the same", c.path, knownCalls, unknownCalls)
				}
				if len(knownCalls) == 0 {
					t.Errorf("%s: no store call recorded", c.path)
				}
				if string(known.raw) != string(unknown.raw) {
					t.Errorf("%s: answers differ: %s vs %s", c.path, known.raw, unknown.raw)
				}
			}
			before := h.mailCount()
			if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
				t.Fatal(err)
			}
			msgs, err := mailer.ReadMailbox(h.mailbox)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs[before:] {
				got = append(got, m.To)
			}
			slices.Sort(got)
			if want := []string{"known@example.com", "pending@example.com"}; !slices.Equal(got, want) {
				t.Errorf("mail sent to %v; want %v (none to the unknown email)", got, want)
			}
		})
	}
}

var _ store.Storage = countingStore{}
