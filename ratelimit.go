package authos

import (
	"context"
	"sync"
	"time"
)

// Limit allows Burst events at once and then one event every Period/Rate
// (the generic cell rate algorithm).
type Limit struct {
	Rate   int           // events per Period
	Period time.Duration // e.g. time.Minute
	Burst  int           // events allowed at once; at least 1
}

func (l Limit) interval() time.Duration {
	if l.Rate <= 0 || l.Period <= 0 {
		return 0
	}
	return l.Period / time.Duration(l.Rate)
}

func (l Limit) burst() int {
	if l.Burst < 1 {
		return 1
	}
	return l.Burst
}

// RateDecision is the answer of a RateLimiter.
type RateDecision struct {
	Allowed    bool
	Remaining  int           // events still allowed right now
	RetryAfter time.Duration // when not allowed: how long until the next event is
}

// RateLimiter decides whether one more event under key is within limit.
// Implementations must be safe for concurrent use. Keys are opaque; callers
// hash identifiers such as emails before using them. The in-process
// implementation is newMemoryRateLimiter; a Redis one shares limits between
// instances.
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit Limit) (RateDecision, error)
}

// memoryRateLimiter is an in-process RateLimiter (GCRA). Entries whose
// theoretical arrival time has passed are evicted as new keys arrive.
type memoryRateLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	tat     map[string]time.Time
	checked int
}

// newMemoryRateLimiter returns an in-process limiter; now may be nil (time.Now).
func newMemoryRateLimiter(now func() time.Time) *memoryRateLimiter {
	if now == nil {
		now = time.Now
	}
	return &memoryRateLimiter{now: now, tat: make(map[string]time.Time)}
}

// Allow implements RateLimiter.
func (m *memoryRateLimiter) Allow(_ context.Context, key string, l Limit) (RateDecision, error) {
	t := l.interval()
	if t <= 0 {
		return RateDecision{Allowed: true, Remaining: l.burst()}, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evict(now)
	d := gcra(now, m.tat[key], t, l.burst())
	if d.Allowed {
		m.tat[key] = d.tat
	}
	return d.RateDecision, nil
}

// evict drops idle keys, amortised over inserts.
func (m *memoryRateLimiter) evict(now time.Time) {
	m.checked++
	if m.checked < 1024 || m.checked < len(m.tat) {
		return
	}
	m.checked = 0
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

type gcraResult struct {
	RateDecision
	tat time.Time
}

// gcra applies one event at now to the theoretical arrival time tat.
func gcra(now, tat time.Time, interval time.Duration, burst int) gcraResult {
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	allowAt := newTAT.Add(-time.Duration(burst) * interval)
	if now.Before(allowAt) {
		return gcraResult{RateDecision: RateDecision{RetryAfter: allowAt.Sub(now)}, tat: tat}
	}
	remaining := int(now.Sub(allowAt) / interval)
	return gcraResult{RateDecision: RateDecision{Allowed: true, Remaining: remaining}, tat: newTAT}
}

var _ RateLimiter = (*memoryRateLimiter)(nil)

// RateLimit counts one event of key against l with the configured
// RateLimiter (shared between instances when Config.RateLimiter is): nil
// while within the limit, else RATE_LIMIT_EXCEEDED with RetryAfter
// (SERVICE_UNAVAILABLE when the limiter fails). Domain packages limit their
// own endpoints with it, prefixing keys with the package name. Nothing is
// limited when RateLimits.Disabled is set.
func (a *Authos) RateLimit(ctx context.Context, key string, l Limit) error {
	if a.cfg.RateLimits.Disabled {
		return nil
	}
	return a.allow(ctx, key, l)
}
