package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// Webhook endpoints and the deliveries queue.

const endpointCols = `id, org_id, name, url, events, enabled, disabled_reason, secret, prev_secret, prev_secret_until,
	failing_since, created_at, updated_at`

func scanEndpoint(sc scanner) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var events sql.NullString
	var secret, prev []byte
	var prevUntil, failing, created, updated sql.NullInt64
	if err := sc.Scan(&e.ID, &e.OrgID, &e.Name, &e.URL, &events, &e.Enabled, &e.DisabledReason, &secret, &prev, &prevUntil,
		&failing, &created, &updated); err != nil {
		return store.WebhookEndpoint{}, err
	}
	l, err := decodeList(events)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	e.Events, e.Secret, e.PrevSecret = l, bytesOrNil(secret), bytesOrNil(prev)
	e.PrevSecretUntil, e.FailingSince, e.CreatedAt, e.UpdatedAt = at(prevUntil), at(failing), at(created), at(updated)
	return e, nil
}

const deliveryCols = `id, endpoint_id, org_id, event_id, event_type, payload, status, attempts, next_attempt_at, lease_id,
	lease_until, response_status, last_error, duration_ms, created_at, updated_at, delivered_at`

func scanDelivery(sc scanner) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var payload []byte
	var next, lease, created, updated, delivered sql.NullInt64
	if err := sc.Scan(&d.ID, &d.EndpointID, &d.OrgID, &d.EventID, &d.EventType, &payload, &d.Status, &d.Attempts, &next,
		&d.LeaseID, &lease, &d.ResponseStatus, &d.LastError, &d.DurationMS, &created, &updated, &delivered); err != nil {
		return store.WebhookDelivery{}, err
	}
	d.Payload = bytesOrNil(payload)
	d.NextAttemptAt, d.LeaseUntil, d.CreatedAt, d.UpdatedAt, d.DeliveredAt = at(next), at(lease), at(created), at(updated), at(delivered)
	return d, nil
}

// CreateWebhookEndpoint inserts e; the unique index on (org_id, name_lower)
// makes a taken name ErrConflict.
func (h *handle) CreateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	events, err := encodeList(e.Events)
	if err != nil {
		return wrap("create webhook endpoint", err)
	}
	return h.insert(ctx, "create webhook endpoint", `INSERT INTO authos_webhook_endpoints (`+endpointCols+`, name_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, e.OrgID, e.Name, e.URL, events, e.Enabled, e.DisabledReason, bytesOrEmpty(e.Secret), bytesOrNil(e.PrevSecret),
		ms(e.PrevSecretUntil), ms(e.FailingSince), ms(e.CreatedAt), ms(e.UpdatedAt), strings.ToLower(e.Name))
}

// bytesOrEmpty is b, or an empty (not NULL) value.
func bytesOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetWebhookEndpoint returns the organization's endpoint id.
func (h *handle) GetWebhookEndpoint(ctx context.Context, orgID, id string) (store.WebhookEndpoint, error) {
	return getOne(ctx, h, "get webhook endpoint", scanEndpoint,
		`SELECT `+endpointCols+` FROM authos_webhook_endpoints WHERE id = ? AND org_id = ?`, id, orgID)
}

// ListWebhookEndpoints returns the organization's endpoints (every enabled
// endpoint when orgID is empty), oldest first.
func (h *handle) ListWebhookEndpoints(ctx context.Context, orgID string) ([]store.WebhookEndpoint, error) {
	if orgID == "" {
		return queryAll(ctx, h, "list webhook endpoints", scanEndpoint,
			`SELECT `+endpointCols+` FROM authos_webhook_endpoints WHERE enabled = ? ORDER BY created_at, id`, true)
	}
	return queryAll(ctx, h, "list webhook endpoints", scanEndpoint,
		`SELECT `+endpointCols+` FROM authos_webhook_endpoints WHERE org_id = ? ORDER BY created_at, id`, orgID)
}

// UpdateWebhookEndpoint replaces the stored endpoint.
func (h *handle) UpdateWebhookEndpoint(ctx context.Context, e store.WebhookEndpoint) error {
	events, err := encodeList(e.Events)
	if err != nil {
		return wrap("update webhook endpoint", err)
	}
	res, err := h.exec(ctx, `UPDATE authos_webhook_endpoints SET name = ?, name_lower = ?, url = ?, events = ?, enabled = ?,
		disabled_reason = ?, secret = ?, prev_secret = ?, prev_secret_until = ?, failing_since = ?, updated_at = ?
		WHERE id = ? AND org_id = ?`,
		e.Name, strings.ToLower(e.Name), e.URL, events, e.Enabled, e.DisabledReason, bytesOrEmpty(e.Secret), bytesOrNil(e.PrevSecret),
		ms(e.PrevSecretUntil), ms(e.FailingSince), ms(e.UpdatedAt), e.ID, e.OrgID)
	if err != nil {
		return h.wrapWrite("update webhook endpoint", err)
	}
	return oneRow("update webhook endpoint", res)
}

// oneRow turns "no row changed" into ErrNotFound.
func oneRow(op string, res sql.Result) error {
	n, err := affected(op, res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteWebhookEndpoint removes the endpoint; its deliveries go with it
// (ON DELETE CASCADE).
func (h *handle) DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error {
	res, err := h.exec(ctx, `DELETE FROM authos_webhook_endpoints WHERE id = ? AND org_id = ?`, id, orgID)
	if err != nil {
		return wrap("delete webhook endpoint", err)
	}
	return oneRow("delete webhook endpoint", res)
}

// RecordWebhookEndpointResult clears or sets failing_since in one UPDATE
// and reads it back.
func (h *handle) RecordWebhookEndpointResult(ctx context.Context, id string, ok bool, now time.Time) (time.Time, error) {
	var since time.Time
	err := h.atomic(ctx, func(h *handle) error {
		q := `UPDATE authos_webhook_endpoints SET failing_since = NULL WHERE id = ?`
		args := []any{id}
		if !ok {
			q = `UPDATE authos_webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`
			args = []any{now.UnixMilli(), id}
		}
		res, err := h.exec(ctx, q, args...)
		if err != nil {
			return wrap("record webhook result", err)
		}
		if err := oneRow("record webhook result", res); err != nil {
			return err
		}
		var v sql.NullInt64
		if err := h.queryRow(ctx, `SELECT failing_since FROM authos_webhook_endpoints WHERE id = ?`, id).Scan(&v); err != nil {
			return wrap("record webhook result", err)
		}
		since = at(v)
		return nil
	})
	return since, err
}

// DisableWebhookEndpoint turns the endpoint off with reason.
func (h *handle) DisableWebhookEndpoint(ctx context.Context, id, reason string, now time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`,
		false, reason, now.UnixMilli(), id)
	if err != nil {
		return wrap("disable webhook endpoint", err)
	}
	return oneRow("disable webhook endpoint", res)
}

