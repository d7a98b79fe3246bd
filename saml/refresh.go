package saml

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// The daily refresh of metadata given as a URL: identity providers rotate
// their signing certificates and publish the new one in their metadata
// ahead of time, so a connection keeps working if we fetch it again.

// refreshRetry is how long after a failed refresh (or one claimed by an
// instance that did not finish) the next attempt is due.
const refreshRetry = time.Hour

// A run refreshes at most refreshBatch connections, refreshWorkers at a
// time, and starts none after refreshBudget (wall time): the housekeeping
// shares Run's loop with the outbox, and an IdP that does not answer
// costs up to the client's 10 s timeout. The others stay due for the next
// run.
const (
	refreshBatch   = 100
	refreshWorkers = 4
	refreshBudget  = 30 * time.Second
)

// refreshMetadata fetches again the metadata of the connections whose
// refresh is due (daily; an hour after a failure). It is registered with
// the instance's hourly housekeeping. A failed fetch keeps the stored
// metadata, records its reason on the connection (metadata_error) and is
// logged; only storage failures are returned.
func (s *Service) refreshMetadata(ctx context.Context) error {
	due, err := s.st.ListSAMLMetadataDue(ctx, s.a.Now(), refreshBatch)
	if err != nil {
		return fmt.Errorf("saml: listing the connections whose metadata is due: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, refreshWorkers)
	)
	stop := time.Now().Add(refreshBudget)
	for _, c := range due {
		if ctx.Err() != nil || time.Now().After(stop) {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.refreshOne(ctx, c); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("saml: refreshing the metadata of connection %s: %w", c.ID, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// refreshOne claims c's due refresh (so that one instance does it; until
// the outcome is saved the next attempt is due in refreshRetry), fetches
// and checks the metadata and saves the outcome.
func (s *Service) refreshOne(ctx context.Context, c store.SAMLConnection) error {
	now := s.a.Now()
	err := s.st.ClaimSAMLMetadataRefresh(ctx, c.ID, c.MetadataRefreshAt, now.Add(refreshRetry))
	if errors.Is(err, store.ErrNotFound) {
		return nil // another instance has it, or the connection changed
	}
	if err != nil {
		return err
	}
	res := store.SAMLMetadataRefresh{ConnectionID: c.ID, URL: c.IDPMetadataURL}
	raw, err := s.fetchMetadata(ctx, c.IDPMetadataURL)
	var md idpMetadata
	if err == nil {
		if md, err = parseIDPMetadata(raw); err != nil {
			err = authos.WrapError(authos.CodeBadRequest, msgUnusableMetadata, err)
		}
	}
	if err != nil {
		e := authos.AsError(err)
		attrs := []any{"org_id", c.OrgID, "connection_id", c.ID, "url", c.IDPMetadataURL, "error", e.Message}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		s.a.Logger().Warn("saml: refreshing the identity provider metadata failed; the stored metadata stays in use", attrs...)
		res.Error, res.NextRefreshAt = e.Message, s.a.Now().Add(refreshRetry)
	} else {
		done := s.a.Now()
		res.Metadata, res.IDPEntityID, res.IDPCertNotAfter = raw, md.EntityID, md.CertNotAfter
		res.RefreshedAt, res.NextRefreshAt = done, done.Add(s.cfg.MetadataRefresh)
		if md.EntityID != c.IDPEntityID || !md.CertNotAfter.Equal(c.IDPCertNotAfter) {
			s.a.Logger().Info("saml: the identity provider metadata changed", "org_id", c.OrgID, "connection_id", c.ID,
				"idp_entity_id", md.EntityID, "idp_certificate_expires_at", md.CertNotAfter)
		}
	}
	if err := s.st.SaveSAMLMetadataRefresh(ctx, res); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err // ErrNotFound: replaced or deleted meanwhile, nothing to record
	}
	return nil
}
