package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

// Services and API keys.

const serviceCols = `id, org_id, slug, name, type, redirect_uris, device_activation_uri, client_id,
	client_secret_hash, created_at, updated_at, post_logout_redirect_uris, members_only`

func scanService(sc scanner) (store.Service, error) {
	var s store.Service
	var uris, logoutURIs sql.NullString
	var created, updated sql.NullInt64
	if err := sc.Scan(&s.ID, &s.OrgID, &s.Slug, &s.Name, &s.Type, &uris, &s.DeviceActivationURI, &s.ClientID,
		&s.ClientSecretHash, &created, &updated, &logoutURIs, &s.MembersOnly); err != nil {
		return store.Service{}, err
	}
	l, err := decodeList(uris)
	if err != nil {
		return store.Service{}, err
	}
	s.RedirectURIs = l
	if s.PostLogoutRedirectURIs, err = decodeList(logoutURIs); err != nil {
		return store.Service{}, err
	}
	s.CreatedAt, s.UpdatedAt = at(created), at(updated)
	return s, nil
}

// CreateService inserts s. ErrConflict when the id, the (org, slug) or the
// client id exists.
func (h *handle) CreateService(ctx context.Context, s store.Service) error {
	uris, logoutURIs, err := serviceLists(s)
	if err != nil {
		return wrap("create service", err)
	}
	return h.insert(ctx, "create service", `INSERT INTO authos_services (`+serviceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		s.ID, s.OrgID, s.Slug, s.Name, s.Type, uris, s.DeviceActivationURI, s.ClientID,
		s.ClientSecretHash, ms(s.CreatedAt), ms(s.UpdatedAt), logoutURIs, s.MembersOnly)
}

// serviceLists encodes the redirect URI lists of s.
func serviceLists(s store.Service) (uris, logoutURIs string, err error) {
	if uris, err = encodeList(s.RedirectURIs); err != nil {
		return "", "", err
	}
	logoutURIs, err = encodeList(s.PostLogoutRedirectURIs)
	return uris, logoutURIs, err
}

// GetService returns the service with id, or ErrNotFound.
func (h *handle) GetService(ctx context.Context, id string) (store.Service, error) {
	return getOne(ctx, h, "get service", scanService, `SELECT `+serviceCols+` FROM authos_services WHERE id = ?`, id)
}

// GetServiceBySlug returns the org's service with slug, or ErrNotFound.
func (h *handle) GetServiceBySlug(ctx context.Context, orgID, slug string) (store.Service, error) {
	return getOne(ctx, h, "get service by slug", scanService,
		`SELECT `+serviceCols+` FROM authos_services WHERE org_id = ? AND slug = ?`, orgID, slug)
}

// GetServiceByClientID returns the service with clientID, or ErrNotFound.
func (h *handle) GetServiceByClientID(ctx context.Context, clientID string) (store.Service, error) {
	return getOne(ctx, h, "get service by client id", scanService,
		`SELECT `+serviceCols+` FROM authos_services WHERE client_id = ?`, clientID)
}

// ListServices returns the org's services, oldest first (ties by id).
func (h *handle) ListServices(ctx context.Context, orgID string) ([]store.Service, error) {
	return queryAll(ctx, h, "list services", scanService, `SELECT `+serviceCols+` FROM authos_services
		WHERE org_id = ? ORDER BY created_at ASC NULLS FIRST, id`, orgID)
}

// CountServices returns the number of the org's services.
func (h *handle) CountServices(ctx context.Context, orgID string) (int, error) {
	var n int
	if err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_services WHERE org_id = ?`, orgID).Scan(&n); err != nil {
		return 0, wrap("count services", err)
	}
	return n, nil
}

// UpdateService replaces every field of s.ID but OrgID and CreatedAt.
// ErrNotFound when absent; ErrConflict when the slug is taken in the org or
// the client id by another service.
func (h *handle) UpdateService(ctx context.Context, s store.Service) error {
	uris, logoutURIs, err := serviceLists(s)
	if err != nil {
		return wrap("update service", err)
	}
	return h.atomic(ctx, func(h *handle) error {
		// Check before writing, as UpdateOrg does.
		var orgID string
		err := h.queryRow(ctx, `SELECT org_id FROM authos_services WHERE id = ?`+h.s.d.forUpdate(), s.ID).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return wrap("update service", err)
		}
		taken, err := h.exists(ctx, "update service", `SELECT 1 FROM authos_services
			WHERE id <> ? AND ((org_id = ? AND slug = ?) OR client_id = ?)`, s.ID, orgID, s.Slug, s.ClientID)
		if err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		return h.change(ctx, "update service", `UPDATE authos_services SET slug = ?, name = ?, type = ?,
			redirect_uris = ?, device_activation_uri = ?, client_id = ?, client_secret_hash = ?, updated_at = ?,
			post_logout_redirect_uris = ?, members_only = ?
			WHERE id = ?`,
			s.Slug, s.Name, s.Type, uris, s.DeviceActivationURI, s.ClientID, s.ClientSecretHash, ms(s.UpdatedAt),
			logoutURIs, s.MembersOnly, s.ID)
	})
}

// DeleteService removes the service and the API keys bound to it.
// ErrNotFound when absent.
func (h *handle) DeleteService(ctx context.Context, id string) error {
	return h.atomic(ctx, func(h *handle) error {
		if err := h.change(ctx, "delete service", `DELETE FROM authos_services WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := h.exec(ctx, `DELETE FROM authos_api_keys WHERE service_id = ?`, id); err != nil {
			return wrap("delete service", err)
		}
		return nil
	})
}

