package authos

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// InvitationView is an invitation as clients see it (never its token).
type InvitationView struct {
	ID           string    `json:"id"`
	Organization string    `json:"organization"` // slug
	Email        string    `json:"email"`
	Role         string    `json:"role"`
	Status       string    `json:"status"`
	InvitedBy    string    `json:"invited_by"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func invitationView(inv store.Invitation, orgSlug string) InvitationView {
	return InvitationView{ID: inv.ID, Organization: orgSlug, Email: inv.Email, Role: inv.Role, Status: inv.Status,
		InvitedBy: inv.InvitedBy, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
}

// InvitationLimits throttle invitations, each of which sends an email: per
// organization and per inviting user (across every organization). Zero
// Limits take the defaults; RateLimits.Disabled turns them off with every
// other limit.
type InvitationLimits struct {
	PerOrg     Limit // default 30 at once, then 100 a day
	PerInviter Limit // default 10 at once, then 30 an hour
}

func (l InvitationLimits) withDefaults() InvitationLimits {
	if l.PerOrg == (Limit{}) {
		l.PerOrg = Limit{Rate: 100, Period: 24 * time.Hour, Burst: 30}
	}
	if l.PerInviter == (Limit{}) {
		l.PerInviter = Limit{Rate: 30, Period: time.Hour, Burst: 10}
	}
	return l
}

// limitInvitation applies Config.InvitationLimits to one more invitation of
// o by actorID: RATE_LIMIT_EXCEEDED with Retry-After.
func (a *Authos) limitInvitation(ctx context.Context, actorID string, o Organization) error {
	if a.cfg.RateLimits.Disabled {
		return nil
	}
	// The inviter's own budget first: attempts it refuses leave the
	// organization's budget to its other admins.
	if err := a.allow(ctx, "invite:user:"+actorID, a.cfg.InvitationLimits.PerInviter); err != nil {
		return err
	}
	return a.allow(ctx, "invite:org:"+o.ID, a.cfg.InvitationLimits.PerOrg)
}

// InviteInput invites an email address with a role (admin or member).
type InviteInput struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Invite creates an invitation valid for Config.InvitationTTL, queues its
// email in the same transaction and returns the plaintext token once (only
// its hash is stored). The organization must be active, and invitations
// are limited per organization and per inviter (Config.InvitationLimits).
// INVALID_EMAIL, BAD_REQUEST (role), ORGANIZATION_NOT_ACTIVE,
// RATE_LIMIT_EXCEEDED, CONFLICT (already a member or already invited).
func (a *Authos) Invite(ctx context.Context, actorID string, o Organization, in InviteInput) (InvitationView, string, error) {
	email := normalizeEmail(in.Email)
	if err := validateEmail(email); err != nil {
		return InvitationView{}, "", err
	}
	if in.Role == "" {
		in.Role = store.RoleMember
	}
	if in.Role != store.RoleAdmin && in.Role != store.RoleMember {
		return InvitationView{}, "", NewError(CodeBadRequest, "role must be admin or member")
	}
	if err := requireActive(o); err != nil {
		return InvitationView{}, "", err
	}
	if err := a.limitInvitation(ctx, actorID, o); err != nil {
		return InvitationView{}, "", err
	}
	token := randx.Token(32)
	now := a.now()
	inv := store.Invitation{ID: randx.ID(), OrgID: o.ID, Email: email, Role: in.Role, TokenHash: hashx.SHA256Hex(token),
		InvitedBy: actorID, Status: store.InvitationPending, CreatedAt: now, ExpiresAt: now.Add(a.cfg.InvitationTTL)}
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		cur, err := activeOrgInTx(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if u, err := tx.GetUserByEmail(ctx, email); err == nil {
			if _, err := tx.GetMember(ctx, o.ID, u.ID); err == nil {
				return NewError(CodeConflict, "This user is already a member")
			}
		}
		pending, err := tx.ListEmailInvitations(ctx, email, now)
		if err != nil {
			return err
		}
		for _, p := range pending {
			if p.OrgID == o.ID {
				return NewError(CodeConflict, "This email already has a pending invitation; cancel it first")
			}
		}
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		inviter, err := tx.GetUser(ctx, actorID)
		if err != nil {
			return err
		}
		inviterName := inviter.Name
		if inviterName == "" {
			inviterName = inviter.Email
		}
		link := httpx.AppendQuery(a.cfg.AcceptInvitationURL, url.Values{"token": {token}})
		// The organization's name (validated: 2-100 characters, no control
		// characters) is the only caller-chosen text of the subject.
		if err := a.enqueueEmail(ctx, tx, templateInvitation, email, EmailData{Link: link, OrgName: cur.Name,
			InviterName: inviterName, Role: in.Role, ExpiresIn: humanDuration(a.language(ctx), a.cfg.InvitationTTL)}); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.InvitationCreated, OrgID: o.ID, ActorID: actorID, TargetID: inv.ID,
			Data: map[string]any{"email": email, "role": in.Role}})
	})
	if err != nil {
		return InvitationView{}, "", dbError(err)
	}
	return invitationView(inv, o.Slug), token, nil
}

// ListInvitations returns the organization's invitations.
func (a *Authos) ListInvitations(ctx context.Context, o Organization) ([]InvitationView, error) {
	invs, err := a.st.ListOrgInvitations(ctx, o.ID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]InvitationView, 0, len(invs))
	for _, inv := range invs {
		out = append(out, invitationView(inv, o.Slug))
	}
	return out, nil
}

// CancelInvitation cancels a pending invitation of the organization.
// NOT_FOUND, INVITATION_ALREADY_ACCEPTED (no longer pending).
func (a *Authos) CancelInvitation(ctx context.Context, o Organization, id string) error {
	inv, err := a.st.GetInvitation(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && inv.OrgID != o.ID {
		return NewError(CodeNotFound, "Invitation not found")
	}
	if err != nil {
		return dbError(err)
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.RespondInvitation(ctx, id, store.InvitationCancelled, a.now()); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.InvitationCancelled, OrgID: o.ID, TargetID: id,
			Data: map[string]any{"email": inv.Email, "role": inv.Role}})
	})
	if errors.Is(err, store.ErrUsed) {
		return NewError(CodeInvitationAlreadyAccepted, "Invitation is no longer pending")
	}
	return dbError(err)
}

// MyInvitations returns the pending invitations for the user's verified email.
func (a *Authos) MyInvitations(ctx context.Context, userID string) ([]InvitationView, error) {
	u, err := a.st.GetUser(ctx, userID)
	if err != nil {
		return nil, dbError(err)
	}
	if !u.EmailVerified {
		return []InvitationView{}, nil
	}
	invs, err := a.st.ListEmailInvitations(ctx, u.Email, a.now())
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]InvitationView, 0, len(invs))
	for _, inv := range invs {
		o, err := a.st.GetOrg(ctx, inv.OrgID)
		if err != nil {
			return nil, dbError(err)
		}
		out = append(out, invitationView(inv, o.Slug))
	}
	return out, nil
}

// AcceptInvitation adds the user to the organization. The caller's
// verified email must equal the invited one (FORBIDDEN otherwise), and the
// team limit is checked inside the same transaction, so concurrent accepts
// cannot exceed it. INVITATION_EXPIRED, INVITATION_ALREADY_ACCEPTED,
// TEAM_LIMIT_EXCEEDED, NOT_FOUND.
func (a *Authos) AcceptInvitation(ctx context.Context, userID, token string) (Membership, error) {
	return a.respondInvitation(ctx, userID, token, store.InvitationAccepted)
}

// DeclineInvitation declines an invitation addressed to the user.
func (a *Authos) DeclineInvitation(ctx context.Context, userID, token string) error {
	_, err := a.respondInvitation(ctx, userID, token, store.InvitationDeclined)
	return err
}

func (a *Authos) respondInvitation(ctx context.Context, userID, token, status string) (Membership, error) {
	if token == "" || len(token) > 256 {
		return Membership{}, NewError(CodeNotFound, "Invitation not found")
	}
	var m Membership
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		now := a.now()
		inv, err := tx.GetInvitationByToken(ctx, hashx.SHA256Hex(token))
		if errors.Is(err, store.ErrNotFound) {
			return NewError(CodeNotFound, "Invitation not found")
		}
		if err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if !u.EmailVerified || !strings.EqualFold(u.Email, inv.Email) {
			return NewError(CodeForbidden, "This invitation is addressed to another email address")
		}
		switch {
		case inv.Status != store.InvitationPending:
			return NewError(CodeInvitationAlreadyAccepted, "Invitation was already used")
		case !now.Before(inv.ExpiresAt):
			return NewError(CodeInvitationExpired, "Invitation has expired")
		}
		if status == store.InvitationAccepted {
			o, err := tx.GetOrg(ctx, inv.OrgID)
			if err != nil {
				return err
			}
			n, err := tx.CountMembers(ctx, o.ID)
			if err != nil {
				return err
			}
			if !within(a.LimitsOf(o).MaxMembers, n) {
				return NewError(CodeTeamLimitExceeded, "The organization has reached its member limit")
			}
			m = Membership{OrgID: o.ID, UserID: u.ID, Role: inv.Role, CreatedAt: now}
			if err := tx.AddMember(ctx, m); errors.Is(err, store.ErrConflict) {
				return NewError(CodeConflict, "Already a member of this organization")
			} else if err != nil {
				return err
			}
			if err := a.emit(ctx, tx, Event{Type: event.MemberAdded, OrgID: o.ID, ActorID: u.ID, TargetID: u.ID,
				Data: map[string]any{"role": inv.Role, "invitation_id": inv.ID}}); err != nil {
				return err
			}
		}
		if err := tx.RespondInvitation(ctx, inv.ID, status, now); errors.Is(err, store.ErrUsed) {
			return NewError(CodeInvitationAlreadyAccepted, "Invitation was already used")
		} else if err != nil {
			return err
		}
		typ := event.InvitationDeclined
		if status == store.InvitationAccepted {
			typ = event.InvitationAccepted
		}
		return a.emit(ctx, tx, Event{Type: typ, OrgID: inv.OrgID, ActorID: u.ID, TargetID: inv.ID,
			Data: map[string]any{"email": inv.Email, "role": inv.Role}})
	})
	return m, dbError(err)
}
