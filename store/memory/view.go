package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// view runs the operations against one state without locking. The Store
// wraps it in its mutex; Store.Tx hands it, over a clone, to fn.
type view struct {
	st *state
}

var (
	_ store.Tx           = (*view)(nil)
	_ store.MFAStore     = (*view)(nil)
	_ store.DeviceStore  = (*view)(nil)
	_ store.SCIMStore    = (*view)(nil)
	_ store.WebhookStore = (*view)(nil)
	_ store.OAuthStore   = (*view)(nil)
	_ store.SAMLStore    = (*view)(nil)
	_ store.SignInStore  = (*view)(nil)
)

// emailKey is the case-insensitive form of an email.
func emailKey(email string) string { return strings.ToLower(email) }

// expired reports whether a row expiring at exp is expired at now.
func expired(exp, now time.Time) bool { return !exp.After(now) }

// Users.

func (v *view) CreateUser(_ context.Context, u store.User) error {
	if _, ok := v.st.users[u.ID]; ok {
		return store.ErrConflict
	}
	ek := emailKey(u.Email)
	if _, ok := v.st.emails[ek]; ok {
		return store.ErrConflict
	}
	v.st.users[u.ID] = u
	v.st.emails[ek] = u.ID
	return nil
}

func (v *view) GetUser(_ context.Context, id string) (store.User, error) {
	u, ok := v.st.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (v *view) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	id, ok := v.st.emails[emailKey(email)]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return v.GetUser(ctx, id)
}

func (v *view) UpdateUser(_ context.Context, u store.User) error {
	old, ok := v.st.users[u.ID]
	if !ok {
		return store.ErrNotFound
	}
	oldKey, newKey := emailKey(old.Email), emailKey(u.Email)
	if owner, ok := v.st.emails[newKey]; ok && owner != u.ID {
		return store.ErrConflict
	}
	u.CreatedAt = old.CreatedAt
	delete(v.st.emails, oldKey)
	v.st.emails[newKey] = u.ID
	v.st.users[u.ID] = u
	return nil
}

func (v *view) CountPlatformOwners(context.Context) (int, error) {
	n := 0
	for _, u := range v.st.users {
		if u.IsPlatformOwner {
			n++
		}
	}
	return n, nil
}

