package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Event types emitted (through the authos outbox, in the transaction of the
// change). The membership changes also emit the core's member.added,
// member.suspended, member.restored and member.removed.
const (
	EventUserProvisioned   = "scim.user.provisioned"
	EventUserDeprovisioned = "scim.user.deprovisioned"
)

// Audit-log actions of SCIM calls (actor "scim:<token id>").
const (
	AuditUserCreated  = "scim.user.created"
	AuditUserUpdated  = "scim.user.updated"
	AuditUserDeleted  = "scim.user.deleted"
	AuditGroupCreated = "scim.group.created"
	AuditGroupUpdated = "scim.group.updated"
	AuditGroupDeleted = "scim.group.deleted"
	AuditTokenCreated = "scim.token.created"
	AuditTokenRevoked = "scim.token.revoked"
)

// TokenPrefix starts every SCIM token.
const TokenPrefix = "scim_"

// Schema URIs.
const (
	userSchemaURI       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchemaURI      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseSchemaURI = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// Limits.
const (
	maxResults      = 200     // page size cap (and default)
	maxBodyBytes    = 1 << 20 // SCIM request bodies
	touchInterval   = time.Minute
	maxTokenNameLen = 100
)

// Config configures a Service. Every field is optional.
type Config struct {
	// BaseURL is the absolute URL of the SCIM endpoint, used in Location
	// headers and meta.location. Default: the authos Config.BaseURL +
	// "/scim/v2".
	BaseURL string
	// FailedAuthLimit bounds the wrong SCIM tokens accepted from one client
	// address (authos ClientIP, with Config.TrustedProxies): over
	// it, every SCIM call from that address, whatever its token, answers
	// 429 RATE_LIMIT_EXCEEDED until the limit lets one more through.
	// Default 20 at once, then 10 a minute. authos RateLimits.Disabled
	// turns it off.
	FailedAuthLimit authos.Limit
}

// Service is the SCIM 2.0 service provider. It is safe for concurrent use.
// Build it with New.
type Service struct {
	a      *authos.Authos
	st     storage
	cfg    Config
	server elimity.Server
	guard  *authGuard
}

// New builds the service and registers its routes with a, so a.Handler()
// serves the SCIM token and group-role routes (an organization admin's or
// owner's access token) and the SCIM protocol under /scim/v2 (a SCIM
// token). It fails when a's store does not offer the SCIM
// capability, store.SCIMStore (the error matches errors.ErrUnsupported).
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("scim: nil *authos.Authos")
	}
	st, err := newStorage(a.Store())
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = a.Config().BaseURL + "/scim/v2"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{a: a, st: st, cfg: cfg, guard: newAuthGuard(a, cfg.FailedAuthLimit)}
	s.server, err = elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: maxResults},
		ResourceTypes: []elimity.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Description: optional.NewString("User Account"),
				Schema: schema.CoreUserSchema(), SchemaExtensions: []elimity.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler: users{s}},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: optional.NewString("Group"),
				Schema: schema.CoreGroupSchema(), Handler: groups{s}},
		},
	}, elimity.WithBaseURL(cfg.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	if err := authos.Extend(a).Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	authos.Extend(a).RegisterEventTypes(eventTypes...)
	return s, nil
}

// eventTypes is the catalog entry of each event scim emits.
var eventTypes = []authos.EventType{
	{Type: EventUserProvisioned, Scope: event.ScopeOrganization,
		Description: "The organization's directory created a User: an account was found or created and made a directory-managed member.",
		Example:     map[string]any{"user_name": "ada@example.com", "external_id": "00u1a2b3c4", "account_created": true}},
	{Type: EventUserDeprovisioned, Scope: event.ScopeOrganization,
		Description: "The organization's directory deactivated (active=false) or deleted a User; the member's sessions there were revoked.",
		Example:     map[string]any{"reason": "active=false", "revoked_sessions": 1}},
}

// Token is a SCIM token as clients see it (never the secret).
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func tokenView(t store.SCIMToken) Token {
	return Token{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: optTime(t.ExpiresAt),
		RevokedAt: optTime(t.RevokedAt), LastUsedAt: optTime(t.LastUsedAt)}
}

