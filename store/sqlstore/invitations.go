package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authos/authos/store"
)

const invitationCols = `id, org_id, email, role, token_hash, invited_by, status, created_at, expires_at, responded_at`

func scanInvitation(sc scanner) (store.Invitation, error) {
	var inv store.Invitation
	var created, expires, responded sql.NullInt64
	if err := sc.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &inv.TokenHash, &inv.InvitedBy, &inv.Status,
		&created, &expires, &responded); err != nil {
		return store.Invitation{}, err
	}
	inv.CreatedAt, inv.ExpiresAt, inv.RespondedAt = at(created), at(expires), at(responded)
	return inv, nil
}

// CreateInvitation inserts inv. ErrConflict when the id or token hash exists.
func (h *handle) CreateInvitation(ctx context.Context, inv store.Invitation) error {
	return h.insert(ctx, "create invitation", `INSERT INTO authos_invitations (`+invitationCols+`, email_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		inv.ID, inv.OrgID, inv.Email, inv.Role, inv.TokenHash, inv.InvitedBy, inv.Status,
		ms(inv.CreatedAt), ms(inv.ExpiresAt), ms(inv.RespondedAt), emailKey(inv.Email))
}

// GetInvitation returns the invitation with id, or ErrNotFound.
func (h *handle) GetInvitation(ctx context.Context, id string) (store.Invitation, error) {
	return getOne(ctx, h, "get invitation", scanInvitation,
		`SELECT `+invitationCols+` FROM authos_invitations WHERE id = ?`, id)
}

// GetInvitationByToken returns the invitation with tokenHash, or ErrNotFound.
func (h *handle) GetInvitationByToken(ctx context.Context, tokenHash string) (store.Invitation, error) {
	return getOne(ctx, h, "get invitation by token", scanInvitation,
		`SELECT `+invitationCols+` FROM authos_invitations WHERE token_hash = ?`, tokenHash)
}

// ListOrgInvitations returns the org's invitations, newest first (ties by id).
func (h *handle) ListOrgInvitations(ctx context.Context, orgID string) ([]store.Invitation, error) {
	return queryAll(ctx, h, "list org invitations", scanInvitation, `SELECT `+invitationCols+` FROM authos_invitations
		WHERE org_id = ? ORDER BY created_at DESC NULLS LAST, id`, orgID)
}

// ListEmailInvitations returns the pending invitations for email
// (case-insensitive) that have not expired at now, newest first (ties by id).
func (h *handle) ListEmailInvitations(ctx context.Context, email string, now time.Time) ([]store.Invitation, error) {
	return queryAll(ctx, h, "list email invitations", scanInvitation, `SELECT `+invitationCols+` FROM authos_invitations
		WHERE email_lower = ? AND status = ? AND expires_at > ? ORDER BY created_at DESC NULLS LAST, id`,
		emailKey(email), store.InvitationPending, now.UnixMilli())
}

// RespondInvitation moves a pending invitation to status at now. It is a
// single compare-and-set UPDATE (WHERE status = pending), so among concurrent
// callers exactly one succeeds; the others get ErrUsed. ErrNotFound when
// absent.
func (h *handle) RespondInvitation(ctx context.Context, id, status string, now time.Time) error {
	err := h.change(ctx, "respond invitation", `UPDATE authos_invitations SET status = ?, responded_at = ?
		WHERE id = ? AND status = ?`, status, ms(now), id, store.InvitationPending)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Nothing changed: tell why. An invitation never returns to pending.
	ok, err := h.exists(ctx, "respond invitation", `SELECT 1 FROM authos_invitations WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return store.ErrUsed
}
