package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

// Social login: organizations' provider credentials, pending provider
// logins and identities with the provider's tokens.

const oauthProviderCols = `org_id, provider, client_id, secret, issuer, scopes, enabled, created_at, updated_at`

func scanOAuthProvider(sc scanner) (store.OAuthProvider, error) {
	var p store.OAuthProvider
	var secret []byte
	var scopes sql.NullString
	var created, updated sql.NullInt64
	if err := sc.Scan(&p.OrgID, &p.Provider, &p.ClientID, &secret, &p.Issuer, &scopes, &p.Enabled, &created, &updated); err != nil {
		return store.OAuthProvider{}, err
	}
	l, err := decodeList(scopes)
	if err != nil {
		return store.OAuthProvider{}, err
	}
	p.Secret, p.Scopes, p.CreatedAt, p.UpdatedAt = bytesOrNil(secret), l, at(created), at(updated)
	return p, nil
}

// PutOAuthProvider upserts the organization's credentials for p.Provider.
func (h *handle) PutOAuthProvider(ctx context.Context, p store.OAuthProvider) error {
	scopes, err := encodeList(p.Scopes)
	if err != nil {
		return wrap("put oauth provider", err)
	}
	ok, err := h.exists(ctx, "put oauth provider", `SELECT 1 FROM authos_organizations WHERE id = ?`, p.OrgID)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	if _, err := h.exec(ctx, `INSERT INTO authos_oauth_providers (`+oauthProviderCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, provider) DO UPDATE SET client_id = excluded.client_id, secret = excluded.secret,
		issuer = excluded.issuer, scopes = excluded.scopes, enabled = excluded.enabled, updated_at = excluded.updated_at`,
		p.OrgID, p.Provider, p.ClientID, bytesOrNil(p.Secret), p.Issuer, scopes, p.Enabled, ms(p.CreatedAt), ms(p.UpdatedAt)); err != nil {
		return h.wrapWrite("put oauth provider", err)
	}
	return nil
}

// GetOAuthProvider returns the organization's credentials for provider.
func (h *handle) GetOAuthProvider(ctx context.Context, orgID, provider string) (store.OAuthProvider, error) {
	return getOne(ctx, h, "get oauth provider", scanOAuthProvider,
		`SELECT `+oauthProviderCols+` FROM authos_oauth_providers WHERE org_id = ? AND provider = ?`, orgID, provider)
}

// ListOAuthProviders returns the organization's credentials by provider.
func (h *handle) ListOAuthProviders(ctx context.Context, orgID string) ([]store.OAuthProvider, error) {
	rows, err := h.query(ctx, `SELECT `+oauthProviderCols+` FROM authos_oauth_providers WHERE org_id = ? ORDER BY provider`, orgID)
	if err != nil {
		return nil, wrap("list oauth providers", err)
	}
	return collect("list oauth providers", rows, scanOAuthProvider)
}

// DeleteOAuthProvider removes the organization's credentials for provider.
func (h *handle) DeleteOAuthProvider(ctx context.Context, orgID, provider string) error {
	return h.change(ctx, "delete oauth provider", `DELETE FROM authos_oauth_providers WHERE org_id = ? AND provider = ?`, orgID, provider)
}

const oauthStateCols = `hash, provider, org_id, browser_hash, data, created_at, expires_at, used_at`

func scanOAuthState(sc scanner) (store.OAuthState, error) {
	var s store.OAuthState
	var data []byte
	var created, expires, used sql.NullInt64
	if err := sc.Scan(&s.Hash, &s.Provider, &s.OrgID, &s.BrowserHash, &data, &created, &expires, &used); err != nil {
		return store.OAuthState{}, err
	}
	s.Data, s.CreatedAt, s.ExpiresAt, s.UsedAt = bytesOrNil(data), at(created), at(expires), at(used)
	return s, nil
}

// CreateOAuthState inserts s; ErrConflict when the hash exists.
func (h *handle) CreateOAuthState(ctx context.Context, s store.OAuthState) error {
	return h.insert(ctx, "create oauth state", `INSERT INTO authos_oauth_states (`+oauthStateCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		s.Hash, s.Provider, s.OrgID, s.BrowserHash, bytesOrNil(s.Data), ms(s.CreatedAt), s.ExpiresAt.UnixMilli(), ms(s.UsedAt))
}

// ConsumeOAuthState is a single compare-and-set UPDATE ... RETURNING
// (WHERE unused and not expired): among concurrent callers exactly one
// gets the row; a miss is explained by reading the row.
func (h *handle) ConsumeOAuthState(ctx context.Context, hash string, now time.Time) (store.OAuthState, error) {
	s, err := getOne(ctx, h, "consume oauth state", scanOAuthState, `UPDATE authos_oauth_states SET used_at = ?
		WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+oauthStateCols, now.UnixMilli(), hash, now.UnixMilli())
	if !errors.Is(err, store.ErrNotFound) {
		return s, err
	}
	s, err = getOne(ctx, h, "consume oauth state", scanOAuthState, `SELECT `+oauthStateCols+` FROM authos_oauth_states WHERE hash = ?`, hash)
	switch {
	case err != nil:
		return store.OAuthState{}, err
	case s.UsedAt.IsZero() && !s.ExpiresAt.After(now):
		return store.OAuthState{}, store.ErrExpired
	}
	return store.OAuthState{}, store.ErrUsed
}

