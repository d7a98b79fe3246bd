package memory

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

func providerKey(orgID, provider string) string { return orgID + "\x00" + provider }

func copyOAuthProvider(p store.OAuthProvider) store.OAuthProvider {
	p.Secret = bytes.Clone(p.Secret)
	p.Scopes = slices.Clone(p.Scopes)
	return p
}

func copyOAuthState(s store.OAuthState) store.OAuthState {
	s.Data = bytes.Clone(s.Data)
	return s
}

func copyOAuthIdentity(i store.OAuthIdentity) store.OAuthIdentity {
	i.OAuthTokens = copyOAuthTokens(i.OAuthTokens)
	return i
}

func copyOAuthTokens(t store.OAuthTokens) store.OAuthTokens {
	t.AccessToken = bytes.Clone(t.AccessToken)
	t.RefreshToken = bytes.Clone(t.RefreshToken)
	t.Scopes = slices.Clone(t.Scopes)
	return t
}

// PutOAuthProvider implements store.OAuthStore.
func (s *Store) PutOAuthProvider(ctx context.Context, p store.OAuthProvider) error {
	return s.do(ctx, func(v *view) error { return v.PutOAuthProvider(ctx, p) })
}

// GetOAuthProvider implements store.OAuthStore.
func (s *Store) GetOAuthProvider(ctx context.Context, orgID, provider string) (p store.OAuthProvider, err error) {
	err = s.do(ctx, func(v *view) error { p, err = v.GetOAuthProvider(ctx, orgID, provider); return err })
	return p, err
}

// ListOAuthProviders implements store.OAuthStore.
func (s *Store) ListOAuthProviders(ctx context.Context, orgID string) (ps []store.OAuthProvider, err error) {
	err = s.do(ctx, func(v *view) error { ps, err = v.ListOAuthProviders(ctx, orgID); return err })
	return ps, err
}

// DeleteOAuthProvider implements store.OAuthStore.
func (s *Store) DeleteOAuthProvider(ctx context.Context, orgID, provider string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteOAuthProvider(ctx, orgID, provider) })
}

// CreateOAuthState implements store.OAuthStore.
func (s *Store) CreateOAuthState(ctx context.Context, st store.OAuthState) error {
	return s.do(ctx, func(v *view) error { return v.CreateOAuthState(ctx, st) })
}

// ConsumeOAuthState implements store.OAuthStore.
func (s *Store) ConsumeOAuthState(ctx context.Context, hash string, now time.Time) (st store.OAuthState, err error) {
	err = s.do(ctx, func(v *view) error { st, err = v.ConsumeOAuthState(ctx, hash, now); return err })
	return st, err
}

// DeleteExpiredOAuthStates implements store.OAuthStore.
func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, before time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteExpiredOAuthStates(ctx, before); return err })
	return n, err
}

// CreateOAuthIdentity implements store.OAuthStore.
func (s *Store) CreateOAuthIdentity(ctx context.Context, i store.OAuthIdentity) error {
	return s.do(ctx, func(v *view) error { return v.CreateOAuthIdentity(ctx, i) })
}

// GetOAuthIdentity implements store.OAuthStore.
func (s *Store) GetOAuthIdentity(ctx context.Context, id string) (i store.OAuthIdentity, err error) {
	err = s.do(ctx, func(v *view) error { i, err = v.GetOAuthIdentity(ctx, id); return err })
	return i, err
}

// FindOAuthIdentity implements store.OAuthStore.
func (s *Store) FindOAuthIdentity(ctx context.Context, provider, orgID, subject string) (i store.OAuthIdentity, err error) {
	err = s.do(ctx, func(v *view) error { i, err = v.FindOAuthIdentity(ctx, provider, orgID, subject); return err })
	return i, err
}

// ListOAuthIdentities implements store.OAuthStore.
func (s *Store) ListOAuthIdentities(ctx context.Context, userID string) (is []store.OAuthIdentity, err error) {
	err = s.do(ctx, func(v *view) error { is, err = v.ListOAuthIdentities(ctx, userID); return err })
	return is, err
}

// DeleteOAuthIdentity implements store.OAuthStore.
func (s *Store) DeleteOAuthIdentity(ctx context.Context, userID, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteOAuthIdentity(ctx, userID, id) })
}

