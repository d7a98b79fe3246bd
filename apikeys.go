package authos

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// APIKey is an organization's API key (the store's shape).
type APIKey = store.APIKey

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "ak_"

// API key scopes of the core; domain packages add theirs.
var apiKeyScopes = []string{
	"organization:read", "organization:write", "members:read", "members:write",
	"invitations:read", "invitations:write", "services:read", "services:write",
	"api_keys:read", "api_keys:write",
}

// APIKeyScopes lists the scopes an API key may carry.
func APIKeyScopes() []string { return slices.Clone(apiKeyScopes) }

// APIKeyInput creates an API key.
type APIKeyInput struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes,omitempty"`
	Service   string     `json:"service,omitempty"` // slug; binds the key to one service
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// APIKeyView is an API key as clients see it (never the secret).
type APIKeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	ServiceID  string     `json:"service_id,omitempty"`
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

func apiKeyView(k APIKey) APIKeyView {
	return APIKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: slices.Clone(k.Scopes), ServiceID: k.ServiceID,
		CreatedAt: k.CreatedAt, ExpiresAt: timePtr(k.ExpiresAt), RevokedAt: timePtr(k.RevokedAt), LastUsedAt: timePtr(k.LastUsedAt)}
}

// CreateAPIKey creates a key for an active organization and returns it once
// ("ak_<prefix>_<secret>"; only its hash is stored). Without scopes the key
// gets every :read scope. ORGANIZATION_NOT_ACTIVE, BAD_REQUEST, NOT_FOUND (service).
func (a *Authos) CreateAPIKey(ctx context.Context, actorID string, o Organization, in APIKeyInput) (APIKeyView, string, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 100 {
		return APIKeyView{}, "", NewError(CodeBadRequest, "name is required (at most 100 characters)")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		for _, s := range apiKeyScopes {
			if strings.HasSuffix(s, ":read") {
				scopes = append(scopes, s)
			}
		}
	}
	for _, s := range scopes {
		if !slices.Contains(apiKeyScopes, s) {
			return APIKeyView{}, "", NewError(CodeBadRequest, "Unknown scope "+s)
		}
	}
	now := a.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return APIKeyView{}, "", NewError(CodeBadRequest, "expires_at must be in the future")
	}
	prefix := strings.ToLower(randx.Token(9))
	prefix = strings.NewReplacer("_", "x", "-", "y").Replace(prefix)
	key := APIKeyPrefix + prefix + "_" + randx.Token(32)
	k := APIKey{ID: randx.ID(), OrgID: o.ID, Name: name, Prefix: prefix, SecretHash: hashx.SHA256Hex(key),
		Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), CreatedBy: actorID, CreatedAt: now}
	if in.ExpiresAt != nil {
		k.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		if _, err := activeOrgInTx(ctx, tx, o.ID); err != nil {
			return err
		}
		if in.Service != "" {
			s, err := tx.GetServiceBySlug(ctx, o.ID, in.Service)
			if errors.Is(err, store.ErrNotFound) {
				return NewError(CodeNotFound, "Service not found")
			}
			if err != nil {
				return err
			}
			k.ServiceID = s.ID
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: EventAPIKeyCreated, OrgID: o.ID, ActorID: actorID, TargetID: k.ID,
			Data: map[string]any{"name": k.Name, "scopes": k.Scopes}})
	})
	if err != nil {
		return APIKeyView{}, "", dbError(err)
	}
	return apiKeyView(k), key, nil
}

// ListAPIKeys returns the organization's keys.
func (a *Authos) ListAPIKeys(ctx context.Context, o Organization) ([]APIKeyView, error) {
	ks, err := a.st.ListAPIKeys(ctx, o.ID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]APIKeyView, 0, len(ks))
	for _, k := range ks {
		out = append(out, apiKeyView(k))
	}
	return out, nil
}

// RevokeAPIKey revokes one of the organization's keys. NOT_FOUND.
func (a *Authos) RevokeAPIKey(ctx context.Context, actorID string, o Organization, id string) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		k, err := tx.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && k.OrgID != o.ID {
			return NewError(CodeNotFound, "API key not found")
		}
		if err != nil {
			return err
		}
		if err := tx.RevokeAPIKey(ctx, id, a.now()); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: EventAPIKeyRevoked, OrgID: o.ID, ActorID: actorID, TargetID: id})
	}))
}

// apiKeyFromRequest returns the API key of X-API-Key or "Bearer ak_...".
func apiKeyFromRequest(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if t := BearerToken(r); strings.HasPrefix(t, APIKeyPrefix) {
		return t
	}
	return ""
}

// AuthenticateAPIKey checks a key and returns its principal: the
// organization must be active (ORGANIZATION_NOT_ACTIVE); unknown, revoked or
// expired keys give UNAUTHORIZED. last_used_at is written at most once per
// Config.APIKeyTouchInterval.
func (a *Authos) AuthenticateAPIKey(ctx context.Context, key string) (*Principal, error) {
	bad := NewError(CodeUnauthorized, "Invalid API key")
	rest, ok := strings.CutPrefix(key, APIKeyPrefix)
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
	p := &Principal{Kind: PrincipalAPIKey, Org: o.ID, Scopes: slices.Clone(k.Scopes), TokenID: k.ID}
	if k.ServiceID != "" {
		p.Service = k.ServiceID
	}
	return p, nil
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
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
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
// against the store (NOT_ORGANIZATION_MEMBER, FORBIDDEN) and puts the
// organization in the context (OrgFrom).
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
