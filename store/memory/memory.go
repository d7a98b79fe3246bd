package memory

import (
	"context"
	"sync"
	"time"

	"github.com/authos/authos/store"
)

// Store is an in-memory store.Storage. The zero value is not usable; call New.
type Store struct {
	mu sync.Mutex
	st *state
}

// The Store offers the core and every capability, on itself and on the
// transactions it passes to Tx (see view.go).
var (
	_ store.Storage      = (*Store)(nil)
	_ store.MFAStore     = (*Store)(nil)
	_ store.DeviceStore  = (*Store)(nil)
	_ store.SCIMStore    = (*Store)(nil)
	_ store.WebhookStore = (*Store)(nil)
	_ store.OAuthStore   = (*Store)(nil)
	_ store.SAMLStore    = (*Store)(nil)
	_ store.SignInStore  = (*Store)(nil)
)

// New returns an empty store.
func New() *Store { return &Store{st: newState()} }

// do runs fn against the live state under the lock.
func (s *Store) do(ctx context.Context, fn func(v *view) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&view{st: s.st})
}

// Tx runs fn against a private clone of the state while holding the lock, and
// makes the clone the live state when fn returns nil. fn's error is returned
// unchanged. Calling the Store itself (rather than tx) inside fn deadlocks.
func (s *Store) Tx(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clone := s.st.clone()
	if err := fn(&view{st: clone}); err != nil {
		return err
	}
	s.st = clone
	return nil
}

// Close does nothing; the state is garbage once the Store is unreachable.
func (s *Store) Close() error { return nil }

// CreateUser implements store.UserStore.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	return s.do(ctx, func(v *view) error { return v.CreateUser(ctx, u) })
}

// GetUser implements store.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (u store.User, err error) {
	err = s.do(ctx, func(v *view) error { u, err = v.GetUser(ctx, id); return err })
	return u, err
}

// DeleteUser implements store.UserStore.
func (s *Store) DeleteUser(ctx context.Context, id string, now time.Time) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.DeleteUser(ctx, id, now); return err })
	return ids, err
}

// GetUserByEmail implements store.UserStore.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (u store.User, err error) {
	err = s.do(ctx, func(v *view) error { u, err = v.GetUserByEmail(ctx, email); return err })
	return u, err
}

// UpdateUser implements store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	return s.do(ctx, func(v *view) error { return v.UpdateUser(ctx, u) })
}

// CountPlatformOwners implements store.UserStore.
func (s *Store) CountPlatformOwners(ctx context.Context) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.CountPlatformOwners(ctx); return err })
	return n, err
}

// DeleteUnverifiedUsers implements store.UserStore.
func (s *Store) DeleteUnverifiedUsers(ctx context.Context, createdBefore, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteUnverifiedUsers(ctx, createdBefore, now); return err })
	return n, err
}

// SetPassword implements store.PasswordStore.
func (s *Store) SetPassword(ctx context.Context, c store.PasswordCredential) error {
	return s.do(ctx, func(v *view) error { return v.SetPassword(ctx, c) })
}

// GetPassword implements store.PasswordStore.
func (s *Store) GetPassword(ctx context.Context, userID string) (c store.PasswordCredential, err error) {
	err = s.do(ctx, func(v *view) error { c, err = v.GetPassword(ctx, userID); return err })
	return c, err
}

// CreateToken implements store.TokenStore.
func (s *Store) CreateToken(ctx context.Context, t store.OneTimeToken) error {
	return s.do(ctx, func(v *view) error { return v.CreateToken(ctx, t) })
}

// GetToken implements store.TokenStore.
func (s *Store) GetToken(ctx context.Context, purpose, hash string, now time.Time) (t store.OneTimeToken, err error) {
	err = s.do(ctx, func(v *view) error { t, err = v.GetToken(ctx, purpose, hash, now); return err })
	return t, err
}

// ConsumeToken implements store.TokenStore.
func (s *Store) ConsumeToken(ctx context.Context, purpose, hash string, now time.Time) (t store.OneTimeToken, err error) {
	err = s.do(ctx, func(v *view) error { t, err = v.ConsumeToken(ctx, purpose, hash, now); return err })
	return t, err
}

// RecordTokenAttempt implements store.TokenStore.
func (s *Store) RecordTokenAttempt(ctx context.Context, purpose, hash string) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.RecordTokenAttempt(ctx, purpose, hash); return err })
	return n, err
}

// DeleteUserTokens implements store.TokenStore.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, purpose string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteUserTokens(ctx, userID, purpose) })
}

// PruneUserTokens implements store.TokenStore.
func (s *Store) PruneUserTokens(ctx context.Context, userID, purpose string, keep int, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.PruneUserTokens(ctx, userID, purpose, keep, now); return err })
	return n, err
}

// DeleteExpiredTokens implements store.TokenStore.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteExpiredTokens(ctx, now); return err })
	return n, err
}

// CreateSession implements store.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	return s.do(ctx, func(v *view) error { return v.CreateSession(ctx, sess) })
}