// SetOAuthTokens implements store.OAuthStore.
func (s *Store) SetOAuthTokens(ctx context.Context, id, leaseID string, t store.OAuthTokens, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.SetOAuthTokens(ctx, id, leaseID, t, now) })
}

// ConfirmOAuthIdentity implements store.OAuthStore.
func (s *Store) ConfirmOAuthIdentity(ctx context.Context, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.ConfirmOAuthIdentity(ctx, id, now) })
}

// LeaseOAuthIdentity implements store.OAuthStore.
func (s *Store) LeaseOAuthIdentity(ctx context.Context, id, leaseID string, now, until time.Time) (i store.OAuthIdentity, err error) {
	err = s.do(ctx, func(v *view) error { i, err = v.LeaseOAuthIdentity(ctx, id, leaseID, now, until); return err })
	return i, err
}

// ListOAuthIdentitiesToRefresh implements store.OAuthStore.
func (s *Store) ListOAuthIdentitiesToRefresh(ctx context.Context, expiresBefore, now time.Time, limit int) (is []store.OAuthIdentity, err error) {
	err = s.do(ctx, func(v *view) error {
		is, err = v.ListOAuthIdentitiesToRefresh(ctx, expiresBefore, now, limit)
		return err
	})
	return is, err
}

func (v *view) PutOAuthProvider(_ context.Context, p store.OAuthProvider) error {
	if _, ok := v.st.orgs[p.OrgID]; !ok {
		return store.ErrNotFound
	}
	k := providerKey(p.OrgID, p.Provider)
	if old, ok := v.st.oauthProviders[k]; ok {
		p.CreatedAt = old.CreatedAt
	}
	v.st.oauthProviders[k] = copyOAuthProvider(p)
	return nil
}

func (v *view) GetOAuthProvider(_ context.Context, orgID, provider string) (store.OAuthProvider, error) {
	p, ok := v.st.oauthProviders[providerKey(orgID, provider)]
	if !ok {
		return store.OAuthProvider{}, store.ErrNotFound
	}
	return copyOAuthProvider(p), nil
}

func (v *view) ListOAuthProviders(_ context.Context, orgID string) ([]store.OAuthProvider, error) {
	var out []store.OAuthProvider
	for _, p := range v.st.oauthProviders {
		if p.OrgID == orgID {
			out = append(out, copyOAuthProvider(p))
		}
	}
	slices.SortFunc(out, func(a, b store.OAuthProvider) int { return cmp.Compare(a.Provider, b.Provider) })
	return out, nil
}

func (v *view) DeleteOAuthProvider(_ context.Context, orgID, provider string) error {
	k := providerKey(orgID, provider)
	if _, ok := v.st.oauthProviders[k]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.oauthProviders, k)
	return nil
}

// dropOAuthOrg removes the organization's credentials and the identities
// of its connections.
func (v *view) dropOAuthOrg(orgID string) {
	for k, p := range v.st.oauthProviders {
		if p.OrgID == orgID {
			delete(v.st.oauthProviders, k)
		}
	}
	for id, i := range v.st.oauthIdentities {
		if i.OrgID == orgID {
			delete(v.st.oauthIdentities, id)
		}
	}
}

// dropOAuthUser removes the user's identities.
func (v *view) dropOAuthUser(userID string) {
	for id, i := range v.st.oauthIdentities {
		if i.UserID == userID {
			delete(v.st.oauthIdentities, id)
		}
	}
}

func (v *view) CreateOAuthState(_ context.Context, s store.OAuthState) error {
	if _, ok := v.st.oauthStates[s.Hash]; ok {
		return store.ErrConflict
	}
	v.st.oauthStates[s.Hash] = copyOAuthState(s)
	return nil
}

func (v *view) ConsumeOAuthState(_ context.Context, hash string, now time.Time) (store.OAuthState, error) {
	s, ok := v.st.oauthStates[hash]
	switch {
	case !ok:
		return store.OAuthState{}, store.ErrNotFound
	case !s.UsedAt.IsZero():
		return store.OAuthState{}, store.ErrUsed
	case expired(s.ExpiresAt, now):
		return store.OAuthState{}, store.ErrExpired
	}
	s.UsedAt = now
	v.st.oauthStates[hash] = s
	return copyOAuthState(s), nil
}

func (v *view) DeleteExpiredOAuthStates(_ context.Context, before time.Time) (int, error) {
	n := 0
	for h, s := range v.st.oauthStates {
		if expired(s.ExpiresAt, before) {
			delete(v.st.oauthStates, h)
			n++
		}
	}
	return n, nil
}

