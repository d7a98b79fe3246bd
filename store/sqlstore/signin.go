package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

// The sign-in flow: authorization requests, authorization codes, sign-in
// sessions (store.SignInStore).

const authRequestCols = `id_hash, client_id, service_id, org_id, redirect_uri, scope, state, nonce, code_challenge,
	prompt, max_age, login_hint, created_at, expires_at, used_at`

func scanAuthRequest(sc scanner) (store.AuthRequest, error) {
	var r store.AuthRequest
	var created, expires, used sql.NullInt64
	if err := sc.Scan(&r.IDHash, &r.ClientID, &r.ServiceID, &r.OrgID, &r.RedirectURI, &r.Scope, &r.State, &r.Nonce,
		&r.CodeChallenge, &r.Prompt, &r.MaxAge, &r.LoginHint, &created, &expires, &used); err != nil {
		return store.AuthRequest{}, err
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = at(created), at(expires), at(used)
	return r, nil
}

const authCodeCols = `hash, client_id, service_id, org_id, redirect_uri, scope, nonce, code_challenge, signin_session_id,
	user_id, amr, auth_time, created_at, expires_at, used_at, reused_at, family_id`

func scanAuthCode(sc scanner) (store.AuthCode, error) {
	var c store.AuthCode
	var amr sql.NullString
	var authTime, created, expires, used, reused sql.NullInt64
	if err := sc.Scan(&c.Hash, &c.ClientID, &c.ServiceID, &c.OrgID, &c.RedirectURI, &c.Scope, &c.Nonce, &c.CodeChallenge,
		&c.SignInSessionID, &c.UserID, &amr, &authTime, &created, &expires, &used, &reused, &c.FamilyID); err != nil {
		return store.AuthCode{}, err
	}
	l, err := decodeList(amr)
	if err != nil {
		return store.AuthCode{}, err
	}
	c.AMR = l
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.UsedAt, c.ReusedAt = at(authTime), at(created), at(expires), at(used), at(reused)
	return c, nil
}

// CreateAuthRequest inserts r. ErrConflict when the hash exists.
func (h *handle) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	return h.insert(ctx, "create authorization request", `INSERT INTO authos_auth_requests (`+authRequestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.IDHash, r.ClientID, r.ServiceID, r.OrgID, r.RedirectURI, r.Scope, r.State, r.Nonce, r.CodeChallenge,
		r.Prompt, r.MaxAge, r.LoginHint, ms(r.CreatedAt), r.ExpiresAt.UnixMilli(), ms(r.UsedAt))
}

// GetAuthRequest returns the live request: ErrNotFound, ErrUsed, ErrExpired.
func (h *handle) GetAuthRequest(ctx context.Context, idHash string, now time.Time) (store.AuthRequest, error) {
	r, err := getOne(ctx, h, "get authorization request", scanAuthRequest,
		`SELECT `+authRequestCols+` FROM authos_auth_requests WHERE id_hash = ?`, idHash)
	switch {
	case err != nil:
		return store.AuthRequest{}, err
	case !r.UsedAt.IsZero():
		return store.AuthRequest{}, store.ErrUsed
	case !r.ExpiresAt.After(now):
		return store.AuthRequest{}, store.ErrExpired
	}
	return r, nil
}

