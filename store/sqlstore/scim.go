package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// SCIM tokens, users (with their emails) and groups (with their members).
// A SCIM user row hangs off its membership (ON DELETE CASCADE), and emails
// and group members off the user row.

const scimTokenCols = `id, org_id, name, token_hash, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanSCIMToken(sc scanner) (store.SCIMToken, error) {
	var t store.SCIMToken
	var created, expires, revoked, used sql.NullInt64
	if err := sc.Scan(&t.ID, &t.OrgID, &t.Name, &t.TokenHash, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return store.SCIMToken{}, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = at(created), at(expires), at(revoked), at(used)
	return t, nil
}

// CreateSCIMToken inserts t. ErrConflict when the id or the hash exists.
func (h *handle) CreateSCIMToken(ctx context.Context, t store.SCIMToken) error {
	return h.insert(ctx, "create scim token", `INSERT INTO authos_scim_tokens (`+scimTokenCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.ID, t.OrgID, t.Name, t.TokenHash, t.CreatedBy, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.RevokedAt), ms(t.LastUsedAt))
}

// GetSCIMTokenByHash returns the token with hash, or ErrNotFound.
func (h *handle) GetSCIMTokenByHash(ctx context.Context, hash string) (store.SCIMToken, error) {
	return getOne(ctx, h, "get scim token", scanSCIMToken, `SELECT `+scimTokenCols+` FROM authos_scim_tokens WHERE token_hash = ?`, hash)
}

// ListSCIMTokens returns the organization's tokens, newest first.
func (h *handle) ListSCIMTokens(ctx context.Context, orgID string) ([]store.SCIMToken, error) {
	return queryAll(ctx, h, "list scim tokens", scanSCIMToken, `SELECT `+scimTokenCols+` FROM authos_scim_tokens
		WHERE org_id = ? ORDER BY created_at DESC NULLS LAST, id DESC`, orgID)
}

// RevokeSCIMToken sets revoked_at if unset. ErrNotFound when absent.
func (h *handle) RevokeSCIMToken(ctx context.Context, orgID, id string, now time.Time) error {
	return h.change(ctx, "revoke scim token", `UPDATE authos_scim_tokens SET revoked_at = COALESCE(revoked_at, ?)
		WHERE org_id = ? AND id = ?`, ms(now), orgID, id)
}

// TouchSCIMToken records a use at most once per minInterval.
func (h *handle) TouchSCIMToken(ctx context.Context, id string, now time.Time, minInterval time.Duration) (bool, error) {
	var wrote bool
	err := h.atomic(ctx, func(h *handle) error {
		res, err := h.exec(ctx, `UPDATE authos_scim_tokens SET last_used_at = ?
			WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`, ms(now), id, now.Add(-minInterval).UnixMilli())
		if err != nil {
			return wrap("touch scim token", err)
		}
		n, err := affected("touch scim token", res)
		if err != nil {
			return err
		}
		if n > 0 {
			wrote = true
			return nil
		}
		ok, err := h.exists(ctx, "touch scim token", `SELECT 1 FROM authos_scim_tokens WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		return nil
	})
	return wrote, err
}

// Users.

const scimUserCols = `s.org_id, s.user_id, s.user_name, s.external_id, s.display_name, s.attributes, s.version,
	s.created_at, s.updated_at, m.status`

const scimUsersFrom = ` FROM authos_scim_users s
	JOIN authos_memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id`

func scanSCIMUser(sc scanner) (store.SCIMUser, error) {
	var u store.SCIMUser
	var attrs, status string
	var created, updated sql.NullInt64
	if err := sc.Scan(&u.OrgID, &u.UserID, &u.UserName, &u.ExternalID, &u.DisplayName, &attrs, &u.Version,
		&created, &updated, &status); err != nil {
		return store.SCIMUser{}, err
	}
	u.Attributes = bytesOrNil([]byte(attrs))
	u.Active = status != store.MemberSuspended
	u.CreatedAt, u.UpdatedAt = at(created), at(updated)
	return u, nil
}