// GetSession implements store.SessionStore.
func (s *Store) GetSession(ctx context.Context, id string) (sess store.Session, err error) {
	err = s.do(ctx, func(v *view) error { sess, err = v.GetSession(ctx, id); return err })
	return sess, err
}

// ListUserSessions implements store.SessionStore.
func (s *Store) ListUserSessions(ctx context.Context, userID string, now time.Time) (ss []store.Session, err error) {
	err = s.do(ctx, func(v *view) error { ss, err = v.ListUserSessions(ctx, userID, now); return err })
	return ss, err
}

// TouchSession implements store.SessionStore.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.TouchSession(ctx, id, now) })
}

// RevokeSession implements store.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RevokeSession(ctx, id, now) })
}

// RevokeUserSessions implements store.SessionStore.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, now time.Time) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.RevokeUserSessions(ctx, userID, exceptID, now); return err })
	return ids, err
}

// ListRevokedSessions implements store.SessionStore.
func (s *Store) ListRevokedSessions(ctx context.Context, since time.Time) (rs []store.RevokedSession, err error) {
	err = s.do(ctx, func(v *view) error { rs, err = v.ListRevokedSessions(ctx, since); return err })
	return rs, err
}

// CreateRefreshToken implements store.RefreshTokenStore.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return s.do(ctx, func(v *view) error { return v.CreateRefreshToken(ctx, t) })
}

// RotateRefreshToken implements store.RefreshTokenStore. The reuse
// revocation is written to the live state even though ErrReused is returned.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (r store.Rotation, err error) {
	err = s.do(ctx, func(v *view) error { r, err = v.RotateRefreshToken(ctx, oldHash, next, now, grace); return err })
	return r, err
}

// RecordLoginFailure implements store.LoginFailureStore.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, maxFailures int, lockFor time.Duration) (f store.LoginFailures, err error) {
	err = s.do(ctx, func(v *view) error {
		f, err = v.RecordLoginFailure(ctx, key, now, window, maxFailures, lockFor)
		return err
	})
	return f, err
}

// GetLoginFailures implements store.LoginFailureStore.
func (s *Store) GetLoginFailures(ctx context.Context, key string) (f store.LoginFailures, err error) {
	err = s.do(ctx, func(v *view) error { f, err = v.GetLoginFailures(ctx, key); return err })
	return f, err
}

// ClearLoginFailures implements store.LoginFailureStore.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return s.do(ctx, func(v *view) error { return v.ClearLoginFailures(ctx, key) })
}

// ClearLoginFailureScope implements store.LoginFailureStore.
func (s *Store) ClearLoginFailureScope(ctx context.Context, scope string) error {
	return s.do(ctx, func(v *view) error { return v.ClearLoginFailureScope(ctx, scope) })
}

// DeleteStaleLoginFailures implements store.LoginFailureStore.
func (s *Store) DeleteStaleLoginFailures(ctx context.Context, before, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteStaleLoginFailures(ctx, before, now); return err })
	return n, err
}

// CreateSigningKey implements store.SigningKeyStore.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	return s.do(ctx, func(v *view) error { return v.CreateSigningKey(ctx, k) })
}

// ListSigningKeys implements store.SigningKeyStore.
func (s *Store) ListSigningKeys(ctx context.Context) (ks []store.SigningKey, err error) {
	err = s.do(ctx, func(v *view) error { ks, err = v.ListSigningKeys(ctx); return err })
	return ks, err
}

// RetireSigningKey implements store.SigningKeyStore.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RetireSigningKey(ctx, id, at) })
}

// DeleteSigningKey implements store.SigningKeyStore.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteSigningKey(ctx, id) })
}

// EnqueueOutbox implements store.OutboxStore.
func (s *Store) EnqueueOutbox(ctx context.Context, m store.OutboxMessage) error {
	return s.do(ctx, func(v *view) error { return v.EnqueueOutbox(ctx, m) })
}

// ClaimOutbox implements store.OutboxStore.
func (s *Store) ClaimOutbox(ctx context.Context, topics []string, now time.Time, lease time.Duration, limit int) (ms []store.OutboxMessage, err error) {
	err = s.do(ctx, func(v *view) error { ms, err = v.ClaimOutbox(ctx, topics, now, lease, limit); return err })
	return ms, err
}

// CompleteOutbox implements store.OutboxStore.
func (s *Store) CompleteOutbox(ctx context.Context, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.CompleteOutbox(ctx, id, now) })
}

// RetryOutbox implements store.OutboxStore.
func (s *Store) RetryOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	return s.do(ctx, func(v *view) error { return v.RetryOutbox(ctx, id, next, lastError) })
}

// FailOutbox implements store.OutboxStore.
func (s *Store) FailOutbox(ctx context.Context, id string, now time.Time, lastError string) error {
	return s.do(ctx, func(v *view) error { return v.FailOutbox(ctx, id, now, lastError) })
}

// ListOutbox implements store.OutboxStore.
func (s *Store) ListOutbox(ctx context.Context, f store.OutboxFilter) (ms []store.OutboxMessage, err error) {
	err = s.do(ctx, func(v *view) error { ms, err = v.ListOutbox(ctx, f); return err })
	return ms, err
}
