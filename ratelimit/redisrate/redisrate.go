package redisrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/urlerr"
	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix is prepended to every key the Limiter stores.
const DefaultKeyPrefix = "authos:rl:"

// gcraScript applies one event to the theoretical arrival time (TAT) stored
// at KEYS[1], in microseconds of the server's clock, exactly like the core's
// in-process limiter (the default RateLimiter). ARGV[1] is the interval in
// microseconds, ARGV[2] the burst. It returns {allowed (0/1), remaining, retry after in µs}; a
// refused event leaves the key untouched.
var gcraScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local newtat = tat + interval
local allowat = newtat - burst * interval
if now < allowat then
  return {0, 0, allowat - now}
end
local ttl = math.ceil((newtat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', newtat), 'PX', string.format('%.0f', ttl))
return {1, math.floor((now - allowat) / interval), 0}
`)

// Limiter is an authos.RateLimiter backed by Redis. It is safe for
// concurrent use, and any number of Limiters on the same Redis with the same
// key prefix share their limits.
type Limiter struct {
	client redis.UniversalClient
	prefix string
	owned  bool // client was created by NewFromURL
}

var _ authos.RateLimiter = (*Limiter)(nil)

// Option configures a Limiter.
type Option func(*Limiter)

// WithKeyPrefix sets the prefix of the Redis keys (default DefaultKeyPrefix).
func WithKeyPrefix(prefix string) Option {
	return func(l *Limiter) { l.prefix = prefix }
}

// New returns a Limiter using client, which stays owned by the caller.
func New(client redis.UniversalClient, opts ...Option) *Limiter {
	l := &Limiter{client: client, prefix: DefaultKeyPrefix}
	for _, o := range opts {
		o(l)
	}
	return l
}

// NewFromURL connects to the Redis at rawURL (see redis.ParseURL, e.g.
// "redis://user:password@host:6379/0"). The Limiter owns the connection
// pool; release it with Close. Errors never contain the URL's password.
func NewFromURL(rawURL string, opts ...Option) (*Limiter, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisrate: invalid Redis URL: %w", urlerr.Redact(err))
	}
	l := New(redis.NewClient(o), opts...)
	l.owned = true
	return l, nil
}

// Close releases the connection pool created by NewFromURL. A client passed
// to New is left open for its owner to close.
func (l *Limiter) Close() error {
	if !l.owned {
		return nil
	}
	return l.client.Close()
}

// Allow implements authos.RateLimiter. A limit with Rate <= 0 or Period <= 0
// allows every event without contacting Redis. Redis errors are returned
// with a zero (refusing) decision.
func (l *Limiter) Allow(ctx context.Context, key string, limit authos.Limit) (authos.RateDecision, error) {
	burst := max(limit.Burst, 1)
	if limit.Rate <= 0 || limit.Period <= 0 {
		return authos.RateDecision{Allowed: true, Remaining: burst}, nil
	}
	interval := max(int64(limit.Period/time.Duration(limit.Rate)/time.Microsecond), 1)
	res, err := gcraScript.Run(ctx, l.client, []string{l.redisKey(key)},
		strconv.FormatInt(interval, 10), strconv.Itoa(burst)).Int64Slice()
	if err != nil {
		return authos.RateDecision{}, fmt.Errorf("redisrate: %w", err)
	}
	if len(res) != 3 {
		return authos.RateDecision{}, fmt.Errorf("redisrate: unexpected script reply %v", res)
	}
	if res[0] != 1 {
		return authos.RateDecision{RetryAfter: time.Duration(res[2]) * time.Microsecond}, nil
	}
	return authos.RateDecision{Allowed: true, Remaining: int(res[1])}, nil
}

// redisKey hashes key, which may be an identifier such as an email address.
func (l *Limiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + hex.EncodeToString(sum[:])
}
