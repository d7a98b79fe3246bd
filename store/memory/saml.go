package memory

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

func copySAMLConnection(c store.SAMLConnection) store.SAMLConnection {
	c.IDPMetadata, c.SPKey, c.SPCert = bytes.Clone(c.IDPMetadata), bytes.Clone(c.SPKey), bytes.Clone(c.SPCert)
	c.Domains, c.GroupRoles = slices.Clone(c.Domains), maps.Clone(c.GroupRoles)
	return c
}

func copySAMLRequest(r store.SAMLRequest) store.SAMLRequest {
	r.Flow = bytes.Clone(r.Flow)
	return r
}

func samlAssertionKey(connectionID, assertionID string) string {
	return connectionID + "\x00" + assertionID
}

// PutSAMLConnection implements store.SAMLStore.
func (s *Store) PutSAMLConnection(ctx context.Context, c store.SAMLConnection) error {
	return s.do(ctx, func(v *view) error { return v.PutSAMLConnection(ctx, c) })
}

// GetSAMLConnection implements store.SAMLStore.
func (s *Store) GetSAMLConnection(ctx context.Context, orgID string) (c store.SAMLConnection, err error) {
	err = s.do(ctx, func(v *view) error { c, err = v.GetSAMLConnection(ctx, orgID); return err })
	return c, err
}

// FindSAMLConnectionByDomain implements store.SAMLStore.
func (s *Store) FindSAMLConnectionByDomain(ctx context.Context, domain string) (c store.SAMLConnection, err error) {
	err = s.do(ctx, func(v *view) error { c, err = v.FindSAMLConnectionByDomain(ctx, domain); return err })
	return c, err
}

// DeleteSAMLConnection implements store.SAMLStore.
func (s *Store) DeleteSAMLConnection(ctx context.Context, orgID string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteSAMLConnection(ctx, orgID) })
}

// CreateSAMLRequest implements store.SAMLStore.
func (s *Store) CreateSAMLRequest(ctx context.Context, r store.SAMLRequest) error {
	return s.do(ctx, func(v *view) error { return v.CreateSAMLRequest(ctx, r) })
}

// ConsumeSAMLRequest implements store.SAMLStore.
func (s *Store) ConsumeSAMLRequest(ctx context.Context, hash string, now time.Time) (r store.SAMLRequest, err error) {
	err = s.do(ctx, func(v *view) error { r, err = v.ConsumeSAMLRequest(ctx, hash, now); return err })
	return r, err
}

// UseSAMLAssertion implements store.SAMLStore.
func (s *Store) UseSAMLAssertion(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.UseSAMLAssertion(ctx, connectionID, assertionID, expiresAt, now) })
}

// ListSAMLMetadataDue implements store.SAMLStore.
func (s *Store) ListSAMLMetadataDue(ctx context.Context, now time.Time, limit int) (cs []store.SAMLConnection, err error) {
	err = s.do(ctx, func(v *view) error { cs, err = v.ListSAMLMetadataDue(ctx, now, limit); return err })
	return cs, err
}

// ClaimSAMLMetadataRefresh implements store.SAMLStore.
func (s *Store) ClaimSAMLMetadataRefresh(ctx context.Context, connectionID string, due, next time.Time) error {
	return s.do(ctx, func(v *view) error { return v.ClaimSAMLMetadataRefresh(ctx, connectionID, due, next) })
}

// SaveSAMLMetadataRefresh implements store.SAMLStore.
func (s *Store) SaveSAMLMetadataRefresh(ctx context.Context, r store.SAMLMetadataRefresh) error {
	return s.do(ctx, func(v *view) error { return v.SaveSAMLMetadataRefresh(ctx, r) })
}

// DeleteExpiredSAML implements store.SAMLStore.
func (s *Store) DeleteExpiredSAML(ctx context.Context, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteExpiredSAML(ctx, now); return err })
	return n, err
}

func (v *view) PutSAMLConnection(_ context.Context, c store.SAMLConnection) error {
	if _, ok := v.st.orgs[c.OrgID]; !ok {
		return store.ErrNotFound
	}
	for org, other := range v.st.samlConns {
		if org == c.OrgID {
			continue
		}
		for _, d := range c.Domains {
			if slices.Contains(other.Domains, d) {
				return store.ErrConflict
			}
		}
	}
	if old, ok := v.st.samlConns[c.OrgID]; ok {
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
	}
	v.st.samlConns[c.OrgID] = copySAMLConnection(c)
	return nil
}

