package saml

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/outbound"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/internal/validate"
	"github.com/authos/authos/store"
)

// EventConnectionUpdated is emitted when an organization's connection is
// created, replaced or deleted.
const EventConnectionUpdated = "saml.connection.updated"

// Config configures a Service. Every field is optional.
type Config struct {
	// RequestTTL is how long an AuthnRequest may be answered. Default 10
	// minutes.
	RequestTTL time.Duration
	// ClockSkew is the tolerance on an assertion's NotBefore and
	// NotOnOrAfter. Default 90 s; at most 180 s, the most the SAML library
	// allows (New refuses more). The library also refuses a response or
	// assertion whose IssueInstant is more than 90 s old.
	ClockSkew time.Duration
	// MetadataRefresh is how often metadata given as a URL is fetched
	// again. Default 24 hours; a failed fetch is retried an hour later.
	MetadataRefresh time.Duration
	// AllowPrivateMetadataURLs lets metadata URLs reach loopback and
	// private addresses: for development and tests only.
	AllowPrivateMetadataURLs bool
}

// Service is SAML single sign-on. It is safe for concurrent use. Build it
// with New.
type Service struct {
	a      *authos.Authos
	st     storage
	cfg    Config
	client *http.Client
}

// New builds the service and registers its routes, its sign-in method
// (home-realm discovery on the hosted page), its event type, the cleanup
// of expired requests and the refresh of metadata given as a URL (both in
// a's hourly housekeeping, Authos.Run or Authos.Cleanup) with a. It fails when a's store does not
// offer store.SAMLStore (the error matches errors.ErrUnsupported).
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("saml: nil *authos.Authos")
	}
	if cfg.RequestTTL <= 0 {
		cfg.RequestTTL = 10 * time.Minute
	}
	if cfg.ClockSkew <= 0 {
		cfg.ClockSkew = 90 * time.Second
	}
	if limit := maxClockSkew(); cfg.ClockSkew > limit {
		return nil, fmt.Errorf("saml: Config.ClockSkew %v is above %v, the most the SAML library allows", cfg.ClockSkew, limit)
	}
	if cfg.MetadataRefresh <= 0 {
		cfg.MetadataRefresh = 24 * time.Hour
	}
	st, err := newStorage(a.Store())
	if err != nil {
		return nil, err
	}
	guard := &outbound.Guard{AllowPrivate: cfg.AllowPrivateMetadataURLs}
	s := &Service{a: a, st: st, cfg: cfg, client: guard.Client(10 * time.Second)}
	ext := authos.Extend(a)
	if err := ext.Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("saml: %w", err)
	}
	ext.AddSignInMethod(authos.SignInMethod{ID: "saml", Label: "Single sign-on", Discover: s.discover})
	ext.RegisterEventTypes(authos.EventType{Type: EventConnectionUpdated, Scope: event.ScopeOrganization,
		Description: "An organization admin created, changed or deleted the organization's SAML connection.",
		Example:     map[string]any{"enabled": true, "domains": []string{"corp.example"}}})
	ext.AddCleanup(func(ctx context.Context) error { _, err := s.st.DeleteExpiredSAML(ctx, a.Now()); return err })
	ext.AddCleanup(s.refreshMetadata)
	return s, nil
}

// storage is the store the service works on.
type storage interface {
	store.Storage
	store.SAMLStore
}

type samlTx interface {
	store.Tx
	store.SAMLStore
}

func newStorage(st store.Storage) (storage, error) {
	sst, err := store.Require[storage](st)
	if err != nil {
		return nil, fmt.Errorf("saml: the store cannot keep SAML connections: %w", err)
	}
	return sst, nil
}

func (s *Service) tx(ctx context.Context, fn func(tx samlTx) error) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		t, err := store.Require[samlTx](tx)
		if err != nil {
			return fmt.Errorf("saml: the store's transaction lacks the SAML capability its Storage offers: %w", err)
		}
		return fn(t)
	})
}

// AttributeMapping names the assertion attributes that carry a person's
// email, name and groups ("" for the usual names: see the package README).
type AttributeMapping struct {
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Groups string `json:"groups,omitempty"`
}

