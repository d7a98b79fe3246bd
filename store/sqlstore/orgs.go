package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// Organizations and memberships. Deletions of an organization or a service
// rely on ON DELETE CASCADE but also remove the dependent rows explicitly, so
// that they stay complete on a connection without enforced foreign keys.

const orgCols = `id, slug, name, status, tier, max_services, max_members, status_reason,
	stripe_customer_id, stripe_subscription_id, billing_event_at, created_at, updated_at`

// qualify prefixes every column of the comma-separated list cols with alias.
func qualify(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(...any) error }

// orgDest returns the scan destinations of orgCols for o; finish converts
// the times once scanned.
func orgDest(o *store.Organization) (dest []any, finish func()) {
	var billing, created, updated sql.NullInt64
	return []any{&o.ID, &o.Slug, &o.Name, &o.Status, &o.Tier, &o.MaxServices, &o.MaxMembers, &o.StatusReason,
			&o.StripeCustomerID, &o.StripeSubscriptionID, &billing, &created, &updated},
		func() { o.BillingEventAt, o.CreatedAt, o.UpdatedAt = at(billing), at(created), at(updated) }
}

func scanOrg(sc scanner) (store.Organization, error) {
	var o store.Organization
	dest, finish := orgDest(&o)
	if err := sc.Scan(dest...); err != nil {
		return store.Organization{}, err
	}
	finish()
	return o, nil
}

