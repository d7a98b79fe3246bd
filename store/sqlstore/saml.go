package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

// SAML single sign-on: connections with their domains, AuthnRequests in
// flight and the replay cache of assertion ids.

const samlConnCols = `id, org_id, idp_metadata, idp_metadata_url, idp_entity_id, idp_cert_not_after, default_role,
	email_attribute, name_attribute, groups_attribute, allow_idp_initiated, enabled, password_sign_in_disabled,
	sp_key, sp_cert, created_at, updated_at, group_roles, idp_initiated_service_id, idp_initiated_login_uri,
	metadata_refreshed_at, metadata_error, metadata_refresh_at`

func scanSAMLConnection(sc scanner) (store.SAMLConnection, error) {
	var c store.SAMLConnection
	var md, key, cert []byte
	var roles string
	var notAfter, created, updated, refreshed, refreshAt sql.NullInt64
	if err := sc.Scan(&c.ID, &c.OrgID, &md, &c.IDPMetadataURL, &c.IDPEntityID, &notAfter, &c.DefaultRole,
		&c.EmailAttribute, &c.NameAttribute, &c.GroupsAttribute, &c.AllowIDPInitiated, &c.Enabled, &c.PasswordSignInDisabled,
		&key, &cert, &created, &updated, &roles, &c.IDPInitiatedServiceID, &c.IDPInitiatedLoginURI,
		&refreshed, &c.MetadataError, &refreshAt); err != nil {
		return store.SAMLConnection{}, err
	}
	c.IDPMetadata, c.SPKey, c.SPCert = bytesOrNil(md), bytesOrNil(key), bytesOrNil(cert)
	c.IDPCertNotAfter, c.CreatedAt, c.UpdatedAt = at(notAfter), at(created), at(updated)
	c.MetadataRefreshedAt, c.MetadataRefreshAt = at(refreshed), at(refreshAt)
	if roles != "" && roles != "{}" {
		if err := json.Unmarshal([]byte(roles), &c.GroupRoles); err != nil {
			return store.SAMLConnection{}, err
		}
	}
	return c, nil
}