// ConnectionInput is the body of PUT /api/organizations/{org}/saml: the
// IdP's metadata as XML or as a URL (fetched now, and again daily), and
// the rest.
type ConnectionInput struct {
	IDPMetadataXML   string            `json:"idp_metadata_xml,omitempty"`
	IDPMetadataURL   string            `json:"idp_metadata_url,omitempty"`
	Domains          []string          `json:"domains"`
	DefaultRole      string            `json:"default_role,omitempty"`
	AttributeMapping *AttributeMapping `json:"attribute_mapping,omitempty"`
	// GroupRoles maps groups (values of the groups attribute, exact
	// match) to the role they grant: owner (only an owner may map it),
	// admin or member. A person gets the highest role of their groups,
	// else DefaultRole, when they join and at each later sign-in.
	GroupRoles map[string]string `json:"group_roles,omitempty"`
	// AllowIDPInitiated accepts unsolicited responses; they land at
	// IDPInitiatedService (a service slug of the organization) through
	// IDPInitiatedLoginURI, that service's OpenID Connect
	// initiate_login_uri, which both must then be set.
	AllowIDPInitiated    bool   `json:"allow_idp_initiated,omitempty"`
	IDPInitiatedService  string `json:"idp_initiated_service,omitempty"`
	IDPInitiatedLoginURI string `json:"idp_initiated_login_uri,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// PasswordSignIn defaults to true; false bars password sign-in for the
	// connection's domains on the hosted page.
	PasswordSignIn *bool `json:"password_sign_in,omitempty"`
}

// Connection is an organization's SAML connection as its admins see it.
type Connection struct {
	ID               string           `json:"id"`
	SPEntityID       string           `json:"sp_entity_id"`
	ACSURL           string           `json:"acs_url"`
	MetadataURL      string           `json:"metadata_url"`
	IDPEntityID      string           `json:"idp_entity_id"`
	IDPMetadataURL   string           `json:"idp_metadata_url,omitempty"`
	IDPCertExpiresAt time.Time        `json:"idp_certificate_expires_at"`
	Domains          []string         `json:"domains"`
	DefaultRole      string           `json:"default_role"`
	AttributeMapping AttributeMapping `json:"attribute_mapping"`
	// GroupRoles is the group -> role mapping ({} for none).
	GroupRoles           map[string]string `json:"group_roles"`
	AllowIDPInitiated    bool              `json:"allow_idp_initiated"`
	IDPInitiatedService  string            `json:"idp_initiated_service,omitempty"`
	IDPInitiatedLoginURI string            `json:"idp_initiated_login_uri,omitempty"`
	Enabled              bool              `json:"enabled"`
	PasswordSignIn       bool              `json:"password_sign_in"`
	// MetadataRefreshedAt is when the metadata was last fetched from
	// IDPMetadataURL; MetadataError why the last daily refresh failed
	// (the metadata fetched before stays in use).
	MetadataRefreshedAt *time.Time `json:"metadata_refreshed_at,omitempty"`
	MetadataError       string     `json:"metadata_error,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// urls are our endpoints for the organization with slug.
func (s *Service) urls(slug string) spURLs {
	base := s.a.Config().BaseURL + "/saml/" + slug
	return spURLs{entityID: base + "/metadata", metadata: base + "/metadata", acs: base + "/acs"}
}

// view is c as admins see it; service is the slug of the service
// IdP-initiated sign-ins land at.
func (s *Service) view(o authos.Organization, c store.SAMLConnection, service string) Connection {
	u := s.urls(o.Slug)
	v := Connection{ID: c.ID, SPEntityID: u.entityID, ACSURL: u.acs, MetadataURL: u.metadata,
		IDPEntityID: c.IDPEntityID, IDPMetadataURL: c.IDPMetadataURL, IDPCertExpiresAt: c.IDPCertNotAfter,
		Domains: slices.Clone(c.Domains), DefaultRole: c.DefaultRole,
		AttributeMapping: AttributeMapping{Email: c.EmailAttribute, Name: c.NameAttribute, Groups: c.GroupsAttribute},
		GroupRoles:       maps.Clone(c.GroupRoles), AllowIDPInitiated: c.AllowIDPInitiated,
		IDPInitiatedService: service, IDPInitiatedLoginURI: c.IDPInitiatedLoginURI,
		Enabled: c.Enabled, PasswordSignIn: !c.PasswordSignInDisabled, MetadataError: c.MetadataError,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if v.GroupRoles == nil {
		v.GroupRoles = map[string]string{}
	}
	if !c.MetadataRefreshedAt.IsZero() {
		t := c.MetadataRefreshedAt
		v.MetadataRefreshedAt = &t
	}
	return v
}

// describe is view with the landing service's current slug read from st.
func (s *Service) describe(ctx context.Context, st store.ServiceStore, o authos.Organization, c store.SAMLConnection) Connection {
	var slug string
	if c.IDPInitiatedServiceID != "" {
		if svc, err := st.GetService(ctx, c.IDPInitiatedServiceID); err == nil && svc.OrgID == o.ID {
			slug = svc.Slug
		}
	}
	return s.view(o, c, slug)
}

func notConfigured() error {
	return authos.NewError(authos.CodeSAMLNotConfigured, "This organization has no SAML connection")
}

// Get returns the organization's connection; SAML_NOT_CONFIGURED when it
// has none.
func (s *Service) Get(ctx context.Context, o authos.Organization) (Connection, error) {
	c, err := s.st.GetSAMLConnection(ctx, o.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Connection{}, notConfigured()
	}
	if err != nil {
		return Connection{}, authos.AsError(err)
	}
	return s.describe(ctx, s.st, o, c), nil
}

const maxDomains = 50

// normDomains lower-cases and checks the domains: host names with a dot,
// no duplicates.
func normDomains(in []string) ([]string, error) {
	if len(in) == 0 || len(in) > maxDomains {
		return nil, authos.NewError(authos.CodeBadRequest, "domains must list between 1 and 50 email domains")
	}
	out := make([]string, 0, len(in))
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		if !validDomain(d) {
			return nil, authos.NewError(authos.CodeBadRequest, "domains must be email domains such as example.com")
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") || net.ParseIP(d) != nil {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

const (
	maxAttrName   = 256
	maxGroupRoles = 100
)

// roleRank orders the organization roles.
var roleRank = map[string]int{store.RoleMember: 1, store.RoleAdmin: 2, store.RoleOwner: 3}

// checkGroupRoles validates the group -> role mapping set by an actor
// with actorRole: at most 100 groups of 1 to 256 characters, each mapped
// to owner, admin or member; owner only when the actor is an owner (an
// admin could otherwise make anyone, themselves included, an owner
// through the IdP).
func checkGroupRoles(in map[string]string, actorRole string) (map[string]string, error) {
	if len(in) > maxGroupRoles {
		return nil, authos.NewError(authos.CodeBadRequest, "group_roles may map at most 100 groups")
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for g, role := range in {
		if strings.TrimSpace(g) != g || g == "" || len(g) > maxAttrName {
			return nil, authos.NewError(authos.CodeBadRequest, "group_roles names groups of 1 to 256 characters without surrounding spaces")
		}
		if _, ok := roleRank[role]; !ok {
			return nil, authos.NewError(authos.CodeBadRequest, "group_roles must map each group to owner, admin or member")
		}
		if role == store.RoleOwner && actorRole != store.RoleOwner {
			return nil, authos.NewError(authos.CodeForbidden, "Only an owner may map a group to the owner role")
		}
		out[g] = role
	}
	return out, nil
}

// idpInitiatedTarget validates where IdP-initiated sign-ins land: the
// slug of one of o's services and its initiate_login_uri (https; http
// only for a loopback host), both or neither, both when allowed. It
// returns the service id.
func (s *Service) idpInitiatedTarget(ctx context.Context, o authos.Organization, in ConnectionInput) (string, error) {
	if in.IDPInitiatedService == "" && in.IDPInitiatedLoginURI == "" && !in.AllowIDPInitiated {
		return "", nil
	}
	if in.IDPInitiatedService == "" || in.IDPInitiatedLoginURI == "" {
		return "", authos.NewError(authos.CodeBadRequest, "IdP-initiated sign-in needs both idp_initiated_service and idp_initiated_login_uri")
	}
	if len(in.IDPInitiatedService) > 64 {
		return "", authos.NewError(authos.CodeBadRequest, "idp_initiated_service must be the slug of one of the organization's services")
	}
	svc, err := s.st.GetServiceBySlug(ctx, o.ID, strings.ToLower(in.IDPInitiatedService))
	if errors.Is(err, store.ErrNotFound) {
		return "", authos.NewError(authos.CodeBadRequest, "idp_initiated_service must be the slug of one of the organization's services")
	}
	if err != nil {
		return "", err
	}
	if !validate.URL(in.IDPInitiatedLoginURI) || !secureOrLoopback(in.IDPInitiatedLoginURI) {
		return "", authos.NewError(authos.CodeInvalidURL, "idp_initiated_login_uri must be an https URL (http only for localhost)")
	}
	return svc.ID, nil
}

// secureOrLoopback reports whether raw (a valid URL) is https, or http to
// a loopback host.
func secureOrLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// Put creates or replaces the organization's connection on behalf of the
// actor (actorID for the audit log, actorRole their role in o). The
// metadata URL is fetched through the outbound guard. BAD_REQUEST for
// invalid input or metadata, INVALID_URL, FORBIDDEN when an admin maps a
// group to the owner role, CONFLICT when a domain belongs to another
// organization's connection.
func (s *Service) Put(ctx context.Context, actorID, actorRole string, o authos.Organization, in ConnectionInput) (Connection, error) {
	domains, err := normDomains(in.Domains)
	if err != nil {
		return Connection{}, err
	}
	role := in.DefaultRole
	if role == "" {
		role = store.RoleMember
	}
	if role != store.RoleMember && role != store.RoleAdmin {
		return Connection{}, authos.NewError(authos.CodeBadRequest, "default_role must be member or admin")
	}
	m := AttributeMapping{}
	if in.AttributeMapping != nil {
		m = *in.AttributeMapping
	}
	if len(m.Email) > maxAttrName || len(m.Name) > maxAttrName || len(m.Groups) > maxAttrName {
		return Connection{}, authos.NewError(authos.CodeBadRequest, "attribute names must be at most 256 characters")
	}
	groupRoles, err := checkGroupRoles(in.GroupRoles, actorRole)
	if err != nil {
		return Connection{}, err
	}
	serviceID, err := s.idpInitiatedTarget(ctx, o, in)
	if err != nil {
		return Connection{}, authos.AsError(err)
	}
	raw, err := s.metadataOf(ctx, in)
	if err != nil {
		return Connection{}, err
	}
	md, err := parseIDPMetadata(raw)
	if err != nil {
		return Connection{}, authos.WrapError(authos.CodeBadRequest, msgUnusableMetadata, err)
	}
	now := s.a.Now()
	c := store.SAMLConnection{OrgID: o.ID, IDPMetadata: raw, IDPMetadataURL: in.IDPMetadataURL, IDPEntityID: md.EntityID,
		IDPCertNotAfter: md.CertNotAfter, Domains: domains, DefaultRole: role,
		EmailAttribute: m.Email, NameAttribute: m.Name, GroupsAttribute: m.Groups, GroupRoles: groupRoles,
		AllowIDPInitiated: in.AllowIDPInitiated, IDPInitiatedServiceID: serviceID, IDPInitiatedLoginURI: in.IDPInitiatedLoginURI,
		Enabled: in.Enabled == nil || *in.Enabled, PasswordSignInDisabled: in.PasswordSignIn != nil && !*in.PasswordSignIn,
		CreatedAt: now, UpdatedAt: now}
	if c.IDPMetadataURL != "" {
		c.MetadataRefreshedAt, c.MetadataRefreshAt = now, now.Add(s.cfg.MetadataRefresh)
	}
	var out Connection
	err = s.tx(ctx, func(tx samlTx) error {
		old, err := tx.GetSAMLConnection(ctx, o.ID)
		switch {
		case err == nil:
			c.ID, c.SPKey, c.SPCert, c.CreatedAt = old.ID, old.SPKey, old.SPCert, old.CreatedAt
		case errors.Is(err, store.ErrNotFound):
			c.ID = randx.ID()
			key, der, err := newSPKey(s.urls(o.Slug).entityID, now)
			if err != nil {
				return authos.WrapError(authos.CodeInternalServerError, "", err)
			}
			if c.SPKey, err = s.a.Keyring().Encrypt(x509.MarshalPKCS1PrivateKey(key), keyAAD(c.ID)); err != nil {
				return authos.WrapError(authos.CodeInternalServerError, "", err)
			}
			c.SPCert = der
		default:
			return err
		}
		if err := tx.PutSAMLConnection(ctx, c); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return authos.NewError(authos.CodeConflict, "One of the domains belongs to another organization's SAML connection")
			}
			return err
		}
		ext := authos.Extend(s.a)
		out = s.view(o, c, strings.ToLower(in.IDPInitiatedService))
		var before any
		if old.ID != "" {
			before = s.describe(ctx, tx, o, old)
		}
		if err := ext.Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: "put_saml_connection",
			TargetType: "organization", TargetID: o.ID, Before: before, After: out}); err != nil {
			return err
		}
		return ext.Emit(ctx, tx, authos.Event{Type: EventConnectionUpdated, OrgID: o.ID, ActorID: actorID, TargetID: c.ID,
			Data: map[string]any{"enabled": c.Enabled, "domains": c.Domains}})
	})
	if err != nil {
		return Connection{}, authos.AsError(err)
	}
	return out, nil
}

// Delete removes the organization's connection; SAML_NOT_CONFIGURED when
// it has none.
func (s *Service) Delete(ctx context.Context, actorID string, o authos.Organization) error {
	err := s.tx(ctx, func(tx samlTx) error {
		old, err := tx.GetSAMLConnection(ctx, o.ID)
		if errors.Is(err, store.ErrNotFound) {
			return notConfigured()
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSAMLConnection(ctx, o.ID); err != nil {
			return err
		}
		ext := authos.Extend(s.a)
		if err := ext.Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: "delete_saml_connection",
			TargetType: "organization", TargetID: o.ID, Before: s.describe(ctx, tx, o, old)}); err != nil {
			return err
		}
		return ext.Emit(ctx, tx, authos.Event{Type: EventConnectionUpdated, OrgID: o.ID, ActorID: actorID, TargetID: old.ID,
			Data: map[string]any{"deleted": true}})
	})
	if err != nil {
		return authos.AsError(err)
	}
	return nil
}

