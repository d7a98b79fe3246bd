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

const userCols = `id, email, name, email_verified, is_platform_owner, disabled, created_at, updated_at`

// emailKey is the normalised form of an email used for uniqueness and lookups.
func emailKey(email string) string { return strings.ToLower(email) }

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var x userScan
	err := sc.Scan(x.dest()...)
	return x.user(), err
}

// userScan receives the userCols of a row.
type userScan struct {
	u                store.User
	created, updated sql.NullInt64
}

func (x *userScan) dest() []any {
	return []any{&x.u.ID, &x.u.Email, &x.u.Name, &x.u.EmailVerified, &x.u.IsPlatformOwner, &x.u.Disabled, &x.created, &x.updated}
}

func (x *userScan) user() store.User {
	u := x.u
	u.CreatedAt, u.UpdatedAt = at(x.created), at(x.updated)
	return u
}

// CreateUser inserts u. ErrConflict when the id or the email (compared
// case-insensitively) is taken.
func (h *handle) CreateUser(ctx context.Context, u store.User) error {
	res, err := h.exec(ctx, `INSERT INTO authos_users
		(id, email, email_lower, name, email_verified, is_platform_owner, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.Email, emailKey(u.Email), u.Name, u.EmailVerified, u.IsPlatformOwner, u.Disabled, ms(u.CreatedAt), ms(u.UpdatedAt))
	if err != nil {
		return h.wrapWrite("create user", err)
	}
	n, err := affected("create user", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// GetUser returns the user with id, or ErrNotFound.
func (h *handle) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(h.queryRow(ctx, `SELECT `+userCols+` FROM authos_users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, wrap("get user", err)
	}
	return u, nil
}

// GetUserByEmail finds a user by email, case-insensitively, or ErrNotFound.
func (h *handle) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(h.queryRow(ctx, `SELECT `+userCols+` FROM authos_users WHERE email_lower = ?`, emailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, wrap("get user by email", err)
	}
	return u, nil
}

// UpdateUser replaces every field of the user with u.ID except CreatedAt.
// ErrNotFound when absent, ErrConflict when the new email is taken.
func (h *handle) UpdateUser(ctx context.Context, u store.User) error {
	key := emailKey(u.Email)
	return h.atomic(ctx, func(h *handle) error {
		// Check before writing, so that a conflict inside a caller's
		// transaction does not abort it (PostgreSQL) and NotFound wins over
		// Conflict.
		var one int
		err := h.queryRow(ctx, `SELECT 1 FROM authos_users WHERE id = ?`+h.s.d.forUpdate(), u.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return wrap("update user", err)
		}
		err = h.queryRow(ctx, `SELECT 1 FROM authos_users WHERE email_lower = ? AND id <> ?`, key, u.ID).Scan(&one)
		if err == nil {
			return store.ErrConflict
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap("update user", err)
		}
		res, err := h.exec(ctx, `UPDATE authos_users SET email = ?, email_lower = ?, name = ?, email_verified = ?,
			is_platform_owner = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			u.Email, key, u.Name, u.EmailVerified, u.IsPlatformOwner, u.Disabled, ms(u.UpdatedAt), u.ID)
		if err != nil {
			return h.wrapWrite("update user", err)
		}
		n, err := affected("update user", res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// CountPlatformOwners returns how many users have IsPlatformOwner set.
func (h *handle) CountPlatformOwners(ctx context.Context) (int, error) {
	var n int
	if err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_users WHERE is_platform_owner = ?`, true).Scan(&n); err != nil {
		return 0, wrap("count platform owners", err)
	}
	return n, nil
}

// DeleteUser revokes the user's sessions not yet revoked, keeps the
// revocation of every session of the user in authos_revoked_sessions, and
// deletes the user: the rows that hang off it go with it (ON DELETE
// CASCADE). It returns the ids it revoked, sorted. ErrNotFound when absent.
func (h *handle) DeleteUser(ctx context.Context, id string, now time.Time) ([]string, error) {
	var ids []string
	err := h.atomic(ctx, func(h *handle) error {
		ids = nil
		ok, err := h.exists(ctx, "delete user", `SELECT 1 FROM authos_users WHERE id = ?`+h.s.d.forUpdate(), id)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		rows, err := h.query(ctx, `UPDATE authos_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
			RETURNING id`, ms(now), id)
		if err != nil {
			return wrap("delete user", err)
		}
		defer closeRows(rows)
		for rows.Next() {
			var sid string
			if err := rows.Scan(&sid); err != nil {
				return wrap("delete user", err)
			}
			ids = append(ids, sid)
		}
		if err := rows.Err(); err != nil {
			return wrap("delete user", err)
		}
		if err := rows.Close(); err != nil {
			return wrap("delete user", err)
		}
		slices.Sort(ids)
		if _, err := h.exec(ctx, `INSERT INTO authos_revoked_sessions (id, revoked_at)
			SELECT id, revoked_at FROM authos_sessions WHERE user_id = ? AND revoked_at IS NOT NULL
			ON CONFLICT DO NOTHING`, id); err != nil {
			return h.wrapWrite("delete user", err)
		}
		return h.change(ctx, "delete user", `DELETE FROM authos_users WHERE id = ?`, id)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// DeleteUnverifiedUsers removes the unverified accounts whose last
// verification token has expired (see store.UserStore): the matching rows
// are locked, then each goes through DeleteUser, in one transaction.
func (h *handle) DeleteUnverifiedUsers(ctx context.Context, createdBefore, now time.Time) (int, error) {
	n := 0
	err := h.atomic(ctx, func(h *handle) error {
		n = 0
		rows, err := h.query(ctx, `SELECT id FROM authos_users WHERE email_verified = ? AND disabled = ? AND is_platform_owner = ?
			AND created_at <= ?
			AND NOT EXISTS (SELECT 1 FROM authos_memberships m WHERE m.user_id = authos_users.id)
			AND NOT EXISTS (SELECT 1 FROM authos_one_time_tokens t
				WHERE t.user_id = authos_users.id AND t.purpose = ? AND t.expires_at > ?)`+h.s.d.forUpdate(),
			false, false, false, createdBefore.UnixMilli(), store.PurposeVerifyEmail, now.UnixMilli())
		if err != nil {
			return wrap("delete unverified users", err)
		}
		ids, err := readIDs(rows)
		if err != nil {
			return wrap("delete unverified users", err)
		}
		for _, id := range ids {
			if _, err := h.DeleteUser(ctx, id, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// SetPassword creates or replaces the user's password hash.
func (h *handle) SetPassword(ctx context.Context, c store.PasswordCredential) error {
	_, err := h.exec(ctx, `INSERT INTO authos_passwords (user_id, hash, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		c.UserID, c.Hash, ms(c.UpdatedAt))
	if err != nil {
		return wrap("set password", err)
	}
	return nil
}

// GetPassword returns the user's credential, or ErrNotFound.
func (h *handle) GetPassword(ctx context.Context, userID string) (store.PasswordCredential, error) {
	c := store.PasswordCredential{UserID: userID}
	var updated sql.NullInt64
	err := h.queryRow(ctx, `SELECT hash, updated_at FROM authos_passwords WHERE user_id = ?`, userID).Scan(&c.Hash, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.PasswordCredential{}, store.ErrNotFound
	}
	if err != nil {
		return store.PasswordCredential{}, wrap("get password", err)
	}
	c.UpdatedAt = at(updated)
	return c, nil
}
