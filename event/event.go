// Package event names the events package authos emits: the Type of an
// authos.Event a host receives through Config.OnEvent or
// (*authos.Authos).SubscribeEvents, and the Scope of an authos.EventType
// in the event catalog.
//
//	a.SubscribeEvents(func(ctx context.Context, ev authos.Event) error {
//		if ev.Type == event.UserSignup {
//			// welcome ev.TargetID
//		}
//		return nil
//	})
//
// Domain packages (mfa, device, scim, webhook) name their own events;
// (*authos.Authos).EventTypes lists every type of an instance with its
// description.
package event

// Accounts and sessions.
const (
	UserSignup          = "user.signup"
	UserEmailVerified   = "user.email_verified"
	UserLogin           = "user.login"
	UserLoginFailed     = "user.login_failed"
	UserLocked          = "user.locked"
	UserPasswordChanged = "user.password_changed"
	UserPasswordReset   = "user.password_reset"
	UserUpdated         = "user.updated"
	SessionRevoked      = "session.revoked"
	// UserSessionsRevoked: a platform owner ended every session of a user.
	UserSessionsRevoked = "user.sessions_revoked"
	// UserDeleted: an account that only an organization's directory
	// vouched for was deleted.
	UserDeleted = "user.deleted"
)

// Organizations, their members, invitations, services and API keys.
const (
	OrgCreated           = "organization.created"
	OrgUpdated           = "organization.updated"
	OrgDeleted           = "organization.deleted"
	OrgTierChanged       = "organization.tier_changed"
	OrgApproved          = "organization.approved"
	OrgRejected          = "organization.rejected"
	OrgSuspended         = "organization.suspended"
	OrgActivated         = "organization.activated"
	MemberAdded          = "member.added"
	MemberRemoved        = "member.removed"
	MemberRoleChanged    = "member.role_changed"
	MemberSuspended      = "member.suspended" // by the organization's directory (package scim)
	MemberRestored       = "member.restored"
	InvitationCreated    = "invitation.created"
	InvitationAccepted   = "invitation.accepted"
	InvitationDeclined   = "invitation.declined"
	InvitationCancelled  = "invitation.cancelled"
	ServiceCreated       = "service.created"
	ServiceDeleted       = "service.deleted"
	ServiceSecretRotated = "service.secret_rotated"
	APIKeyCreated        = "api_key.created"
	APIKeyRevoked        = "api_key.revoked"
)

// Scopes of an event type (authos.EventType.Scope): whom an event concerns
// beyond the platform.
const (
	// ScopeOrganization: the event carries the organization it happened
	// in (Event.OrgID); events without one concern the platform only.
	ScopeOrganization = "organization"
	// ScopeUser: the event is about the account Event.TargetID; it
	// concerns each organization the account is a member of (or only
	// Event.OrgID when set).
	ScopeUser = "user"
)
