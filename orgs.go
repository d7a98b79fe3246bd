package authos

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Organization is a tenant (the store's shape).
type Organization = store.Organization

// Membership is a user's role in an organization (the store's shape).
type Membership = store.Membership

// Tier is a plan with limits; -1 means unlimited.
type Tier struct {
	Name        string `json:"name"`
	MaxServices int    `json:"max_services"`
	MaxMembers  int    `json:"max_members"`
	// Features lists the optional features the tier includes (FeatureSCIM,
	// or a host's own names); a feature package refuses organizations whose
	// tier lacks its feature.
	Features []string `json:"features,omitempty"`
}

// Features a tier may include.
const (
	// FeatureSCIM: SCIM 2.0 provisioning (package scim).
	FeatureSCIM = "scim"
)

// Default tier names.
const (
	TierFree       = "free"
	TierStarter    = "starter"
	TierPro        = "pro"
	TierEnterprise = "enterprise"
)

// DefaultTiers are the built-in tiers (free, starter, pro, enterprise) and
// their limits, listed in README.md.
func DefaultTiers() map[string]Tier {
	return map[string]Tier{
		TierFree:       {Name: TierFree, MaxServices: 2, MaxMembers: 3},
		TierStarter:    {Name: TierStarter, MaxServices: 10, MaxMembers: 10},
		TierPro:        {Name: TierPro, MaxServices: 50, MaxMembers: 50, Features: []string{FeatureSCIM}},
		TierEnterprise: {Name: TierEnterprise, MaxServices: -1, MaxMembers: -1, Features: []string{FeatureSCIM}},
	}
}

// tierOf is the organization's tier (the free tier when its tier is unknown).
func (a *Authos) tierOf(o Organization) Tier {
	t, ok := a.cfg.Tiers[o.Tier]
	if !ok {
		t = a.cfg.Tiers[TierFree]
	}
	return t
}

// hasFeature reports whether the organization's tier includes feature.
func (a *Authos) hasFeature(o Organization, feature string) bool {
	return slices.Contains(a.tierOf(o).Features, feature)
}

// RequireFeature is hasFeature as an error: FORBIDDEN naming the feature
// and the tier when the tier lacks it.
func (a *Authos) RequireFeature(o Organization, feature string) error {
	if a.hasFeature(o, feature) {
		return nil
	}
	return NewError(CodeForbidden, "The "+a.tierOf(o).Name+" tier of this organization does not include "+feature+"; upgrade the tier to use it")
}

// Limits are an organization's effective limits (-1: unlimited).
type Limits struct {
	Tier        string `json:"tier"`
	MaxServices int    `json:"max_services"`
	MaxMembers  int    `json:"max_members"`
}

// LimitsOf resolves an organization's limits: its override, else its tier,
// else the free tier.
func (a *Authos) LimitsOf(o Organization) Limits {
	t := a.tierOf(o)
	l := Limits{Tier: t.Name, MaxServices: t.MaxServices, MaxMembers: t.MaxMembers}
	if o.MaxServices != 0 {
		l.MaxServices = o.MaxServices
	}
	if o.MaxMembers != 0 {
		l.MaxMembers = o.MaxMembers
	}
	return l
}

func within(limit, count int) bool { return limit < 0 || count < limit }

var roleRank = map[string]int{store.RoleMember: 1, store.RoleAdmin: 2, store.RoleOwner: 3}

// CreateOrgInput creates an organization.
type CreateOrgInput struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// CreateOrganization creates an organization owned by userID: pending, or
// active when Config.AutoApproveOrgs is set. INVALID_SLUG, RESERVED_SLUG,
// SLUG_TOO_SHORT, SLUG_TOO_LONG, NAME_TOO_SHORT, NAME_TOO_LONG, ALREADY_EXISTS.
func (a *Authos) CreateOrganization(ctx context.Context, userID string, in CreateOrgInput) (Organization, Membership, error) {
	slug, err := validateSlug(in.Slug)
	if err != nil {
		return Organization{}, Membership{}, err
	}
	name, err := validateName(in.Name)
	if err != nil {
		return Organization{}, Membership{}, err
	}
	now := a.now()
	o := Organization{ID: randx.ID(), Slug: slug, Name: name, Status: store.OrgPending, Tier: TierFree,
		CreatedAt: now, UpdatedAt: now}
	if a.cfg.AutoApproveOrgs {
		o.Status = store.OrgActive
	}
	m := Membership{OrgID: o.ID, UserID: userID, Role: store.RoleOwner, CreatedAt: now}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, m); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgCreated, OrgID: o.ID, ActorID: userID, TargetID: o.ID,
			Data: map[string]any{"slug": o.Slug, "status": o.Status}})
	})
	if errors.Is(err, store.ErrConflict) {
		return Organization{}, Membership{}, NewError(CodeAlreadyExists, "An organization with this slug already exists")
	}
	if err != nil {
		return Organization{}, Membership{}, dbError(err)
	}
	return o, m, nil
}