func keyAAD(connID string) []byte { return []byte("authos/saml/sp-key/" + connID) }

// Messages of metadata that cannot be used (also recorded as the
// connection's metadata_error by the daily refresh).
const (
	msgUnusableMetadata = "The identity provider metadata is not usable SAML 2.0 IdP metadata"
	msgFetchFailed      = "The identity provider metadata could not be fetched"
	msgTooLarge         = "The identity provider metadata is too large"
)

// metadataOf returns the metadata document of in: the XML, or what the
// URL serves.
func (s *Service) metadataOf(ctx context.Context, in ConnectionInput) ([]byte, error) {
	switch {
	case (in.IDPMetadataXML == "") == (in.IDPMetadataURL == ""):
		return nil, authos.NewError(authos.CodeBadRequest, "Give either idp_metadata_xml or idp_metadata_url")
	case in.IDPMetadataXML != "":
		if len(in.IDPMetadataXML) > maxMetadataBytes {
			return nil, authos.NewError(authos.CodeBadRequest, msgTooLarge)
		}
		return []byte(in.IDPMetadataXML), nil
	}
	if u, err := url.Parse(in.IDPMetadataURL); err != nil || len(in.IDPMetadataURL) > 2048 || u.Host == "" || u.User != nil ||
		u.Scheme != "https" && u.Scheme != "http" {
		return nil, authos.NewError(authos.CodeInvalidURL, "idp_metadata_url must be an absolute http(s) URL with a host")
	}
	return s.fetchMetadata(ctx, in.IDPMetadataURL)
}

