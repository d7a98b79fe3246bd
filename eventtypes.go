package authos

import (
	"cmp"
	"context"
	"slices"

	"github.com/authos/authos/event"
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
	// Scope is event.ScopeOrganization or event.ScopeUser.
	Scope string `json:"scope"`
	// Example is an example of Event.Data for this type (nil: no data).
	Example map[string]any `json:"example,omitempty"`
}

// coreEventTypes is the catalog of the events package authos emits.
var coreEventTypes = []EventType{
	{Type: event.UserSignup, Description: "An account was registered (its address not yet verified), or created at start-up for the platform owner.",
		Scope: event.ScopeUser, Example: map[string]any{"email": "ada@example.com", "replaced_pending": false}},
	{Type: event.UserEmailVerified, Description: "An account's email address was verified.", Scope: event.ScopeUser},
	{Type: event.UserLogin, Description: "A session was started (password, MFA, device or social sign-in).",
		Scope: event.ScopeUser, Example: map[string]any{"session_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9", "amr": []any{"pwd"}, "ip": "203.0.113.7"}},
	{Type: event.UserLoginFailed, Description: "A wrong password was given for an account.",
		Scope: event.ScopeUser, Example: map[string]any{"ip": "203.0.113.7"}},
	{Type: event.UserLocked, Description: "Too many wrong passwords locked an account, for one client address or for every address.",
		Scope: event.ScopeUser, Example: map[string]any{"scope": "address", "ip": "203.0.113.7", "locked_until": "2026-01-15T10:45:00Z"}},
	{Type: event.UserPasswordChanged, Description: "A user changed their password; their other sessions were revoked.", Scope: event.ScopeUser},
	{Type: event.UserPasswordReset, Description: "A password was reset through an emailed link; every session of the account was revoked.",
		Scope: event.ScopeUser, Example: map[string]any{"sessions_revoked": 2}},
	{Type: event.UserUpdated, Description: "An account's profile changed.", Scope: event.ScopeUser},
	{Type: event.UserDeleted, Description: "An account was deleted (for example removed from the directory of its only organization).",
		Scope: event.ScopeOrganization, Example: map[string]any{"email": "ada@example.com", "reason": "directory_removed"}},
	{Type: event.SessionRevoked, Description: "A session was revoked (logout, a revocation by its user or a platform owner, or an organization suspending a member); target_id is the session.",
		Scope: event.ScopeOrganization},
	{Type: event.UserSessionsRevoked, Description: "A platform owner ended every session of an account (session.revoked follows for each); the account itself is unchanged.",
		Scope: event.ScopeUser, Example: map[string]any{"sessions_revoked": 2, "reason": "Stolen laptop"}},
	{Type: event.OrgCreated, Description: "An organization was created; its creator is its owner.",
		Scope: event.ScopeOrganization, Example: map[string]any{"slug": "acme", "status": "pending"}},
	{Type: event.OrgUpdated, Description: "An organization's name changed.", Scope: event.ScopeOrganization},
	{Type: event.OrgDeleted, Description: "An organization was deleted with its members, services and keys.",
		Scope: event.ScopeOrganization, Example: map[string]any{"slug": "acme"}},
	{Type: event.OrgApproved, Description: "A platform owner approved a pending organization.",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "pending", "to": "active", "reason": ""}},
	{Type: event.OrgRejected, Description: "A platform owner rejected a pending organization.",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "pending", "to": "rejected", "reason": "Incomplete details"}},
	{Type: event.OrgSuspended, Description: "A platform owner suspended an organization: its API keys and services stop working.",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "active", "to": "suspended", "reason": "Unpaid invoice"}},
	{Type: event.OrgActivated, Description: "A platform owner reactivated a suspended organization.",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "suspended", "to": "active", "reason": ""}},
	{Type: event.OrgTierChanged, Description: "An organization's tier changed (a platform owner or billing).",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "free", "to": "pro"}},
	{Type: event.MemberAdded, Description: "An account joined an organization (an accepted invitation or directory provisioning).",
		Scope: event.ScopeOrganization, Example: map[string]any{"role": "member", "invitation_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9"}},
	{Type: event.MemberRemoved, Description: "A member left or was removed from an organization.", Scope: event.ScopeOrganization},
	{Type: event.MemberRoleChanged, Description: "A member's role changed (by an owner, an ownership transfer or a directory group).",
		Scope: event.ScopeOrganization, Example: map[string]any{"from": "member", "to": "admin"}},
	{Type: event.MemberSuspended, Description: "A member was suspended in an organization; their sessions there were revoked.",
		Scope: event.ScopeOrganization, Example: map[string]any{"revoked_sessions": 1}},
	{Type: event.MemberRestored, Description: "A suspended member was restored.", Scope: event.ScopeOrganization},
	{Type: event.InvitationCreated, Description: "An invitation was sent.",
		Scope: event.ScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: event.InvitationAccepted, Description: "An invitation was accepted; member.added follows.",
		Scope: event.ScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: event.InvitationDeclined, Description: "An invitation was declined by the invited person.",
		Scope: event.ScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: event.InvitationCancelled, Description: "An administrator cancelled a pending invitation.",
		Scope: event.ScopeOrganization, Example: map[string]any{"email": "grace@example.com", "role": "member"}},
	{Type: event.ServiceCreated, Description: "A service (an application signing users in) was registered.",
		Scope: event.ScopeOrganization, Example: map[string]any{"slug": "dashboard", "client_id": "svc_4f7a2c9e1b"}},
	{Type: event.ServiceDeleted, Description: "A service was deleted with the API keys bound to it.", Scope: event.ScopeOrganization},
	{Type: event.ServiceSecretRotated, Description: "A confidential service's client secret was replaced; the old one stopped working.",
		Scope: event.ScopeOrganization, Example: map[string]any{"slug": "dashboard", "client_id": "svc_4f7a2c9e1b"}},
	{Type: event.APIKeyCreated, Description: "An API key was created.",
		Scope: event.ScopeOrganization, Example: map[string]any{"name": "CI", "scopes": []any{"members:read"}, "role": "admin"}},
	{Type: event.APIKeyRevoked, Description: "An API key was revoked.", Scope: event.ScopeOrganization},
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
		t.Scope = event.ScopeOrganization
	}
	return t
}

// registerEventTypes is Extension.RegisterEventTypes: adds a domain package's event types to the catalog
// (mfa, device, scim register theirs when built); a type registered again
// replaces the earlier entry. Types are dotted lower-case names such as
// "mfa.enabled"; an empty Version means 1 and an empty Scope
// event.ScopeOrganization.
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

// SubscribeEvents registers fn to receive every event from the outbox
// worker after commit, after Config.OnEvent, at least once: an error from
// any receiver retries the event for all of them, so receivers must be
// idempotent (Event.ID is stable).
func (a *Authos) SubscribeEvents(fn func(ctx context.Context, ev Event) error) {
	a.mu.Lock()
	a.events.subs = append(a.events.subs, fn)
	a.mu.Unlock()
}