// DeleteUser revokes the user's sessions, keeps their revocations in
// revokedGone and forgets the user with everything kept for the account.
func (v *view) DeleteUser(_ context.Context, id string, now time.Time) ([]string, error) {
	u, ok := v.st.users[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	var ids []string
	for sid, s := range v.st.sessions {
		if s.UserID != id {
			continue
		}
		if s.RevokedAt.IsZero() {
			s.RevokedAt = now
			ids = append(ids, sid)
		}
		v.st.revokedGone[sid] = s.RevokedAt
		delete(v.st.sessions, sid)
		v.dropSignIn(sid)
		for h, t := range v.st.refresh {
			if t.SessionID == sid {
				delete(v.st.refresh, h)
			}
		}
	}
	slices.Sort(ids)
	delete(v.st.users, id)
	delete(v.st.emails, emailKey(u.Email))
	delete(v.st.passwords, id)
	for h, t := range v.st.tokens {
		if t.UserID == id {
			delete(v.st.tokens, h)
		}
	}
	for k, m := range v.st.members {
		if m.UserID == id {
			delete(v.st.members, k)
			v.dropSCIMUser(m.OrgID, id)
		}
	}
	delete(v.st.mfa, id)
	v.dropOAuthUser(id)
	for k := range v.st.backupCodes {
		if k.userID == id {
			delete(v.st.backupCodes, k)
		}
	}
	return ids, nil
}

func (v *view) DeleteUnverifiedUsers(ctx context.Context, createdBefore, now time.Time) (int, error) {
	doomed := map[string]bool{}
	for id, u := range v.st.users {
		if !u.EmailVerified && !u.Disabled && !u.IsPlatformOwner && !u.CreatedAt.IsZero() && !u.CreatedAt.After(createdBefore) {
			doomed[id] = true
		}
	}
	for k := range v.st.members {
		delete(doomed, k.userID)
	}
	for _, t := range v.st.tokens {
		if t.Purpose == store.PurposeVerifyEmail && !expired(t.ExpiresAt, now) {
			delete(doomed, t.UserID)
		}
	}
	for id := range doomed {
		if _, err := v.DeleteUser(ctx, id, now); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}

// Passwords.

func (v *view) SetPassword(_ context.Context, c store.PasswordCredential) error {
	v.st.passwords[c.UserID] = c
	return nil
}

func (v *view) GetPassword(_ context.Context, userID string) (store.PasswordCredential, error) {
	c, ok := v.st.passwords[userID]
	if !ok {
		return store.PasswordCredential{}, store.ErrNotFound
	}
	return c, nil
}

// One-time tokens.

func (v *view) CreateToken(_ context.Context, t store.OneTimeToken) error {
	if _, ok := v.st.tokens[t.Hash]; ok {
		return store.ErrConflict
	}
	v.st.tokens[t.Hash] = copyToken(t)
	return nil
}

// usableToken returns the stored token with hash and purpose, or the error
// GetToken documents.
func (v *view) usableToken(purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	t, ok := v.st.tokens[hash]
	switch {
	case !ok || t.Purpose != purpose:
		return store.OneTimeToken{}, store.ErrNotFound
	case !t.UsedAt.IsZero():
		return store.OneTimeToken{}, store.ErrUsed
	case expired(t.ExpiresAt, now):
		return store.OneTimeToken{}, store.ErrExpired
	}
	return t, nil
}

func (v *view) GetToken(_ context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	t, err := v.usableToken(purpose, hash, now)
	if err != nil {
		return store.OneTimeToken{}, err
	}
	return copyToken(t), nil
}

func (v *view) ConsumeToken(_ context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	t, err := v.usableToken(purpose, hash, now)
	if err != nil {
		return store.OneTimeToken{}, err
	}
	t.UsedAt = now
	v.st.tokens[hash] = t
	return copyToken(t), nil
}

func (v *view) RecordTokenAttempt(_ context.Context, purpose, hash string) (int, error) {
	t, ok := v.st.tokens[hash]
	if !ok || t.Purpose != purpose {
		return 0, store.ErrNotFound
	}
	t.Attempts++
	v.st.tokens[hash] = t
	return t.Attempts, nil
}

func (v *view) DeleteUserTokens(_ context.Context, userID, purpose string) error {
	for h, t := range v.st.tokens {
		if t.UserID == userID && t.Purpose == purpose {
			delete(v.st.tokens, h)
		}
	}
	return nil
}

func (v *view) PruneUserTokens(_ context.Context, userID, purpose string, keep int, now time.Time) (int, error) {
	var live []store.OneTimeToken
	n := 0
	for h, t := range v.st.tokens {
		if t.UserID != userID || t.Purpose != purpose {
			continue
		}
		if t.UsedAt.IsZero() && !expired(t.ExpiresAt, now) {
			live = append(live, t)
			continue
		}
		delete(v.st.tokens, h)
		n++
	}
	slices.SortFunc(live, func(x, y store.OneTimeToken) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.Hash, x.Hash)
	})
	for _, t := range live[min(max(keep, 0), len(live)):] {
		delete(v.st.tokens, t.Hash)
		n++
	}
	return n, nil
}

func (v *view) DeleteExpiredTokens(_ context.Context, now time.Time) (int, error) {
	n := 0
	for h, t := range v.st.tokens {
		if expired(t.ExpiresAt, now) {
			delete(v.st.tokens, h)
			n++
		}
	}
	return n, nil
}

// Sessions.

func (v *view) CreateSession(_ context.Context, s store.Session) error {
	if _, ok := v.st.sessions[s.ID]; ok {
		return store.ErrConflict
	}
	v.st.sessions[s.ID] = copySession(s)
	return nil
}

func (v *view) GetSession(_ context.Context, id string) (store.Session, error) {
	s, ok := v.st.sessions[id]
	if !ok {
		return store.Session{}, store.ErrNotFound
	}
	return copySession(s), nil
}

// active reports whether s is neither revoked nor expired at now.
func active(s store.Session, now time.Time) bool {
	return s.RevokedAt.IsZero() && !expired(s.ExpiresAt, now)
}

