package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

const tokenCols = `hash, purpose, user_id, data, attempts, created_at, expires_at, used_at`

func scanToken(sc interface{ Scan(...any) error }) (store.OneTimeToken, error) {
	var t store.OneTimeToken
	var data []byte
	var created, expires, used sql.NullInt64
	err := sc.Scan(&t.Hash, &t.Purpose, &t.UserID, &data, &t.Attempts, &created, &expires, &used)
	t.Data = bytesOrNil(data)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = at(created), at(expires), at(used)
	return t, err
}

// checkToken classifies a token read at now: ErrUsed, ErrExpired or nil.
func checkToken(t store.OneTimeToken, now time.Time) error {
	if !t.UsedAt.IsZero() {
		return store.ErrUsed
	}
	if t.ExpiresAt.UnixMilli() <= now.UnixMilli() {
		return store.ErrExpired
	}
	return nil
}

// CreateToken inserts t. ErrConflict when the hash exists.
func (h *handle) CreateToken(ctx context.Context, t store.OneTimeToken) error {
	res, err := h.exec(ctx, `INSERT INTO authos_one_time_tokens (`+tokenCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Hash, t.Purpose, t.UserID, bytesOrNil(t.Data), t.Attempts, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.UsedAt))
	if err != nil {
		return h.wrapWrite("create token", err)
	}
	n, err := affected("create token", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// getToken reads the token without classifying it.
func (h *handle) getToken(ctx context.Context, purpose, hash string) (store.OneTimeToken, error) {
	t, err := scanToken(h.queryRow(ctx, `SELECT `+tokenCols+` FROM authos_one_time_tokens WHERE hash = ? AND purpose = ?`, hash, purpose))
	if errors.Is(err, sql.ErrNoRows) {
		return store.OneTimeToken{}, store.ErrNotFound
	}
	if err != nil {
		return store.OneTimeToken{}, wrap("get token", err)
	}
	return t, nil
}

// GetToken returns the token with hash and purpose without consuming it:
// ErrNotFound, ErrUsed or ErrExpired when it cannot be used at now.
func (h *handle) GetToken(ctx context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	t, err := h.getToken(ctx, purpose, hash)
	if err != nil {
		return store.OneTimeToken{}, err
	}
	if err := checkToken(t, now); err != nil {
		return store.OneTimeToken{}, err
	}
	return t, nil
}

// ConsumeToken marks the token used at now and returns it. It is a single
// compare-and-set UPDATE (WHERE used_at IS NULL), so among concurrent callers
// exactly one succeeds and the others get ErrUsed.
func (h *handle) ConsumeToken(ctx context.Context, purpose, hash string, now time.Time) (store.OneTimeToken, error) {
	t, err := scanToken(h.queryRow(ctx, `UPDATE authos_one_time_tokens SET used_at = ?
		WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+tokenCols, now.UnixMilli(), hash, purpose, now.UnixMilli()))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.OneTimeToken{}, wrap("consume token", err)
	}
	// Nothing was consumed: tell why. A token once used or expired stays so.
	t, err = h.getToken(ctx, purpose, hash)
	if err != nil {
		return store.OneTimeToken{}, err
	}
	if err := checkToken(t, now); err != nil {
		return store.OneTimeToken{}, err
	}
	// Unreachable unless the row changed between the two statements in a
	// way the contract does not allow (used_at cleared); report it as used.
	return store.OneTimeToken{}, store.ErrUsed
}

// RecordTokenAttempt adds one to the token's Attempts and returns the new
// count. ErrNotFound when absent.
func (h *handle) RecordTokenAttempt(ctx context.Context, purpose, hash string) (int, error) {
	var n int
	err := h.queryRow(ctx, `UPDATE authos_one_time_tokens SET attempts = attempts + 1
		WHERE hash = ? AND purpose = ? RETURNING attempts`, hash, purpose).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, wrap("record token attempt", err)
	}
	return n, nil
}

// DeleteUserTokens removes every token of purpose belonging to userID.
func (h *handle) DeleteUserTokens(ctx context.Context, userID, purpose string) error {
	if _, err := h.exec(ctx, `DELETE FROM authos_one_time_tokens WHERE user_id = ? AND purpose = ?`, userID, purpose); err != nil {
		return wrap("delete user tokens", err)
	}
	return nil
}

// PruneUserTokens removes the user's tokens of purpose except the keep
// newest live ones, in one statement.
func (h *handle) PruneUserTokens(ctx context.Context, userID, purpose string, keep int, now time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_one_time_tokens WHERE user_id = ? AND purpose = ? AND hash NOT IN (
			SELECT hash FROM authos_one_time_tokens
			WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
			ORDER BY COALESCE(created_at, 0) DESC, hash DESC LIMIT ?)`,
		userID, purpose, userID, purpose, now.UnixMilli(), max(keep, 0))
	if err != nil {
		return 0, wrap("prune user tokens", err)
	}
	n, err := affected("prune user tokens", res)
	return int(n), err
}

// DeleteExpiredTokens removes the tokens whose expiry is at or before now and
// returns how many it removed.
func (h *handle) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	res, err := h.exec(ctx, `DELETE FROM authos_one_time_tokens WHERE expires_at IS NULL OR expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	n, err := affected("delete expired tokens", res)
	return int(n), err
}
