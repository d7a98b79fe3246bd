package authos

import (
	"context"
	"errors"

	"github.com/authos/authos/event"
	"github.com/authos/authos/store"
)

// memberStatus is m's status, MemberActive when unset.
func memberStatus(m Membership) string {
	if m.Status == "" {
		return store.MemberActive
	}
	return m.Status
}

// refuseSuspended returns FORBIDDEN when userID's membership of orgID is
// suspended. A user who is not a member passes: sessions of an
// organization's services may belong to people outside it.
func refuseSuspended(ctx context.Context, tx store.Tx, orgID, userID string) error {
	m, err := tx.GetMember(ctx, orgID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return dbError(err)
	}
	if m.Status == store.MemberSuspended {
		return NewError(CodeForbidden, "Your membership of this organization is suspended")
	}
	return nil
}

// SuspendMember suspends userID's membership of o through tx (the caller's
// transaction): org routes refuse the member (FORBIDDEN) and the user's
// sessions bound to o are revoked, so their refresh tokens stop at once and
// their access tokens within a second on every instance. It returns the
// revoked session ids; after tx commits, pass them to SessionsRevoked.
// Suspending a suspended member changes nothing; the last active owner
// cannot be suspended (CONFLICT). NOT_FOUND when userID is not a member.
func (a *Authos) SuspendMember(ctx context.Context, tx store.Tx, actorID string, o Organization, userID string) ([]string, error) {
	m, err := memberInTx(ctx, tx, o.ID, userID)
	if err != nil || m.Status == store.MemberSuspended {
		return nil, err
	}
	if err := lastOwnerGuard(ctx, tx, m, "suspended"); err != nil {
		return nil, err
	}
	if err := tx.SetMemberStatus(ctx, o.ID, userID, store.MemberSuspended); err != nil {
		return nil, dbError(err)
	}
	ids, err := a.revokeOrgSessions(ctx, tx, actorID, o.ID, userID)
	if err != nil {
		return nil, err
	}
	return ids, dbError(a.emit(ctx, tx, Event{Type: event.MemberSuspended, OrgID: o.ID, ActorID: actorID, TargetID: userID,
		Data: map[string]any{"revoked_sessions": len(ids)}}))
}

// RestoreMember lifts the suspension of userID's membership of o through
// tx; restoring an active member changes nothing. NOT_FOUND when userID is
// not a member.
func (a *Authos) RestoreMember(ctx context.Context, tx store.Tx, actorID string, o Organization, userID string) error {
	m, err := memberInTx(ctx, tx, o.ID, userID)
	if err != nil || m.Status != store.MemberSuspended {
		return err
	}
	if err := tx.SetMemberStatus(ctx, o.ID, userID, store.MemberActive); err != nil {
		return dbError(err)
	}
	return dbError(a.emit(ctx, tx, Event{Type: event.MemberRestored, OrgID: o.ID, ActorID: actorID, TargetID: userID}))
}