// API keys.

const apiKeyCols = `id, org_id, service_id, name, prefix, secret_hash, scopes, created_by, role,
	created_at, expires_at, revoked_at, last_used_at`

// apiKeySelect reads keys (alias k) with their creator's current role,
// joined from the memberships in the same statement (a suspended membership
// counts as none).
var apiKeySelect = `SELECT ` + qualify("k", apiKeyCols) + `, COALESCE(m.role, '')
	FROM authos_api_keys k
	LEFT JOIN authos_memberships m ON m.org_id = k.org_id AND m.user_id = k.created_by AND k.created_by <> ''
		AND m.status <> 'suspended'`

func scanAPIKey(sc scanner) (store.APIKey, error) {
	var k store.APIKey
	var serviceID, scopes sql.NullString
	var created, expires, revoked, lastUsed sql.NullInt64
	if err := sc.Scan(&k.ID, &k.OrgID, &serviceID, &k.Name, &k.Prefix, &k.SecretHash, &scopes, &k.CreatedBy, &k.Role,
		&created, &expires, &revoked, &lastUsed, &k.CreatorRole); err != nil {
		return store.APIKey{}, err
	}
	l, err := decodeList(scopes)
	if err != nil {
		return store.APIKey{}, err
	}
	k.ServiceID, k.Scopes = serviceID.String, l
	k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = at(created), at(expires), at(revoked), at(lastUsed)
	return k, nil
}

// CreateAPIKey inserts k. ErrConflict when the id or prefix exists.
func (h *handle) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	scopes, err := encodeList(k.Scopes)
	if err != nil {
		return wrap("create api key", err)
	}
	return h.insert(ctx, "create api key", `INSERT INTO authos_api_keys (`+apiKeyCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.OrgID, nullStr(k.ServiceID), k.Name, k.Prefix, k.SecretHash, scopes, k.CreatedBy, k.Role,
		ms(k.CreatedAt), ms(k.ExpiresAt), ms(k.RevokedAt), ms(k.LastUsedAt))
}

// GetAPIKey returns the key with id and its creator's current role, or ErrNotFound.
func (h *handle) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	return getOne(ctx, h, "get api key", scanAPIKey, apiKeySelect+` WHERE k.id = ?`, id)
}

// GetAPIKeyByPrefix returns the key with prefix (revoked or not) and its
// creator's current role, or ErrNotFound.
func (h *handle) GetAPIKeyByPrefix(ctx context.Context, prefix string) (store.APIKey, error) {
	return getOne(ctx, h, "get api key by prefix", scanAPIKey, apiKeySelect+` WHERE k.prefix = ?`, prefix)
}

// ListAPIKeys returns the org's keys, newest first (ties by id).
func (h *handle) ListAPIKeys(ctx context.Context, orgID string) ([]store.APIKey, error) {
	return queryAll(ctx, h, "list api keys", scanAPIKey, apiKeySelect+`
		WHERE k.org_id = ? ORDER BY k.created_at DESC NULLS LAST, k.id`, orgID)
}

// RevokeAPIKey sets RevokedAt if unset. ErrNotFound when absent.
func (h *handle) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return h.change(ctx, "revoke api key", `UPDATE authos_api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`,
		ms(now), id)
}

// TouchAPIKey sets LastUsedAt=now when it is unset or before now-minInterval
// and reports whether it wrote. It is a single compare-and-set UPDATE, so
// among concurrent callers with the same now exactly one writes.
// ErrNotFound when absent.
func (h *handle) TouchAPIKey(ctx context.Context, id string, now time.Time, minInterval time.Duration) (bool, error) {
	err := h.change(ctx, "touch api key", `UPDATE authos_api_keys SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		now.UnixMilli(), id, now.Add(-minInterval).UnixMilli())
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	ok, err := h.exists(ctx, "touch api key", `SELECT 1 FROM authos_api_keys WHERE id = ?`, id)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, store.ErrNotFound
	}
	return false, nil
}