// collect reads every row with scan and closes rows.
func collect[T any](op string, rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer closeRows(rows)
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// queryAll runs a query and collects its rows with scan.
func queryAll[T any](ctx context.Context, h *handle, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := h.query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return collect(op, rows, scan)
}

// getOne reads one row with scan: store.ErrNotFound when there is none.
func getOne[T any](ctx context.Context, h *handle, op string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(h.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, store.ErrNotFound
	}
	if err != nil {
		var zero T
		return zero, wrap(op, err)
	}
	return v, nil
}

// exists reports whether query returns a row.
func (h *handle) exists(ctx context.Context, op, query string, args ...any) (bool, error) {
	var one int
	err := h.queryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrap(op, err)
	}
	return true, nil
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING: ErrConflict when it
// inserted nothing or hit a unique violation.
func (h *handle) insert(ctx context.Context, op, query string, args ...any) error {
	res, err := h.exec(ctx, query, args...)
	if err != nil {
		return h.wrapWrite(op, err)
	}
	n, err := affected(op, res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// change runs an UPDATE or DELETE: ErrNotFound when it matched no row.
func (h *handle) change(ctx context.Context, op, query string, args ...any) error {
	res, err := h.exec(ctx, query, args...)
	if err != nil {
		return h.wrapWrite(op, err)
	}
	n, err := affected(op, res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// encodeList stores a string list as JSON text ("[]" for none).
func encodeList(l []string) (string, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decodeList reads a list stored by encodeList; nil when empty.
func decodeList(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" || s.String == "null" || s.String == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s.String), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// limitOffset appends LIMIT/OFFSET clauses for limit (0: none) and offset.
func limitOffset(q string, args []any, limit, offset int) (string, []any) {
	if limit > 0 || offset > 0 {
		if limit <= 0 {
			limit = math.MaxInt32
		}
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	if offset > 0 {
		q += ` OFFSET ?`
		args = append(args, offset)
	}
	return q, args
}

// CreateOrg inserts o. ErrConflict when the id or the slug exists.
func (h *handle) CreateOrg(ctx context.Context, o store.Organization) error {
	return h.insert(ctx, "create org", `INSERT INTO authos_organizations (`+orgCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		o.ID, o.Slug, o.Name, o.Status, o.Tier, o.MaxServices, o.MaxMembers, o.StatusReason,
		o.StripeCustomerID, o.StripeSubscriptionID, ms(o.BillingEventAt), ms(o.CreatedAt), ms(o.UpdatedAt))
}

// GetOrg returns the organization with id, or ErrNotFound.
func (h *handle) GetOrg(ctx context.Context, id string) (store.Organization, error) {
	return getOne(ctx, h, "get org", scanOrg, `SELECT `+orgCols+` FROM authos_organizations WHERE id = ?`, id)
}

// GetOrgBySlug returns the organization with slug, or ErrNotFound.
func (h *handle) GetOrgBySlug(ctx context.Context, slug string) (store.Organization, error) {
	return getOne(ctx, h, "get org by slug", scanOrg, `SELECT `+orgCols+` FROM authos_organizations WHERE slug = ?`, slug)
}

// UpdateOrg replaces every field of o.ID but CreatedAt. ErrNotFound when
// absent, ErrConflict when the slug belongs to another organization.
func (h *handle) UpdateOrg(ctx context.Context, o store.Organization) error {
	return h.atomic(ctx, func(h *handle) error {
		// Check before writing, so that a conflict inside a caller's
		// transaction does not abort it (PostgreSQL) and NotFound wins over
		// Conflict.
		ok, err := h.exists(ctx, "update org", `SELECT 1 FROM authos_organizations WHERE id = ?`+h.s.d.forUpdate(), o.ID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		taken, err := h.exists(ctx, "update org", `SELECT 1 FROM authos_organizations WHERE slug = ? AND id <> ?`, o.Slug, o.ID)
		if err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		return h.change(ctx, "update org", `UPDATE authos_organizations SET slug = ?, name = ?, status = ?, tier = ?,
			max_services = ?, max_members = ?, status_reason = ?, stripe_customer_id = ?, stripe_subscription_id = ?,
			billing_event_at = ?, updated_at = ? WHERE id = ?`,
			o.Slug, o.Name, o.Status, o.Tier, o.MaxServices, o.MaxMembers, o.StatusReason,
			o.StripeCustomerID, o.StripeSubscriptionID, ms(o.BillingEventAt), ms(o.UpdatedAt), o.ID)
	})
}

// DeleteOrg removes the organization with its memberships, invitations,
// services and API keys. ErrNotFound when absent.
func (h *handle) DeleteOrg(ctx context.Context, id string) error {
	return h.atomic(ctx, func(h *handle) error {
		if err := h.change(ctx, "delete org", `DELETE FROM authos_organizations WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := h.exec(ctx, `DELETE FROM authos_api_keys
			WHERE org_id = ? OR service_id IN (SELECT id FROM authos_services WHERE org_id = ?)`, id, id); err != nil {
			return wrap("delete org", err)
		}
		for _, table := range []string{"authos_services", "authos_invitations", "authos_memberships", "authos_oauth_identities"} {
			if _, err := h.exec(ctx, `DELETE FROM `+table+` WHERE org_id = ?`, id); err != nil {
				return wrap("delete org", err)
			}
		}
		return nil
	})
}

// ListOrgs returns matching organizations, oldest first (ties by id), and the
// number matching before Limit/Offset.
func (h *handle) ListOrgs(ctx context.Context, f store.OrgFilter) ([]store.Organization, int, error) {
	where := ``
	var args []any
	if f.Status != "" {
		where = ` WHERE status = ?`
		args = append(args, f.Status)
	}
	var total int
	if err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_organizations`+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count orgs", err)
	}
	q, args := limitOffset(`SELECT `+orgCols+` FROM authos_organizations`+where+
		` ORDER BY created_at ASC NULLS FIRST, id`, args, f.Limit, f.Offset)
	out, err := queryAll(ctx, h, "list orgs", scanOrg, q, args...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Memberships.

const memberCols = `org_id, user_id, role, status, created_at`

func scanMember(sc scanner) (store.Membership, error) {
	var m store.Membership
	var created sql.NullInt64
	if err := sc.Scan(&m.OrgID, &m.UserID, &m.Role, &m.Status, &created); err != nil {
		return store.Membership{}, err
	}
	m.CreatedAt = at(created)
	return m, nil
}

// AddMember inserts m. ErrConflict when the user is already a member.
func (h *handle) AddMember(ctx context.Context, m store.Membership) error {
	if m.Status == "" {
		m.Status = store.MemberActive
	}
	return h.insert(ctx, "add member", `INSERT INTO authos_memberships (`+memberCols+`)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, m.OrgID, m.UserID, m.Role, m.Status, ms(m.CreatedAt))
}

// GetMember returns the membership, or ErrNotFound.
func (h *handle) GetMember(ctx context.Context, orgID, userID string) (store.Membership, error) {
	return getOne(ctx, h, "get member", scanMember,
		`SELECT `+memberCols+` FROM authos_memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

// ListMembers returns the org's memberships, oldest first (ties by user id).
func (h *handle) ListMembers(ctx context.Context, orgID string) ([]store.Membership, error) {
	return queryAll(ctx, h, "list members", scanMember, `SELECT `+memberCols+` FROM authos_memberships
		WHERE org_id = ? ORDER BY created_at ASC NULLS FIRST, user_id`, orgID)
}

// CountMembers returns the number of members of the org.
func (h *handle) CountMembers(ctx context.Context, orgID string) (int, error) {
	var n int
	if err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_memberships WHERE org_id = ?`, orgID).Scan(&n); err != nil {
		return 0, wrap("count members", err)
	}
	return n, nil
}

// SetMemberRole changes a member's role. ErrNotFound when not a member.
func (h *handle) SetMemberRole(ctx context.Context, orgID, userID, role string) error {
	return h.change(ctx, "set member role", `UPDATE authos_memberships SET role = ? WHERE org_id = ? AND user_id = ?`,
		role, orgID, userID)
}

// SetMemberStatus changes a member's status. ErrNotFound when not a member.
func (h *handle) SetMemberStatus(ctx context.Context, orgID, userID, status string) error {
	return h.change(ctx, "set member status", `UPDATE authos_memberships SET status = ? WHERE org_id = ? AND user_id = ?`,
		status, orgID, userID)
}

// RemoveMember deletes a membership (its SCIM resource and group
// memberships follow through ON DELETE CASCADE). ErrNotFound when not a member.
func (h *handle) RemoveMember(ctx context.Context, orgID, userID string) error {
	return h.change(ctx, "remove member", `DELETE FROM authos_memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

// ListUserOrgs returns the user's organizations with roles, oldest
// membership first (ties by organization id).
func (h *handle) ListUserOrgs(ctx context.Context, userID string) ([]store.UserOrg, error) {
	scan := func(sc scanner) (store.UserOrg, error) {
		var uo store.UserOrg
		dest, finish := orgDest(&uo.Org)
		if err := sc.Scan(append(dest, &uo.Role)...); err != nil {
			return store.UserOrg{}, err
		}
		finish()
		return uo, nil
	}
	return queryAll(ctx, h, "list user orgs", scan, `SELECT `+qualify("o", orgCols)+`, m.role
		FROM authos_memberships m JOIN authos_organizations o ON o.id = m.org_id
		WHERE m.user_id = ? ORDER BY m.created_at ASC NULLS FIRST, m.org_id`, userID)
}

// Processed events.

// MarkEventProcessed records (source, id) at now. ErrConflict when it was
// recorded before.
func (h *handle) MarkEventProcessed(ctx context.Context, source, id string, now time.Time) error {
	return h.insert(ctx, "mark event processed", `INSERT INTO authos_processed_events (source, id, processed_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, source, id, ms(now))
}
