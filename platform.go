package authos

import (
	"context"
	"errors"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Outcomes of EnsurePlatformOwner.
const (
	OwnerCreated   = "created"   // a new verified owner account with password
	OwnerPromoted  = "promoted"  // an existing account became a verified owner
	OwnerUnchanged = "unchanged" // the account already was a verified owner
)

// EnsurePlatformOwner makes sure the account email exists, is verified and
// is a platform owner (the bootstrap of a fresh installation). A new account
// gets password; an existing account keeps its password unless it has none.
// It returns the account and one of OwnerCreated, OwnerPromoted,
// OwnerUnchanged. INVALID_EMAIL, WEAK_PASSWORD.
func (a *Authos) EnsurePlatformOwner(ctx context.Context, email, password string) (User, string, error) {
	email = normalizeEmail(email)
	if err := validateEmail(email); err != nil {
		return User{}, "", err
	}
	if err := a.cfg.Password.Validate(ctx, password, User{Email: email}); err != nil {
		return User{}, "", err
	}
	// Hash outside the transaction: it is slow and the transaction may be retried.
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, "", err
	}
	var u User
	var outcome string
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		now := a.now()
		var err error
		u, err = tx.GetUserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			outcome = OwnerCreated
			u = User{ID: randx.ID(), Email: email, EmailVerified: true, IsPlatformOwner: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now}); err != nil {
				return err
			}
			return a.emit(ctx, tx, Event{Type: event.UserSignup, TargetID: u.ID,
				Data: map[string]any{"email": u.Email, "platform_owner": true, "source": "bootstrap"}})
		}
		if err != nil {
			return err
		}
		outcome = OwnerUnchanged
		if !u.EmailVerified || !u.IsPlatformOwner {
			outcome = OwnerPromoted
			u.EmailVerified, u.IsPlatformOwner, u.UpdatedAt = true, true, now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			if err := a.emit(ctx, tx, Event{Type: event.UserUpdated, TargetID: u.ID,
				Data: map[string]any{"email_verified": true, "platform_owner": true, "source": "bootstrap"}}); err != nil {
				return err
			}
		}
		if _, err := tx.GetPassword(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
			return tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now})
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return User{}, "", dbError(err)
	}
	return u, outcome, nil
}

// Organization transitions a platform owner may make
// (POST /api/platform/organizations/{id}/{action}).
var orgTransitions = map[string]struct{ from, to, event string }{
	"approve":  {store.OrgPending, store.OrgActive, event.OrgApproved},
	"reject":   {store.OrgPending, store.OrgRejected, event.OrgRejected},
	"suspend":  {store.OrgActive, store.OrgSuspended, event.OrgSuspended},
	"activate": {store.OrgSuspended, store.OrgActive, event.OrgActivated},
}

// orgSnapshot is what the audit log records of an organization.
type orgSnapshot struct {
	Status      string `json:"status"`
	Tier        string `json:"tier"`
	MaxServices int    `json:"max_services,omitempty"`
	MaxMembers  int    `json:"max_members,omitempty"`
}

func snapshot(o Organization) orgSnapshot {
	return orgSnapshot{Status: o.Status, Tier: o.Tier, MaxServices: o.MaxServices, MaxMembers: o.MaxMembers}
}

// OrgTransition is a platform owner's action on an organization
// (TransitionOrganization).
type OrgTransition struct {
	OrgID  string
	Action string // "approve", "reject", "suspend" or "activate"
	Tier   string // approve only: the tier to put the organization on (optional)
	Reason string // recorded in the audit log
}