func scimAttrsText(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

// userNameTaken reports whether another user of the organization has userName.
func (h *handle) userNameTaken(ctx context.Context, u store.SCIMUser) (bool, error) {
	return h.exists(ctx, "scim user name", `SELECT 1 FROM authos_scim_users
		WHERE org_id = ? AND user_name_lower = ? AND user_id <> ?`, u.OrgID, strings.ToLower(u.UserName), u.UserID)
}

// CreateSCIMUser inserts u with its emails. ErrConflict when the user has a
// resource in the organization or the userName is taken there.
func (h *handle) CreateSCIMUser(ctx context.Context, u store.SCIMUser) error {
	return h.atomic(ctx, func(h *handle) error {
		// Check first, so that a conflict inside a caller's transaction
		// does not abort it (PostgreSQL).
		taken, err := h.userNameTaken(ctx, u)
		if err != nil {
			return err
		}
		exists, err := h.exists(ctx, "create scim user", `SELECT 1 FROM authos_scim_users WHERE org_id = ? AND user_id = ?`,
			u.OrgID, u.UserID)
		if err != nil {
			return err
		}
		if taken || exists {
			return store.ErrConflict
		}
		member, err := h.exists(ctx, "create scim user", `SELECT 1 FROM authos_memberships WHERE org_id = ? AND user_id = ?`,
			u.OrgID, u.UserID)
		if err != nil {
			return err
		}
		if !member {
			return store.ErrNotFound
		}
		if err := h.insert(ctx, "create scim user", `INSERT INTO authos_scim_users (org_id, user_id, user_name,
			user_name_lower, external_id, display_name, display_name_lower, attributes, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			u.OrgID, u.UserID, u.UserName, strings.ToLower(u.UserName), u.ExternalID, u.DisplayName,
			strings.ToLower(u.DisplayName), scimAttrsText(u.Attributes), u.Version, ms(u.CreatedAt), ms(u.UpdatedAt)); err != nil {
			return err
		}
		return h.putSCIMEmails(ctx, u)
	})
}

// putSCIMEmails replaces the user's emails.
func (h *handle) putSCIMEmails(ctx context.Context, u store.SCIMUser) error {
	if _, err := h.exec(ctx, `DELETE FROM authos_scim_user_emails WHERE org_id = ? AND user_id = ?`, u.OrgID, u.UserID); err != nil {
		return wrap("scim user emails", err)
	}
	for i, e := range u.Emails {
		if _, err := h.exec(ctx, `INSERT INTO authos_scim_user_emails (org_id, user_id, idx, value, value_lower, type,
			type_lower, is_primary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.OrgID, u.UserID, i, e.Value, strings.ToLower(e.Value),
			e.Type, strings.ToLower(e.Type), boolInt(e.Primary)); err != nil {
			return h.wrapWrite("scim user emails", err)
		}
	}
	return nil
}

// GetSCIMUser returns the user's resource, or ErrNotFound.
func (h *handle) GetSCIMUser(ctx context.Context, orgID, userID string) (store.SCIMUser, error) {
	u, err := getOne(ctx, h, "get scim user", scanSCIMUser, `SELECT `+scimUserCols+scimUsersFrom+`
		WHERE s.org_id = ? AND s.user_id = ?`, orgID, userID)
	if err != nil {
		return store.SCIMUser{}, err
	}
	if err := h.loadSCIMEmails(ctx, []*store.SCIMUser{&u}); err != nil {
		return store.SCIMUser{}, err
	}
	return u, nil
}

// loadSCIMEmails fills the emails of users (all of one organization).
func (h *handle) loadSCIMEmails(ctx context.Context, users []*store.SCIMUser) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[string]*store.SCIMUser, len(users))
	args := []any{users[0].OrgID}
	for _, u := range users {
		byID[u.UserID] = u
		args = append(args, u.UserID)
	}
	rows, err := h.query(ctx, `SELECT user_id, value, type, is_primary FROM authos_scim_user_emails
		WHERE org_id = ? AND user_id IN (`+placeholders(len(users))+`) ORDER BY user_id, idx`, args...)
	if err != nil {
		return wrap("scim user emails", err)
	}
	defer closeRows(rows)
	for rows.Next() {
		var id string
		var e store.SCIMEmail
		var primary int
		if err := rows.Scan(&id, &e.Value, &e.Type, &primary); err != nil {
			return wrap("scim user emails", err)
		}
		e.Primary = primary != 0
		if u := byID[id]; u != nil {
			u.Emails = append(u.Emails, e)
		}
	}
	if err := rows.Err(); err != nil {
		return wrap("scim user emails", err)
	}
	return nil
}

// UpdateSCIMUser replaces the resource (but CreatedAt) and its emails.
func (h *handle) UpdateSCIMUser(ctx context.Context, u store.SCIMUser) error {
	return h.atomic(ctx, func(h *handle) error {
		ok, err := h.exists(ctx, "update scim user", `SELECT 1 FROM authos_scim_users WHERE org_id = ? AND user_id = ?`+
			h.s.d.forUpdate(), u.OrgID, u.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		taken, err := h.userNameTaken(ctx, u)
		if err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		if err := h.change(ctx, "update scim user", `UPDATE authos_scim_users SET user_name = ?, user_name_lower = ?,
			external_id = ?, display_name = ?, display_name_lower = ?, attributes = ?, version = ?, updated_at = ?
			WHERE org_id = ? AND user_id = ?`, u.UserName, strings.ToLower(u.UserName), u.ExternalID, u.DisplayName,
			strings.ToLower(u.DisplayName), scimAttrsText(u.Attributes), u.Version, ms(u.UpdatedAt), u.OrgID, u.UserID); err != nil {
			return err
		}
		return h.putSCIMEmails(ctx, u)
	})
}

// DeleteSCIMUser removes the resource, its emails and group memberships.
func (h *handle) DeleteSCIMUser(ctx context.Context, orgID, userID string) error {
	return h.atomic(ctx, func(h *handle) error {
		for _, table := range []string{"authos_scim_group_members", "authos_scim_user_emails"} {
			if _, err := h.exec(ctx, `DELETE FROM `+table+` WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
				return wrap("delete scim user", err)
			}
		}
		return h.change(ctx, "delete scim user", `DELETE FROM authos_scim_users WHERE org_id = ? AND user_id = ?`, orgID, userID)
	})
}

// scimPage appends ORDER BY and LIMIT/OFFSET for q to query.
func scimPage(query string, args []any, res store.SCIMResource, q store.SCIMQuery, idCol string) (string, []any, error) {
	col, err := scimSortColumn(res, q.SortBy)
	if err != nil {
		return "", nil, err
	}
	dir := " ASC NULLS FIRST"
	if q.Descending {
		dir = " DESC NULLS LAST"
	}
	query += ` ORDER BY ` + col + dir
	if col != idCol {
		query += `, ` + idCol + " " + strings.Fields(dir)[0]
	}
	start := max(q.StartIndex, 1)
	query += ` LIMIT ? OFFSET ?`
	return query, append(args, max(q.Count, 0), start-1), nil
}

// scimUsersSQL returns the queries of ListSCIMUsers: the count of the
// organization's users that q.Filter selects, and the page q asks for,
// each with its arguments.
func scimUsersSQL(d *Dialect, orgID string, q store.SCIMQuery) (count string, countArgs []any, page string, pageArgs []any, err error) {
	cond, args, err := TranslateSCIMFilter(d, store.SCIMUsers, q.Filter)
	if err != nil {
		return "", nil, "", nil, err
	}
	where := ` WHERE s.org_id = ? AND (` + cond + `)`
	args = append([]any{orgID}, args...)
	page, pageArgs, err = scimPage(`SELECT `+scimUserCols+scimUsersFrom+where, slices.Clip(args), store.SCIMUsers, q, "s.user_id")
	if err != nil {
		return "", nil, "", nil, err
	}
	return `SELECT COUNT(*)` + scimUsersFrom + where, args, page, pageArgs, nil
}

// ListSCIMUsers returns the page of the organization's users q selects and
// the number matching q.Filter.
func (h *handle) ListSCIMUsers(ctx context.Context, orgID string, q store.SCIMQuery) ([]store.SCIMUser, int, error) {
	count, countArgs, query, args, err := scimUsersSQL(&h.s.d, orgID, q)
	if err != nil {
		return nil, 0, err
	}
	var users []store.SCIMUser
	if q.Count > 0 {
		if users, err = queryAll(ctx, h, "list scim users", scanSCIMUser, query, args...); err != nil {
			return nil, 0, err
		}
	}
	total, err := h.scimTotal(ctx, "count scim users", q, len(users), count, countArgs)
	if err != nil {
		return nil, 0, err
	}
	ptrs := make([]*store.SCIMUser, len(users))
	for i := range users {
		ptrs[i] = &users[i]
	}
	if err := h.loadSCIMEmails(ctx, ptrs); err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// scimTotal returns the number of resources a list query matches: the
// length of a first page shorter than the page size (nothing more
// matches), else the result of the count query.
func (h *handle) scimTotal(ctx context.Context, op string, q store.SCIMQuery, got int, count string, args []any) (int, error) {
	if q.Count > 0 && q.StartIndex <= 1 && got < q.Count {
		return got, nil
	}
	var total int
	if err := h.queryRow(ctx, count, args...).Scan(&total); err != nil {
		return 0, wrap(op, err)
	}
	return total, nil
}

// Groups.

const scimGroupCols = `g.id, g.org_id, g.display_name, g.external_id, g.role, g.version, g.created_at, g.updated_at`

func scanSCIMGroup(sc scanner) (store.SCIMGroup, error) {
	var g store.SCIMGroup
	var created, updated sql.NullInt64
	if err := sc.Scan(&g.ID, &g.OrgID, &g.DisplayName, &g.ExternalID, &g.Role, &g.Version, &created, &updated); err != nil {
		return store.SCIMGroup{}, err
	}
	g.CreatedAt, g.UpdatedAt = at(created), at(updated)
	return g, nil
}

// CreateSCIMGroup inserts g. ErrConflict when the id exists.
func (h *handle) CreateSCIMGroup(ctx context.Context, g store.SCIMGroup) error {
	return h.insert(ctx, "create scim group", `INSERT INTO authos_scim_groups (id, org_id, display_name,
		display_name_lower, external_id, role, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, g.ID, g.OrgID, g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, g.Role,
		g.Version, ms(g.CreatedAt), ms(g.UpdatedAt))
}

// GetSCIMGroup returns the organization's group, or ErrNotFound.
func (h *handle) GetSCIMGroup(ctx context.Context, orgID, id string) (store.SCIMGroup, error) {
	return getOne(ctx, h, "get scim group", scanSCIMGroup, `SELECT `+scimGroupCols+` FROM authos_scim_groups g
		WHERE g.org_id = ? AND g.id = ?`, orgID, id)
}

// UpdateSCIMGroup replaces the group's fields but CreatedAt.
func (h *handle) UpdateSCIMGroup(ctx context.Context, g store.SCIMGroup) error {
	return h.change(ctx, "update scim group", `UPDATE authos_scim_groups SET display_name = ?, display_name_lower = ?,
		external_id = ?, role = ?, version = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		g.DisplayName, strings.ToLower(g.DisplayName), g.ExternalID, g.Role, g.Version, ms(g.UpdatedAt), g.OrgID, g.ID)
}

// DeleteSCIMGroup removes the group and its members.
func (h *handle) DeleteSCIMGroup(ctx context.Context, orgID, id string) error {
	return h.atomic(ctx, func(h *handle) error {
		if err := h.requireSCIMGroup(ctx, orgID, id); err != nil {
			return err
		}
		if _, err := h.exec(ctx, `DELETE FROM authos_scim_group_members WHERE group_id = ?`, id); err != nil {
			return wrap("delete scim group", err)
		}
		return h.change(ctx, "delete scim group", `DELETE FROM authos_scim_groups WHERE org_id = ? AND id = ?`, orgID, id)
	})
}

// ListSCIMGroups returns the page of the organization's groups q selects
// and the number matching q.Filter.
func (h *handle) ListSCIMGroups(ctx context.Context, orgID string, q store.SCIMQuery) ([]store.SCIMGroup, int, error) {
	cond, args, err := TranslateSCIMFilter(&h.s.d, store.SCIMGroups, q.Filter)
	if err != nil {
		return nil, 0, err
	}
	if _, err := scimSortColumn(store.SCIMGroups, q.SortBy); err != nil {
		return nil, 0, err
	}
	from := ` FROM authos_scim_groups g WHERE g.org_id = ? AND (` + cond + `)`
	args = append([]any{orgID}, args...)
	var groups []store.SCIMGroup
	if q.Count > 0 {
		query, pageArgs, err := scimPage(`SELECT `+scimGroupCols+from, slices.Clip(args), store.SCIMGroups, q, "g.id")
		if err != nil {
			return nil, 0, err
		}
		if groups, err = queryAll(ctx, h, "list scim groups", scanSCIMGroup, query, pageArgs...); err != nil {
			return nil, 0, err
		}
	}
	total, err := h.scimTotal(ctx, "count scim groups", q, len(groups), `SELECT COUNT(*)`+from, args)
	if err != nil {
		return nil, 0, err
	}
	return groups, total, nil
}

func (h *handle) requireSCIMGroup(ctx context.Context, orgID, id string) error {
	ok, err := h.exists(ctx, "scim group", `SELECT 1 FROM authos_scim_groups WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return nil
}

// AddSCIMGroupMembers adds the users not yet in the group and returns them.
func (h *handle) AddSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	var added []string
	err := h.atomic(ctx, func(h *handle) error {
		added = nil
		if err := h.requireSCIMGroup(ctx, orgID, groupID); err != nil {
			return err
		}
		ids := slices.Compact(slices.Sorted(slices.Values(userIDs)))
		for _, id := range ids {
			ok, err := h.exists(ctx, "add scim group members", `SELECT 1 FROM authos_scim_users WHERE org_id = ? AND user_id = ?`, orgID, id)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrNotFound
			}
		}
		for _, id := range ids {
			res, err := h.exec(ctx, `INSERT INTO authos_scim_group_members (group_id, org_id, user_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, groupID, orgID, id)
			if err != nil {
				return h.wrapWrite("add scim group members", err)
			}
			n, err := affected("add scim group members", res)
			if err != nil {
				return err
			}
			if n > 0 {
				added = append(added, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// RemoveSCIMGroupMembers removes the users in the group and returns them.
func (h *handle) RemoveSCIMGroupMembers(ctx context.Context, orgID, groupID string, userIDs []string) ([]string, error) {
	var removed []string
	err := h.atomic(ctx, func(h *handle) error {
		removed = nil
		if err := h.requireSCIMGroup(ctx, orgID, groupID); err != nil {
			return err
		}
		for _, id := range slices.Compact(slices.Sorted(slices.Values(userIDs))) {
			res, err := h.exec(ctx, `DELETE FROM authos_scim_group_members WHERE group_id = ? AND user_id = ?`, groupID, id)
			if err != nil {
				return wrap("remove scim group members", err)
			}
			n, err := affected("remove scim group members", res)
			if err != nil {
				return err
			}
			if n > 0 {
				removed = append(removed, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// ListSCIMGroupMembers returns the ids of the group's members, sorted.
func (h *handle) ListSCIMGroupMembers(ctx context.Context, orgID, groupID string) ([]string, error) {
	if err := h.requireSCIMGroup(ctx, orgID, groupID); err != nil {
		return nil, err
	}
	return queryAll(ctx, h, "list scim group members", func(sc scanner) (string, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	}, `SELECT user_id FROM authos_scim_group_members WHERE group_id = ? ORDER BY user_id`, groupID)
}

// ListSCIMUserGroups returns the organization's groups the user is in.
func (h *handle) ListSCIMUserGroups(ctx context.Context, orgID, userID string) ([]store.SCIMGroup, error) {
	return queryAll(ctx, h, "list scim user groups", scanSCIMGroup, `SELECT `+scimGroupCols+` FROM authos_scim_groups g
		JOIN authos_scim_group_members gm ON gm.group_id = g.id
		WHERE gm.org_id = ? AND gm.user_id = ? ORDER BY g.id`, orgID, userID)
}
