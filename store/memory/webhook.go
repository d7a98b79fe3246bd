package memory

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

func copyEndpoint(e store.WebhookEndpoint) store.WebhookEndpoint {
	e.Events = slices.Clone(e.Events)
	e.Secret = bytes.Clone(e.Secret)
	e.PrevSecret = bytes.Clone(e.PrevSecret)
	return e
}

func copyDelivery(d store.WebhookDelivery) store.WebhookDelivery {
	d.Payload = bytes.Clone(d.Payload)
	return d
}

// CreateWebhookEndpoint implements store.WebhookStore.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	return s.do(ctx, func(v *view) error { return v.CreateWebhookEndpoint(ctx, e) })
}

// GetWebhookEndpoint implements store.WebhookStore.
func (s *Store) GetWebhookEndpoint(ctx context.Context, orgID, id string) (e store.WebhookEndpoint, err error) {
	err = s.do(ctx, func(v *view) error { e, err = v.GetWebhookEndpoint(ctx, orgID, id); return err })
	return e, err
}

// ListWebhookEndpoints implements store.WebhookStore.
func (s *Store) ListWebhookEndpoints(ctx context.Context, orgID string) (es []store.WebhookEndpoint, err error) {
	err = s.do(ctx, func(v *view) error { es, err = v.ListWebhookEndpoints(ctx, orgID); return err })
	return es, err
}

// UpdateWebhookEndpoint implements store.WebhookStore.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	return s.do(ctx, func(v *view) error { return v.UpdateWebhookEndpoint(ctx, e) })
}

// DeleteWebhookEndpoint implements store.WebhookStore.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteWebhookEndpoint(ctx, orgID, id) })
}

// RecordWebhookEndpointResult implements store.WebhookStore.
func (s *Store) RecordWebhookEndpointResult(ctx context.Context, id string, ok bool, now time.Time) (t time.Time, err error) {
	err = s.do(ctx, func(v *view) error { t, err = v.RecordWebhookEndpointResult(ctx, id, ok, now); return err })
	return t, err
}

// DisableWebhookEndpoint implements store.WebhookStore.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, id, reason string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.DisableWebhookEndpoint(ctx, id, reason, now) })
}

// EnqueueWebhookDeliveries implements store.WebhookStore.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []store.WebhookDelivery) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.EnqueueWebhookDeliveries(ctx, ds); return err })
	return n, err
}

// ClaimWebhookDeliveries implements store.WebhookStore.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, leaseID string, now time.Time, lease time.Duration, limit int) (ds []store.WebhookDelivery, err error) {
	err = s.do(ctx, func(v *view) error {
		ds, err = v.ClaimWebhookDeliveries(ctx, leaseID, now, lease, limit)
		return err
	})
	return ds, err
}

// FinishWebhookDelivery implements store.WebhookStore.
func (s *Store) FinishWebhookDelivery(ctx context.Context, id, leaseID string, a store.WebhookAttempt) error {
	return s.do(ctx, func(v *view) error { return v.FinishWebhookDelivery(ctx, id, leaseID, a) })
}

// GetWebhookDelivery implements store.WebhookStore.
func (s *Store) GetWebhookDelivery(ctx context.Context, endpointID, id string) (d store.WebhookDelivery, err error) {
	err = s.do(ctx, func(v *view) error { d, err = v.GetWebhookDelivery(ctx, endpointID, id); return err })
	return d, err
}

// ListWebhookDeliveries implements store.WebhookStore.
func (s *Store) ListWebhookDeliveries(ctx context.Context, f store.WebhookDeliveryFilter) (ds []store.WebhookDelivery, err error) {
	err = s.do(ctx, func(v *view) error { ds, err = v.ListWebhookDeliveries(ctx, f); return err })
	return ds, err
}

// RetryWebhookDelivery implements store.WebhookStore.
func (s *Store) RetryWebhookDelivery(ctx context.Context, endpointID, id string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.RetryWebhookDelivery(ctx, endpointID, id, now) })
}

