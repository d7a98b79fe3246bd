package authos

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// apiKeyPrefix starts every API key.
const apiKeyPrefix = "ak_"

// API key scopes of the core; domain packages add theirs.
var apiKeyScopes = []string{
	"organization:read", "organization:write", "members:read", "members:write",
	"invitations:read", "invitations:write", "services:read", "services:write",
	"api_keys:read", "api_keys:write",
	// Package webhook's routes.
	"webhooks:read", "webhooks:write",
}

// APIKeyInput creates an API key.
type APIKeyInput struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes,omitempty"`
	Service   string     `json:"service,omitempty"` // slug; binds the key to one service
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// APIKeyView is an API key as clients see it (never the secret).
type APIKeyView struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Prefix    string   `json:"prefix"`
	Scopes    []string `json:"scopes"`
	ServiceID string   `json:"service_id,omitempty"`
	// CreatedBy is the user the key acts for; Role the most it may do (its
	// creator's role when it was made). Both are empty in keys from before
	// they were recorded: such a key has no creator and is refused.
	CreatedBy  string     `json:"created_by,omitempty"`
	Role       string     `json:"role,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func apiKeyView(k store.APIKey) APIKeyView {
	return APIKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: slices.Clone(k.Scopes), ServiceID: k.ServiceID,
		CreatedBy: k.CreatedBy, Role: k.Role, CreatedAt: k.CreatedAt, ExpiresAt: timePtr(k.ExpiresAt),
		RevokedAt: timePtr(k.RevokedAt), LastUsedAt: timePtr(k.LastUsedAt)}
}

// apiKeyRole is the role key k acts with: the lower of its creator's role
// when it was made (admin for keys from before that was recorded) and its
// creator's current role, read with the key. It is "" (the key is refused)
// when the key has no creator or the creator is no longer an admin or owner
// of the organization.
func apiKeyRole(k store.APIKey) string {
	ceiling := k.Role
	if ceiling == "" {
		ceiling = store.RoleAdmin
	}
	role := ceiling
	if roleRank[k.CreatorRole] < roleRank[role] {
		role = k.CreatorRole
	}
	if k.CreatedBy == "" || roleRank[role] < roleRank[store.RoleAdmin] {
		return ""
	}
	return role
}

// keyService is the service an API key principal is bound to ("" for
// access tokens and organization-wide keys): routes confine such a key to
// its own service.
func keyService(p *Principal) string {
	if p == nil || p.Kind != PrincipalAPIKey {
		return ""
	}
	return p.Service
}

// CreateAPIKey creates a key for an active organization on behalf of p and
// returns it once ("ak_<prefix>_<secret>"; only its hash is stored). p is an
// access token's user or one of the organization's API keys; a key never
// grants more than its creator could do when it was made and still can:
//
//   - it records its creator (p's user, or the creating key's creator), who
//     must be an admin or owner of o, and acts with at most that user's
//     role (for a key made by a key, at most that key's role); it stops
//     working once the creator leaves o, is suspended or drops below admin;
//   - a key made by a key holds only scopes the creating key holds (without
//     scopes: the creating key's :read scopes; a user's key without scopes
//     gets every :read scope), is bound to the creating key's service when
//     that key is bound, and expires no later than the creating key.
//
// ORGANIZATION_NOT_ACTIVE, BAD_REQUEST, NOT_FOUND (service), FORBIDDEN.
func (a *Authos) CreateAPIKey(ctx context.Context, p *Principal, o Organization, in APIKeyInput) (APIKeyView, string, error) {
	if p == nil {
		return APIKeyView{}, "", NewError(CodeUnauthorized, "Authentication required")
	}
	byKey := p.Kind == PrincipalAPIKey
	creator := p.UserID
	if byKey {
		if p.Org != o.ID {
			return APIKeyView{}, "", NewError(CodeForbidden, "This API key belongs to another organization")
		}
		creator = p.KeyCreatedBy
	}
	if creator == "" {
		return APIKeyView{}, "", NewError(CodeForbidden, "An API key is created by a user of the organization")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 100 {
		return APIKeyView{}, "", NewError(CodeBadRequest, "name is required (at most 100 characters)")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		for _, s := range apiKeyScopes {
			if strings.HasSuffix(s, ":read") && (!byKey || slices.Contains(p.Scopes, s)) {
				scopes = append(scopes, s)
			}
		}
		if len(scopes) == 0 {
			return APIKeyView{}, "", NewError(CodeBadRequest, "scopes are required: the creating API key holds no :read scope")
		}
	}
	for _, s := range scopes {
		if !slices.Contains(apiKeyScopes, s) {
			return APIKeyView{}, "", NewError(CodeBadRequest, "Unknown scope "+s)
		}
		if byKey && !slices.Contains(p.Scopes, s) {
			return APIKeyView{}, "", NewError(CodeForbidden, "An API key cannot grant the "+s+" scope, which it does not hold")
		}
	}
	now := a.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return APIKeyView{}, "", NewError(CodeBadRequest, "expires_at must be in the future")
	}
	prefix := strings.ToLower(randx.Token(9))
	prefix = strings.NewReplacer("_", "x", "-", "y").Replace(prefix)
	key := apiKeyPrefix + prefix + "_" + randx.Token(32)
	k := store.APIKey{ID: randx.ID(), OrgID: o.ID, Name: name, Prefix: prefix, SecretHash: hashx.SHA256Hex(key),
		Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), CreatedBy: creator, CreatedAt: now}
	if in.ExpiresAt != nil {
		k.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	if byKey && !p.ExpiresAt.IsZero() {
		if k.ExpiresAt.IsZero() {
			k.ExpiresAt = p.ExpiresAt
		} else if k.ExpiresAt.After(p.ExpiresAt) {
			return APIKeyView{}, "", NewError(CodeForbidden, "expires_at must not be later than the creating API key's expiry")
		}
	}
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		if _, err := activeOrgInTx(ctx, tx, o.ID); err != nil {
			return err
		}
		m, err := tx.GetMember(ctx, o.ID, creator)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err != nil || m.Status == store.MemberSuspended || roleRank[m.Role] < roleRank[store.RoleAdmin] {
			return NewError(CodeForbidden, "API keys are created by the organization's admins and owners")
		}
		k.Role = m.Role
		if byKey && roleRank[p.KeyRole] < roleRank[k.Role] {
			k.Role = p.KeyRole
		}
		bound := keyService(p)
		switch {
		case in.Service != "":
			s, err := serviceInScope(ctx, tx, o.ID, in.Service, bound)
			if err != nil {
				return err
			}
			k.ServiceID = s.ID
		case bound != "":
			k.ServiceID = bound
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		data := map[string]any{"name": k.Name, "scopes": k.Scopes, "role": k.Role}
		if byKey {
			data["created_by_api_key"] = p.TokenID
		}
		return a.emit(ctx, tx, Event{Type: event.APIKeyCreated, OrgID: o.ID, ActorID: creator, TargetID: k.ID, Data: data})
	})
	if err != nil {
		return APIKeyView{}, "", dbError(err)
	}
	return apiKeyView(k), key, nil
}

// ListAPIKeys returns the organization's keys.
func (a *Authos) ListAPIKeys(ctx context.Context, o Organization) ([]APIKeyView, error) {
	return a.listAPIKeys(ctx, o, "")
}

// listAPIKeys returns the organization's keys; only, when set, keeps the
// keys bound to that service.
func (a *Authos) listAPIKeys(ctx context.Context, o Organization, only string) ([]APIKeyView, error) {
	ks, err := a.st.ListAPIKeys(ctx, o.ID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]APIKeyView, 0, len(ks))
	for _, k := range ks {
		if only == "" || k.ServiceID == only {
			out = append(out, apiKeyView(k))
		}
	}
	return out, nil
}

// RevokeAPIKey revokes one of the organization's keys. NOT_FOUND.
func (a *Authos) RevokeAPIKey(ctx context.Context, actorID string, o Organization, id string) error {
	return a.revokeAPIKey(ctx, actorID, o, id, "")
}

// revokeAPIKey revokes a key of o; only, when set, limits it to the keys
// bound to that service (others are NOT_FOUND).
func (a *Authos) revokeAPIKey(ctx context.Context, actorID string, o Organization, id, only string) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		k, err := tx.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && (k.OrgID != o.ID || only != "" && k.ServiceID != only) {
			return NewError(CodeNotFound, "API key not found")
		}
		if err != nil {
			return err
		}
		if err := tx.RevokeAPIKey(ctx, id, a.now()); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.APIKeyRevoked, OrgID: o.ID, ActorID: actorID, TargetID: id})
	}))
}

// apiKeyFromRequest returns the API key of X-API-Key or "Bearer ak_...".
func apiKeyFromRequest(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if t := httpx.BearerToken(r); strings.HasPrefix(t, apiKeyPrefix) {
		return t
	}
	return ""
}

// AuthenticateAPIKey checks a key and returns its principal: the
// organization must be active (ORGANIZATION_NOT_ACTIVE); unknown, revoked or
// expired keys, and keys whose creator is no longer an admin or owner of the
// organization (read with the key, in one query), give UNAUTHORIZED. The
// principal carries the key's scopes, its service and the role it acts
// with (KeyRole). last_used_at is written at most once per
// Config.APIKeyTouchInterval.
func (a *Authos) AuthenticateAPIKey(ctx context.Context, key string) (*Principal, error) {
	bad := NewError(CodeUnauthorized, "Invalid API key")
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok || len(key) > 256 {
		return nil, bad
	}
	prefix, _, ok := strings.Cut(rest, "_")
	if !ok || prefix == "" {
		return nil, bad
	}
	k, err := a.st.GetAPIKeyByPrefix(ctx, prefix)
	if errors.Is(err, store.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, dbError(err)
	}
	now := a.now()
	if subtle.ConstantTimeCompare([]byte(hashx.SHA256Hex(key)), []byte(k.SecretHash)) != 1 ||
		!k.RevokedAt.IsZero() || !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return nil, bad
	}
	role := apiKeyRole(k)
	if role == "" {
		return nil, NewError(CodeUnauthorized, "API key is no longer valid: its creator is not an admin of the organization")
	}
	o, err := a.st.GetOrg(ctx, k.OrgID)
	if err != nil {
		return nil, dbError(err)
	}
	if err := requireActive(o); err != nil {
		return nil, err
	}
	// The key row just read tells whether a write is due; TouchAPIKey's own
	// condition keeps concurrent requests to one write per interval.
	if now.Sub(k.LastUsedAt) > a.cfg.APIKeyTouchInterval {
		if _, err := a.st.TouchAPIKey(ctx, k.ID, now, a.cfg.APIKeyTouchInterval); err != nil {
			a.log.Warn("authos: recording API key use", "error", err)
		}
	}
	return &Principal{Kind: PrincipalAPIKey, Org: o.ID, Service: k.ServiceID, Scopes: slices.Clone(k.Scopes),
		TokenID: k.ID, ExpiresAt: k.ExpiresAt, KeyCreatedBy: k.CreatedBy, KeyRole: role}, nil
}

// HasScope reports whether p may use scope: access tokens act with their
// user's role (checked separately), API keys only within their scopes.
func (p *Principal) HasScope(scope string) bool {
	return p.Kind != PrincipalAPIKey || slices.Contains(p.Scopes, scope)
}

// RequireAuthOrAPIKey is RequireAuth that also accepts an API key (X-API-Key
// or "Authorization: Bearer ak_...").
func (a *Authos) RequireAuthOrAPIKey(next http.Handler) http.Handler {
	jwt := a.RequireAuth(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := apiKeyFromRequest(r)
		if key == "" {
			jwt.ServeHTTP(w, r)
			return
		}
		p, err := a.AuthenticateAPIKey(r.Context(), key)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), p)))
	})
}

// RequireScope is middleware (after RequireAuthOrAPIKey) refusing API keys
// without scope with FORBIDDEN; access tokens pass.
func (a *Authos) RequireScope(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := PrincipalFrom(r.Context())
			if p == nil || !p.HasScope(scope) {
				a.WriteError(w, r, NewError(CodeForbidden, "This API key lacks the "+scope+" scope"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type orgKey struct{}

// OrgFrom returns the organization that RequireOrgRole resolved, if any.
func OrgFrom(ctx context.Context) (Organization, Membership, bool) {
	v, ok := ctx.Value(orgKey{}).(orgAccess)
	return v.org, v.member, ok
}

type orgAccess struct {
	org    Organization
	member Membership
}

// RequireOrgRole is middleware for routes with an {org} path value: it
// authenticates (access token or API key), checks membership and role
// against the store (NOT_ORGANIZATION_MEMBER, FORBIDDEN; an API key acts
// with its creator's role, so an admin's key is refused where role is
// owner) and puts the organization in the context (OrgFrom).
func (a *Authos) RequireOrgRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return a.RequireAuthOrAPIKey(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, m, err := a.OrgAccess(r.Context(), PrincipalFrom(r.Context()), r.PathValue("org"), role)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), orgKey{}, orgAccess{o, m})))
		}))
	}
}

// RequireOrgMember is RequireOrgRole("member").
func (a *Authos) RequireOrgMember(next http.Handler) http.Handler {
	return a.RequireOrgRole(store.RoleMember)(next)
}
