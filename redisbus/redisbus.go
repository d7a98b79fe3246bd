package redisbus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/urlerr"
	"github.com/authos/authos/store"
)

// DefaultChannel is the Redis channel a Bus publishes and subscribes on.
const DefaultChannel = "authos:revocations"

// maxMessage bounds one published message; larger batches are split.
const maxMessage = 16 << 10

// checkEvery is how long a subscription waits for a message before it
// checks that the server still answers.
const checkEvery = 30 * time.Second

// Bus is an authos.RevocationBus over Redis pub/sub. It is safe for
// concurrent use; every Bus on the same Redis and channel hears every other.
type Bus struct {
	client  redis.UniversalClient
	channel string
	owned   bool // client was created by NewFromURL
}

var _ authos.RevocationBus = (*Bus)(nil)

// Option configures a Bus.
type Option func(*Bus)

// WithChannel sets the Redis channel (default DefaultChannel); deployments
// sharing a Redis keep apart with channels of their own.
func WithChannel(name string) Option {
	return func(b *Bus) { b.channel = name }
}

// New returns a Bus using client, which stays owned by the caller.
func New(client redis.UniversalClient, opts ...Option) *Bus {
	b := &Bus{client: client, channel: DefaultChannel}
	for _, o := range opts {
		o(b)
	}
	return b
}

// NewFromURL connects to the Redis at rawURL (see redis.ParseURL, e.g.
// "redis://user:password@host:6379/0"). The Bus owns the connection pool;
// release it with Close. Errors never contain the URL's password.
func NewFromURL(rawURL string, opts ...Option) (*Bus, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisbus: invalid Redis URL: %w", urlerr.Redact(err))
	}
	b := New(redis.NewClient(o), opts...)
	b.owned = true
	return b, nil
}

// Close releases the connection pool created by NewFromURL. A client passed
// to New is left open for its owner to close.
func (b *Bus) Close() error {
	if !b.owned {
		return nil
	}
	return b.client.Close()
}

// PublishRevocations implements authos.RevocationBus: the ids, space
// separated, in messages of at most 16 KiB.
func (b *Bus) PublishRevocations(ctx context.Context, ids []string) error {
	for _, msg := range store.EncodeRevocations(ids, maxMessage) {
		if err := b.client.Publish(ctx, b.channel, msg).Err(); err != nil {
			return fmt.Errorf("redisbus: publish: %w", err)
		}
	}
	return nil
}

// SubscribeRevocations implements authos.RevocationBus. After 30 seconds
// without a message it pings the server; a broken connection ends it with
// the error (authos.Run subscribes again).
func (b *Bus) SubscribeRevocations(ctx context.Context, ready func(), deliver func(ids []string)) error {
	ps := b.client.Subscribe(ctx, b.channel)
	defer func() { _ = ps.Close() }() // the subscription ends here either way
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	for {
		msg, err := ps.ReceiveTimeout(ctx, checkEvery)
		if ctx.Err() != nil {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if err := ps.Ping(ctx); err != nil {
				return fmt.Errorf("redisbus: ping: %w", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("redisbus: subscription: %w", err)
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == b.channel {
				ready()
			}
		case *redis.Message:
			if ids := store.DecodeRevocations(m.Payload); len(ids) > 0 {
				deliver(ids)
			}
		}
	}
}
