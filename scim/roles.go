package scim

import (
	"context"
	"errors"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/store"
)

// AuditGroupRoleSet is the audit action of an owner mapping a group to a
// role (or removing the mapping).
const AuditGroupRoleSet = "scim.group.role_set"

// Group is a SCIM group of the organization as its admins see it: the
// directory decides its name and members, the organization's owners its
// Role.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
	// Role is the organization role the group grants its members ("admin"
	// or "member"), or empty when it grants none.
	Role      string    `json:"role,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func groupView(g store.SCIMGroup) Group {
	return Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Role: g.Role, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

// GroupRoleInput sets the role a group grants; an empty or null role
// removes the mapping.
type GroupRoleInput struct {
	Role *string `json:"role"`
}

// ListGroups returns the organization's SCIM groups by display name.
func (s *Service) ListGroups(ctx context.Context, o authos.Organization) ([]Group, error) {
	out := []Group{}
	for start := 1; ; start += maxResults {
		gs, total, err := s.st.ListSCIMGroups(ctx, o.ID, store.SCIMQuery{SortBy: store.SCIMAttrDisplayName, StartIndex: start, Count: maxResults})
		if err != nil {
			return nil, dbError(err)
		}
		for _, g := range gs {
			out = append(out, groupView(g))
		}
		if len(gs) == 0 || start+len(gs) > total {
			return out, nil
		}
	}
}

// SetGroupRole maps the organization's SCIM group to role ("admin" or
// "member"; "" removes the mapping) and gives the group's members the role
// their groups now grant (see syncRoles). The group's members and name stay
// the directory's; the mapping survives the directory's changes to them
// until the group is deleted. BAD_REQUEST, NOT_FOUND,
// ORGANIZATION_NOT_ACTIVE, FORBIDDEN (tier).
func (s *Service) SetGroupRole(ctx context.Context, actorID string, o authos.Organization, groupID, role string) (Group, error) {
	if _, ok := roleRank[role]; !ok && role != "" {
		return Group{}, authos.NewError(authos.CodeBadRequest, "role must be admin or member (or empty to remove the mapping)")
	}
	if err := s.usable(o); err != nil {
		return Group{}, err
	}
	var out store.SCIMGroup
	err := s.tx(ctx, func(tx scimTx) error {
		g, err := tx.GetSCIMGroup(ctx, o.ID, groupID)
		if err != nil {
			return err
		}
		out = g
		if g.Role == role {
			return nil
		}
		before := g.Role
		g.Role = role
		if err := tx.UpdateSCIMGroup(ctx, g); err != nil {
			return err
		}
		out = g
		members, err := tx.ListSCIMGroupMembers(ctx, o.ID, g.ID)
		if err != nil {
			return err
		}
		if err := s.syncRoles(ctx, tx, o, actorID, members); err != nil {
			return err
		}
		return authos.Extend(s.a).Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: AuditGroupRoleSet, TargetType: "scim_group", TargetID: g.ID, Before: map[string]any{"org_id": o.ID, "role": before}, After: map[string]any{"org_id": o.ID, "role": role, "display_name": g.DisplayName}})
	})
	if errors.Is(err, store.ErrNotFound) {
		return Group{}, authos.NewError(authos.CodeNotFound, "Group not found")
	}
	if err != nil {
		return Group{}, dbError(err)
	}
	return groupView(out), nil
}

// roleRank orders the roles a group may grant.
var roleRank = map[string]int{store.RoleMember: 1, store.RoleAdmin: 2}

// syncRoles gives each member of o among userIDs the role their
// role-mapped groups grant: the highest of them, or member when they are
// in none. Owners keep their role (ownership is never the directory's to
// give or take), and users who are not members are skipped. Each change
// emits member.role_changed.
func (s *Service) syncRoles(ctx context.Context, tx scimTx, o authos.Organization, actorID string, userIDs []string) error {
	for _, id := range userIDs {
		m, err := tx.GetMember(ctx, o.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if m.Role == store.RoleOwner {
			continue
		}
		gs, err := tx.ListSCIMUserGroups(ctx, o.ID, id)
		if err != nil {
			return err
		}
		want := store.RoleMember
		for _, g := range gs {
			if roleRank[g.Role] > roleRank[want] {
				want = g.Role
			}
		}
		if m.Role == want {
			continue
		}
		if err := tx.SetMemberRole(ctx, o.ID, id, want); err != nil {
			return err
		}
		if err := authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: event.MemberRoleChanged, OrgID: o.ID, ActorID: actorID, TargetID: id,
			Data: map[string]any{"from": m.Role, "to": want, "via": "scim_group"}}); err != nil {
			return err
		}
	}
	return nil
}
