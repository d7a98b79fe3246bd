// Package redisbus carries session revocations between the instances of an
// application through Redis pub/sub (PUBLISH and SUBSCRIBE on one channel),
// so that an access token of a session revoked on one instance is refused
// by every other at once, not at their next re-read of the store.
//
// Plug it into authos.Config.Revocations; every instance runs authos.Run,
// which subscribes:
//
//	bus, err := redisbus.NewFromURL("redis://localhost:6379/0")
//	if err != nil { ... }
//	defer bus.Close()
//	cfg.Revocations = bus
//
// Pub/sub delivers at most once: an instance that is not subscribed when a
// revocation is published misses it. authos therefore keeps re-reading the
// revocations from the store (Config.RevocationPollPushed while the
// subscription is up, Config.RevocationPoll while it is down) and re-reads
// at once each time the subscription is established. A PostgreSQL store
// carries revocations itself (LISTEN/NOTIFY); the bus is for the other
// stores, or as a second channel.
package redisbus
