package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

const outboxCols = `id, topic, payload, created_at, next_attempt_at, attempts, locked_until, delivered_at, failed_at, last_error`

func scanOutbox(sc interface{ Scan(...any) error }) (store.OutboxMessage, error) {
	var m store.OutboxMessage
	var payload []byte
	var created, next, locked, delivered, failed sql.NullInt64
	if err := sc.Scan(&m.ID, &m.Topic, &payload, &created, &next, &m.Attempts, &locked, &delivered, &failed, &m.LastError); err != nil {
		return store.OutboxMessage{}, err
	}
	m.Payload = bytesOrNil(payload)
	m.CreatedAt, m.NextAttemptAt, m.LockedUntil = at(created), at(next), at(locked)
	m.DeliveredAt, m.FailedAt = at(delivered), at(failed)
	return m, nil
}

// oldestFirst orders messages by CreatedAt, then id, as the queries do.
func oldestFirst(a, b store.OutboxMessage) int {
	if c := cmp.Compare(a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// EnqueueOutbox inserts m. ErrConflict when the id exists.
func (h *handle) EnqueueOutbox(ctx context.Context, m store.OutboxMessage) error {
	res, err := h.exec(ctx, `INSERT INTO authos_outbox (`+outboxCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, m.Topic, bytesOrNil(m.Payload), ms(m.CreatedAt), ms(m.NextAttemptAt), m.Attempts,
		ms(m.LockedUntil), ms(m.DeliveredAt), ms(m.FailedAt), m.LastError)
	if err != nil {
		return h.wrapWrite("enqueue outbox", err)
	}
	n, err := affected("enqueue outbox", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// ClaimOutbox leases up to limit due, pending messages of topics, oldest
// first. The candidates are selected with FOR UPDATE SKIP LOCKED where the
// dialect supports it (so concurrent claimers pass each other by) and then
// leased with an UPDATE that re-checks the lease, in one transaction.
func (h *handle) ClaimOutbox(ctx context.Context, topics []string, now time.Time, lease time.Duration, limit int) ([]store.OutboxMessage, error) {
	if len(topics) == 0 || limit <= 0 {
		return nil, nil
	}
	nowMS := now.UnixMilli()
	var out []store.OutboxMessage
	err := h.atomic(ctx, func(h *handle) error {
		out = nil
		args := make([]any, 0, len(topics)+3)
		for _, t := range topics {
			args = append(args, t)
		}
		args = append(args, nowMS, nowMS, limit)
		rows, err := h.query(ctx, `SELECT id FROM authos_outbox
			WHERE topic IN (`+placeholders(len(topics))+`)
			AND delivered_at IS NULL AND failed_at IS NULL
			AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
			AND (locked_until IS NULL OR locked_until <= ?)
			ORDER BY created_at NULLS FIRST, id LIMIT ?`+h.s.d.forUpdateSkipLocked(), args...)
		if err != nil {
			return wrap("claim outbox", err)
		}
		found, err := readIDs(rows)
		if err != nil {
			return wrap("claim outbox", err)
		}
		ids := make([]any, len(found))
		for i, id := range found {
			ids[i] = id
		}
		if len(ids) == 0 {
			return nil
		}
		args = append([]any{nowMS + lease.Milliseconds()}, ids...)
		args = append(args, nowMS)
		rows, err = h.query(ctx, `UPDATE authos_outbox SET locked_until = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(ids))+`)
			AND delivered_at IS NULL AND failed_at IS NULL
			AND (locked_until IS NULL OR locked_until <= ?)
			RETURNING `+outboxCols, args...)
		if err != nil {
			return wrap("claim outbox", err)
		}
		defer closeRows(rows)
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				return wrap("claim outbox", err)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return wrap("claim outbox", err)
		}
		// RETURNING does not keep the selection's order.
		slices.SortFunc(out, oldestFirst)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// setOutbox runs one UPDATE on message id; ErrNotFound when it is absent.
func (h *handle) setOutbox(ctx context.Context, op, set string, id string, args ...any) error {
	res, err := h.exec(ctx, `UPDATE authos_outbox SET `+set+` WHERE id = ?`, append(args, id)...)
	if err != nil {
		return wrap(op, err)
	}
	n, err := affected(op, res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CompleteOutbox marks the message delivered and releases its lease.
// ErrNotFound when absent.
func (h *handle) CompleteOutbox(ctx context.Context, id string, now time.Time) error {
	return h.setOutbox(ctx, "complete outbox", `delivered_at = ?, locked_until = NULL`, id, ms(now))
}

// RetryOutbox releases the lease and schedules the next attempt at next.
// ErrNotFound when absent.
func (h *handle) RetryOutbox(ctx context.Context, id string, next time.Time, lastError string) error {
	return h.setOutbox(ctx, "retry outbox", `locked_until = NULL, next_attempt_at = ?, last_error = ?`, id, ms(next), lastError)
}

// FailOutbox gives up on the message, keeping it for inspection, and
// releases its lease. ErrNotFound when absent.
func (h *handle) FailOutbox(ctx context.Context, id string, now time.Time, lastError string) error {
	return h.setOutbox(ctx, "fail outbox", `failed_at = ?, locked_until = NULL, last_error = ?`, id, ms(now), lastError)
}

// ListOutbox returns the messages selected by f, oldest first.
func (h *handle) ListOutbox(ctx context.Context, f store.OutboxFilter) ([]store.OutboxMessage, error) {
	q := `SELECT ` + outboxCols + ` FROM authos_outbox WHERE 1 = 1`
	var args []any
	if f.Topic != "" {
		q += ` AND topic = ?`
		args = append(args, f.Topic)
	}
	if f.Pending {
		q += ` AND delivered_at IS NULL AND failed_at IS NULL`
	}
	q += ` ORDER BY created_at NULLS FIRST, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := h.query(ctx, q, args...)
	if err != nil {
		return nil, wrap("list outbox", err)
	}
	defer closeRows(rows)
	var out []store.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, wrap("list outbox", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list outbox", err)
	}
	return out, nil
}
