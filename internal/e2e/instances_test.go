package e2e_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/internal/storecount"
	"github.com/authos/authos/ratelimit/redisrate"
	"github.com/authos/authos/redisbus"
	"github.com/authos/authos/store"
)

const redisEnv = "AUTHOS_TEST_REDIS_URL"

// storeFeed is a counting store passing the wrapped store's push channel on.
type storeFeed struct {
	*storecount.Store
	feed store.RevocationFeed
}

func (c storeFeed) PublishRevocations(ctx context.Context, tx store.Tx, ids []string) error {
	return c.feed.PublishRevocations(ctx, tx, ids)
}

func (c storeFeed) ListenRevocations(ctx context.Context, ready func(), deliver func(ids []string)) error {
	return c.feed.ListenRevocations(ctx, ready, deliver)
}

func requireEnv(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if os.Getenv(n) == "" {
			t.Skip(n + " is not set")
		}
	}
}

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(os.Getenv(redisEnv))
	if err != nil {
		t.Fatalf("%s: %v", redisEnv, err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// instance builds an Authos on st that re-reads revocations from the store
// once a minute only, so that within a test only a push reaches it.
func instance(t *testing.T, st store.Storage, kr *authos.Keyring, mutate func(*authos.Config)) *authos.Authos {
	t.Helper()
	cfg := authos.Config{
		Store: st, Keyring: kr, BaseURL: "http://id.example.test", Hasher: authostest.FastHasher{},
		RevocationPoll: time.Minute, RevocationPollPushed: time.Minute,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authos.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// run runs a.Run until the test ends.
func run(t *testing.T, a *authos.Authos) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// signIn creates a verified account on a and signs it in.
func signIn(t *testing.T, a *authos.Authos, email string) *authos.TokenResponse {
	t.Helper()
	ctx := context.Background()
	const pw = "correct horse battery"
	u, err := a.Register(ctx, authos.RegisterInput{Email: email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	u.EmailVerified = true
	if err := a.Store().UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	tr, err := a.Login(ctx, authos.LoginInput{Email: email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sessionOf(t *testing.T, a *authos.Authos, token string) string {
	t.Helper()
	p, err := a.VerifyAccessToken(context.Background(), token, "")
	if err != nil {
		t.Fatal(err)
	}
	return p.SessionID
}

// pushReaches checks that a revocation on a reaches b by push: b verifies
// a token, a revokes its session, and b, which re-reads the store once a
// minute, must refuse it within 200 ms (checked every 10 ms), without a
// store call of its own for the verifications (counted by cs). It returns
// how long the refusal took.
func pushReaches(t *testing.T, a, b *authos.Authos, cs *storecount.Store, email string) time.Duration {
	t.Helper()
	ctx := context.Background()
	// Wait until b receives pushes: a probe session revoked on a must be
	// refused by b, which only a push (or the re-read made when the push
	// channel comes up) can tell it within the minute.
	probe := signIn(t, a, "probe-"+email)
	sessionOf(t, b, probe.AccessToken)
	if err := a.Logout(ctx, sessionOf(t, a, probe.AccessToken)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := b.VerifyAccessToken(ctx, probe.AccessToken, "")
		if errors.Is(err, authos.CodeSessionRevoked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b never learned of the probe's revocation: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	tr := signIn(t, a, email)
	sid := sessionOf(t, a, tr.AccessToken)
	sessionOf(t, b, tr.AccessToken) // b verifies (and caches) the token
	mctx := storecount.Mark(ctx)
	before := cs.Count()
	if _, err := b.VerifyAccessToken(mctx, tr.AccessToken, ""); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.Logout(ctx, sid); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := b.VerifyAccessToken(mctx, tr.AccessToken, "")
		elapsed := time.Since(start)
		if errors.Is(err, authos.CodeSessionRevoked) {
			if n := cs.Count() - before; n != 0 {
				t.Fatalf("b made %d store calls verifying the token; want 0", n)
			}
			return elapsed
		}
		if err != nil {
			t.Fatalf("b: %v; want SESSION_REVOKED", err)
		}
		if elapsed > 200*time.Millisecond {
			t.Fatalf("b still accepts the token %v after its session was revoked on a", elapsed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// twoInstances runs A and B on one PostgreSQL schema, B counting the reads
// and transactions made with a storecount.Mark context (cs), of the kinds a
// token verification could make, and receiving pushes while it runs; with a
// non-nil bus both use it (Config.Revocations), and B's store carries no
// push of its own unless storePush.
func twoInstances(t *testing.T, storePush bool, bus authos.RevocationBus) (a, b *authos.Authos, cs *storecount.Store) {
	t.Helper()
	sts := testbackends.Instances(t, testbackends.Backend{Name: "postgres"}, 2)
	cs = storecount.NewMarkedOnly(sts[1])
	var bStore store.Storage = cs
	if storePush {
		feed, ok := store.As[store.RevocationFeed](sts[1])
		if !ok {
			t.Fatal("the PostgreSQL store offers no store.RevocationFeed")
		}
		bStore = storeFeed{Store: cs, feed: feed}
	}
	withBus := func(c *authos.Config) { c.Revocations = bus }
	kr := authostest.Keyring(t)
	a = instance(t, sts[0], kr, withBus)
	b = instance(t, bStore, kr, withBus)
	run(t, b)
	return a, b, cs
}

// Two instances on one PostgreSQL schema: a session revoked on A is
// refused by B within 200 ms through LISTEN/NOTIFY, B's fallback re-read
// of the store being a minute away, and B verifies without store calls.
func TestRevocationPushedPostgres(t *testing.T) {
	requireEnv(t, testbackends.PostgresEnv)
	a, b, cs := twoInstances(t, true, nil)
	took := pushReaches(t, a, b, cs, "pg-push@example.test")
	t.Logf("PostgreSQL LISTEN/NOTIFY: B refused the token %v after A's logout began", took)
}

// The same through Redis pub/sub (package redisbus): B's store carries no
// push of its own.
func TestRevocationPushedRedis(t *testing.T) {
	requireEnv(t, testbackends.PostgresEnv, redisEnv)
	channel := "authos:test:revocations:" + rand.Text()
	a, b, cs := twoInstances(t, false, redisbus.New(redisClient(t), redisbus.WithChannel(channel)))
	took := pushReaches(t, a, b, cs, "redis-push@example.test")
	t.Logf("Redis pub/sub: B refused the token %v after A's logout began", took)
}

// Two instances sharing rate limits through Redis (ratelimit/redisrate):
// login attempts spread over both are admitted up to the limit in total,
// not per instance.
func TestSharedRateLimits(t *testing.T) {
	requireEnv(t, testbackends.PostgresEnv, redisEnv)
	sts := testbackends.Instances(t, testbackends.Backend{Name: "postgres"}, 2)
	client := redisClient(t)
	prefix := "authos:rl:test:" + rand.Text() + ":"
	t.Cleanup(func() {
		iter := client.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
		for iter.Next(context.Background()) {
			client.Del(context.Background(), iter.Val())
		}
	})
	const limit = 7
	kr := authostest.Keyring(t)
	var srvs []*httptest.Server
	for _, st := range sts {
		a := instance(t, st, kr, func(c *authos.Config) {
			c.RateLimiter = redisrate.New(client, redisrate.WithKeyPrefix(prefix))
			c.RateLimits.PerIP = authos.Limit{Rate: 1, Period: time.Hour, Burst: limit}
		})
		srv := httptest.NewServer(oapitest.Handler(t, a.Handler()))
		t.Cleanup(srv.Close)
		srvs = append(srvs, srv)
	}
	var admitted, limited atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := strings.NewReader(`{"email":"nobody@example.test","password":"wrong password!"}`)
			resp, err := http.Post(srvs[i%2].URL+"/api/auth/login", "application/json", body)
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close() // only the status matters
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				limited.Add(1)
			case http.StatusUnauthorized:
				admitted.Add(1)
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if admitted.Load() != limit || limited.Load() != 40-limit {
		t.Fatalf("%d admitted and %d refused over both instances; want %d and %d",
			admitted.Load(), limited.Load(), limit, 40-limit)
	}
}