// TransitionOrganization applies a platform owner's action (t.Action) to
// the organization t.OrgID, writing the audit log in the same transaction.
// approve may set t.Tier. Any other transition: CONFLICT.
func (a *Authos) TransitionOrganization(ctx context.Context, actorID string, t OrgTransition) (Organization, error) {
	orgID, action, tier, reason := t.OrgID, t.Action, t.Tier, t.Reason
	tr, ok := orgTransitions[action]
	if !ok {
		return Organization{}, NewError(CodeBadRequest, "Unknown action "+action)
	}
	if tier != "" {
		if _, ok := a.cfg.Tiers[tier]; !ok {
			return Organization{}, NewError(CodeBadRequest, "Unknown tier "+tier)
		}
	}
	var out Organization
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		o, err := orgInTx(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if o.Status != tr.from {
			return NewError(CodeConflict, "Cannot "+action+" an organization that is "+o.Status)
		}
		before := snapshot(o)
		o.Status, o.UpdatedAt = tr.to, a.now()
		if tier != "" {
			o.Tier = tier
		}
		if action == "reject" || action == "suspend" {
			o.StatusReason = reason
		}
		out = o
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		if err := a.audit(ctx, tx, AuditInput{ActorID: actorID, Action: action + "_organization", TargetType: "organization", TargetID: o.ID, Reason: reason, Before: before, After: snapshot(o)}); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: tr.event, OrgID: o.ID, ActorID: actorID, TargetID: o.ID,
			Data: map[string]any{"from": tr.from, "to": tr.to, "reason": reason}})
	})
	return out, dbError(err)
}

// TierChange sets the tier and limit overrides of organization OrgID
// (SetOrganizationTier; also the body of PATCH
// /api/platform/organizations/{id}/tier); nil overrides are kept, 0 clears
// one, -1 means unlimited.
type TierChange struct {
	OrgID       string `json:"-"`
	Tier        string `json:"tier"`
	MaxServices *int   `json:"max_services,omitempty"`
	MaxMembers  *int   `json:"max_users,omitempty"`
	Reason      string `json:"reason,omitempty"` // recorded in the audit log
}

// SetOrganizationTier changes tier and overrides (platform owner, or the
// billing integration with an empty actor), audited in the same transaction.
func (a *Authos) SetOrganizationTier(ctx context.Context, actorID string, ch TierChange) (Organization, error) {
	orgID, reason := ch.OrgID, ch.Reason
	if _, ok := a.cfg.Tiers[ch.Tier]; !ok {
		return Organization{}, NewError(CodeBadRequest, "Unknown tier "+ch.Tier)
	}
	for _, p := range []*int{ch.MaxServices, ch.MaxMembers} {
		if p != nil && *p < -1 {
			return Organization{}, NewError(CodeBadRequest, "Limits are -1 (unlimited), 0 (tier default) or positive")
		}
	}
	var out Organization
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		o, err := orgInTx(ctx, tx, orgID)
		if err != nil {
			return err
		}
		before := snapshot(o)
		o.Tier, o.UpdatedAt = ch.Tier, a.now()
		if ch.MaxServices != nil {
			o.MaxServices = *ch.MaxServices
		}
		if ch.MaxMembers != nil {
			o.MaxMembers = *ch.MaxMembers
		}
		out = o
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		actor := actorID
		if actor == "" {
			actor = "billing"
		}
		if err := a.audit(ctx, tx, AuditInput{ActorID: actor, Action: "update_organization_tier", TargetType: "organization", TargetID: o.ID, Reason: reason, Before: before, After: snapshot(o)}); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgTierChanged, OrgID: o.ID, ActorID: actorID, TargetID: o.ID,
			Data: map[string]any{"from": before.Tier, "to": o.Tier}})
	})
	return out, dbError(err)
}

// OrgDeletion is a platform owner's deletion of organization OrgID
// (PlatformDeleteOrganization).
type OrgDeletion struct {
	OrgID  string
	Reason string // recorded in the audit log
}

// PlatformDeleteOrganization deletes any organization (platform owner) with
// its members, services and keys, audited in the same transaction.
func (a *Authos) PlatformDeleteOrganization(ctx context.Context, actorID string, d OrgDeletion) error {
	orgID, reason := d.OrgID, d.Reason
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		o, err := orgInTx(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := tx.DeleteOrg(ctx, o.ID); err != nil {
			return err
		}
		if err := a.audit(ctx, tx, AuditInput{ActorID: actorID, Action: "delete_organization", TargetType: "organization", TargetID: o.ID, Reason: reason, Before: snapshot(o)}); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgDeleted, OrgID: o.ID, ActorID: actorID, TargetID: o.ID})
	}))
}