// fetchMetadata GETs the metadata document at u through the outbound
// guard (no private addresses unless allowed, no redirects), at most
// maxMetadataBytes. Errors are BAD_REQUEST or INVALID_URL.
func (s *Service) fetchMetadata(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, authos.WrapError(authos.CodeInvalidURL, "idp_metadata_url must be an absolute http(s) URL with a host", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, authos.WrapError(authos.CodeBadRequest, msgFetchFailed, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, authos.WrapError(authos.CodeBadRequest, msgFetchFailed, fmt.Errorf("HTTP status %d", resp.StatusCode))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, authos.WrapError(authos.CodeBadRequest, msgFetchFailed, err)
	}
	if len(raw) > maxMetadataBytes {
		return nil, authos.NewError(authos.CodeBadRequest, msgTooLarge)
	}
	return raw, nil
}

// providerOf builds our service provider for connection c of the
// organization with slug.
func (s *Service) providerOf(slug string, c store.SAMLConnection) (*provider, error) {
	md, err := parseIDPMetadata(c.IDPMetadata)
	if err != nil {
		return nil, err
	}
	der, err := s.a.Keyring().Decrypt(c.SPKey, keyAAD(c.ID))
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, err
	}
	return newProvider(s.urls(slug), md, key, c.SPCert, s.a.Now)
}
