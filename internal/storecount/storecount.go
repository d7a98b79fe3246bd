// Package storecount wraps a store.Storage to count the reads a code path
// makes, for tests that assert a path reads the store a given number of
// times (often none per request). Only _test.go files import it.
package storecount

import (
	"context"
	"sync"
	"time"

	"github.com/authos/authos/store"
)

// Op names a counted store operation.
type Op string

// The counted operations: the reads of users, sessions, services,
// revocations and signing keys, and transactions.
const (
	GetUser              Op = "GetUser"
	GetUserByEmail       Op = "GetUserByEmail"
	GetSession           Op = "GetSession"
	ListUserSessions     Op = "ListUserSessions"
	GetServiceByClientID Op = "GetServiceByClientID"
	ListRevokedSessions  Op = "ListRevokedSessions"
	ListSigningKeys      Op = "ListSigningKeys"
	Tx                   Op = "Tx"
)

// marked is the context key of Mark.
type marked struct{}

// Mark returns ctx marked for a Store made by NewMarkedOnly.
func Mark(ctx context.Context) context.Context { return context.WithValue(ctx, marked{}, true) }

// Store is a store.Storage that counts the calls of the Ops it passes on.
// It offers none of the wrapped store's optional capabilities (store.As
// finds none): a test that needs one embeds *Store and adds it.
type Store struct {
	store.Storage
	markedOnly bool

	mu    sync.Mutex
	calls map[Op]int64
}

// New counts every call of the Ops on st.
func New(st store.Storage) *Store { return &Store{Storage: st} }

// NewMarkedOnly counts only the calls made with a context from Mark, so
// that the background work of an instance does not count.
func NewMarkedOnly(st store.Storage) *Store { return &Store{Storage: st, markedOnly: true} }

// Count returns the calls of ops since the start or the last Reset; with no
// ops, of all the counted operations.
func (s *Store) Count(ops ...Op) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ops) == 0 {
		var n int64
		for _, c := range s.calls {
			n += c
		}
		return n
	}
	var n int64
	for _, op := range ops {
		n += s.calls[op]
	}
	return n
}

// Reset sets every count to zero.
func (s *Store) Reset() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

func (s *Store) count(ctx context.Context, op Op) {
	if s.markedOnly && ctx.Value(marked{}) == nil {
		return
	}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[Op]int64{}
	}
	s.calls[op]++
	s.mu.Unlock()
}

func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	s.count(ctx, GetUser)
	return s.Storage.GetUser(ctx, id)
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	s.count(ctx, GetUserByEmail)
	return s.Storage.GetUserByEmail(ctx, email)
}

func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	s.count(ctx, GetSession)
	return s.Storage.GetSession(ctx, id)
}

func (s *Store) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	s.count(ctx, ListUserSessions)
	return s.Storage.ListUserSessions(ctx, userID, now)
}

func (s *Store) GetServiceByClientID(ctx context.Context, clientID string) (store.Service, error) {
	s.count(ctx, GetServiceByClientID)
	return s.Storage.GetServiceByClientID(ctx, clientID)
}

func (s *Store) ListRevokedSessions(ctx context.Context, since time.Time) ([]store.RevokedSession, error) {
	s.count(ctx, ListRevokedSessions)
	return s.Storage.ListRevokedSessions(ctx, since)
}

func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	s.count(ctx, ListSigningKeys)
	return s.Storage.ListSigningKeys(ctx)
}

func (s *Store) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	s.count(ctx, Tx)
	return s.Storage.Tx(ctx, fn)
}
