package memory

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

func copySAMLConnection(c store.SAMLConnection) store.SAMLConnection {
	c.IDPMetadata, c.SPKey, c.SPCert = bytes.Clone(c.IDPMetadata), bytes.Clone(c.SPKey), bytes.Clone(c.SPCert)
	c.Domains = slices.Clone(c.Domains)
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
