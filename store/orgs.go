package store

import (
	"context"
	"time"
)

// Organization statuses.
const (
	OrgPending   = "pending"
	OrgActive    = "active"
	OrgRejected  = "rejected"
	OrgSuspended = "suspended"
)

// Organization is a tenant.
type Organization struct {
	ID     string
	Slug   string // lower-case, unique
	Name   string
	Status string // OrgPending, OrgActive, OrgRejected, OrgSuspended
	Tier   string
	// MaxServices and MaxMembers override the tier's limits: 0 means no
	// override, -1 unlimited, n > 0 the limit.
	MaxServices int
	MaxMembers  int
	// StatusReason is the reason given with the last rejection or suspension.
	StatusReason         string
	StripeCustomerID     string
	StripeSubscriptionID string
	// BillingEventAt is the creation time of the last billing event that
	// moved the tier; an older event must not overwrite it. Zero: none yet.
	BillingEventAt time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// OrgFilter selects organizations for ListOrgs.
type OrgFilter struct {
	Status string // empty: any
	Limit  int    // 0: no limit
	Offset int
}

// Membership roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Membership statuses.
const (
	MemberActive    = "active"
	MemberSuspended = "suspended" // e.g. deprovisioned by the organization's directory (SCIM)
)

// Membership is a user's role in an organization.
type Membership struct {
	OrgID     string
	UserID    string
	Role      string // RoleOwner, RoleAdmin, RoleMember
	Status    string // MemberActive (AddMember stores "" as MemberActive) or MemberSuspended
	CreatedAt time.Time
}

// UserOrg is one of a user's organizations with the user's role.
type UserOrg struct {
	Org  Organization
	Role string
}

// OrgStore keeps organizations and memberships.
type OrgStore interface {
	// CreateOrg inserts o. ErrConflict when the id or the slug exists.
	CreateOrg(ctx context.Context, o Organization) error
	// GetOrg returns the organization with id, or ErrNotFound.
	GetOrg(ctx context.Context, id string) (Organization, error)
	// GetOrgBySlug returns the organization with slug, or ErrNotFound.
	GetOrgBySlug(ctx context.Context, slug string) (Organization, error)
	// UpdateOrg replaces every field of o.ID but CreatedAt. ErrNotFound,
	// ErrConflict (slug taken).
	UpdateOrg(ctx context.Context, o Organization) error
	// DeleteOrg removes the organization with its memberships, invitations,
	// services and API keys. ErrNotFound when absent.
	DeleteOrg(ctx context.Context, id string) error
	// ListOrgs returns matching organizations, oldest first (ties by id),
	// and the number matching before Limit/Offset.
	ListOrgs(ctx context.Context, f OrgFilter) ([]Organization, int, error)

	// AddMember inserts m. ErrConflict when the user is already a member.
	AddMember(ctx context.Context, m Membership) error
	// GetMember returns the membership, or ErrNotFound.
	GetMember(ctx context.Context, orgID, userID string) (Membership, error)
	// ListMembers returns the org's memberships, oldest first (ties by user id).
	ListMembers(ctx context.Context, orgID string) ([]Membership, error)
	// CountMembers returns the number of members of the org.
	CountMembers(ctx context.Context, orgID string) (int, error)
	// SetMemberRole changes a member's role. ErrNotFound when not a member.
	SetMemberRole(ctx context.Context, orgID, userID, role string) error
	// SetMemberStatus changes a member's status (MemberActive,
	// MemberSuspended). ErrNotFound when not a member.
	SetMemberStatus(ctx context.Context, orgID, userID, status string) error
	// RemoveMember deletes a membership (and what a capability keeps about
	// it, such as its SCIM resource). ErrNotFound when not a member.
	RemoveMember(ctx context.Context, orgID, userID string) error
	// ListUserOrgs returns the user's organizations with roles, oldest
	// membership first.
	ListUserOrgs(ctx context.Context, userID string) ([]UserOrg, error)
}

// Invitation statuses.
const (
	InvitationPending   = "pending"
	InvitationAccepted  = "accepted"
	InvitationDeclined  = "declined"
	InvitationCancelled = "cancelled"
)

// Invitation invites an email address into an organization.
type Invitation struct {
	ID        string
	OrgID     string
	Email     string // as entered; matched case-insensitively
	Role      string // RoleAdmin or RoleMember
	TokenHash string // hex SHA-256 of the token; unique
	InvitedBy string // user id
	Status    string // Invitation*
	CreatedAt time.Time
	ExpiresAt time.Time
	// RespondedAt is when it was accepted, declined or cancelled.
	RespondedAt time.Time
}

// InvitationStore keeps invitations.
type InvitationStore interface {
	// CreateInvitation inserts inv. ErrConflict when the id or token hash exists.
	CreateInvitation(ctx context.Context, inv Invitation) error
	// GetInvitation returns the invitation with id, or ErrNotFound.
	GetInvitation(ctx context.Context, id string) (Invitation, error)
	// GetInvitationByToken returns the invitation with tokenHash, or ErrNotFound.
	GetInvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	// ListOrgInvitations returns the org's invitations, newest first (ties by id).
	ListOrgInvitations(ctx context.Context, orgID string) ([]Invitation, error)
	// ListEmailInvitations returns the pending invitations for email
	// (case-insensitive) that have not expired at now, newest first.
	ListEmailInvitations(ctx context.Context, email string, now time.Time) ([]Invitation, error)
	// RespondInvitation atomically moves a pending invitation to status at
	// now. ErrNotFound when absent; ErrUsed when it is no longer pending.
	// Under concurrent calls exactly one succeeds.
	RespondInvitation(ctx context.Context, id, status string, now time.Time) error
}

// Service is an organization's application (an OAuth client).
type Service struct {
	ID                  string
	OrgID               string
	Slug                string // unique within the org
	Name                string
	Type                string // web, mobile, desktop, api
	RedirectURIs        []string
	DeviceActivationURI string
	// PostLogoutRedirectURIs are where RP-initiated logout may send the
	// browser back to (exact match).
	PostLogoutRedirectURIs []string
	// MembersOnly admits only members of the organization to sign in.
	MembersOnly      bool
	ClientID         string // public; unique
	ClientSecretHash string // hex SHA-256 of the secret; empty for public clients
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ServiceStore keeps services.
type ServiceStore interface {
	// CreateService inserts s. ErrConflict when the id, the (org, slug) or
	// the client id exists.
	CreateService(ctx context.Context, s Service) error
	// GetService returns the service with id, or ErrNotFound.
	GetService(ctx context.Context, id string) (Service, error)
	// GetServiceBySlug returns the org's service with slug, or ErrNotFound.
	GetServiceBySlug(ctx context.Context, orgID, slug string) (Service, error)
	// GetServiceByClientID returns the service with clientID, or ErrNotFound.
	GetServiceByClientID(ctx context.Context, clientID string) (Service, error)
	// ListServices returns the org's services, oldest first (ties by id).
	ListServices(ctx context.Context, orgID string) ([]Service, error)
	// CountServices returns the number of the org's services.
	CountServices(ctx context.Context, orgID string) (int, error)
	// UpdateService replaces every field of s.ID but OrgID and CreatedAt.
	// ErrNotFound, ErrConflict (slug taken in the org).
	UpdateService(ctx context.Context, s Service) error
	// DeleteService removes the service (and the API keys bound to it).
	// ErrNotFound when absent.
	DeleteService(ctx context.Context, id string) error
}

// APIKey is an organization-scoped secret for server-to-server calls.
type APIKey struct {
	ID         string
	OrgID      string
	ServiceID  string // optional: bound to one service
	Name       string
	Prefix     string // public lookup part; unique
	SecretHash string // hex SHA-256 of the whole key
	Scopes     []string
	// CreatedBy is the user who made the key (for a key made by another
	// key, that key's creator). Empty only in rows from before it was
	// always recorded: such keys have no creator and authos refuses them.
	CreatedBy string
	// Role is the role CreatedBy held in OrgID when the key was made: the
	// most the key may ever do. Empty in rows from before it was recorded.
	Role string
	// CreatorRole is read, never written: CreatedBy's current role in OrgID,
	// joined by the same query that loads the key (GetAPIKey,
	// GetAPIKeyByPrefix, ListAPIKeys); empty when CreatedBy is empty, not a
	// member, or a suspended member. CreateAPIKey ignores it.
	CreatorRole string
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never
	RevokedAt   time.Time // zero while valid
	LastUsedAt  time.Time
}

// APIKeyStore keeps API keys.
type APIKeyStore interface {
	// CreateAPIKey inserts k. ErrConflict when the id or prefix exists.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKey returns the key with id, or ErrNotFound. Like every read of
	// keys, it fills CreatorRole from the creator's membership in the same
	// query.
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// GetAPIKeyByPrefix returns the key with prefix (revoked or not), or
	// ErrNotFound, with CreatorRole as of this read.
	GetAPIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	// ListAPIKeys returns the org's keys, newest first (ties by id).
	ListAPIKeys(ctx context.Context, orgID string) ([]APIKey, error)
	// RevokeAPIKey sets RevokedAt if unset. ErrNotFound when absent.
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	// TouchAPIKey sets LastUsedAt=now only when it is zero or older than
	// now-minInterval, and reports whether it wrote. ErrNotFound when absent.
	TouchAPIKey(ctx context.Context, id string, now time.Time, minInterval time.Duration) (bool, error)
}

// ProcessedEventStore remembers inbound events (e.g. Stripe webhooks) for
// idempotency.
type ProcessedEventStore interface {
	// MarkEventProcessed records (source, id) at now. ErrConflict when it
	// was recorded before: the caller must not apply the event again.
	MarkEventProcessed(ctx context.Context, source, id string, now time.Time) error
}
