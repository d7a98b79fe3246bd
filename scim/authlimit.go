package scim

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/authos/authos"
)

// defaultFailedAuthLimit bounds wrong SCIM tokens per client address.
var defaultFailedAuthLimit = authos.Limit{Rate: 10, Period: time.Minute, Burst: 20}

// maxBlocked bounds the addresses an instance remembers as blocked.
const maxBlocked = 10000

// authGuard keeps SCIM token checks from being an oracle: wrong tokens are
// counted per client address with authos's rate limiter (shared between
// instances when it is), and an address over the limit is refused every
// token check, right or wrong, until the limiter lets it try again. The
// refusal is remembered by the instance that saw the address go over.
type authGuard struct {
	a     *authos.Authos
	limit authos.Limit

	mu      sync.Mutex
	blocked map[string]time.Time // client address -> refused until
}

func newAuthGuard(a *authos.Authos, l authos.Limit) *authGuard {
	if l == (authos.Limit{}) {
		l = defaultFailedAuthLimit
	}
	return &authGuard{a: a, limit: l, blocked: map[string]time.Time{}}
}

// refused returns RATE_LIMIT_EXCEEDED while ip is blocked.
func (g *authGuard) refused(ip string) error {
	now := g.a.Now()
	g.mu.Lock()
	until, ok := g.blocked[ip]
	if ok && !now.Before(until) {
		delete(g.blocked, ip)
		ok = false
	}
	g.mu.Unlock()
	if !ok {
		return nil
	}
	return tooMany(until.Sub(now))
}

// failed counts a wrong token from ip and returns RATE_LIMIT_EXCEEDED (and
// blocks ip) when that goes over the limit, or the limiter's own failure.
func (g *authGuard) failed(ctx context.Context, ip string) error {
	err := g.a.RateLimit(ctx, "scim:auth-failed:"+ip, g.limit)
	var e *authos.Error
	if !errors.As(err, &e) || e.Code != authos.CodeRateLimitExceeded {
		return err
	}
	now := g.a.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.blocked) >= maxBlocked {
		for k, until := range g.blocked {
			if !now.Before(until) {
				delete(g.blocked, k)
			}
		}
	}
	if len(g.blocked) < maxBlocked {
		g.blocked[ip] = now.Add(e.RetryAfter)
	}
	return tooMany(e.RetryAfter)
}

func tooMany(retry time.Duration) error {
	e := authos.NewError(authos.CodeRateLimitExceeded, "Too many wrong SCIM tokens from this address; retry later")
	e.RetryAfter = max(retry, time.Second)
	return e
}