// ConsumeAuthRequest is a single compare-and-set UPDATE ... RETURNING (WHERE
// unused and not expired): among concurrent callers exactly one gets the
// row. A miss is explained by GetAuthRequest.
func (h *handle) ConsumeAuthRequest(ctx context.Context, idHash string, now time.Time) (store.AuthRequest, error) {
	r, err := getOne(ctx, h, "consume authorization request", scanAuthRequest, `UPDATE authos_auth_requests
		SET used_at = ? WHERE id_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+authRequestCols,
		now.UnixMilli(), idHash, now.UnixMilli())
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	if _, err := h.GetAuthRequest(ctx, idHash, now); err != nil {
		return store.AuthRequest{}, err
	}
	// Unused and live a moment ago, missed by the UPDATE: consumed since.
	return store.AuthRequest{}, store.ErrUsed
}

// CreateAuthCode inserts c. ErrConflict when the hash exists.
func (h *handle) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	amr, err := encodeList(c.AMR)
	if err != nil {
		return wrap("create authorization code", err)
	}
	return h.insert(ctx, "create authorization code", `INSERT INTO authos_auth_codes (`+authCodeCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.Hash, c.ClientID, c.ServiceID, c.OrgID, c.RedirectURI, c.Scope, c.Nonce, c.CodeChallenge,
		c.SignInSessionID, c.UserID, amr, ms(c.AuthTime), ms(c.CreatedAt), c.ExpiresAt.UnixMilli(),
		ms(c.UsedAt), ms(c.ReusedAt), c.FamilyID)
}

// ConsumeAuthCode is a compare-and-set UPDATE ... RETURNING (WHERE unused
// and not expired): among concurrent callers exactly one gets the row. On a
// miss, a second UPDATE marks a used code reused and returns it with
// ErrUsed. A code only ever goes from unused to used, so the statements need
// no common transaction.
func (h *handle) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (store.AuthCode, error) {
	c, err := getOne(ctx, h, "consume authorization code", scanAuthCode, `UPDATE authos_auth_codes
		SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+authCodeCols,
		now.UnixMilli(), hash, now.UnixMilli())
	if !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	c, err = getOne(ctx, h, "consume authorization code", scanAuthCode, `UPDATE authos_auth_codes
		SET reused_at = COALESCE(reused_at, ?) WHERE hash = ? AND used_at IS NOT NULL RETURNING `+authCodeCols,
		now.UnixMilli(), hash)
	switch {
	case err == nil:
		return c, store.ErrUsed
	case !errors.Is(err, store.ErrNotFound):
		return store.AuthCode{}, err
	}
	found, err := h.exists(ctx, "consume authorization code", `SELECT 1 FROM authos_auth_codes WHERE hash = ?`, hash)
	switch {
	case err != nil:
		return store.AuthCode{}, err
	case found:
		return store.AuthCode{}, store.ErrExpired
	}
	return store.AuthCode{}, store.ErrNotFound
}

// BindAuthCodeFamily sets family_id on a used code not presented again
// (one UPDATE: it conflicts with a concurrent ConsumeAuthCode on the row)
// and links the family to the code's sign-in session when that still
// exists, in one transaction.
func (h *handle) BindAuthCodeFamily(ctx context.Context, hash, familyID string) error {
	return h.atomic(ctx, func(h *handle) error {
		var sid string
		err := h.queryRow(ctx, `UPDATE authos_auth_codes SET family_id = ?
			WHERE hash = ? AND used_at IS NOT NULL AND reused_at IS NULL RETURNING signin_session_id`,
			familyID, hash).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			var used, reused sql.NullInt64
			err := h.queryRow(ctx, `SELECT used_at, reused_at FROM authos_auth_codes WHERE hash = ?`, hash).Scan(&used, &reused)
			switch {
			case errors.Is(err, sql.ErrNoRows) || (err == nil && !used.Valid):
				return store.ErrNotFound
			case err != nil:
				return wrap("bind authorization code family", err)
			}
			return store.ErrReused
		}
		if err != nil {
			return wrap("bind authorization code family", err)
		}
		if sid == "" {
			return nil
		}
		if _, err := h.exec(ctx, `INSERT INTO authos_signin_families (signin_session_id, family_id)
			SELECT session_id, ? FROM authos_signin_sessions WHERE session_id = ? ON CONFLICT DO NOTHING`,
			familyID, sid); err != nil {
			return wrap("bind authorization code family", err)
		}
		return nil
	})
}

// CreateSignInSession inserts the session row and its cookie hash in one
// transaction.
func (h *handle) CreateSignInSession(ctx context.Context, s store.SignInSession) error {
	return h.atomic(ctx, func(h *handle) error {
		if err := h.CreateSession(ctx, s.Session); err != nil {
			return err
		}
		return h.insert(ctx, "create sign-in session", `INSERT INTO authos_signin_sessions (session_id, cookie_hash)
			VALUES (?, ?) ON CONFLICT DO NOTHING`, s.Session.ID, s.CookieHash)
	})
}

// GetSignInSession finds the session by cookie hash: ErrNotFound,
// ErrRevoked, ErrExpired.
func (h *handle) GetSignInSession(ctx context.Context, cookieHash string, now time.Time) (store.SignInSession, error) {
	var id string
	err := h.queryRow(ctx, `SELECT session_id FROM authos_signin_sessions WHERE cookie_hash = ?`, cookieHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SignInSession{}, store.ErrNotFound
	}
	if err != nil {
		return store.SignInSession{}, wrap("get sign-in session", err)
	}
	s, err := h.GetSession(ctx, id)
	switch {
	case err != nil:
		return store.SignInSession{}, err
	case !s.RevokedAt.IsZero():
		return store.SignInSession{}, store.ErrRevoked
	case !s.ExpiresAt.After(now):
		return store.SignInSession{}, store.ErrExpired
	}
	return store.SignInSession{Session: s, CookieHash: cookieHash}, nil
}

// ListSignInFamilies returns the families linked to the sign-in session, sorted.
func (h *handle) ListSignInFamilies(ctx context.Context, sessionID string) ([]string, error) {
	rows, err := h.query(ctx, `SELECT family_id FROM authos_signin_families WHERE signin_session_id = ? ORDER BY family_id`, sessionID)
	if err != nil {
		return nil, wrap("list sign-in families", err)
	}
	defer closeRows(rows)
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("list sign-in families", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list sign-in families", err)
	}
	return out, nil
}

// GetRefreshToken returns the refresh token with hash, rotated or not, or ErrNotFound.
func (h *handle) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	return h.getRefresh(ctx, hash, false)
}

// DeleteExpiredSignIn removes requests and codes that expired at or before before.
func (h *handle) DeleteExpiredSignIn(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, table := range []string{"authos_auth_requests", "authos_auth_codes"} {
		res, err := h.exec(ctx, `DELETE FROM `+table+` WHERE expires_at <= ?`, before.UnixMilli())
		if err != nil {
			return 0, wrap("delete expired sign-in state", err)
		}
		n, err := affected("delete expired sign-in state", res)
		if err != nil {
			return 0, err
		}
		total += int(n)
	}
	return total, nil
}