func (v *view) GetSAMLConnection(_ context.Context, orgID string) (store.SAMLConnection, error) {
	c, ok := v.st.samlConns[orgID]
	if !ok {
		return store.SAMLConnection{}, store.ErrNotFound
	}
	return copySAMLConnection(c), nil
}

func (v *view) FindSAMLConnectionByDomain(_ context.Context, domain string) (store.SAMLConnection, error) {
	for _, c := range v.st.samlConns {
		if slices.Contains(c.Domains, domain) {
			return copySAMLConnection(c), nil
		}
	}
	return store.SAMLConnection{}, store.ErrNotFound
}

func (v *view) DeleteSAMLConnection(_ context.Context, orgID string) error {
	if _, ok := v.st.samlConns[orgID]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.samlConns, orgID)
	return nil
}

func (v *view) ListSAMLMetadataDue(_ context.Context, now time.Time, limit int) ([]store.SAMLConnection, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.SAMLConnection
	for _, c := range v.st.samlConns {
		if c.IDPMetadataURL != "" && !c.MetadataRefreshAt.After(now) {
			out = append(out, copySAMLConnection(c))
		}
	}
	slices.SortFunc(out, func(a, b store.SAMLConnection) int {
		return cmp.Or(a.MetadataRefreshAt.Compare(b.MetadataRefreshAt), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// samlConnByID returns the org id and connection with id.
func (v *view) samlConnByID(id string) (string, store.SAMLConnection, bool) {
	for org, c := range v.st.samlConns {
		if c.ID == id {
			return org, c, true
		}
	}
	return "", store.SAMLConnection{}, false
}

func (v *view) ClaimSAMLMetadataRefresh(_ context.Context, connectionID string, due, next time.Time) error {
	org, c, ok := v.samlConnByID(connectionID)
	if !ok || c.IDPMetadataURL == "" || !c.MetadataRefreshAt.Equal(due) {
		return store.ErrNotFound
	}
	c.MetadataRefreshAt = next
	v.st.samlConns[org] = c
	return nil
}

func (v *view) SaveSAMLMetadataRefresh(_ context.Context, r store.SAMLMetadataRefresh) error {
	org, c, ok := v.samlConnByID(r.ConnectionID)
	if !ok || c.IDPMetadataURL != r.URL {
		return store.ErrNotFound
	}
	if !r.RefreshedAt.IsZero() {
		c.IDPMetadata, c.IDPEntityID, c.IDPCertNotAfter = bytes.Clone(r.Metadata), r.IDPEntityID, r.IDPCertNotAfter
		c.MetadataRefreshedAt = r.RefreshedAt
	}
	c.MetadataError, c.MetadataRefreshAt = r.Error, r.NextRefreshAt
	v.st.samlConns[org] = c
	return nil
}

func (v *view) CreateSAMLRequest(_ context.Context, r store.SAMLRequest) error {
	if _, ok := v.st.samlReqs[r.Hash]; ok {
		return store.ErrConflict
	}
	v.st.samlReqs[r.Hash] = copySAMLRequest(r)
	return nil
}

func (v *view) ConsumeSAMLRequest(_ context.Context, hash string, now time.Time) (store.SAMLRequest, error) {
	r, ok := v.st.samlReqs[hash]
	switch {
	case !ok:
		return store.SAMLRequest{}, store.ErrNotFound
	case !r.UsedAt.IsZero():
		return store.SAMLRequest{}, store.ErrUsed
	case expired(r.ExpiresAt, now):
		return store.SAMLRequest{}, store.ErrExpired
	}
	r.UsedAt = now
	v.st.samlReqs[hash] = r
	return copySAMLRequest(r), nil
}

func (v *view) UseSAMLAssertion(_ context.Context, connectionID, assertionID string, expiresAt, now time.Time) error {
	k := samlAssertionKey(connectionID, assertionID)
	if exp, ok := v.st.samlUsed[k]; ok && !expired(exp, now) {
		return store.ErrUsed
	}
	v.st.samlUsed[k] = expiresAt
	return nil
}

func (v *view) DeleteExpiredSAML(_ context.Context, now time.Time) (int, error) {
	n := 0
	for h, r := range v.st.samlReqs {
		if expired(r.ExpiresAt, now) {
			delete(v.st.samlReqs, h)
			n++
		}
	}
	for k, exp := range v.st.samlUsed {
		if expired(exp, now) {
			delete(v.st.samlUsed, k)
			n++
		}
	}
	return n, nil
}
