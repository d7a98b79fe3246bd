package authos

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authos/authos/store"
)

// RevocationBus carries session revocations between the instances of a
// deployment, beside the store (package redisbus: Redis pub/sub). Every
// instance publishes the revocations it makes and, while Run runs, receives
// those of every instance. A message lost on the way is not lost for good:
// the store stays the record, re-read every Config.RevocationPollPushed.
type RevocationBus interface {
	// PublishRevocations announces that the sessions ids were revoked.
	PublishRevocations(ctx context.Context, ids []string) error
	// SubscribeRevocations passes the session ids that any instance
	// publishes to deliver, until ctx ends (it then returns nil) or the
	// subscription breaks (it returns why; Run subscribes again after a
	// backoff). It calls ready once the subscription is established:
	// announcements published before may have been missed.
	SubscribeRevocations(ctx context.Context, ready func(), deliver func(ids []string)) error
}

// publishTimeout bounds one announcement of revocations.
const publishTimeout = 2 * time.Second

// Backoff between attempts to re-establish a broken push channel.
const (
	pushBackoffMin = 100 * time.Millisecond
	pushBackoffMax = 30 * time.Second
)

// publishRevocationsIn announces ids through the store's own push channel
// inside tx, so that the announcement is delivered when tx commits. It
// reports whether the store has such a channel.
func (a *Authos) publishRevocationsIn(ctx context.Context, tx store.Tx, ids []string) (bool, error) {
	feed, ok := store.As[store.RevocationFeed](a.st)
	if !ok || len(ids) == 0 {
		return ok, nil
	}
	return true, feed.PublishRevocations(ctx, tx, ids)
}

// sessionsRevoked records revocations committed at `at` in this instance's
// set (dropping their cached tokens) and announces them to the other
// instances: through Config.Revocations, and through the store's channel
// unless the revoking transaction did (inTx). Announcing is best effort: a
// failure is logged, and the other instances learn of the revocation from
// the store within RevocationPollPushed.
func (a *Authos) sessionsRevoked(ctx context.Context, ids []string, at time.Time, inTx bool) {
	if len(ids) == 0 {
		return
	}
	a.revoked.addAll(ids, at, a.now())
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if feed, ok := store.As[store.RevocationFeed](a.st); ok && !inTx {
		if err := feed.PublishRevocations(ctx, nil, ids); err != nil {
			a.log.Warn("authos: announcing revocations through the store", "error", err)
		}
	}
	if a.cfg.Revocations != nil {
		if err := a.cfg.Revocations.PublishRevocations(ctx, ids); err != nil {
			a.log.Warn("authos: announcing revocations through Config.Revocations", "error", err)
		}
	}
}

// listenRevocations starts a receiver per push channel (the store's own,
// Config.Revocations); they stop when ctx ends, wg.Wait waits for them.
func (a *Authos) listenRevocations(ctx context.Context, wg *sync.WaitGroup) {
	if feed, ok := store.As[store.RevocationFeed](a.st); ok {
		wg.Go(func() { a.receiveRevocations(ctx, "store", feed.ListenRevocations) })
	}
	if bus := a.cfg.Revocations; bus != nil {
		wg.Go(func() { a.receiveRevocations(ctx, "Config.Revocations", bus.SubscribeRevocations) })
	}
}

// receiveRevocations keeps one push channel subscribed, with a growing
// backoff between attempts. While it is up the store is re-read every
// RevocationPollPushed instead of RevocationPoll; when it comes up the set
// is re-read at once, to catch what was announced while it was down.
func (a *Authos) receiveRevocations(ctx context.Context, name string,
	listen func(ctx context.Context, ready func(), deliver func(ids []string)) error) {
	backoff := pushBackoffMin
	for ctx.Err() == nil {
		var up atomic.Bool
		err := listen(ctx, func() {
			if up.CompareAndSwap(false, true) {
				a.revoked.pushUp.Add(1)
				if err := a.revoked.syncNow(ctx, a); err != nil && ctx.Err() == nil {
					a.log.Error("authos: revocation sync", "error", err)
				}
			}
		}, func(ids []string) {
			now := a.now()
			a.revoked.addAll(ids, now, now)
		})
		if up.Load() {
			a.revoked.pushUp.Add(-1)
			backoff = pushBackoffMin
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("authos: revocation push channel down; polling the store every RevocationPoll until it is back",
			"channel", name, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, pushBackoffMax)
	}
}

// refreshReused follows a refresh token presented again (its hash given),
// whose session the store revoked: the next check here re-reads the store,
// and the session is announced to the other instances when the store can
// tell which one it was (store.SignInStore).
func (a *Authos) refreshReused(ctx context.Context, hash string) {
	a.revoked.invalidate()
	ss, ok := store.As[store.SignInStore](a.st)
	if !ok {
		return
	}
	if rt, err := ss.GetRefreshToken(ctx, hash); err == nil && rt.SessionID != "" {
		a.sessionsRevoked(ctx, []string{rt.SessionID}, a.now(), false)
	}
}