// EnqueueWebhookDeliveries inserts the deliveries in one transaction; the
// unique index on (endpoint_id, event_id) and ON CONFLICT DO NOTHING skip
// those queued before.
func (h *handle) EnqueueWebhookDeliveries(ctx context.Context, ds []store.WebhookDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	n := 0
	err := h.atomic(ctx, func(h *handle) error {
		n = 0
		for _, d := range ds {
			res, err := h.exec(ctx, `INSERT INTO authos_webhook_deliveries (`+deliveryCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				d.ID, d.EndpointID, d.OrgID, d.EventID, d.EventType, bytesOrEmpty(d.Payload), d.Status, d.Attempts,
				ms(d.NextAttemptAt), d.LeaseID, ms(d.LeaseUntil), d.ResponseStatus, d.LastError, d.DurationMS,
				ms(d.CreatedAt), ms(d.UpdatedAt), ms(d.DeliveredAt))
			if err != nil {
				return h.wrapWrite("enqueue webhook deliveries", err)
			}
			k, err := affected("enqueue webhook deliveries", res)
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

// ClaimWebhookDeliveries selects due deliveries of enabled endpoints with
// FOR UPDATE SKIP LOCKED where the dialect has it, then leases them with
// an UPDATE that re-checks the lease, in one transaction.
func (h *handle) ClaimWebhookDeliveries(ctx context.Context, leaseID string, now time.Time, lease time.Duration, limit int) ([]store.WebhookDelivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	nowMS := now.UnixMilli()
	var out []store.WebhookDelivery
	err := h.atomic(ctx, func(h *handle) error {
		out = nil
		rows, err := h.query(ctx, `SELECT d.id FROM authos_webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= ?
			AND (d.lease_until IS NULL OR d.lease_until <= ?)
			AND EXISTS (SELECT 1 FROM authos_webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled = ?)
			ORDER BY d.next_attempt_at, d.id LIMIT ?`+h.s.d.forUpdateSkipLocked(), nowMS, nowMS, true, limit)
		if err != nil {
			return wrap("claim webhook deliveries", err)
		}
		found, err := readIDs(rows)
		if err != nil {
			return wrap("claim webhook deliveries", err)
		}
		ids := make([]any, len(found))
		for i, id := range found {
			ids[i] = id
		}
		if len(ids) == 0 {
			return nil
		}
		args := append([]any{leaseID, nowMS + lease.Milliseconds()}, ids...)
		args = append(args, nowMS)
		out, err = queryAll(ctx, h, "claim webhook deliveries", scanDelivery,
			`UPDATE authos_webhook_deliveries SET lease_id = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(ids))+`) AND status = 'pending'
			AND (lease_until IS NULL OR lease_until <= ?)
			RETURNING `+deliveryCols, args...)
		if err != nil {
			return err
		}
		// RETURNING does not keep the selection's order.
		slices.SortFunc(out, func(a, b store.WebhookDelivery) int {
			if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishWebhookDelivery records the attempt's outcome when the lease is
// still leaseID.
func (h *handle) FinishWebhookDelivery(ctx context.Context, id, leaseID string, a store.WebhookAttempt) error {
	var next, delivered any
	switch a.Status {
	case store.WebhookPending:
		next = ms(a.NextAttemptAt)
	case store.WebhookDelivered:
		delivered = a.At.UnixMilli()
	}
	return h.atomic(ctx, func(h *handle) error {
		res, err := h.exec(ctx, `UPDATE authos_webhook_deliveries SET status = ?, next_attempt_at = ?, lease_id = '', lease_until = NULL,
			response_status = ?, last_error = ?, duration_ms = ?, updated_at = ?, delivered_at = COALESCE(?, delivered_at)
			WHERE id = ? AND lease_id = ? AND lease_id <> ''`,
			a.Status, next, a.ResponseStatus, a.LastError, a.DurationMS, a.At.UnixMilli(), delivered, id, leaseID)
		if err != nil {
			return wrap("finish webhook delivery", err)
		}
		n, err := affected("finish webhook delivery", res)
		if err != nil || n > 0 {
			return err
		}
		var one int
		err = h.queryRow(ctx, `SELECT 1 FROM authos_webhook_deliveries WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return wrap("finish webhook delivery", err)
		}
		return store.ErrUsed
	})
}

// GetWebhookDelivery returns the endpoint's delivery id.
func (h *handle) GetWebhookDelivery(ctx context.Context, endpointID, id string) (store.WebhookDelivery, error) {
	return getOne(ctx, h, "get webhook delivery", scanDelivery,
		`SELECT `+deliveryCols+` FROM authos_webhook_deliveries WHERE id = ? AND endpoint_id = ?`, id, endpointID)
}

// ListWebhookDeliveries returns the deliveries f selects, newest first,
// after the cursor's row (keyset pagination on (created_at, id)).
func (h *handle) ListWebhookDeliveries(ctx context.Context, f store.WebhookDeliveryFilter) ([]store.WebhookDelivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM authos_webhook_deliveries WHERE endpoint_id = ?`
	args := []any{f.EndpointID}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.EventType != "" {
		q += ` AND event_type = ?`
		args = append(args, f.EventType)
	}
	if f.Cursor != "" {
		var created sql.NullInt64
		err := h.queryRow(ctx, `SELECT created_at FROM authos_webhook_deliveries WHERE id = ? AND endpoint_id = ?`,
			f.Cursor, f.EndpointID).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return []store.WebhookDelivery{}, nil
		}
		if err != nil {
			return nil, wrap("list webhook deliveries", err)
		}
		q += ` AND (created_at < ? OR created_at = ? AND id < ?)`
		args = append(args, created.Int64, created.Int64, f.Cursor)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	out, err := queryAll(ctx, h, "list webhook deliveries", scanDelivery, q, args...)
	if out == nil && err == nil {
		out = []store.WebhookDelivery{}
	}
	return out, err
}

// RetryWebhookDelivery makes the delivery pending and due at now.
func (h *handle) RetryWebhookDelivery(ctx context.Context, endpointID, id string, now time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_webhook_deliveries SET status = 'pending', next_attempt_at = ?, lease_id = '',
		lease_until = NULL, updated_at = ? WHERE id = ? AND endpoint_id = ?`, now.UnixMilli(), now.UnixMilli(), id, endpointID)
	if err != nil {
		return wrap("retry webhook delivery", err)
	}
	return oneRow("retry webhook delivery", res)
}

// DeleteWebhookDeliveriesBefore removes finished deliveries last updated
// before t.
func (h *handle) DeleteWebhookDeliveriesBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_webhook_deliveries WHERE status <> 'pending' AND updated_at < ?`, t.UnixMilli())
	if err != nil {
		return 0, wrap("delete webhook deliveries", err)
	}
	n, err := affected("delete webhook deliveries", res)
	return int(n), err
}