func (v *view) CreateOAuthIdentity(_ context.Context, i store.OAuthIdentity) error {
	if _, ok := v.st.users[i.UserID]; !ok {
		return store.ErrNotFound
	}
	if _, ok := v.st.oauthIdentities[i.ID]; ok {
		return store.ErrConflict
	}
	for _, o := range v.st.oauthIdentities {
		if o.Provider == i.Provider && o.OrgID == i.OrgID && (o.Subject == i.Subject || o.UserID == i.UserID) {
			return store.ErrConflict
		}
	}
	v.st.oauthIdentities[i.ID] = copyOAuthIdentity(i)
	return nil
}

func (v *view) GetOAuthIdentity(_ context.Context, id string) (store.OAuthIdentity, error) {
	i, ok := v.st.oauthIdentities[id]
	if !ok {
		return store.OAuthIdentity{}, store.ErrNotFound
	}
	return copyOAuthIdentity(i), nil
}

func (v *view) FindOAuthIdentity(_ context.Context, provider, orgID, subject string) (store.OAuthIdentity, error) {
	for _, i := range v.st.oauthIdentities {
		if i.Provider == provider && i.OrgID == orgID && i.Subject == subject {
			return copyOAuthIdentity(i), nil
		}
	}
	return store.OAuthIdentity{}, store.ErrNotFound
}

func byCreated(a, b store.OAuthIdentity) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func (v *view) ListOAuthIdentities(_ context.Context, userID string) ([]store.OAuthIdentity, error) {
	var out []store.OAuthIdentity
	for _, i := range v.st.oauthIdentities {
		if i.UserID == userID {
			out = append(out, copyOAuthIdentity(i))
		}
	}
	slices.SortFunc(out, byCreated)
	return out, nil
}

func (v *view) DeleteOAuthIdentity(_ context.Context, userID, id string) error {
	i, ok := v.st.oauthIdentities[id]
	if !ok || i.UserID != userID {
		return store.ErrNotFound
	}
	delete(v.st.oauthIdentities, id)
	return nil
}

func (v *view) SetOAuthTokens(_ context.Context, id, leaseID string, t store.OAuthTokens, now time.Time) error {
	i, ok := v.st.oauthIdentities[id]
	switch {
	case !ok:
		return store.ErrNotFound
	case leaseID != "" && i.LeaseID != leaseID:
		return store.ErrConflict
	}
	i.LeaseID, i.LeaseUntil = "", time.Time{}
	i.OAuthTokens, i.UpdatedAt = copyOAuthTokens(t), now
	v.st.oauthIdentities[id] = i
	return nil
}

func (v *view) ConfirmOAuthIdentity(_ context.Context, id string, now time.Time) error {
	i, ok := v.st.oauthIdentities[id]
	if !ok {
		return store.ErrNotFound
	}
	i.Unconfirmed, i.UpdatedAt = false, now
	v.st.oauthIdentities[id] = i
	return nil
}

func (v *view) LeaseOAuthIdentity(_ context.Context, id, leaseID string, now, until time.Time) (store.OAuthIdentity, error) {
	i, ok := v.st.oauthIdentities[id]
	switch {
	case !ok:
		return store.OAuthIdentity{}, store.ErrNotFound
	case i.LeaseID != "" && i.LeaseID != leaseID && i.LeaseUntil.After(now):
		return store.OAuthIdentity{}, store.ErrConflict
	}
	i.LeaseID, i.LeaseUntil = leaseID, until
	v.st.oauthIdentities[id] = i
	return copyOAuthIdentity(i), nil
}

func (v *view) ListOAuthIdentitiesToRefresh(_ context.Context, expiresBefore, now time.Time, limit int) ([]store.OAuthIdentity, error) {
	var out []store.OAuthIdentity
	for _, i := range v.st.oauthIdentities {
		if len(i.RefreshToken) == 0 || i.NeedsConsent || i.ExpiresAt.IsZero() || i.ExpiresAt.After(expiresBefore) ||
			i.RetryAt.After(now) || (i.LeaseID != "" && i.LeaseUntil.After(now)) {
			continue
		}
		out = append(out, copyOAuthIdentity(i))
	}
	slices.SortFunc(out, func(a, b store.OAuthIdentity) int {
		if c := a.ExpiresAt.Compare(b.ExpiresAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