// OrgAccess resolves the organization slug for principal p and checks that
// p may act on it with at least role minRole (owner, admin, member): the
// membership is read from the store, never taken from a claim. API keys
// act for their own organization only, with the role AuthenticateAPIKey
// read with the key (Principal.KeyRole). NOT_FOUND, NOT_ORGANIZATION_MEMBER,
// FORBIDDEN.
func (a *Authos) OrgAccess(ctx context.Context, p *Principal, slug, minRole string) (Organization, Membership, error) {
	if err := CheckIdentifier("Organization", slug); err != nil {
		return Organization{}, Membership{}, err
	}
	o, err := a.st.GetOrgBySlug(ctx, strings.ToLower(slug))
	if errors.Is(err, store.ErrNotFound) {
		return Organization{}, Membership{}, NewError(CodeNotFound, "Organization not found")
	}
	if err != nil {
		return Organization{}, Membership{}, dbError(err)
	}
	if p.Kind == PrincipalAPIKey {
		if p.Org != o.ID {
			return Organization{}, Membership{}, NewError(CodeForbidden, "This API key belongs to another organization")
		}
		if roleRank[p.KeyRole] < roleRank[minRole] {
			return Organization{}, Membership{}, NewError(CodeForbidden,
				"This action needs the "+minRole+" role; this API key acts with its creator's role")
		}
		return o, Membership{OrgID: o.ID, UserID: p.KeyCreatedBy, Role: p.KeyRole}, nil
	}
	if p.Org != "" && p.Org != o.Slug {
		return Organization{}, Membership{}, NewError(CodeForbidden, "This token is scoped to another organization")
	}
	m, err := a.st.GetMember(ctx, o.ID, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Organization{}, Membership{}, NewError(CodeNotOrganizationMember, "Not a member of this organization")
	}
	if err != nil {
		return Organization{}, Membership{}, dbError(err)
	}
	if m.Status == store.MemberSuspended {
		return Organization{}, Membership{}, NewError(CodeForbidden, "Your membership of this organization is suspended")
	}
	if roleRank[m.Role] < roleRank[minRole] {
		return Organization{}, Membership{}, NewError(CodeForbidden, "This action needs the "+minRole+" role")
	}
	return o, m, nil
}

func requireActive(o Organization) error {
	if o.Status != store.OrgActive {
		return NewError(CodeOrganizationNotActive, "Organization is "+o.Status)
	}
	return nil
}

// membershipJSON is a membership as clients see it.
type membershipJSON struct {
	OrgID    string    `json:"org_id"`
	UserID   string    `json:"user_id"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

func membershipView(m Membership) membershipJSON {
	return membershipJSON{OrgID: m.OrgID, UserID: m.UserID, Role: m.Role, JoinedAt: m.CreatedAt}
}

// UserOrganization is one of the caller's organizations with the role.
type UserOrganization struct {
	Organization OrgView `json:"organization"`
	Role         string  `json:"role"`
}

// OrgView is an organization as clients see it.
type OrgView struct {
	ID        string `json:"id"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Tier      string `json:"tier"`
	Limits    Limits `json:"limits"`
	CreatedAt string `json:"created_at"`
}

// viewOf is the client view of o.
func (a *Authos) viewOf(o Organization) OrgView {
	return OrgView{ID: o.ID, Slug: o.Slug, Name: o.Name, Status: o.Status, Tier: o.Tier, Limits: a.LimitsOf(o),
		CreatedAt: o.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")}
}

// ListMyOrganizations returns the user's organizations with roles.
func (a *Authos) ListMyOrganizations(ctx context.Context, userID string) ([]UserOrganization, error) {
	uos, err := a.st.ListUserOrgs(ctx, userID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]UserOrganization, 0, len(uos))
	for _, uo := range uos {
		out = append(out, UserOrganization{Organization: a.viewOf(uo.Org), Role: uo.Role})
	}
	return out, nil
}

// RenameOrganization changes the name (admin). NAME_TOO_SHORT, NAME_TOO_LONG.
func (a *Authos) RenameOrganization(ctx context.Context, actorID string, o Organization, name string) (Organization, error) {
	name, err := validateName(name)
	if err != nil {
		return Organization{}, err
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetOrg(ctx, o.ID)
		if err != nil {
			return err
		}
		cur.Name, cur.UpdatedAt = name, a.now()
		o = cur
		if err := tx.UpdateOrg(ctx, cur); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgUpdated, OrgID: o.ID, ActorID: actorID, TargetID: o.ID})
	})
	return o, dbError(err)
}

// DeleteOrganization removes the organization with everything it owns.
func (a *Authos) DeleteOrganization(ctx context.Context, actorID string, o Organization) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteOrg(ctx, o.ID); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgDeleted, OrgID: o.ID, ActorID: actorID, TargetID: o.ID,
			Data: map[string]any{"slug": o.Slug}})
	}))
}

