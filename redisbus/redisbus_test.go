package redisbus_test

import (
	"context"
	"crypto/rand"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authos/authos/redisbus"
)

const envURL = "AUTHOS_TEST_REDIS_URL"

// newClient opens a client to the test Redis (skipping without one),
// closed when the test ends.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	u := testURL(t)
	o, err := redis.ParseURL(u)
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

func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		t.Skip(envURL + " is not set")
	}
	return u
}

// subscribe subscribes b until the test ends and returns what it receives.
func subscribe(t *testing.T, b *redisbus.Bus) <-chan []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	got := make(chan []string, 16)
	done := make(chan error, 1)
	go func() {
		done <- b.SubscribeRevocations(ctx, func() { close(ready) }, func(ids []string) { got <- ids })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("SubscribeRevocations after its context ended: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("SubscribeRevocations: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("not subscribed after 5s")
	}
	return got
}

// Revocations published by one Bus reach every Bus on the channel, and no
// Bus on another channel.
func TestPublishSubscribe(t *testing.T) {
	c := newClient(t)
	channel := "authos:test:" + rand.Text()
	pub := redisbus.New(c, redisbus.WithChannel(channel))
	sub1 := subscribe(t, redisbus.New(c, redisbus.WithChannel(channel)))
	sub2 := subscribe(t, redisbus.New(c, redisbus.WithChannel(channel)))
	elsewhere := subscribe(t, redisbus.New(c, redisbus.WithChannel(channel+":other")))
	ctx := context.Background()
	if err := pub.PublishRevocations(ctx, []string{"s1", "s2"}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []<-chan []string{sub1, sub2} {
		select {
		case ids := <-sub:
			if !slices.Equal(ids, []string{"s1", "s2"}) {
				t.Fatalf("received %q", ids)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("nothing received within 5s")
		}
	}
	select {
	case ids := <-elsewhere:
		t.Fatalf("another channel received %q", ids)
	case <-time.After(200 * time.Millisecond):
	}
	// A large batch is split and arrives whole.
	var many []string
	for range 2000 {
		many = append(many, rand.Text())
	}
	if err := pub.PublishRevocations(ctx, many); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(many) {
		select {
		case ids := <-sub1:
			got = append(got, ids...)
		case <-time.After(5 * time.Second):
			t.Fatalf("received %d of %d ids", len(got), len(many))
		}
	}
	if !slices.Equal(got, many) {
		t.Fatal("the large batch arrived altered")
	}
}

// A subscription whose connection the server closes ends with an error.
func TestSubscriptionBroken(t *testing.T) {
	c := newClient(t)
	o, err := redis.ParseURL(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	name := "authos-test-" + strings.ToLower(rand.Text())
	o.ClientName = name
	own := redis.NewClient(o)
	t.Cleanup(func() { _ = own.Close() }) // its connection is killed below
	channel := "authos:test:" + rand.Text()
	b := redisbus.New(own, redisbus.WithChannel(channel))
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.SubscribeRevocations(t.Context(), func() { close(ready) }, func([]string) {})
	}()
	<-ready
	// Kill the subscription's connection, found by its client name.
	list, err := c.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.Lines(list) {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(field, "id="); ok {
				if err := c.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatal(err)
				}
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatalf("no connection named %s in %s", name, list)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("SubscribeRevocations returned nil on a broken connection")
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the broken subscription was not noticed")
	}
}

func TestNewFromURLHidesPassword(t *testing.T) {
	for _, u := range []string{
		"redis://user:s3cretpw@[::1",
		"redis://user:s3cretpw/x@127.0.0.1:6379/0", // unencoded /: url.Parse quotes ":s3cretpw" as a port
	} {
		_, err := redisbus.NewFromURL(u)
		if err == nil || strings.Contains(err.Error(), "s3cretpw") {
			t.Fatalf("%q: error %v", u, err)
		}
	}
	b, err := redisbus.NewFromURL("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