func (v *view) ListUserSessions(_ context.Context, userID string, now time.Time) ([]store.Session, error) {
	var out []store.Session
	for _, s := range v.st.sessions {
		if s.UserID == userID && active(s, now) {
			out = append(out, copySession(s))
		}
	}
	slices.SortFunc(out, func(a, b store.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (v *view) TouchSession(_ context.Context, id string, now time.Time) error {
	s, ok := v.st.sessions[id]
	if !ok {
		return store.ErrNotFound
	}
	s.LastUsedAt = now
	v.st.sessions[id] = s
	return nil
}

func (v *view) RevokeSession(_ context.Context, id string, now time.Time) error {
	s, ok := v.st.sessions[id]
	if !ok {
		return store.ErrNotFound
	}
	v.revoke(s, now)
	return nil
}

// revoke marks s revoked at now unless it already is.
func (v *view) revoke(s store.Session, now time.Time) {
	if s.RevokedAt.IsZero() {
		s.RevokedAt = now
		v.st.sessions[s.ID] = s
	}
}

// RevokeUserSessions revokes the user's active sessions: those neither
// revoked nor expired at now, as in ListUserSessions. The ids are sorted.
func (v *view) RevokeUserSessions(_ context.Context, userID, exceptID string, now time.Time) ([]string, error) {
	var ids []string
	for id, s := range v.st.sessions {
		if s.UserID == userID && id != exceptID && active(s, now) {
			v.revoke(s, now)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (v *view) ListRevokedSessions(_ context.Context, since time.Time) ([]store.RevokedSession, error) {
	var out []store.RevokedSession
	for _, s := range v.st.sessions {
		if !s.RevokedAt.IsZero() && !s.RevokedAt.Before(since) {
			out = append(out, store.RevokedSession{ID: s.ID, RevokedAt: s.RevokedAt})
		}
	}
	for id, at := range v.st.revokedGone {
		if !at.Before(since) {
			out = append(out, store.RevokedSession{ID: id, RevokedAt: at})
		}
	}
	slices.SortFunc(out, func(a, b store.RevokedSession) int {
		if c := a.RevokedAt.Compare(b.RevokedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Refresh tokens.

func (v *view) CreateRefreshToken(_ context.Context, t store.RefreshToken) error {
	if _, ok := v.st.refresh[t.Hash]; ok {
		return store.ErrConflict
	}
	v.st.refresh[t.Hash] = t
	return nil
}

func (v *view) RotateRefreshToken(_ context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (store.Rotation, error) {
	old, ok := v.st.refresh[oldHash]
	if !ok {
		return store.Rotation{}, store.ErrNotFound
	}
	sess, ok := v.st.sessions[old.SessionID]
	if !ok {
		return store.Rotation{}, store.ErrNotFound
	}
	if !sess.RevokedAt.IsZero() {
		return store.Rotation{}, store.ErrRevoked
	}
	if expired(old.ExpiresAt, now) || expired(sess.ExpiresAt, now) {
		return store.Rotation{}, store.ErrExpired
	}
	user, ok := v.st.users[sess.UserID]
	if !ok {
		return store.Rotation{}, store.ErrNotFound
	}
	if !old.RotatedAt.IsZero() {
		succ, ok := v.st.refresh[old.ReplacedBy]
		if old.ReplacedBy == next.Hash && now.Sub(old.RotatedAt) <= grace && ok && succ.RotatedAt.IsZero() {
			return store.Rotation{Session: copySession(sess), Old: old, User: user, Retry: true}, nil
		}
		v.revoke(sess, now)
		return store.Rotation{}, store.ErrReused
	}
	if _, ok := v.st.refresh[next.Hash]; ok {
		return store.Rotation{}, store.ErrConflict
	}
	old.RotatedAt = now
	old.ReplacedBy = next.Hash
	v.st.refresh[oldHash] = old
	next.SessionID = old.SessionID
	if next.ExpiresAt.IsZero() || next.ExpiresAt.After(sess.ExpiresAt) {
		next.ExpiresAt = sess.ExpiresAt
	}
	v.st.refresh[next.Hash] = next
	sess.LastUsedAt = now
	v.st.sessions[sess.ID] = sess
	return store.Rotation{Session: copySession(sess), Old: old, User: user}, nil
}

// Login failures.

func (v *view) RecordLoginFailure(_ context.Context, key string, now time.Time, window time.Duration, maxFailures int, lockFor time.Duration) (store.LoginFailures, error) {
	f := v.st.failures[key]
	f.Key = key
	if !f.WindowStart.After(now.Add(-window)) {
		f.Count = 1
		f.WindowStart = now
	} else {
		f.Count++
	}
	if maxFailures > 0 && f.Count >= maxFailures && !f.LockedUntil.After(now) {
		f.LockedUntil = now.Add(lockFor)
	}
	v.st.failures[key] = f
	return f, nil
}

func (v *view) GetLoginFailures(_ context.Context, key string) (store.LoginFailures, error) {
	f, ok := v.st.failures[key]
	if !ok {
		return store.LoginFailures{Key: key}, nil
	}
	return f, nil
}

func (v *view) ClearLoginFailures(_ context.Context, key string) error {
	delete(v.st.failures, key)
	return nil
}

func (v *view) ClearLoginFailureScope(_ context.Context, scope string) error {
	for k := range v.st.failures {
		if store.FailureScope(k) == scope {
			delete(v.st.failures, k)
		}
	}
	return nil
}

func (v *view) DeleteStaleLoginFailures(_ context.Context, before, now time.Time) (int, error) {
	n := 0
	for k, f := range v.st.failures {
		if f.WindowStart.Before(before) && !f.LockedUntil.After(now) {
			delete(v.st.failures, k)
			n++
		}
	}
	return n, nil
}

// Signing keys.

func (v *view) CreateSigningKey(_ context.Context, k store.SigningKey) error {
	if _, ok := v.st.keys[k.ID]; ok {
		return store.ErrConflict
	}
	v.st.keys[k.ID] = copyKey(k)
	return nil
}

func (v *view) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	out := make([]store.SigningKey, 0, len(v.st.keys))
	for _, k := range v.st.keys {
		out = append(out, copyKey(k))
	}
	slices.SortFunc(out, func(a, b store.SigningKey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (v *view) RetireSigningKey(_ context.Context, id string, at time.Time) error {
	k, ok := v.st.keys[id]
	if !ok {
		return store.ErrNotFound
	}
	if k.RetiredAt.IsZero() {
		k.RetiredAt = at
		v.st.keys[id] = k
	}
	return nil
}

func (v *view) DeleteSigningKey(_ context.Context, id string) error {
	if _, ok := v.st.keys[id]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.keys, id)
	return nil
}

// Outbox.

func (v *view) EnqueueOutbox(_ context.Context, m store.OutboxMessage) error {
	if _, ok := v.st.outbox[m.ID]; ok {
		return store.ErrConflict
	}
	v.st.outbox[m.ID] = copyMsg(m)
	return nil
}

// pending reports whether m is neither delivered nor failed.
func pending(m store.OutboxMessage) bool { return m.DeliveredAt.IsZero() && m.FailedAt.IsZero() }

// oldestFirst orders messages by CreatedAt, then id.
func oldestFirst(a, b store.OutboxMessage) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// ClaimOutbox leases due, unleased, pending messages of topics. No topics or
// a limit below one claims nothing.
func (v *view) ClaimOutbox(_ context.Context, topics []string, now time.Time, lease time.Duration, limit int) ([]store.OutboxMessage, error) {
	if limit < 1 {
		return nil, nil
	}
	var due []store.OutboxMessage
	for _, m := range v.st.outbox {
		if pending(m) && slices.Contains(topics, m.Topic) && !m.NextAttemptAt.After(now) && !m.LockedUntil.After(now) {
			due = append(due, m)
		}
	}
	slices.SortFunc(due, oldestFirst)
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]store.OutboxMessage, len(due))
	for i, m := range due {
		m.LockedUntil = now.Add(lease)
		m.Attempts++
		v.st.outbox[m.ID] = m
		out[i] = copyMsg(m)
	}
	return out, nil
}

// update applies fn to the message with id, or returns ErrNotFound.
func (v *view) update(id string, fn func(m *store.OutboxMessage)) error {
	m, ok := v.st.outbox[id]
	if !ok {
		return store.ErrNotFound
	}
	fn(&m)
	v.st.outbox[id] = m
	return nil
}

// CompleteOutbox marks the message delivered at now and releases its lease.
// ErrNotFound when absent.
func (v *view) CompleteOutbox(_ context.Context, id string, now time.Time) error {
	return v.update(id, func(m *store.OutboxMessage) {
		m.DeliveredAt = now
		m.LockedUntil = time.Time{}
	})
}

// RetryOutbox releases the lease, sets NextAttemptAt and LastError.
// ErrNotFound when absent.
func (v *view) RetryOutbox(_ context.Context, id string, next time.Time, lastError string) error {
	return v.update(id, func(m *store.OutboxMessage) {
		m.NextAttemptAt = next
		m.LockedUntil = time.Time{}
		m.LastError = lastError
	})
}

// FailOutbox marks the message failed at now with lastError and releases its
// lease. ErrNotFound when absent.
func (v *view) FailOutbox(_ context.Context, id string, now time.Time, lastError string) error {
	return v.update(id, func(m *store.OutboxMessage) {
		m.FailedAt = now
		m.LockedUntil = time.Time{}
		m.LastError = lastError
	})
}

func (v *view) ListOutbox(_ context.Context, f store.OutboxFilter) ([]store.OutboxMessage, error) {
	var out []store.OutboxMessage
	for _, m := range v.st.outbox {
		if (f.Topic == "" || m.Topic == f.Topic) && (!f.Pending || pending(m)) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, oldestFirst)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = copyMsg(out[i])
	}
	return out, nil
}