// MemberView is a member as clients see it.
type MemberView struct {
	UserID   string `json:"user_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Status   string `json:"status"` // active or suspended
	JoinedAt string `json:"joined_at"`
}

// MemberList is the members of an organization with the team limit.
type MemberList struct {
	Members []MemberView `json:"members"`
	Total   int          `json:"total"`
	Limit   struct {
		Current int `json:"current"`
		Max     int `json:"max"`
	} `json:"limit"`
}

// ListMembers returns the organization's members and its team limit.
func (a *Authos) ListMembers(ctx context.Context, o Organization) (MemberList, error) {
	ms, err := a.st.ListMembers(ctx, o.ID)
	if err != nil {
		return MemberList{}, dbError(err)
	}
	var out MemberList
	out.Members = make([]MemberView, 0, len(ms))
	for _, m := range ms {
		u, err := a.st.GetUser(ctx, m.UserID)
		if err != nil {
			return MemberList{}, dbError(err)
		}
		out.Members = append(out.Members, MemberView{UserID: u.ID, Email: u.Email, Name: u.Name, Role: m.Role,
			Status: memberStatus(m), JoinedAt: m.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	}
	out.Total = len(ms)
	out.Limit.Current, out.Limit.Max = len(ms), a.LimitsOf(o).MaxMembers
	return out, nil
}

// SetMemberRole changes a member's role (owners only). Demoting the last
// owner is refused with CONFLICT.
func (a *Authos) SetMemberRole(ctx context.Context, actorID string, o Organization, userID, role string) error {
	if _, ok := roleRank[role]; !ok {
		return NewError(CodeBadRequest, "role must be owner, admin or member")
	}
	return a.changeMembers(ctx, o, func(tx store.Tx, ms []Membership) error {
		m, ok := findMember(ms, userID)
		if !ok {
			return NewError(CodeNotFound, "Member not found")
		}
		if m.Role == store.RoleOwner && role != store.RoleOwner && countRole(ms, store.RoleOwner) == 1 {
			return NewError(CodeConflict, "The last owner cannot be demoted; transfer ownership first")
		}
		if err := tx.SetMemberRole(ctx, o.ID, userID, role); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.MemberRoleChanged, OrgID: o.ID, ActorID: actorID, TargetID: userID,
			Data: map[string]any{"from": m.Role, "to": role}})
	})
}

// RemoveMember removes userID from the organization on behalf of actor
// (whose membership is actorRole): admins remove members only; owners
// remove anyone; nobody removes the last owner. A member leaving is
// RemoveMember of themselves.
func (a *Authos) RemoveMember(ctx context.Context, actorID, actorRole string, o Organization, userID string) error {
	return a.changeMembers(ctx, o, func(tx store.Tx, ms []Membership) error {
		m, ok := findMember(ms, userID)
		if !ok {
			return NewError(CodeNotFound, "Member not found")
		}
		if actorID != userID && (actorRole == store.RoleMember || actorRole == store.RoleAdmin && m.Role != store.RoleMember) {
			return NewError(CodeForbidden, "Admins may remove members only")
		}
		if m.Role == store.RoleOwner && countRole(ms, store.RoleOwner) == 1 {
			return NewError(CodeConflict, "The last owner cannot leave or be removed; transfer ownership first")
		}
		if err := tx.RemoveMember(ctx, o.ID, userID); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.MemberRemoved, OrgID: o.ID, ActorID: actorID, TargetID: userID})
	})
}

// TransferOwnership makes userID an owner and the actor an admin, in one
// transaction.
func (a *Authos) TransferOwnership(ctx context.Context, actorID string, o Organization, userID string) error {
	if userID == actorID {
		return NewError(CodeBadRequest, "You already own this organization")
	}
	return a.changeMembers(ctx, o, func(tx store.Tx, ms []Membership) error {
		if _, ok := findMember(ms, userID); !ok {
			return NewError(CodeNotFound, "Member not found")
		}
		if err := tx.SetMemberRole(ctx, o.ID, userID, store.RoleOwner); err != nil {
			return err
		}
		if err := tx.SetMemberRole(ctx, o.ID, actorID, store.RoleAdmin); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.MemberRoleChanged, OrgID: o.ID, ActorID: actorID, TargetID: userID,
			Data: map[string]any{"transfer_ownership": true}})
	})
}

// changeMembers runs fn in a transaction with the current memberships.
func (a *Authos) changeMembers(ctx context.Context, o Organization, fn func(store.Tx, []Membership) error) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		ms, err := tx.ListMembers(ctx, o.ID)
		if err != nil {
			return err
		}
		return fn(tx, ms)
	}))
}

func findMember(ms []Membership, userID string) (Membership, bool) {
	i := slices.IndexFunc(ms, func(m Membership) bool { return m.UserID == userID })
	if i < 0 {
		return Membership{}, false
	}
	return ms[i], true
}

func countRole(ms []Membership, role string) int {
	n := 0
	for _, m := range ms {
		if m.Role == role {
			n++
		}
	}
	return n
}