// EndMembership removes userID from o through tx on behalf of the
// organization itself (its directory), whatever the member's role, except
// the last active owner (CONFLICT); the user's sessions bound to o are
// revoked as by SuspendMember. When the account is left with no membership
// and no password, nothing but the directory vouched for it: the account is
// deleted (store DeleteUser, with a user.deleted event), its sessions
// revoked first and their revocations kept, so that every instance keeps
// refusing its access tokens (a platform owner's account is kept, with
// every session revoked). It returns the revoked session ids for
// SessionsRevoked. NOT_FOUND when userID is not a member.
func (a *Authos) EndMembership(ctx context.Context, tx store.Tx, actorID string, o Organization, userID string) ([]string, error) {
	m, err := memberInTx(ctx, tx, o.ID, userID)
	if err != nil {
		return nil, err
	}
	if err := lastOwnerGuard(ctx, tx, m, "removed"); err != nil {
		return nil, err
	}
	if err := tx.RemoveMember(ctx, o.ID, userID); err != nil {
		return nil, dbError(err)
	}
	ids, err := a.revokeOrgSessions(ctx, tx, actorID, o.ID, userID)
	if err != nil {
		return nil, err
	}
	orgs, err := tx.ListUserOrgs(ctx, userID)
	if err != nil {
		return nil, dbError(err)
	}
	_, perr := tx.GetPassword(ctx, userID)
	if perr != nil && !errors.Is(perr, store.ErrNotFound) {
		return nil, dbError(perr)
	}
	if err := a.emit(ctx, tx, Event{Type: event.MemberRemoved, OrgID: o.ID, ActorID: actorID, TargetID: userID}); err != nil {
		return nil, dbError(err)
	}
	if len(orgs) > 0 || perr == nil {
		return ids, nil
	}
	// Nothing but this organization vouched for the account: delete it
	// (a platform owner's is kept, with every session ended).
	u, err := tx.GetUser(ctx, userID)
	if err != nil {
		return nil, dbError(err)
	}
	now := a.now()
	var rest []string
	if u.IsPlatformOwner {
		rest, err = tx.RevokeUserSessions(ctx, userID, "", now)
	} else {
		rest, err = tx.DeleteUser(ctx, userID, now)
	}
	if err != nil {
		return nil, dbError(err)
	}
	for _, id := range rest {
		if err := a.emit(ctx, tx, Event{Type: event.SessionRevoked, ActorID: actorID, TargetID: id}); err != nil {
			return nil, dbError(err)
		}
	}
	if !u.IsPlatformOwner {
		if err := a.emit(ctx, tx, Event{Type: event.UserDeleted, OrgID: o.ID, ActorID: actorID, TargetID: userID,
			Data: map[string]any{"email": u.Email, "reason": "directory_removed"}}); err != nil {
			return nil, dbError(err)
		}
	}
	return append(ids, rest...), nil
}

// SessionsRevoked records revocations committed by the caller's own
// transaction (SuspendMember, EndMembership) in this instance's revocation
// cache, so that their access tokens are refused here at once, and
// announces them to the other instances (Config.Revocations, the store's
// push channel); without a push channel they learn of them from the store
// within Config.RevocationPoll.
func (a *Authos) SessionsRevoked(ids []string) {
	a.sessionsRevoked(context.Background(), ids, a.now(), false)
}

func memberInTx(ctx context.Context, tx store.Tx, orgID, userID string) (Membership, error) {
	m, err := tx.GetMember(ctx, orgID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return Membership{}, NewError(CodeNotFound, "Member not found")
	}
	return m, dbError(err)
}

// lastOwnerGuard refuses to suspend or remove the last active owner.
func lastOwnerGuard(ctx context.Context, tx store.Tx, m Membership, what string) error {
	if m.Role != store.RoleOwner {
		return nil
	}
	ms, err := tx.ListMembers(ctx, m.OrgID)
	if err != nil {
		return dbError(err)
	}
	for _, o := range ms {
		if o.UserID != m.UserID && o.Role == store.RoleOwner && o.Status != store.MemberSuspended {
			return nil
		}
	}
	return NewError(CodeConflict, "The last owner of the organization cannot be "+what+"; transfer ownership first")
}

// revokeOrgSessions revokes the user's active sessions bound to orgID, with
// a session.revoked event each.
func (a *Authos) revokeOrgSessions(ctx context.Context, tx store.Tx, actorID, orgID, userID string) ([]string, error) {
	now := a.now()
	ss, err := tx.ListUserSessions(ctx, userID, now)
	if err != nil {
		return nil, dbError(err)
	}
	var ids []string
	for _, s := range ss {
		if s.OrgID != orgID {
			continue
		}
		if err := tx.RevokeSession(ctx, s.ID, now); err != nil {
			return nil, dbError(err)
		}
		if err := a.emit(ctx, tx, Event{Type: event.SessionRevoked, OrgID: orgID, ActorID: actorID, TargetID: s.ID}); err != nil {
			return nil, dbError(err)
		}
		ids = append(ids, s.ID)
	}
	return ids, nil
}
