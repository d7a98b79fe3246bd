package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

const mfaCols = `user_id, secret, enabled, last_step, created_at, enabled_at`

// PutMFAFactor creates the user's factor or replaces every field of it.
func (h *handle) PutMFAFactor(ctx context.Context, f store.MFAFactor) error {
	_, err := h.exec(ctx, `INSERT INTO authos_mfa_factors (`+mfaCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = excluded.enabled,
		last_step = excluded.last_step, created_at = excluded.created_at, enabled_at = excluded.enabled_at`,
		f.UserID, bytesOrNil(f.Secret), f.Enabled, f.LastStep, ms(f.CreatedAt), ms(f.EnabledAt))
	if err != nil {
		return wrap("put mfa factor", err)
	}
	return nil
}

// GetUserMFA returns the user with id and whether they have an enabled
// factor, in one query. ErrNotFound when there is no such user.
func (h *handle) GetUserMFA(ctx context.Context, id string) (store.User, bool, error) {
	var x userScan
	var enabled sql.NullBool
	err := h.queryRow(ctx, `SELECT `+qualify("u", userCols)+`, f.enabled FROM authos_users u
		LEFT JOIN authos_mfa_factors f ON f.user_id = u.id WHERE u.id = ?`, id).Scan(append(x.dest(), &enabled)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, false, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, false, wrap("get user mfa", err)
	}
	return x.user(), enabled.Valid && enabled.Bool, nil
}

// GetMFAFactor returns the user's factor, or ErrNotFound.
func (h *handle) GetMFAFactor(ctx context.Context, userID string) (store.MFAFactor, error) {
	var f store.MFAFactor
	var secret []byte
	var created, enabled sql.NullInt64
	err := h.queryRow(ctx, `SELECT `+mfaCols+` FROM authos_mfa_factors WHERE user_id = ?`, userID).
		Scan(&f.UserID, &secret, &f.Enabled, &f.LastStep, &created, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return store.MFAFactor{}, store.ErrNotFound
	}
	if err != nil {
		return store.MFAFactor{}, wrap("get mfa factor", err)
	}
	f.Secret, f.CreatedAt, f.EnabledAt = bytesOrNil(secret), at(created), at(enabled)
	return f, nil
}

// DeleteMFAFactor removes the user's factor and backup codes; ErrNotFound
// (and nothing removed) when there is no factor.
func (h *handle) DeleteMFAFactor(ctx context.Context, userID string) error {
	return h.atomic(ctx, func(h *handle) error {
		res, err := h.exec(ctx, `DELETE FROM authos_mfa_factors WHERE user_id = ?`, userID)
		if err != nil {
			return wrap("delete mfa factor", err)
		}
		n, err := affected("delete mfa factor", res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if _, err := h.exec(ctx, `DELETE FROM authos_mfa_backup_codes WHERE user_id = ?`, userID); err != nil {
			return wrap("delete mfa factor", err)
		}
		return nil
	})
}

// UseTOTPStep raises the factor's last_step to step. It is a single
// compare-and-set UPDATE (WHERE last_step < step), so among concurrent
// callers with the same step exactly one succeeds and the others get ErrUsed.
func (h *handle) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	res, err := h.exec(ctx, `UPDATE authos_mfa_factors SET last_step = ? WHERE user_id = ? AND last_step < ?`,
		step, userID, step)
	if err != nil {
		return wrap("use totp step", err)
	}
	n, err := affected("use totp step", res)
	if err != nil || n > 0 {
		return err
	}
	return h.missingOr(ctx, "use totp step", `SELECT 1 FROM authos_mfa_factors WHERE user_id = ?`, userID)
}

// missingOr tells why a compare-and-set changed nothing: ErrNotFound when
// query (SELECT 1 ...) finds no row, ErrUsed when it does.
func (h *handle) missingOr(ctx context.Context, op, query string, args ...any) error {
	var one int
	err := h.queryRow(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return wrap(op, err)
	}
	return store.ErrUsed
}

// ReplaceBackupCodes deletes the user's backup codes and inserts hashes, in
// one transaction.
func (h *handle) ReplaceBackupCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	return h.atomic(ctx, func(h *handle) error {
		if _, err := h.exec(ctx, `DELETE FROM authos_mfa_backup_codes WHERE user_id = ?`, userID); err != nil {
			return wrap("replace backup codes", err)
		}
		if len(hashes) == 0 {
			return nil
		}
		rows := make([]string, len(hashes))
		args := make([]any, 0, 3*len(hashes))
		for i, hash := range hashes {
			rows[i] = `(` + placeholders(3) + `)`
			args = append(args, userID, hash, ms(now))
		}
		if _, err := h.exec(ctx, `INSERT INTO authos_mfa_backup_codes (user_id, code_hash, created_at) VALUES `+
			strings.Join(rows, ", ")+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return wrap("replace backup codes", err)
		}
		return nil
	})
}

// ConsumeBackupCode marks the code used at now. It is a single
// compare-and-set UPDATE (WHERE used_at IS NULL), so among concurrent
// callers exactly one succeeds and the others get ErrUsed.
func (h *handle) ConsumeBackupCode(ctx context.Context, userID, hash string, now time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_mfa_backup_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, now.UnixMilli(), userID, hash)
	if err != nil {
		return wrap("consume backup code", err)
	}
	n, err := affected("consume backup code", res)
	if err != nil || n > 0 {
		return err
	}
	return h.missingOr(ctx, "consume backup code",
		`SELECT 1 FROM authos_mfa_backup_codes WHERE user_id = ? AND code_hash = ?`, userID, hash)
}

// CountBackupCodes returns how many unused backup codes the user has.
func (h *handle) CountBackupCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_mfa_backup_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, wrap("count backup codes", err)
	}
	return n, nil
}
