package authos

import (
	"cmp"
	"context"
	"slices"
)

// More event types emitted by the core (see also outbox.go, orgs.go and
// suspension.go).
const (
	EventOrgApproved          = "organization.approved"
	EventOrgRejected          = "organization.rejected"
	EventOrgSuspended         = "organization.suspended"
	EventOrgActivated         = "organization.activated"
	EventInvitationAccepted   = "invitation.accepted"
	EventInvitationDeclined   = "invitation.declined"
	EventInvitationCancelled  = "invitation.cancelled"
	EventServiceSecretRotated = "service.secret_rotated"
)

// Scopes of an event type: whom an event concerns beyond the platform.
const (
	// EventScopeOrganization: the event carries the organization it
	// happened in (Event.OrgID); events without one concern the platform
	// only.
	EventScopeOrganization = "organization"
	// EventScopeUser: the event is about the account Event.TargetID; it
	// concerns each organization the account is a member of (or only
	// Event.OrgID when set).
	EventScopeUser = "user"
)

// EventType describes one type of the event catalog: consumers (webhooks,
// audit export) learn from it what each event means and what its Data
// holds. The catalog is versioned per type: Version starts at 1 and grows
// when a field of Data changes meaning or is removed (adding a field does
// not change it).
type EventType struct {
	Type        string `json:"type"`
	Version     int    `json:"version"`
	Description string `json:"description"`
	// Scope is EventScopeOrganization or EventScopeUser.
	Scope string `json:"scope"`
	// Example is an example of Event.Data for this type (nil: no data).
	Example map[string]any `json:"example,omitempty"`
}

// coreEventTypes is the catalog of the events package authos emits.
var coreEventTypes = []EventType{
	{Type: EventUserSignup, Description: "An account was registered (its address not yet verified), or created at start-up for the platform owner.",
		Scope: EventScopeUser, Example: map[string]any{"email": "ada@example.com", "replaced_pending": false}},
	{Type: EventUserEmailVerified, Description: "An account's email address was verified.", Scope: EventScopeUser},
	{Type: EventUserLogin, Description: "A session was started (password, MFA, device or social sign-in).",
		Scope: EventScopeUser, Example: map[string]any{"session_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9", "amr": []any{"pwd"}, "ip": "203.0.113.7"}},
	{Type: EventUserLoginFailed, Description: "A wrong password was given for an account.",
		Scope: EventScopeUser, Example: map[string]any{"ip": "203.0.113.7"}},
	{Type: EventUserLocked, Description: "Too many wrong passwords locked an account, for one client address or for every address.",
		Scope: EventScopeUser, Example: map[string]any{"scope": "address", "ip": "203.0.113.7", "locked_until": "2026-01-15T10:45:00Z"}},
	{Type: EventUserPasswordChanged, Description: "A user changed their password; their other sessions were revoked.", Scope: EventScopeUser},
	{Type: EventUserPasswordReset, Description: "A password was reset through an emailed link; every session of the account was revoked.",
		Scope: EventScopeUser, Example: map[string]any{"sessions_revoked": 2}},
	{Type: EventUserUpdated, Description: "An account's profile changed.", Scope: EventScopeUser},
	{Type: EventUserDeleted, Description: "An account was deleted (for example removed from the directory of its only organization).",
		Scope: EventScopeOrganization, Example: map[string]any{"email": "ada@example.com", "reason": "directory_removed"}},
	{Type: EventSessionRevoked, Description: "A session was revoked (logout, a revocation by its user or a platform owner, or an organization suspending a member); target_id is the session.",
		Scope: EventScopeOrganization},
	{Type: EventUserSessionsRevoked, Description: "A platform owner ended every session of an account (session.revoked follows for each); the account itself is unchanged.",
		Scope: EventScopeUser, Example: map[string]any{"sessions_revoked": 2, "reason": "Stolen laptop"}},
	{Type: EventOrgCreated, Description: "An organization was created; its creator is its owner.",
		Scope: EventScopeOrganization, Example: map[string]any{"slug": "acme", "status": "pending"}},
	{Type: EventOrgUpdated, Description: "An organization's name changed.", Scope: EventScopeOrganization},
	{Type: EventOrgDeleted, Description: "An organization was deleted with its members, services and keys.",
		Scope: EventScopeOrganization, Example: map[string]any{"slug": "acme"}},
	{Type: EventOrgApproved, Description: "A platform owner approved a pending organization.",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "pending", "to": "active", "reason": ""}},
	{Type: EventOrgRejected, Description: "A platform owner rejected a pending organization.",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "pending", "to": "rejected", "reason": "Incomplete details"}},
	{Type: EventOrgSuspended, Description: "A platform owner suspended an organization: its API keys and services stop working.",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "active", "to": "suspended", "reason": "Unpaid invoice"}},
	{Type: EventOrgActivated, Description: "A platform owner reactivated a suspended organization.",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "suspended", "to": "active", "reason": ""}},
	{Type: EventOrgTierChanged, Description: "An organization's tier changed (a platform owner or billing).",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "free", "to": "pro"}},
	{Type: EventMemberAdded, Description: "An account joined an organization (an accepted invitation or directory provisioning).",
		Scope: EventScopeOrganization, Example: map[string]any{"role": "member", "invitation_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9"}},
	{Type: EventMemberRemoved, Description: "A member left or was removed from an organization.", Scope: EventScopeOrganization},
	{Type: EventMemberRoleChanged, Description: "A member's role changed (by an owner, an ownership transfer or a directory group).",
		Scope: EventScopeOrganization, Example: map[string]any{"from": "member", "to": "admin"}},
	{Type: EventMemberSuspended, Description: "A member was suspended in an organization; their sessions there were revoked.",
		Scope: EventScopeOrganization, Example: map[string]any{"revoked_sessions": 1}},
	{Type: EventMemberRestored, Description: "A suspended member was restored.", Scope: EventScopeOrganization},
	{Type: EventInvitationCreated, Description: "An invitation was sent.",
		Scope: EventScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: EventInvitationAccepted, Description: "An invitation was accepted; member.added follows.",
		Scope: EventScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: EventInvitationDeclined, Description: "An invitation was declined by the invited person.",
		Scope: EventScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: EventInvitationCancelled, Description: "An administrator cancelled a pending invitation.",
		Scope: EventScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: EventServiceCreated, Description: "A service (an application signing users in) was registered.",
		Scope: EventScopeOrganization, Example: map[string]any{"slug": "dashboard", "client_id": "svc_4f7a2c9e1b"}},
	{Type: EventServiceDeleted, Description: "A service was deleted with the API keys bound to it.", Scope: EventScopeOrganization},
	{Type: EventServiceSecretRotated, Description: "A confidential service's client secret was replaced; the old one stopped working.",
		Scope: EventScopeOrganization, Example: map[string]any{"slug": "dashboard", "client_id": "svc_4f7a2c9e1b"}},
	{Type: EventAPIKeyCreated, Description: "An API key was created.",
		Scope: EventScopeOrganization, Example: map[string]any{"name": "CI", "scopes": []any{"members:read"}, "role": "admin"}},
	{Type: EventAPIKeyRevoked, Description: "An API key was revoked.", Scope: EventScopeOrganization},
}