// SetPlatformOwner promotes or demotes a user; the last owner is never
// demoted (CONFLICT). Audited in the same transaction.
func (a *Authos) SetPlatformOwner(ctx context.Context, actorID, userID string, owner bool) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return NewError(CodeNotFound, "User not found")
		}
		if err != nil {
			return err
		}
		if u.IsPlatformOwner == owner {
			return nil
		}
		if !owner {
			n, err := tx.CountPlatformOwners(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return NewError(CodeConflict, "The last platform owner cannot be demoted")
			}
		}
		u.IsPlatformOwner, u.UpdatedAt = owner, a.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		action := "promote_platform_owner"
		if !owner {
			action = "demote_platform_owner"
		}
		return a.audit(ctx, tx, AuditInput{ActorID: actorID, Action: action, TargetType: "user", TargetID: u.ID, Before: map[string]bool{"platform_owner": !owner}, After: map[string]any{"platform_owner": owner, "email": u.Email}})
	}))
}

// PlatformRevokeUserSessions ends every session of the user (platform
// owner): their refresh tokens stop at once and their access tokens are
// refused by every instance within a second. The audit entry, a
// user.sessions_revoked event and a session.revoked event per session
// commit with the revocation. It returns how many sessions it ended.
// NOT_FOUND for an unknown user; BAD_REQUEST for a reason longer than 1000
// bytes.
func (a *Authos) PlatformRevokeUserSessions(ctx context.Context, actorID, userID, reason string) (int, error) {
	if len(reason) > 1000 {
		return 0, NewError(CodeBadRequest, "reason is longer than 1000 bytes")
	}
	var n int
	err := a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		u, err := tx.GetUser(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, NewError(CodeNotFound, "User not found")
		}
		if err != nil {
			return nil, err
		}
		ids, err := tx.RevokeUserSessions(ctx, u.ID, "", now)
		if err != nil {
			return nil, err
		}
		n = len(ids)
		if err := a.audit(ctx, tx, AuditInput{ActorID: actorID, Action: "revoke_user_sessions", TargetType: "user", TargetID: u.ID, Reason: reason, After: map[string]any{"sessions_revoked": n, "email": u.Email}}); err != nil {
			return nil, err
		}
		return ids, a.emit(ctx, tx, Event{Type: event.UserSessionsRevoked, ActorID: actorID, TargetID: u.ID,
			Data: map[string]any{"sessions_revoked": n, "reason": reason}})
	}, actorID)
	return n, err
}

// ListOrganizations lists organizations for platform owners.
func (a *Authos) ListOrganizations(ctx context.Context, f store.OrgFilter) ([]OrgView, int, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	os, total, err := a.st.ListOrgs(ctx, f)
	if err != nil {
		return nil, 0, dbError(err)
	}
	out := make([]OrgView, 0, len(os))
	for _, o := range os {
		out = append(out, a.viewOf(o))
	}
	return out, total, nil
}

// orgInTx reads an organization inside a transaction: NOT_FOUND when absent.
func orgInTx(ctx context.Context, tx store.Tx, id string) (Organization, error) {
	o, err := tx.GetOrg(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Organization{}, NewError(CodeNotFound, "Organization not found")
	}
	return o, err
}

// activeOrgInTx is orgInTx that also requires the organization to be active.
func activeOrgInTx(ctx context.Context, tx store.Tx, id string) (Organization, error) {
	o, err := orgInTx(ctx, tx, id)
	if err != nil {
		return Organization{}, err
	}
	return o, requireActive(o)
}

// SendTestEmail sends one message to to through the configured Mailer at
// once (not through the outbox), so that a platform owner can check the
// mail configuration: INVALID_EMAIL for a bad address, EMAIL_SEND_FAILED
// (500) when the mailer refuses or fails within 30 s (the cause is logged,
// never shown).
func (a *Authos) SendTestEmail(ctx context.Context, actorID, to string) error {
	to = normalizeEmail(to)
	if err := validateEmail(to); err != nil {
		return err
	}
	product := a.cfg.ProductName
	msg := Message{To: to, Subject: product + " test email",
		Text: "This is a test email from " + product + ", sent by a platform owner to check the mail configuration. No action is needed.\n"}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.cfg.Mailer.Send(sctx, msg); err != nil {
		return WrapError(CodeEmailSendFailed, "The mailer could not send the email", err)
	}
	a.log.Info("authos: test email sent", "actor", actorID)
	return nil
}