// encodeGroupRoles stores the group -> role mapping as a JSON object.
func encodeGroupRoles(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// withDomains fills c.Domains, sorted.
func (h *handle) withDomains(ctx context.Context, c store.SAMLConnection) (store.SAMLConnection, error) {
	rows, err := h.query(ctx, `SELECT domain FROM authos_saml_domains WHERE connection_id = ? ORDER BY domain`, c.ID)
	if err != nil {
		return c, wrap("get saml domains", err)
	}
	ds, err := readIDs(rows)
	if err != nil {
		return c, wrap("get saml domains", err)
	}
	c.Domains = ds
	return c, nil
}

// PutSAMLConnection upserts the organization's connection and replaces its
// domains, in one transaction; a domain of another connection is
// ErrConflict (checked first, and by the primary key under a race).
func (h *handle) PutSAMLConnection(ctx context.Context, c store.SAMLConnection) error {
	return h.atomic(ctx, func(h *handle) error {
		ok, err := h.exists(ctx, "put saml connection", `SELECT 1 FROM authos_organizations WHERE id = ?`, c.OrgID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		old, err := getOne(ctx, h, "put saml connection", scanSAMLConnection,
			`SELECT `+samlConnCols+` FROM authos_saml_connections WHERE org_id = ?`, c.OrgID)
		switch {
		case err == nil:
			c.ID, c.CreatedAt = old.ID, old.CreatedAt
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		ds := slices.Compact(slices.Sorted(slices.Values(c.Domains)))
		if len(ds) > 0 {
			args := []any{c.ID}
			for _, d := range ds {
				args = append(args, d)
			}
			taken, err := h.exists(ctx, "put saml connection", `SELECT 1 FROM authos_saml_domains
				WHERE connection_id <> ? AND domain IN (`+placeholders(len(ds))+`)`, args...)
			if err != nil {
				return err
			}
			if taken {
				return store.ErrConflict
			}
		}
		roles, err := encodeGroupRoles(c.GroupRoles)
		if err != nil {
			return wrap("put saml connection", err)
		}
		if _, err := h.exec(ctx, `INSERT INTO authos_saml_connections (`+samlConnCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET idp_metadata = excluded.idp_metadata, idp_metadata_url = excluded.idp_metadata_url,
			idp_entity_id = excluded.idp_entity_id, idp_cert_not_after = excluded.idp_cert_not_after,
			default_role = excluded.default_role, email_attribute = excluded.email_attribute,
			name_attribute = excluded.name_attribute, groups_attribute = excluded.groups_attribute,
			allow_idp_initiated = excluded.allow_idp_initiated, enabled = excluded.enabled,
			password_sign_in_disabled = excluded.password_sign_in_disabled, sp_key = excluded.sp_key,
			sp_cert = excluded.sp_cert, updated_at = excluded.updated_at, group_roles = excluded.group_roles,
			idp_initiated_service_id = excluded.idp_initiated_service_id, idp_initiated_login_uri = excluded.idp_initiated_login_uri,
			metadata_refreshed_at = excluded.metadata_refreshed_at, metadata_error = excluded.metadata_error,
			metadata_refresh_at = excluded.metadata_refresh_at`,
			c.ID, c.OrgID, bytesOrNil(c.IDPMetadata), c.IDPMetadataURL, c.IDPEntityID, ms(c.IDPCertNotAfter), c.DefaultRole,
			c.EmailAttribute, c.NameAttribute, c.GroupsAttribute, c.AllowIDPInitiated, c.Enabled, c.PasswordSignInDisabled,
			bytesOrNil(c.SPKey), bytesOrNil(c.SPCert), ms(c.CreatedAt), ms(c.UpdatedAt), roles, c.IDPInitiatedServiceID,
			c.IDPInitiatedLoginURI, ms(c.MetadataRefreshedAt), c.MetadataError, ms(c.MetadataRefreshAt)); err != nil {
			return h.wrapWrite("put saml connection", err)
		}
		if _, err := h.exec(ctx, `DELETE FROM authos_saml_domains WHERE connection_id = ?`, c.ID); err != nil {
			return wrap("put saml connection", err)
		}
		for _, d := range ds {
			if _, err := h.exec(ctx, `INSERT INTO authos_saml_domains (domain, connection_id) VALUES (?, ?)`, d, c.ID); err != nil {
				return h.wrapWrite("put saml connection", err)
			}
		}
		return nil
	})
}

// GetSAMLConnection returns the organization's connection.
func (h *handle) GetSAMLConnection(ctx context.Context, orgID string) (store.SAMLConnection, error) {
	c, err := getOne(ctx, h, "get saml connection", scanSAMLConnection,
		`SELECT `+samlConnCols+` FROM authos_saml_connections WHERE org_id = ?`, orgID)
	if err != nil {
		return c, err
	}
	return h.withDomains(ctx, c)
}

// FindSAMLConnectionByDomain returns the connection owning domain.
func (h *handle) FindSAMLConnectionByDomain(ctx context.Context, domain string) (store.SAMLConnection, error) {
	c, err := getOne(ctx, h, "find saml connection", scanSAMLConnection,
		`SELECT `+samlConnCols+` FROM authos_saml_connections WHERE id = (SELECT connection_id FROM authos_saml_domains WHERE domain = ?)`, domain)
	if err != nil {
		return c, err
	}
	return h.withDomains(ctx, c)
}

// DeleteSAMLConnection removes the organization's connection (its domains
// by the foreign key's cascade).
func (h *handle) DeleteSAMLConnection(ctx context.Context, orgID string) error {
	return h.change(ctx, "delete saml connection", `DELETE FROM authos_saml_connections WHERE org_id = ?`, orgID)
}

// ListSAMLMetadataDue returns the connections whose metadata refresh is
// due, the earliest first.
func (h *handle) ListSAMLMetadataDue(ctx context.Context, now time.Time, limit int) ([]store.SAMLConnection, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := h.query(ctx, `SELECT `+samlConnCols+` FROM authos_saml_connections
		WHERE idp_metadata_url <> '' AND COALESCE(metadata_refresh_at, 0) <= ?
		ORDER BY COALESCE(metadata_refresh_at, 0), id LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, wrap("list saml metadata due", err)
	}
	cs, err := collect("list saml metadata due", rows, scanSAMLConnection)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return cs, nil
	}
	// Their domains, in one query rather than one per connection.
	ids, byID := make([]any, len(cs)), make(map[string]int, len(cs))
	for i, c := range cs {
		ids[i], byID[c.ID] = c.ID, i
	}
	rows, err = h.query(ctx, `SELECT connection_id, domain FROM authos_saml_domains
		WHERE connection_id IN (`+placeholders(len(ids))+`) ORDER BY domain`, ids...)
	if err != nil {
		return nil, wrap("list saml metadata due", err)
	}
	type pair struct{ conn, domain string }
	ds, err := collect("list saml metadata due", rows, func(sc scanner) (pair, error) {
		var p pair
		return p, sc.Scan(&p.conn, &p.domain)
	})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		c := &cs[byID[d.conn]]
		c.Domains = append(c.Domains, d.domain)
	}
	return cs, nil
}

// ClaimSAMLMetadataRefresh is a compare-and-set on metadata_refresh_at
// (NULL read as 0, as ListSAMLMetadataDue does).
func (h *handle) ClaimSAMLMetadataRefresh(ctx context.Context, connectionID string, due, next time.Time) error {
	var dueMs int64
	if !due.IsZero() {
		dueMs = due.UnixMilli()
	}
	return h.change(ctx, "claim saml metadata refresh", `UPDATE authos_saml_connections SET metadata_refresh_at = ?
		WHERE id = ? AND idp_metadata_url <> '' AND COALESCE(metadata_refresh_at, 0) = ?`, next.UnixMilli(), connectionID, dueMs)
}

// SaveSAMLMetadataRefresh records a refresh while the connection still
// has the URL that was fetched.
func (h *handle) SaveSAMLMetadataRefresh(ctx context.Context, r store.SAMLMetadataRefresh) error {
	if r.RefreshedAt.IsZero() {
		return h.change(ctx, "save saml metadata refresh", `UPDATE authos_saml_connections SET metadata_error = ?, metadata_refresh_at = ?
			WHERE id = ? AND idp_metadata_url = ?`, r.Error, ms(r.NextRefreshAt), r.ConnectionID, r.URL)
	}
	return h.change(ctx, "save saml metadata refresh", `UPDATE authos_saml_connections SET idp_metadata = ?, idp_entity_id = ?,
		idp_cert_not_after = ?, metadata_refreshed_at = ?, metadata_error = ?, metadata_refresh_at = ?
		WHERE id = ? AND idp_metadata_url = ?`, bytesOrNil(r.Metadata), r.IDPEntityID, ms(r.IDPCertNotAfter), ms(r.RefreshedAt),
		r.Error, ms(r.NextRefreshAt), r.ConnectionID, r.URL)
}

const samlRequestCols = `hash, request_id, connection_id, flow, created_at, expires_at, used_at`

func scanSAMLRequest(sc scanner) (store.SAMLRequest, error) {
	var r store.SAMLRequest
	var flow []byte
	var created, expires, used sql.NullInt64
	if err := sc.Scan(&r.Hash, &r.RequestID, &r.ConnectionID, &flow, &created, &expires, &used); err != nil {
		return store.SAMLRequest{}, err
	}
	r.Flow, r.CreatedAt, r.ExpiresAt, r.UsedAt = bytesOrNil(flow), at(created), at(expires), at(used)
	return r, nil
}

// CreateSAMLRequest inserts r; ErrConflict when the hash exists.
func (h *handle) CreateSAMLRequest(ctx context.Context, r store.SAMLRequest) error {
	return h.insert(ctx, "create saml request", `INSERT INTO authos_saml_requests (`+samlRequestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Hash, r.RequestID, r.ConnectionID, bytesOrNil(r.Flow), ms(r.CreatedAt), r.ExpiresAt.UnixMilli(), ms(r.UsedAt))
}

// ConsumeSAMLRequest is a compare-and-set UPDATE ... RETURNING; a miss is
// explained by reading the row.
func (h *handle) ConsumeSAMLRequest(ctx context.Context, hash string, now time.Time) (store.SAMLRequest, error) {
	r, err := getOne(ctx, h, "consume saml request", scanSAMLRequest, `UPDATE authos_saml_requests SET used_at = ?
		WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+samlRequestCols, now.UnixMilli(), hash, now.UnixMilli())
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r, err = getOne(ctx, h, "consume saml request", scanSAMLRequest, `SELECT `+samlRequestCols+` FROM authos_saml_requests WHERE hash = ?`, hash)
	switch {
	case err != nil:
		return store.SAMLRequest{}, err
	case r.UsedAt.IsZero() && !r.ExpiresAt.After(now):
		return store.SAMLRequest{}, store.ErrExpired
	}
	return store.SAMLRequest{}, store.ErrUsed
}

// UseSAMLAssertion inserts the record, or takes over one that has expired,
// in one statement: no row changed means a live record exists.
func (h *handle) UseSAMLAssertion(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time) error {
	res, err := h.exec(ctx, `INSERT INTO authos_saml_assertions (connection_id, assertion_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (connection_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at
		WHERE authos_saml_assertions.expires_at <= ?`, connectionID, assertionID, expiresAt.UnixMilli(), now.UnixMilli())
	if err != nil {
		return h.wrapWrite("use saml assertion", err)
	}
	n, err := affected("use saml assertion", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrUsed
	}
	return nil
}

// DeleteExpiredSAML removes expired requests and assertion records.
func (h *handle) DeleteExpiredSAML(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for _, q := range []string{`DELETE FROM authos_saml_requests WHERE expires_at <= ?`, `DELETE FROM authos_saml_assertions WHERE expires_at <= ?`} {
		res, err := h.exec(ctx, q, now.UnixMilli())
		if err != nil {
			return total, wrap("delete expired saml", err)
		}
		n, err := affected("delete expired saml", res)
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}