// eventRegistry holds the event catalog: the core's types and those the
// domain packages register.
type eventRegistry struct {
	types map[string]EventType
	subs  []func(ctx context.Context, ev Event) error
}

func (a *Authos) initEventTypes() {
	a.events.types = make(map[string]EventType, len(coreEventTypes))
	for _, t := range coreEventTypes {
		a.events.types[t.Type] = withVersion(t)
	}
}

func withVersion(t EventType) EventType {
	if t.Version == 0 {
		t.Version = 1
	}
	if t.Scope == "" {
		t.Scope = EventScopeOrganization
	}
	return t
}

// registerEventTypes is Extension.RegisterEventTypes: adds a domain package's event types to the catalog
// (mfa, device, scim register theirs when built); a type registered again
// replaces the earlier entry. Types are dotted lower-case names such as
// "mfa.enabled"; an empty Version means 1 and an empty Scope
// EventScopeOrganization.
func (a *Authos) registerEventTypes(ts ...EventType) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range ts {
		a.events.types[t.Type] = withVersion(t)
	}
}

// EventTypes returns the event catalog ordered by type.
func (a *Authos) EventTypes() []EventType {
	a.mu.RLock()
	out := make([]EventType, 0, len(a.events.types))
	for _, t := range a.events.types {
		out = append(out, t)
	}
	a.mu.RUnlock()
	slices.SortFunc(out, func(x, y EventType) int { return cmp.Compare(x.Type, y.Type) })
	return out
}

// LookupEventType returns the catalog entry of typ.
func (a *Authos) LookupEventType(typ string) (EventType, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	t, ok := a.events.types[typ]
	return t, ok
}

// SubscribeEvents registers fn to receive every event from the outbox
// worker after commit, after Config.OnEvent, at least once: an error from
// any receiver retries the event for all of them, so receivers must be
// idempotent (Event.ID is stable).
func (a *Authos) SubscribeEvents(fn func(ctx context.Context, ev Event) error) {
	a.mu.Lock()
	a.events.subs = append(a.events.subs, fn)
	a.mu.Unlock()
}