// DeleteWebhookDeliveriesBefore implements store.WebhookStore.
func (s *Store) DeleteWebhookDeliveriesBefore(ctx context.Context, t time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteWebhookDeliveriesBefore(ctx, t); return err })
	return n, err
}

func (v *view) endpointNameTaken(e store.WebhookEndpoint) bool {
	for _, o := range v.st.webhooks {
		if o.OrgID == e.OrgID && o.ID != e.ID && strings.EqualFold(o.Name, e.Name) {
			return true
		}
	}
	return false
}

func (v *view) CreateWebhookEndpoint(_ context.Context, e store.WebhookEndpoint) error {
	if _, ok := v.st.webhooks[e.ID]; ok || v.endpointNameTaken(e) {
		return store.ErrConflict
	}
	v.st.webhooks[e.ID] = copyEndpoint(e)
	return nil
}

func (v *view) GetWebhookEndpoint(_ context.Context, orgID, id string) (store.WebhookEndpoint, error) {
	e, ok := v.st.webhooks[id]
	if !ok || e.OrgID != orgID {
		return store.WebhookEndpoint{}, store.ErrNotFound
	}
	return copyEndpoint(e), nil
}

func (v *view) ListWebhookEndpoints(_ context.Context, orgID string) ([]store.WebhookEndpoint, error) {
	var out []store.WebhookEndpoint
	for _, e := range v.st.webhooks {
		if orgID == "" && e.Enabled || orgID != "" && e.OrgID == orgID {
			out = append(out, copyEndpoint(e))
		}
	}
	slices.SortFunc(out, func(a, b store.WebhookEndpoint) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (v *view) UpdateWebhookEndpoint(_ context.Context, e store.WebhookEndpoint) error {
	o, ok := v.st.webhooks[e.ID]
	if !ok || o.OrgID != e.OrgID {
		return store.ErrNotFound
	}
	if v.endpointNameTaken(e) {
		return store.ErrConflict
	}
	v.st.webhooks[e.ID] = copyEndpoint(e)
	return nil
}

func (v *view) DeleteWebhookEndpoint(_ context.Context, orgID, id string) error {
	e, ok := v.st.webhooks[id]
	if !ok || e.OrgID != orgID {
		return store.ErrNotFound
	}
	v.dropWebhook(id)
	return nil
}

// dropWebhook removes endpoint id and its deliveries.
func (v *view) dropWebhook(id string) {
	delete(v.st.webhooks, id)
	for k, d := range v.st.deliveries {
		if d.EndpointID == id {
			delete(v.st.deliveries, k)
		}
	}
}

// dropWebhookOrg removes the organization's endpoints and deliveries.
func (v *view) dropWebhookOrg(orgID string) {
	for id, e := range v.st.webhooks {
		if e.OrgID == orgID {
			v.dropWebhook(id)
		}
	}
}

func (v *view) RecordWebhookEndpointResult(_ context.Context, id string, ok bool, now time.Time) (time.Time, error) {
	e, found := v.st.webhooks[id]
	if !found {
		return time.Time{}, store.ErrNotFound
	}
	switch {
	case ok:
		e.FailingSince = time.Time{}
	case e.FailingSince.IsZero():
		e.FailingSince = now
	}
	v.st.webhooks[id] = e
	return e.FailingSince, nil
}

func (v *view) DisableWebhookEndpoint(_ context.Context, id, reason string, now time.Time) error {
	e, ok := v.st.webhooks[id]
	if !ok {
		return store.ErrNotFound
	}
	e.Enabled, e.DisabledReason, e.UpdatedAt = false, reason, now
	v.st.webhooks[id] = e
	return nil
}

func (v *view) EnqueueWebhookDeliveries(_ context.Context, ds []store.WebhookDelivery) (int, error) {
	n := 0
	for _, d := range ds {
		if _, ok := v.st.deliveries[d.ID]; ok {
			continue
		}
		dup := false
		for _, o := range v.st.deliveries {
			if o.EndpointID == d.EndpointID && o.EventID == d.EventID {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		v.st.deliveries[d.ID] = copyDelivery(d)
		n++
	}
	return n, nil
}

func (v *view) ClaimWebhookDeliveries(_ context.Context, leaseID string, now time.Time, lease time.Duration, limit int) ([]store.WebhookDelivery, error) {
	var due []store.WebhookDelivery
	for _, d := range v.st.deliveries {
		e, ok := v.st.webhooks[d.EndpointID]
		if !ok || !e.Enabled || d.Status != store.WebhookPending || d.NextAttemptAt.After(now) || d.LeaseUntil.After(now) {
			continue
		}
		due = append(due, d)
	}
	slices.SortFunc(due, func(a, b store.WebhookDelivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if limit >= 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]store.WebhookDelivery, 0, len(due))
	for _, d := range due {
		d.LeaseID, d.LeaseUntil, d.Attempts = leaseID, now.Add(lease), d.Attempts+1
		v.st.deliveries[d.ID] = d
		out = append(out, copyDelivery(d))
	}
	return out, nil
}

func (v *view) FinishWebhookDelivery(_ context.Context, id, leaseID string, a store.WebhookAttempt) error {
	d, ok := v.st.deliveries[id]
	if !ok {
		return store.ErrNotFound
	}
	if d.LeaseID != leaseID || leaseID == "" {
		return store.ErrUsed
	}
	d.Status, d.ResponseStatus, d.LastError, d.DurationMS = a.Status, a.ResponseStatus, a.LastError, a.DurationMS
	d.LeaseID, d.LeaseUntil, d.UpdatedAt = "", time.Time{}, a.At
	d.NextAttemptAt = time.Time{}
	switch a.Status {
	case store.WebhookPending:
		d.NextAttemptAt = a.NextAttemptAt
	case store.WebhookDelivered:
		d.DeliveredAt = a.At
	}
	v.st.deliveries[id] = d
	return nil
}

func (v *view) GetWebhookDelivery(_ context.Context, endpointID, id string) (store.WebhookDelivery, error) {
	d, ok := v.st.deliveries[id]
	if !ok || d.EndpointID != endpointID {
		return store.WebhookDelivery{}, store.ErrNotFound
	}
	return copyDelivery(d), nil
}

// newestFirst orders deliveries by CreatedAt, then ID, descending.
func newestFirst(a, b store.WebhookDelivery) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

func (v *view) ListWebhookDeliveries(_ context.Context, f store.WebhookDeliveryFilter) ([]store.WebhookDelivery, error) {
	var all []store.WebhookDelivery
	for _, d := range v.st.deliveries {
		if d.EndpointID == f.EndpointID && (f.Status == "" || d.Status == f.Status) && (f.EventType == "" || d.EventType == f.EventType) {
			all = append(all, d)
		}
	}
	slices.SortFunc(all, newestFirst)
	if f.Cursor != "" {
		c, ok := v.st.deliveries[f.Cursor]
		if !ok || c.EndpointID != f.EndpointID {
			return []store.WebhookDelivery{}, nil
		}
		i := 0
		for i < len(all) && newestFirst(all[i], c) <= 0 {
			i++
		}
		all = all[i:]
	}
	if f.Limit > 0 && len(all) > f.Limit {
		all = all[:f.Limit]
	}
	out := make([]store.WebhookDelivery, 0, len(all))
	for _, d := range all {
		out = append(out, copyDelivery(d))
	}
	return out, nil
}

func (v *view) RetryWebhookDelivery(_ context.Context, endpointID, id string, now time.Time) error {
	d, ok := v.st.deliveries[id]
	if !ok || d.EndpointID != endpointID {
		return store.ErrNotFound
	}
	d.Status, d.NextAttemptAt, d.LeaseID, d.LeaseUntil, d.UpdatedAt = store.WebhookPending, now, "", time.Time{}, now
	v.st.deliveries[id] = d
	return nil
}

func (v *view) DeleteWebhookDeliveriesBefore(_ context.Context, t time.Time) (int, error) {
	n := 0
	for k, d := range v.st.deliveries {
		if d.Status != store.WebhookPending && d.UpdatedAt.Before(t) {
			delete(v.st.deliveries, k)
			n++
		}
	}
	return n, nil
}