// TokenInput creates a SCIM token.
type TokenInput struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CreateToken creates a SCIM token for the organization (active, with a
// tier that includes SCIM) and returns it once ("scim_..."; only its hash
// is kept). BAD_REQUEST, ORGANIZATION_NOT_ACTIVE, FORBIDDEN (tier).
func (s *Service) CreateToken(ctx context.Context, actorID string, o authos.Organization, in TokenInput) (Token, string, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > maxTokenNameLen {
		return Token{}, "", authos.NewError(authos.CodeBadRequest, fmt.Sprintf("name is required (at most %d characters)", maxTokenNameLen))
	}
	if err := authos.CheckIdentifier("name", name); err != nil {
		return Token{}, "", err
	}
	if err := s.usable(o); err != nil {
		return Token{}, "", err
	}
	now := s.a.Now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return Token{}, "", authos.NewError(authos.CodeBadRequest, "expires_at must be in the future")
	}
	secret := TokenPrefix + randx.Token(32)
	t := store.SCIMToken{ID: randx.ID(), OrgID: o.ID, Name: name, TokenHash: hashx.SHA256Hex(secret), CreatedBy: actorID, CreatedAt: now}
	if in.ExpiresAt != nil {
		t.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	err := s.tx(ctx, func(tx scimTx) error {
		if err := tx.CreateSCIMToken(ctx, t); err != nil {
			return err
		}
		return authos.Extend(s.a).Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: AuditTokenCreated, TargetType: "organization", TargetID: o.ID, After: map[string]any{"token_id": t.ID, "name": name}})
	})
	if err != nil {
		return Token{}, "", dbError(err)
	}
	return tokenView(t), secret, nil
}

// ListTokens returns the organization's SCIM tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, o authos.Organization) ([]Token, error) {
	ts, err := s.st.ListSCIMTokens(ctx, o.ID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]Token, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenView(t))
	}
	return out, nil
}

// RevokeToken revokes one of the organization's tokens at once. NOT_FOUND.
func (s *Service) RevokeToken(ctx context.Context, actorID string, o authos.Organization, id string) error {
	err := s.tx(ctx, func(tx scimTx) error {
		if err := tx.RevokeSCIMToken(ctx, o.ID, id, s.a.Now()); err != nil {
			return err
		}
		return authos.Extend(s.a).Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: AuditTokenRevoked, TargetType: "organization", TargetID: o.ID, After: map[string]any{"token_id": id}})
	})
	if errors.Is(err, store.ErrNotFound) {
		return authos.NewError(authos.CodeNotFound, "SCIM token not found")
	}
	return dbError(err)
}

// usable refuses an organization that may not use SCIM: not active
// (ORGANIZATION_NOT_ACTIVE) or on a tier without the feature (FORBIDDEN).
func (s *Service) usable(o authos.Organization) error {
	if o.Status != store.OrgActive {
		return authos.NewError(authos.CodeOrganizationNotActive, "Organization is "+o.Status)
	}
	return s.a.RequireFeature(o, authos.FeatureSCIM)
}

// caller is the organization and token of a SCIM request.
type caller struct {
	org   authos.Organization
	token store.SCIMToken
	code  *codeHolder
}

func (c *caller) actor() string { return "scim:" + c.token.ID }

type callerKey struct{}

func callerOf(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	return c
}

// Authenticate checks a SCIM bearer token and returns its organization:
// UNAUTHORIZED without a token, INVALID_SCIM_TOKEN for an unknown,
// expired or revoked one, ORGANIZATION_NOT_ACTIVE or FORBIDDEN (tier)
// for an organization that may not use SCIM.
func (s *Service) Authenticate(ctx context.Context, token string) (authos.Organization, store.SCIMToken, error) {
	bad := authos.NewError(authos.CodeInvalidSCIMToken, "SCIM token is invalid, expired or revoked")
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 256 {
		return authos.Organization{}, store.SCIMToken{}, bad
	}
	t, err := s.st.GetSCIMTokenByHash(ctx, hashx.SHA256Hex(token))
	if errors.Is(err, store.ErrNotFound) {
		return authos.Organization{}, store.SCIMToken{}, bad
	}
	if err != nil {
		return authos.Organization{}, store.SCIMToken{}, dbError(err)
	}
	now := s.a.Now()
	if !t.RevokedAt.IsZero() || !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return authos.Organization{}, store.SCIMToken{}, bad
	}
	o, err := s.st.GetOrg(ctx, t.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return authos.Organization{}, store.SCIMToken{}, bad
	}
	if err != nil {
		return authos.Organization{}, store.SCIMToken{}, dbError(err)
	}
	if err := s.usable(o); err != nil {
		return authos.Organization{}, store.SCIMToken{}, err
	}
	if now.Sub(t.LastUsedAt) > touchInterval {
		if _, err := s.st.TouchSCIMToken(ctx, t.ID, now, touchInterval); err != nil {
			s.a.Logger().Warn("scim: recording token use", "error", err)
		}
	}
	return o, t, nil
}

// dbError maps a storage failure to DATABASE_ERROR, keeping catalog errors.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var e *authos.Error
	if errors.As(err, &e) {
		return e
	}
	return authos.WrapError(authos.CodeDatabaseError, "", err)
}
