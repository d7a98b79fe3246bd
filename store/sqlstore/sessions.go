package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

const sessionCols = `id, user_id, amr, audience, org_id, service_id, user_agent, ip, created_at, last_used_at, expires_at, revoked_at`

func scanSession(sc interface{ Scan(...any) error }) (store.Session, error) {
	var x sessionScan
	if err := sc.Scan(x.dest()...); err != nil {
		return store.Session{}, err
	}
	return x.session()
}

// sessionScan receives the sessionCols of a row.
type sessionScan struct {
	s                                   store.Session
	amr                                 sql.NullString
	created, lastUsed, expires, revoked sql.NullInt64
}

func (x *sessionScan) dest() []any {
	return []any{&x.s.ID, &x.s.UserID, &x.amr, &x.s.Audience, &x.s.OrgID, &x.s.ServiceID, &x.s.UserAgent, &x.s.IP,
		&x.created, &x.lastUsed, &x.expires, &x.revoked}
}

func (x *sessionScan) session() (store.Session, error) {
	s := x.s
	if x.amr.Valid && x.amr.String != "" && x.amr.String != "null" {
		if err := json.Unmarshal([]byte(x.amr.String), &s.AMR); err != nil {
			return store.Session{}, err
		}
	}
	s.CreatedAt, s.LastUsedAt, s.ExpiresAt, s.RevokedAt = at(x.created), at(x.lastUsed), at(x.expires), at(x.revoked)
	return s, nil
}

func encodeAMR(amr []string) (any, error) {
	if amr == nil {
		return nil, nil
	}
	b, err := json.Marshal(amr)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// CreateSession inserts s. ErrConflict when the id exists.
func (h *handle) CreateSession(ctx context.Context, s store.Session) error {
	amr, err := encodeAMR(s.AMR)
	if err != nil {
		return wrap("create session", err)
	}
	res, err := h.exec(ctx, `INSERT INTO authos_sessions (`+sessionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		s.ID, s.UserID, amr, s.Audience, s.OrgID, s.ServiceID, s.UserAgent, s.IP,
		ms(s.CreatedAt), ms(s.LastUsedAt), ms(s.ExpiresAt), ms(s.RevokedAt))
	if err != nil {
		return h.wrapWrite("create session", err)
	}
	n, err := affected("create session", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// getSession reads a session, locking its row when lock is set and the
// dialect can.
func (h *handle) getSession(ctx context.Context, id string, lock bool) (store.Session, error) {
	q := `SELECT ` + sessionCols + ` FROM authos_sessions WHERE id = ?`
	if lock {
		q += h.s.d.forUpdate()
	}
	s, err := scanSession(h.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, wrap("get session", err)
	}
	return s, nil
}

// GetSession returns the session (revoked or not), or ErrNotFound.
func (h *handle) GetSession(ctx context.Context, id string) (store.Session, error) {
	return h.getSession(ctx, id, false)
}

// ListUserSessions returns the user's sessions that are neither revoked nor
// expired at now, newest first.
func (h *handle) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	rows, err := h.query(ctx, `SELECT `+sessionCols+` FROM authos_sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC NULLS LAST, id`, userID, now.UnixMilli())
	if err != nil {
		return nil, wrap("list user sessions", err)
	}
	defer closeRows(rows)
	var out []store.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap("list user sessions", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list user sessions", err)
	}
	return out, nil
}

// TouchSession sets LastUsedAt. ErrNotFound when absent.
func (h *handle) TouchSession(ctx context.Context, id string, now time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_sessions SET last_used_at = ? WHERE id = ?`, ms(now), id)
	if err != nil {
		return wrap("touch session", err)
	}
	n, err := affected("touch session", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RevokeSession marks the session revoked at now, keeping an earlier
// revocation time. ErrNotFound when absent.
func (h *handle) RevokeSession(ctx context.Context, id string, now time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(now), id)
	if err != nil {
		return wrap("revoke session", err)
	}
	n, err := affected("revoke session", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RevokeUserSessions revokes every active session of the user (neither
// revoked nor expired at now) except exceptID, and returns the revoked ids,
// sorted.
func (h *handle) RevokeUserSessions(ctx context.Context, userID, exceptID string, now time.Time) ([]string, error) {
	var ids []string
	err := h.atomic(ctx, func(h *handle) error {
		ids = nil
		rows, err := h.query(ctx, `UPDATE authos_sessions SET revoked_at = ?
			WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?
			RETURNING id`, ms(now), userID, exceptID, now.UnixMilli())
		if err != nil {
			return wrap("revoke user sessions", err)
		}
		defer closeRows(rows)
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return wrap("revoke user sessions", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return wrap("revoke user sessions", err)
		}
		slices.Sort(ids)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ListRevokedSessions returns sessions with RevokedAt >= since, oldest
// revocation first: those in authos_sessions and the kept revocations of
// deleted users' sessions.
func (h *handle) ListRevokedSessions(ctx context.Context, since time.Time) ([]store.RevokedSession, error) {
	rows, err := h.query(ctx, `SELECT id, revoked_at FROM authos_sessions WHERE revoked_at IS NOT NULL AND revoked_at >= ?
		UNION ALL SELECT id, revoked_at FROM authos_revoked_sessions WHERE revoked_at >= ?
		ORDER BY 2, 1`, since.UnixMilli(), since.UnixMilli())
	if err != nil {
		return nil, wrap("list revoked sessions", err)
	}
	defer closeRows(rows)
	var out []store.RevokedSession
	for rows.Next() {
		var r store.RevokedSession
		var revoked sql.NullInt64
		if err := rows.Scan(&r.ID, &revoked); err != nil {
			return nil, wrap("list revoked sessions", err)
		}
		r.RevokedAt = at(revoked)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list revoked sessions", err)
	}
	return out, nil
}