// DeleteExpiredOAuthStates removes the states expired at or before before.
func (h *handle) DeleteExpiredOAuthStates(ctx context.Context, before time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_oauth_states WHERE expires_at <= ?`, before.UnixMilli())
	if err != nil {
		return 0, wrap("delete expired oauth states", err)
	}
	n, err := affected("delete expired oauth states", res)
	return int(n), err
}

const oauthIdentityCols = `id, user_id, provider, org_id, subject, email, unconfirmed, access_token, refresh_token, token_type,
	token_expires_at, scopes, needs_consent, refresh_failures, refresh_retry_at, lease_id, lease_until, created_at, updated_at`

func scanOAuthIdentity(sc scanner) (store.OAuthIdentity, error) {
	var i store.OAuthIdentity
	var access, refresh []byte
	var scopes sql.NullString
	var expires, retry, lease, created, updated sql.NullInt64
	if err := sc.Scan(&i.ID, &i.UserID, &i.Provider, &i.OrgID, &i.Subject, &i.Email, &i.Unconfirmed, &access, &refresh, &i.TokenType,
		&expires, &scopes, &i.NeedsConsent, &i.RefreshFailures, &retry, &i.LeaseID, &lease, &created, &updated); err != nil {
		return store.OAuthIdentity{}, err
	}
	l, err := decodeList(scopes)
	if err != nil {
		return store.OAuthIdentity{}, err
	}
	i.AccessToken, i.RefreshToken, i.Scopes = bytesOrNil(access), bytesOrNil(refresh), l
	i.ExpiresAt, i.RetryAt, i.LeaseUntil, i.CreatedAt, i.UpdatedAt = at(expires), at(retry), at(lease), at(created), at(updated)
	return i, nil
}

// CreateOAuthIdentity inserts i; ErrConflict on a taken id, subject or
// connection of the user, ErrNotFound when the user is absent.
func (h *handle) CreateOAuthIdentity(ctx context.Context, i store.OAuthIdentity) error {
	scopes, err := encodeList(i.Scopes)
	if err != nil {
		return wrap("create oauth identity", err)
	}
	ok, err := h.exists(ctx, "create oauth identity", `SELECT 1 FROM authos_users WHERE id = ?`, i.UserID)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return h.insert(ctx, "create oauth identity", `INSERT INTO authos_oauth_identities (`+oauthIdentityCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		i.ID, i.UserID, i.Provider, i.OrgID, i.Subject, i.Email, i.Unconfirmed, bytesOrNil(i.AccessToken), bytesOrNil(i.RefreshToken),
		i.TokenType, ms(i.ExpiresAt), scopes, i.NeedsConsent, i.RefreshFailures, ms(i.RetryAt), i.LeaseID, ms(i.LeaseUntil),
		ms(i.CreatedAt), ms(i.UpdatedAt))
}

// GetOAuthIdentity returns the identity with id.
func (h *handle) GetOAuthIdentity(ctx context.Context, id string) (store.OAuthIdentity, error) {
	return getOne(ctx, h, "get oauth identity", scanOAuthIdentity,
		`SELECT `+oauthIdentityCols+` FROM authos_oauth_identities WHERE id = ?`, id)
}

// FindOAuthIdentity returns the connection's identity with subject.
func (h *handle) FindOAuthIdentity(ctx context.Context, provider, orgID, subject string) (store.OAuthIdentity, error) {
	return getOne(ctx, h, "find oauth identity", scanOAuthIdentity, `SELECT `+oauthIdentityCols+`
		FROM authos_oauth_identities WHERE provider = ? AND org_id = ? AND subject = ?`, provider, orgID, subject)
}

// ListOAuthIdentities returns the user's identities, oldest first.
func (h *handle) ListOAuthIdentities(ctx context.Context, userID string) ([]store.OAuthIdentity, error) {
	rows, err := h.query(ctx, `SELECT `+oauthIdentityCols+` FROM authos_oauth_identities WHERE user_id = ?
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, wrap("list oauth identities", err)
	}
	return collect("list oauth identities", rows, scanOAuthIdentity)
}

