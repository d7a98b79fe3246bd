package authostest

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// Clock is a settable clock for authos.Config.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Keyring returns a keyring with one random key.
func Keyring(t testing.TB) *authos.Keyring {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	kr, err := authos.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// CoreOnly returns a store that offers only the core of st (store.Storage)
// and hides every capability st has, on itself and inside its
// transactions: what a third-party backend that implements no capability
// looks like. Package authors use it to check that their constructor
// refuses such a store.
func CoreOnly(st store.Storage) store.Storage { return coreOnly{st} }

// coreOnly embeds the interface, so only the core's methods are promoted.
type coreOnly struct{ store.Storage }

func (c coreOnly) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	return c.Storage.Tx(ctx, func(tx store.Tx) error { return fn(coreOnlyTx{tx}) })
}

type coreOnlyTx struct{ store.Tx }
