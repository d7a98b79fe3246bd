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

// RotateRefreshToken replaces the token oldHash by next. A rotation that
// goes through is three statements: a compare-and-set UPDATE of the old
// token (not rotated, not expired, its session live) whose trigger sets
// the session's last use, a read of the session with its user, and the
// INSERT of the successor; with WritableCTEs (PostgreSQL) the three are the parts
// of one statement (rotateWith). Each locks what it changes (PostgreSQL)
// or runs under the database write lock (SQLite), so of concurrent
// rotations of one token exactly one passes the compare-and-set; the
// others, and every refused rotation, are sorted out by rotateRefused:
// unknown, revoked, expired, a retry within grace, or reuse.
//
// The successor is stored with the old token's session and an expiry no
// later than the session's. On reuse the session is revoked and that
// revocation is committed before ErrReused is returned. Inside Store.Tx the
// revocation is part of the caller's transaction and is re-applied on its
// own if that transaction does not commit.
func (h *handle) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (store.Rotation, error) {
	var rot store.Rotation
	err := h.atomic(ctx, func(h *handle) error {
		var err error
		rot, err = h.rotate(ctx, oldHash, next, now, grace)
		return err
	})
	if err != nil {
		return store.Rotation{}, err
	}
	return rot, nil
}

// rotate is RotateRefreshToken inside a transaction.
func (h *handle) rotate(ctx context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (store.Rotation, error) {
	if h.s.d.WritableCTEs {
		return h.rotateWith(ctx, oldHash, next, now, grace)
	}
	nowMS := now.UnixMilli()
	old := store.RefreshToken{Hash: oldHash, RotatedAt: time.UnixMilli(nowMS).UTC(), ReplacedBy: next.Hash}
	var created, expires sql.NullInt64
	err := h.queryRow(ctx, `UPDATE authos_refresh_tokens SET rotated_at = ?, replaced_by = ?
		WHERE hash = ? AND rotated_at IS NULL AND replaced_by IS NULL AND expires_at > ?
		AND EXISTS (SELECT 1 FROM authos_sessions s WHERE s.id = authos_refresh_tokens.session_id
			AND s.revoked_at IS NULL AND s.expires_at > ?)
		RETURNING session_id, created_at, expires_at`,
		nowMS, next.Hash, oldHash, nowMS, nowMS).Scan(&old.SessionID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return h.rotateRefused(ctx, oldHash, next.Hash, now, grace)
	}
	if err != nil {
		return store.Rotation{}, wrap("rotate refresh token", err)
	}
	old.CreatedAt, old.ExpiresAt = at(created), at(expires)

	sess, user, err := h.useSession(ctx, old.SessionID, nowMS)
	if err != nil {
		return store.Rotation{}, err
	}
	// The successor belongs to the same session and does not outlive it. A
	// taken hash (ErrConflict) rolls the rotation back with the transaction.
	next.SessionID = sess.ID
	if next.ExpiresAt.IsZero() || next.ExpiresAt.After(sess.ExpiresAt) {
		next.ExpiresAt = sess.ExpiresAt
	}
	if err := h.CreateRefreshToken(ctx, next); err != nil {
		return store.Rotation{}, err
	}
	return store.Rotation{Session: sess, Old: old, User: user}, nil
}

// sessionUserQuery reads a live session with its user.
var sessionUserQuery = `SELECT ` + qualify("s", sessionCols) + `, ` + qualify("u", userCols) + `
	FROM authos_sessions s JOIN authos_users u ON u.id = s.user_id
	WHERE s.id = ? AND s.revoked_at IS NULL AND s.expires_at > ?`

// useSession returns the live session id with its user, in one statement,
// after the compare-and-set that rotated one of its tokens: the schema's
// trigger authos_refresh_tokens_rotated has set its last use to the
// rotation's time (the SQLite migrations create it; a dialect without
// WritableCTEs needs it). A session that is not there, not live or
// without its user is sorted out by a second read.
func (h *handle) useSession(ctx context.Context, id string, nowMS int64) (store.Session, store.User, error) {
	var xs sessionScan
	var xu userScan
	err := h.queryRow(ctx, sessionUserQuery, id, nowMS).Scan(append(xs.dest(), xu.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.User{}, h.refusedSession(ctx, id, nowMS)
	}
	if err != nil {
		return store.Session{}, store.User{}, wrap("rotate refresh token", err)
	}
	sess, err := xs.session()
	if err != nil {
		return store.Session{}, store.User{}, wrap("rotate refresh token", err)
	}
	return sess, xu.user(), nil
}

// refusedSession tells why the session id cannot be used at nowMS.
func (h *handle) refusedSession(ctx context.Context, id string, nowMS int64) error {
	sess, err := h.getSession(ctx, id, false)
	switch {
	case err != nil:
		return err
	case !sess.RevokedAt.IsZero():
		return store.ErrRevoked
	case sess.ExpiresAt.UnixMilli() <= nowMS:
		return store.ErrExpired
	}
	if _, err := h.GetUser(ctx, sess.UserID); err != nil {
		return err
	}
	return errConcurrentRotation
}

// rotateRefused handles a token the compare-and-set did not rotate, with
// the locks of a rotation: unknown (ErrNotFound), its session revoked
// (ErrRevoked) or expired or the token expired (ErrExpired), already
// rotated to next within grace with the successor unused (a retry:
// nothing written), or else already rotated: reuse, which revokes the
// session.
func (h *handle) rotateRefused(ctx context.Context, oldHash, nextHash string, now time.Time, grace time.Duration) (store.Rotation, error) {
	old, err := h.getRefresh(ctx, oldHash, true)
	if err != nil {
		return store.Rotation{}, err
	}
	sess, err := h.getSession(ctx, old.SessionID, true)
	if err != nil {
		return store.Rotation{}, err
	}
	nowMS := now.UnixMilli()
	if !sess.RevokedAt.IsZero() {
		return store.Rotation{}, store.ErrRevoked
	}
	if old.ExpiresAt.UnixMilli() <= nowMS || sess.ExpiresAt.UnixMilli() <= nowMS {
		return store.Rotation{}, store.ErrExpired
	}
	user, err := h.GetUser(ctx, sess.UserID)
	if err != nil {
		return store.Rotation{}, err
	}
	if old.RotatedAt.IsZero() {
		// Live and not rotated, yet the compare-and-set missed it: a race
		// the locks rule out; never rotate twice.
		return store.Rotation{}, errConcurrentRotation
	}
	if old.ReplacedBy == nextHash && nowMS-old.RotatedAt.UnixMilli() <= grace.Milliseconds() {
		succ, err := h.getRefresh(ctx, old.ReplacedBy, false)
		switch {
		case err == nil && succ.RotatedAt.IsZero():
			return store.Rotation{Session: sess, Old: old, User: user, Retry: true}, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return store.Rotation{}, err
		}
	}
	// Reuse: revoke the whole family, durably.
	if _, err := h.exec(ctx, `UPDATE authos_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(now), sess.ID); err != nil {
		return store.Rotation{}, wrap("rotate refresh token", err)
	}
	if h.st != nil {
		h.st.revoke = append(h.st.revoke, pendingRevoke{id: sess.ID, now: now})
	}
	return store.Rotation{}, commitThen{store.ErrReused}
}

// rotateWithQuery is the rotation of rotate in one statement, for dialects
// with data-modifying WITH clauses: rot is the compare-and-set of the old
// token, ses the use of its session (live, with its user), ins the
// successor (its expiry capped at the session's). All three see one
// snapshot, and the outer SELECT reports each step: a row only when rot
// changed the old token, then whether ses found the session (its columns
// and its user's follow, as zero values when not) and whether ins inserted.
const rotateWithQuery = `WITH rot AS (
	UPDATE authos_refresh_tokens SET rotated_at = ?, replaced_by = ?
	WHERE hash = ? AND rotated_at IS NULL AND replaced_by IS NULL AND expires_at > ?
	AND EXISTS (SELECT 1 FROM authos_sessions s WHERE s.id = authos_refresh_tokens.session_id
		AND s.revoked_at IS NULL AND s.expires_at > ?)
	RETURNING session_id, created_at, expires_at
), ses AS (
	UPDATE authos_sessions SET last_used_at = ?
	WHERE id = (SELECT session_id FROM rot) AND revoked_at IS NULL AND expires_at > ?
	AND EXISTS (SELECT 1 FROM authos_users u WHERE u.id = authos_sessions.user_id)
	RETURNING ` + sessionCols + `
), ins AS (
	INSERT INTO authos_refresh_tokens (` + refreshCols + `)
	SELECT CAST(? AS TEXT), ses.id, CAST(? AS BIGINT), LEAST(COALESCE(CAST(? AS BIGINT), ses.expires_at), ses.expires_at), NULL, NULL
	FROM ses
	ON CONFLICT DO NOTHING
	RETURNING 1
)
SELECT rot.session_id, rot.created_at, rot.expires_at, ses.id IS NOT NULL, (SELECT count(*) FROM ins),
	COALESCE(ses.id, ''), COALESCE(ses.user_id, ''), ses.amr, COALESCE(ses.audience, ''), COALESCE(ses.org_id, ''),
	COALESCE(ses.service_id, ''), COALESCE(ses.user_agent, ''), COALESCE(ses.ip, ''),
	ses.created_at, ses.last_used_at, ses.expires_at, ses.revoked_at,
	COALESCE(u.id, ''), COALESCE(u.email, ''), COALESCE(u.name, ''), COALESCE(u.email_verified, FALSE),
	COALESCE(u.is_platform_owner, FALSE), COALESCE(u.disabled, FALSE), u.created_at, u.updated_at
FROM rot LEFT JOIN ses ON TRUE LEFT JOIN authos_users u ON u.id = ses.user_id`

// rotateWith is rotate in the one statement of rotateWithQuery. What it
// refuses is sorted out as rotate does: by rotateRefused when the old token
// was not rotated, by refusedSession when its session could not be used
// (the error rolls the rotation back with the transaction).
func (h *handle) rotateWith(ctx context.Context, oldHash string, next store.RefreshToken, now time.Time, grace time.Duration) (store.Rotation, error) {
	nowMS := now.UnixMilli()
	old := store.RefreshToken{Hash: oldHash, RotatedAt: time.UnixMilli(nowMS).UTC(), ReplacedBy: next.Hash}
	var (
		created, expires sql.NullInt64
		used             bool
		inserted         int64
		xs               sessionScan
		xu               userScan
	)
	dest := append([]any{&old.SessionID, &created, &expires, &used, &inserted}, xs.dest()...)
	err := h.queryRow(ctx, rotateWithQuery,
		nowMS, next.Hash, oldHash, nowMS, nowMS,
		nowMS, nowMS,
		next.Hash, ms(next.CreatedAt), ms(next.ExpiresAt)).Scan(append(dest, xu.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return h.rotateRefused(ctx, oldHash, next.Hash, now, grace)
	}
	if err != nil {
		return store.Rotation{}, wrap("rotate refresh token", err)
	}
	old.CreatedAt, old.ExpiresAt = at(created), at(expires)
	if !used {
		return store.Rotation{}, h.refusedSession(ctx, old.SessionID, nowMS)
	}
	if inserted == 0 {
		return store.Rotation{}, store.ErrConflict
	}
	sess, err := xs.session()
	if err != nil {
		return store.Rotation{}, wrap("rotate refresh token", err)
	}
	return store.Rotation{Session: sess, Old: old, User: xu.user()}, nil
}

var errConcurrentRotation = errors.New("sqlstore: rotate refresh token: concurrent rotation")
