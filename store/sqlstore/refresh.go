package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

const refreshCols = `hash, session_id, created_at, expires_at, rotated_at, replaced_by`

func scanRefresh(sc interface{ Scan(...any) error }) (store.RefreshToken, error) {
	var t store.RefreshToken
	var replaced sql.NullString
	var created, expires, rotated sql.NullInt64
	err := sc.Scan(&t.Hash, &t.SessionID, &created, &expires, &rotated, &replaced)
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = at(created), at(expires), at(rotated)
	t.ReplacedBy = replaced.String
	return t, err
}

// CreateRefreshToken inserts t. ErrConflict when the hash exists.
func (h *handle) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	res, err := h.exec(ctx, `INSERT INTO authos_refresh_tokens (`+refreshCols+`)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Hash, t.SessionID, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.RotatedAt), nullStr(t.ReplacedBy))
	if err != nil {
		return h.wrapWrite("create refresh token", err)
	}
	n, err := affected("create refresh token", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// getRefresh reads a refresh token, locking its row when lock is set and the
// dialect can.
func (h *handle) getRefresh(ctx context.Context, hash string, lock bool) (store.RefreshToken, error) {
	q := `SELECT ` + refreshCols + ` FROM authos_refresh_tokens WHERE hash = ?`
	if lock {
		q += h.s.d.forUpdate()
	}
	t, err := scanRefresh(h.queryRow(ctx, q, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	if err != nil {
		return store.RefreshToken{}, wrap("get refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken replaces the token oldHash by next, in one transaction
// that locks the old token and then its session (PostgreSQL) or holds the
// database write lock (SQLite), so concurrent rotations of one token
// serialise: exactly one rotates, the others see the rotation (a retry within
// grace, or reuse).
//
// The successor is stored with the old token's session and an expiry no
// later than the session's. On reuse the session is revoked and that
// revocation is committed before ErrReused is returned. Inside Store.Tx the revocation is part of the
// caller's transaction and is re-applied on its own if that transaction does
// not commit.
func (h *handle) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (store.Rotation, error) {
	var rot store.Rotation
	err := h.atomic(ctx, func(h *handle) error {
		rot = store.Rotation{}
		old, err := h.getRefresh(ctx, oldHash, true)
		if err != nil {
			return err
		}
		sess, err := h.getSession(ctx, old.SessionID, true)
		if err != nil {
			return err
		}
		nowMS := now.UnixMilli()
		if !sess.RevokedAt.IsZero() {
			return store.ErrRevoked
		}
		if old.ExpiresAt.UnixMilli() <= nowMS || sess.ExpiresAt.UnixMilli() <= nowMS {
			return store.ErrExpired
		}

		if !old.RotatedAt.IsZero() {
			if old.ReplacedBy == next.Hash && nowMS-old.RotatedAt.UnixMilli() <= grace.Milliseconds() {
				succ, err := h.getRefresh(ctx, old.ReplacedBy, false)
				switch {
				case err == nil && succ.RotatedAt.IsZero():
					rot = store.Rotation{Session: sess, Old: old, Retry: true}
					return nil
				case err != nil && !errors.Is(err, store.ErrNotFound):
					return err
				}
			}
			// Reuse: revoke the whole family, durably.
			if _, err := h.exec(ctx, `UPDATE authos_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(now), sess.ID); err != nil {
				return wrap("rotate refresh token", err)
			}
			if h.st != nil {
				h.st.revoke = append(h.st.revoke, pendingRevoke{id: sess.ID, now: now})
			}
			return commitThen{store.ErrReused}
		}

		// The successor belongs to the same session and does not outlive it.
		// Inserting it first means a taken hash (ErrConflict) writes nothing.
		next.SessionID = sess.ID
		if next.ExpiresAt.IsZero() || next.ExpiresAt.After(sess.ExpiresAt) {
			next.ExpiresAt = sess.ExpiresAt
		}
		if err := h.CreateRefreshToken(ctx, next); err != nil {
			return err
		}
		// Compare-and-set: only a token not rotated yet is rotated.
		res, err := h.exec(ctx, `UPDATE authos_refresh_tokens SET rotated_at = ?, replaced_by = ?
			WHERE hash = ? AND replaced_by IS NULL`, nowMS, next.Hash, oldHash)
		if err != nil {
			return wrap("rotate refresh token", err)
		}
		n, err := affected("rotate refresh token", res)
		if err != nil {
			return err
		}
		if n == 0 {
			// A race the locks rule out; never rotate twice.
			return errConcurrentRotation
		}
		if _, err := h.exec(ctx, `UPDATE authos_sessions SET last_used_at = ? WHERE id = ?`, nowMS, sess.ID); err != nil {
			return wrap("rotate refresh token", err)
		}
		old.RotatedAt = time.UnixMilli(nowMS).UTC()
		old.ReplacedBy = next.Hash
		sess.LastUsedAt = time.UnixMilli(nowMS).UTC()
		rot = store.Rotation{Session: sess, Old: old}
		return nil
	})
	if err != nil {
		return store.Rotation{}, err
	}
	return rot, nil
}

var errConcurrentRotation = errors.New("sqlstore: rotate refresh token: concurrent rotation")
