package authos

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeBus is a RevocationBus in memory: every subscription gets what is
// published; setDown breaks the current subscriptions and refuses new ones.
type fakeBus struct {
	mu        sync.Mutex
	published [][]string
	subs      map[int]func([]string)
	broken    map[int]chan struct{}
	next      int
	readies   int
	down      bool // subscriptions are refused
}

func newFakeBus() *fakeBus {
	return &fakeBus{subs: map[int]func([]string){}, broken: map[int]chan struct{}{}}
}

func (f *fakeBus) PublishRevocations(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, slices.Clone(ids))
	for _, deliver := range f.subs {
		deliver(ids)
	}
	return nil
}

func (f *fakeBus) SubscribeRevocations(ctx context.Context, ready func(), deliver func([]string)) error {
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		return errors.New("connection refused")
	}
	id := f.next
	f.next++
	f.subs[id] = deliver
	brk := make(chan struct{})
	f.broken[id] = brk
	f.readies++
	f.mu.Unlock()
	ready()
	defer func() {
		f.mu.Lock()
		delete(f.subs, id)
		delete(f.broken, id)
		f.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return nil
	case <-brk:
		return errors.New("connection lost")
	}
}

// setDown refuses new subscriptions (down) or accepts them again; going
// down breaks the current ones.
func (f *fakeBus) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	if !down {
		f.mu.Unlock()
		return
	}
	for id, brk := range f.broken {
		close(brk)
		delete(f.broken, id)
	}
	f.mu.Unlock()
}

func (f *fakeBus) readyCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readies
}

// A revocation is published on the bus and received by another instance
// while its Run runs; while the subscription is up the store is re-read
// every RevocationPollPushed, and when it breaks every RevocationPoll,
// until Run has subscribed again.
func TestRevocationBus(t *testing.T) {
	bus := newFakeBus()
	a, clk := newTestAuthos(t, func(c *Config) { c.Revocations = bus })
	ctx := context.Background()
	b, err := New(ctx, Config{Store: a.st, Keyring: a.keyring, BaseURL: a.cfg.BaseURL, Now: clk.Now,
		Hasher: fastHasher{}, Revocations: bus})
	if err != nil {
		t.Fatal(err)
	}
	if b.revoked.period() != 500*time.Millisecond {
		t.Fatalf("poll period without push %v; want the default 500ms", b.revoked.period())
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, func() bool { return b.revoked.pushUp.Load() == 1 })
	if b.revoked.period() != 30*time.Second {
		t.Fatalf("poll period with push up %v; want the default 30s", b.revoked.period())
	}

	token, sid := logoutVerified(t, a, b, "kim@example.test")
	bus.mu.Lock()
	published := slices.Clone(bus.published)
	bus.mu.Unlock()
	if !slices.ContainsFunc(published, func(ids []string) bool { return slices.Equal(ids, []string{sid}) }) {
		t.Fatalf("published %q; want the logged-out session", published)
	}
	// No clock advance: only the push can have told b.
	_, err = b.VerifyAccessToken(ctx, token, "")
	wantCode(t, err, CodeSessionRevoked)

	bus.setDown(true)
	waitFor(t, func() bool { return b.revoked.pushUp.Load() == 0 })
	if b.revoked.period() != 500*time.Millisecond {
		t.Fatalf("poll period with the push channel down %v; want RevocationPoll", b.revoked.period())
	}
	bus.setDown(false)
	waitFor(t, func() bool { return bus.readyCount() == 2 && b.revoked.pushUp.Load() == 1 })
}

// While no push channel is up, a revocation by another instance on the
// same store is seen after RevocationPoll.
func TestRevocationPollFallback(t *testing.T) {
	a, clk := newTestAuthos(t, func(c *Config) { c.RevocationPoll = 2 * time.Second })
	ctx := context.Background()
	b, err := New(ctx, Config{Store: a.st, Keyring: a.keyring, BaseURL: a.cfg.BaseURL, Now: clk.Now,
		Hasher: fastHasher{}, RevocationPoll: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	token, _ := logoutVerified(t, a, b, "lee@example.test")
	clk.Advance(time.Second)
	if _, err := b.VerifyAccessToken(ctx, token, ""); err != nil {
		t.Fatalf("within the poll period: %v (the store was re-read early)", err)
	}
	clk.Advance(time.Second)
	_, err = b.VerifyAccessToken(ctx, token, "")
	wantCode(t, err, CodeSessionRevoked)
}

// logoutVerified signs a new user in on a, verifies the access token on b
// (which then holds it as valid) and logs the session out on a; it returns
// the token and its session id.
func logoutVerified(t *testing.T, a, b *Authos, email string) (token, sid string) {
	t.Helper()
	ctx := context.Background()
	u := verifiedUser(t, a, email, "correct horse battery")
	tr, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	p := mustVerify(t, b, tr.AccessToken, "")
	if err := a.Logout(ctx, p.SessionID); err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken, p.SessionID
}
