package redisrate_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/ratelimit/redisrate"
	"github.com/redis/go-redis/v9"
)

const envURL = "AUTHOS_TEST_REDIS_URL"

// redisURL returns the test Redis URL, skipping the test when it is unset.
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		t.Skip(envURL + " is not set")
	}
	return u
}

// newClient opens a client to the test Redis, closed when the test ends.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping test Redis: %v", err)
	}
	return c
}

// testPrefix returns a unique key prefix whose keys are deleted after the test.
func testPrefix(t *testing.T, c *redis.Client) string {
	t.Helper()
	prefix := "authos:rl:test:" + rand.Text() + ":"
	t.Cleanup(func() {
		for _, k := range keys(t, c, prefix) {
			c.Del(context.Background(), k)
		}
	})
	return prefix
}

func keys(t *testing.T, c *redis.Client, prefix string) []string {
	t.Helper()
	var out []string
	iter := c.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
	}
	return out
}

func hashed(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// closedPortURL returns a redis:// URL (with a password) on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil { // frees the port the test then dials
		t.Fatal(err)
	}
	return "redis://user:s3cretpw@" + addr + "/0?max_retries=1&dial_timeout=1s"
}

func mustAllow(t *testing.T, l authos.RateLimiter, key string, lim authos.Limit) authos.RateDecision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return d
}

var fivePerMinute = authos.Limit{Rate: 5, Period: time.Minute, Burst: 5}

func TestBurstThenRefused(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	l := redisrate.New(c, redisrate.WithKeyPrefix(prefix))
	const key = "login:alice@example.com"

	for i := range 5 {
		d := mustAllow(t, l, key, fivePerMinute)
		if !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("event %d: got %+v, want allowed with Remaining %d", i+1, d, 4-i)
		}
	}
	d := mustAllow(t, l, key, fivePerMinute)
	if d.Allowed || d.Remaining != 0 {
		t.Fatalf("event 6: got %+v, want refused", d)
	}
	if d.RetryAfter < 11*time.Second || d.RetryAfter > 13*time.Second {
		t.Fatalf("event 6: RetryAfter %v, want about 12s", d.RetryAfter)
	}

	// Only the hashed key is stored, expiring when the TAT (now+60s) passes.
	got := keys(t, c, prefix)
	if len(got) != 1 || got[0] != prefix+hashed(key) {
		t.Fatalf("stored keys %v, want [%s]", got, prefix+hashed(key))
	}
	ttl, err := c.PTTL(context.Background(), got[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 58*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL %v, want about 60s", ttl)
	}
}

func TestDefaultKeyPrefix(t *testing.T) {
	c := newClient(t)
	key := "default-prefix:" + rand.Text()
	stored := redisrate.DefaultKeyPrefix + hashed(key)
	t.Cleanup(func() { c.Del(context.Background(), stored) })

	mustAllow(t, redisrate.New(c), key, fivePerMinute)
	if n, err := c.Exists(context.Background(), stored).Result(); err != nil || n != 1 {
		t.Fatalf("Exists(%s) = %d, %v; want 1", stored, n, err)
	}
}

func TestKeysIndependent(t *testing.T) {
	c := newClient(t)
	l := redisrate.New(c, redisrate.WithKeyPrefix(testPrefix(t, c)))
	lim := authos.Limit{Rate: 2, Period: time.Minute, Burst: 2}

	for range 2 {
		mustAllow(t, l, "a", lim)
	}
	if d := mustAllow(t, l, "a", lim); d.Allowed {
		t.Fatalf("a: third event allowed: %+v", d)
	}
	if d := mustAllow(t, l, "b", lim); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("b: got %+v, want allowed with Remaining 1", d)
	}
}

func TestSharedBetweenClients(t *testing.T) {
	c1, c2 := newClient(t), newClient(t)
	prefix := testPrefix(t, c1)
	l1 := redisrate.New(c1, redisrate.WithKeyPrefix(prefix))
	l2 := redisrate.New(c2, redisrate.WithKeyPrefix(prefix))
	limiters := []*redisrate.Limiter{l1, l2}

	for i := range 5 {
		d := mustAllow(t, limiters[i%2], "shared", fivePerMinute)
		if !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("event %d: got %+v, want allowed with Remaining %d", i+1, d, 4-i)
		}
	}
	for i, l := range limiters {
		if d := mustAllow(t, l, "shared", fivePerMinute); d.Allowed {
			t.Fatalf("limiter %d: event past the shared burst allowed: %+v", i+1, d)
		}
	}
}

