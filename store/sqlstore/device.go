package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

// RFC 8628 device authorizations.

const deviceCols = `id, device_code_hash, user_code, client_id, service_id, org_id, scope, status, user_id,
	approver_amr, poll_interval, last_polled_at, poll_via, slowed_down, created_at, expires_at, decided_at`

func scanDevice(sc scanner) (store.DeviceAuthorization, error) {
	var d store.DeviceAuthorization
	var amr sql.NullString
	var polled, created, expires, decided sql.NullInt64
	if err := sc.Scan(&d.ID, &d.DeviceCodeHash, &d.UserCode, &d.ClientID, &d.ServiceID, &d.OrgID, &d.Scope,
		&d.Status, &d.UserID, &amr, &d.Interval, &polled, &d.PollVia, &d.SlowedDown, &created, &expires, &decided); err != nil {
		return store.DeviceAuthorization{}, err
	}
	l, err := decodeList(amr)
	if err != nil {
		return store.DeviceAuthorization{}, err
	}
	d.ApproverAMR = l
	d.LastPolledAt, d.CreatedAt, d.ExpiresAt, d.DecidedAt = at(polled), at(created), at(expires), at(decided)
	return d, nil
}

// CreateDeviceAuthorization deletes an expired row holding the same user
// code and inserts d, in one transaction; the unique indexes on the
// device-code hash and the user code make concurrent inserts of the same
// code fail with ErrConflict.
func (h *handle) CreateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization) error {
	amr, err := encodeList(d.ApproverAMR)
	if err != nil {
		return wrap("create device authorization", err)
	}
	return h.atomic(ctx, func(h *handle) error {
		if _, err := h.exec(ctx, `DELETE FROM authos_device_authorizations WHERE user_code = ? AND expires_at <= ?`,
			d.UserCode, d.CreatedAt.UnixMilli()); err != nil {
			return h.wrapWrite("create device authorization", err)
		}
		return h.insert(ctx, "create device authorization", `INSERT INTO authos_device_authorizations (`+deviceCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			d.ID, d.DeviceCodeHash, d.UserCode, d.ClientID, d.ServiceID, d.OrgID, d.Scope, d.Status, d.UserID,
			amr, d.Interval, ms(d.LastPolledAt), d.PollVia, d.SlowedDown, ms(d.CreatedAt), d.ExpiresAt.UnixMilli(),
			ms(d.DecidedAt))
	})
}

// GetDeviceByCodeHash returns the row with the device-code hash, or ErrNotFound.
func (h *handle) GetDeviceByCodeHash(ctx context.Context, hash string) (store.DeviceAuthorization, error) {
	return getOne(ctx, h, "get device authorization", scanDevice,
		`SELECT `+deviceCols+` FROM authos_device_authorizations WHERE device_code_hash = ?`, hash)
}

// GetDeviceByUserCode returns the unexpired row with the user code, or ErrNotFound.
func (h *handle) GetDeviceByUserCode(ctx context.Context, userCode string, now time.Time) (store.DeviceAuthorization, error) {
	return getOne(ctx, h, "get device authorization by user code", scanDevice,
		`SELECT `+deviceCols+` FROM authos_device_authorizations WHERE user_code = ? AND expires_at > ?`,
		userCode, now.UnixMilli())
}

// deviceMiss tells why a compare-and-set on a device row changed nothing:
// ErrNotFound, ErrExpired, or ErrUsed (wrong status).
func (h *handle) deviceMiss(ctx context.Context, op, where string, key any, now time.Time) error {
	var expires int64
	err := h.queryRow(ctx, `SELECT expires_at FROM authos_device_authorizations WHERE `+where+` = ?`, key).Scan(&expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return wrap(op, err)
	case expires <= now.UnixMilli():
		return store.ErrExpired
	}
	return store.ErrUsed
}

// DecideDevice is a single compare-and-set UPDATE (WHERE status = pending
// and not expired): among concurrent callers exactly one succeeds.
func (h *handle) DecideDevice(ctx context.Context, id, status, userID string, amr []string, now time.Time) error {
	list, err := encodeList(amr)
	if err != nil {
		return wrap("decide device authorization", err)
	}
	res, err := h.exec(ctx, `UPDATE authos_device_authorizations SET status = ?, user_id = ?, approver_amr = ?, decided_at = ?
		WHERE id = ? AND status = ? AND expires_at > ?`,
		status, userID, list, now.UnixMilli(), id, store.DeviceStatusPending, now.UnixMilli())
	if err != nil {
		return wrap("decide device authorization", err)
	}
	n, err := affected("decide device authorization", res)
	if err != nil || n > 0 {
		return err
	}
	return h.deviceMiss(ctx, "decide device authorization", "id", id, now)
}

// PollDevice locks the row with a no-op UPDATE ... RETURNING (so concurrent
// polls queue behind each other on both dialects), applies
// store.ApplyDevicePoll and writes the poll fields back, in one transaction.
func (h *handle) PollDevice(ctx context.Context, hash string, p store.DevicePoll) (store.DeviceAuthorization, bool, error) {
	var out store.DeviceAuthorization
	var tooFast bool
	err := h.atomic(ctx, func(h *handle) error {
		d, err := getOne(ctx, h, "poll device authorization", scanDevice, `UPDATE authos_device_authorizations
			SET poll_interval = poll_interval WHERE device_code_hash = ? RETURNING `+deviceCols, hash)
		if err != nil {
			return err
		}
		out, tooFast = store.ApplyDevicePoll(d, p)
		_, err = h.exec(ctx, `UPDATE authos_device_authorizations SET poll_interval = ?, last_polled_at = ?, poll_via = ?,
			slowed_down = ? WHERE device_code_hash = ?`, out.Interval, ms(out.LastPolledAt), out.PollVia, out.SlowedDown, hash)
		if err != nil {
			return wrap("poll device authorization", err)
		}
		return nil
	})
	if err != nil {
		return store.DeviceAuthorization{}, false, err
	}
	return out, tooFast, nil
}

// ExchangeDevice is a single compare-and-set UPDATE ... RETURNING (WHERE
// status = approved and not expired): among concurrent callers exactly one
// gets the row.
func (h *handle) ExchangeDevice(ctx context.Context, hash string, now time.Time) (store.DeviceAuthorization, error) {
	d, err := getOne(ctx, h, "exchange device authorization", scanDevice, `UPDATE authos_device_authorizations
		SET status = ? WHERE device_code_hash = ? AND status = ? AND expires_at > ? RETURNING `+deviceCols,
		store.DeviceStatusExchanged, hash, store.DeviceStatusApproved, now.UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return store.DeviceAuthorization{}, h.deviceMiss(ctx, "exchange device authorization", "device_code_hash", hash, now)
	}
	return d, err
}

// DeleteExpiredDevices removes rows that expired at or before now.
func (h *handle) DeleteExpiredDevices(ctx context.Context, now time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_device_authorizations WHERE expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, wrap("delete expired device authorizations", err)
	}
	n, err := affected("delete expired device authorizations", res)
	return int(n), err
}