// DeleteOAuthIdentity removes the user's identity id.
func (h *handle) DeleteOAuthIdentity(ctx context.Context, userID, id string) error {
	return h.change(ctx, "delete oauth identity", `DELETE FROM authos_oauth_identities WHERE id = ? AND user_id = ?`, id, userID)
}

// SetOAuthTokens replaces the identity's tokens and ends its lease (under
// leaseID only while it is held).
func (h *handle) SetOAuthTokens(ctx context.Context, id, leaseID string, t store.OAuthTokens, now time.Time) error {
	scopes, err := encodeList(t.Scopes)
	if err != nil {
		return wrap("set oauth tokens", err)
	}
	q := `UPDATE authos_oauth_identities SET access_token = ?, refresh_token = ?, token_type = ?, token_expires_at = ?,
		scopes = ?, needs_consent = ?, refresh_failures = ?, refresh_retry_at = ?, updated_at = ?, lease_id = '', lease_until = NULL
		WHERE id = ?`
	args := []any{bytesOrNil(t.AccessToken), bytesOrNil(t.RefreshToken), t.TokenType, ms(t.ExpiresAt), scopes, t.NeedsConsent,
		t.RefreshFailures, ms(t.RetryAt), ms(now), id}
	if leaseID != "" {
		q += ` AND lease_id = ?`
		args = append(args, leaseID)
	}
	err = h.change(ctx, "set oauth tokens", q, args...)
	if errors.Is(err, store.ErrNotFound) && leaseID != "" {
		ok, xerr := h.exists(ctx, "set oauth tokens", `SELECT 1 FROM authos_oauth_identities WHERE id = ?`, id)
		if xerr != nil {
			return xerr
		}
		if ok {
			return store.ErrConflict
		}
	}
	return err
}

// ConfirmOAuthIdentity clears the identity's unconfirmed mark.
func (h *handle) ConfirmOAuthIdentity(ctx context.Context, id string, now time.Time) error {
	return h.change(ctx, "confirm oauth identity", `UPDATE authos_oauth_identities SET unconfirmed = ?, updated_at = ? WHERE id = ?`,
		false, now.UnixMilli(), id)
}

// LeaseOAuthIdentity is a compare-and-set UPDATE ... RETURNING (WHERE no
// other lease is live): among concurrent callers exactly one gets it.
func (h *handle) LeaseOAuthIdentity(ctx context.Context, id, leaseID string, now, until time.Time) (store.OAuthIdentity, error) {
	i, err := getOne(ctx, h, "lease oauth identity", scanOAuthIdentity, `UPDATE authos_oauth_identities SET lease_id = ?, lease_until = ?
		WHERE id = ? AND (lease_id = '' OR lease_id = ? OR lease_until IS NULL OR lease_until <= ?) RETURNING `+oauthIdentityCols,
		leaseID, until.UnixMilli(), id, leaseID, now.UnixMilli())
	if !errors.Is(err, store.ErrNotFound) {
		return i, err
	}
	ok, err := h.exists(ctx, "lease oauth identity", `SELECT 1 FROM authos_oauth_identities WHERE id = ?`, id)
	if err != nil {
		return store.OAuthIdentity{}, err
	}
	if ok {
		return store.OAuthIdentity{}, store.ErrConflict
	}
	return store.OAuthIdentity{}, store.ErrNotFound
}

// ListOAuthIdentitiesToRefresh returns the identities whose tokens are due
// for a refresh, soonest expiry first.
func (h *handle) ListOAuthIdentitiesToRefresh(ctx context.Context, expiresBefore, now time.Time, limit int) ([]store.OAuthIdentity, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := h.query(ctx, `SELECT `+oauthIdentityCols+` FROM authos_oauth_identities
		WHERE refresh_token IS NOT NULL AND needs_consent = ? AND token_expires_at IS NOT NULL AND token_expires_at <= ?
		AND (refresh_retry_at IS NULL OR refresh_retry_at <= ?) AND (lease_id = '' OR lease_until IS NULL OR lease_until <= ?)
		ORDER BY token_expires_at, id LIMIT ?`, false, expiresBefore.UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, wrap("list oauth identities to refresh", err)
	}
	return collect("list oauth identities to refresh", rows, scanOAuthIdentity)
}