func TestConcurrent(t *testing.T) {
	c := newClient(t)
	l := redisrate.New(c, redisrate.WithKeyPrefix(testPrefix(t, c)))
	lim := authos.Limit{Rate: 10, Period: time.Minute, Burst: 10}

	var allowed, failed atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			d, err := l.Allow(context.Background(), "hot", lim)
			if err != nil {
				failed.Add(1)
				t.Error(err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || allowed.Load() != 10 {
		t.Fatalf("allowed %d (errors %d), want exactly 10", allowed.Load(), failed.Load())
	}
}

func TestZeroLimitAllowedWithoutRedis(t *testing.T) {
	// Nothing listens here: a zero limit must not contact Redis.
	l, err := redisrate.NewFromURL(closedPortURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, lim := range []authos.Limit{
		{},
		{Rate: 0, Period: time.Minute, Burst: 3},
		{Rate: 5, Period: 0},
		{Rate: -1, Period: time.Minute},
	} {
		d := mustAllow(t, l, "k", lim)
		want := authos.RateDecision{Allowed: true, Remaining: max(lim.Burst, 1)}
		if d != want {
			t.Errorf("%+v: got %+v, want %+v", lim, d, want)
		}
	}
}

func TestZeroLimitStoresNothing(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	l := redisrate.New(c, redisrate.WithKeyPrefix(prefix))
	if d := mustAllow(t, l, "k", authos.Limit{}); !d.Allowed {
		t.Fatalf("zero limit refused: %+v", d)
	}
	if got := keys(t, c, prefix); len(got) != 0 {
		t.Fatalf("zero limit stored keys %v", got)
	}
}

func TestUnreachableRedisErrors(t *testing.T) {
	l, err := redisrate.NewFromURL(closedPortURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}()
	d, err := l.Allow(context.Background(), "k", fivePerMinute)
	if err == nil {
		t.Fatalf("no error from a closed port; decision %+v", d)
	}
	if d.Allowed {
		t.Fatalf("allowed on error: %+v", d)
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "redisrate: ") {
		t.Errorf("error not wrapped: %v", err)
	}
}

func TestNewFromURLErrorsHidePassword(t *testing.T) {
	for _, u := range []string{
		"redis://user:s3cretpw@127.0.0.1:6379/notadb",
		"redis://user:s3cretpw@[::1",
		"redis://user:s3cretpw/x@127.0.0.1:6379/0", // unencoded /: url.Parse quotes ":s3cretpw" as a port
		"redis://user:s3cretpw@127.0.0.1:6379/0?bogus=1",
		"http://user:s3cretpw@127.0.0.1:6379/0",
		"redis://user:s3cretpw@127.0.0.1:6379/0\x7f",
	} {
		l, err := redisrate.NewFromURL(u)
		if err == nil {
			_ = l.Close() // only to free it; the test's outcome is decided below
			t.Errorf("%q: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

// TestMatchesMemoryLimiter replays the same calls, all within the first
// second, on the core's default in-process limiter (Config.RateLimiter
// left nil) with a fixed clock and on Redis.
func TestMatchesMemoryLimiter(t *testing.T) {
	c := newClient(t)
	type step struct {
		key string
		lim authos.Limit
		n   int // repetitions
	}
	perMin := func(rate, burst int) authos.Limit {
		return authos.Limit{Rate: rate, Period: time.Minute, Burst: burst}
	}
	tables := map[string][]step{
		"burst 5":         {{"a", fivePerMinute, 8}},
		"burst 1":         {{"a", perMin(1, 1), 3}},
		"burst 0 means 1": {{"a", perMin(3, 0), 3}},
		"burst > rate":    {{"a", perMin(2, 6), 9}},
		"rate > burst":    {{"a", perMin(30, 3), 5}},
		"odd interval":    {{"a", authos.Limit{Rate: 7, Period: time.Hour, Burst: 4}, 6}},
		"interleaved keys": {
			{"a", perMin(3, 3), 2}, {"b", perMin(3, 3), 4}, {"a", perMin(3, 3), 2}, {"c", perMin(3, 3), 1},
		},
		"limit changes on a key": {
			{"a", perMin(10, 10), 4}, {"a", perMin(2, 2), 2}, {"a", perMin(10, 10), 8}, {"a", perMin(1, 20), 3},
		},
		"zero limits": {
			{"a", authos.Limit{}, 3}, {"a", perMin(1, 1), 2}, {"a", authos.Limit{Rate: 1}, 2},
		},
	}
	for name, steps := range tables {
		t.Run(name, func(t *testing.T) {
			fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			mem := authostest.New(t, func(c *authos.Config) {
				c.RateLimiter = nil
				c.Now = func() time.Time { return fixed }
			}).Config().RateLimiter
			red := redisrate.New(c, redisrate.WithKeyPrefix(testPrefix(t, c)))
			call := 0
			for _, s := range steps {
				for range s.n {
					call++
					want := mustAllow(t, mem, s.key, s.lim)
					got := mustAllow(t, red, s.key, s.lim)
					if got.Allowed != want.Allowed || got.Remaining != want.Remaining {
						t.Fatalf("call %d (%s %+v): redis %+v, memory %+v", call, s.key, s.lim, got, want)
					}
					if diff := got.RetryAfter - want.RetryAfter; diff > 0 || diff < -time.Second {
						t.Fatalf("call %d (%s %+v): RetryAfter redis %v, memory %v", call, s.key, s.lim, got.RetryAfter, want.RetryAfter)
					}
				}
			}
		})
	}
}

func ExampleNewFromURL() {
	rl, err := redisrate.NewFromURL("redis://127.0.0.1:6379/0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		if err := rl.Close(); err != nil {
			fmt.Println(err)
		}
	}()
	cfg := authos.Config{RateLimiter: rl}
	_ = cfg
}
