package authos

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/authos/authos/store"
)

// undeliveredWarnAfter is how long a queued message waits, while nothing
// delivers the outbox, before the warning of outboxWatch.
const undeliveredWarnAfter = 10 * time.Second

// outboxWatch notices a host that forgot to start Run: without it, email
// and events wait in the outbox forever and nothing says why. The first
// message queued while neither Run nor ProcessOutbox has been called arms
// a timer; if by then still nothing delivers and a message is pending, one
// warning is logged (once per instance, not per message).
type outboxWatch struct {
	delivering atomic.Bool // Run started, or ProcessOutbox called
	armed      atomic.Bool // a timer runs, or the warning was logged
	after      time.Duration
}

// noteQueued is called for every message queued; it arms the timer once.
func (a *Authos) noteQueued() {
	w := &a.outboxWatch
	if w.delivering.Load() || !w.armed.CompareAndSwap(false, true) {
		return
	}
	after := w.after
	if after == 0 {
		after = undeliveredWarnAfter
	}
	time.AfterFunc(after, a.warnUndelivered)
}

// warnUndelivered logs the warning when messages still wait undelivered.
func (a *Authos) warnUndelivered() {
	w := &a.outboxWatch
	if w.delivering.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := a.st.ListOutbox(ctx, store.OutboxFilter{Pending: true, Limit: 1})
	if err != nil {
		return // the store is gone (closed); nothing to tell
	}
	if len(msgs) == 0 {
		w.armed.Store(false) // its transaction rolled back: watch the next one
		return
	}
	a.log.Warn("authos: email and events are waiting in the outbox, but Run has not been started: "+
		"nothing is delivered until it is (go a.Run(ctx)) or ProcessOutbox is called",
		"queued_at", msgs[0].CreatedAt)
}
