package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

// RecordLoginFailure adds one failure at now; a maxFailures below one never
// locks. The counter row is created or locked by one upsert (INSERT ... ON
// CONFLICT DO UPDATE ... RETURNING), then updated in the same transaction,
// so concurrent failures are all counted.
func (h *handle) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, maxFailures int, lockFor time.Duration) (store.LoginFailures, error) {
	var out store.LoginFailures
	err := h.atomic(ctx, func(h *handle) error {
		// One upsert creates the row or locks the existing one, so a
		// concurrent ClearLoginFailures cannot delete it between the two.
		var count int
		var start, locked sql.NullInt64
		err := h.queryRow(ctx, `INSERT INTO authos_login_failures (failure_key, scope, failures, window_start, locked_until)
			VALUES (?, ?, 0, NULL, NULL) ON CONFLICT (failure_key) DO UPDATE SET failures = authos_login_failures.failures
			RETURNING failures, window_start, locked_until`, key, store.FailureScope(key)).Scan(&count, &start, &locked)
		if err != nil {
			return wrap("record login failure", err)
		}
		nowMS := now.UnixMilli()
		f := store.LoginFailures{Key: key, Count: count, WindowStart: at(start), LockedUntil: at(locked)}
		if !start.Valid || start.Int64 <= nowMS-window.Milliseconds() {
			f.Count = 1
			f.WindowStart = time.UnixMilli(nowMS).UTC()
		} else {
			f.Count++
		}
		lockedNow := locked.Valid && locked.Int64 > nowMS
		if maxFailures > 0 && f.Count >= maxFailures && !lockedNow {
			f.LockedUntil = time.UnixMilli(nowMS + lockFor.Milliseconds()).UTC()
		}
		if _, err := h.exec(ctx, `UPDATE authos_login_failures SET failures = ?, window_start = ?, locked_until = ?
			WHERE failure_key = ?`, f.Count, ms(f.WindowStart), ms(f.LockedUntil), key); err != nil {
			return wrap("record login failure", err)
		}
		out = f
		return nil
	})
	if err != nil {
		return store.LoginFailures{}, err
	}
	return out, nil
}

// GetLoginFailures returns the state of key; a key never seen gives the zero
// state with Key set.
func (h *handle) GetLoginFailures(ctx context.Context, key string) (store.LoginFailures, error) {
	f := store.LoginFailures{Key: key}
	var start, locked sql.NullInt64
	err := h.queryRow(ctx, `SELECT failures, window_start, locked_until FROM authos_login_failures WHERE failure_key = ?`, key).
		Scan(&f.Count, &start, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return store.LoginFailures{}, wrap("get login failures", err)
	}
	f.WindowStart, f.LockedUntil = at(start), at(locked)
	return f, nil
}

// ClearLoginFailures forgets the key (count and lock).
func (h *handle) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := h.exec(ctx, `DELETE FROM authos_login_failures WHERE failure_key = ?`, key); err != nil {
		return wrap("clear login failures", err)
	}
	return nil
}

// ClearLoginFailureScope forgets every key of scope (one indexed DELETE).
func (h *handle) ClearLoginFailureScope(ctx context.Context, scope string) error {
	if _, err := h.exec(ctx, `DELETE FROM authos_login_failures WHERE scope = ?`, scope); err != nil {
		return wrap("clear login failure scope", err)
	}
	return nil
}

// DeleteStaleLoginFailures removes the keys whose window started before
// before and that are not locked at now.
func (h *handle) DeleteStaleLoginFailures(ctx context.Context, before, now time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_login_failures
		WHERE (window_start IS NULL OR window_start < ?) AND (locked_until IS NULL OR locked_until <= ?)`,
		before.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, wrap("delete stale login failures", err)
	}
	n, err := affected("delete stale login failures", res)
	return int(n), err
}
