package saml

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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
	// NotOnOrAfter. Default 90 s.
	ClockSkew time.Duration
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
// (home-realm discovery on the hosted page), its event type and the
// cleanup of expired requests with a. It fails when a's store does not
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
// IdP's metadata as XML or as a URL (fetched once, now), and the rest.
type ConnectionInput struct {
	IDPMetadataXML    string            `json:"idp_metadata_xml,omitempty"`
	IDPMetadataURL    string            `json:"idp_metadata_url,omitempty"`
	Domains           []string          `json:"domains"`
	DefaultRole       string            `json:"default_role,omitempty"`
	AttributeMapping  *AttributeMapping `json:"attribute_mapping,omitempty"`
	AllowIDPInitiated bool              `json:"allow_idp_initiated,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// PasswordSignIn defaults to true; false bars password sign-in for the
	// connection's domains on the hosted page.
	PasswordSignIn *bool `json:"password_sign_in,omitempty"`
}

// Connection is an organization's SAML connection as its admins see it.
type Connection struct {
	ID                string           `json:"id"`
	SPEntityID        string           `json:"sp_entity_id"`
	ACSURL            string           `json:"acs_url"`
	MetadataURL       string           `json:"metadata_url"`
	IDPEntityID       string           `json:"idp_entity_id"`
	IDPMetadataURL    string           `json:"idp_metadata_url,omitempty"`
	IDPCertExpiresAt  time.Time        `json:"idp_certificate_expires_at"`
	Domains           []string         `json:"domains"`
	DefaultRole       string           `json:"default_role"`
	AttributeMapping  AttributeMapping `json:"attribute_mapping"`
	AllowIDPInitiated bool             `json:"allow_idp_initiated"`
	Enabled           bool             `json:"enabled"`
	PasswordSignIn    bool             `json:"password_sign_in"`
	CreatedAt         time.Time        `json:"created_at"`
	UpdatedAt         time.Time        `json:"updated_at"`
}

// urls are our endpoints for the organization with slug.
func (s *Service) urls(slug string) spURLs {
	base := s.a.Config().BaseURL + "/saml/" + slug
	return spURLs{entityID: base + "/metadata", metadata: base + "/metadata", acs: base + "/acs"}
}

func (s *Service) view(o authos.Organization, c store.SAMLConnection) Connection {
	u := s.urls(o.Slug)
	return Connection{ID: c.ID, SPEntityID: u.entityID, ACSURL: u.acs, MetadataURL: u.metadata,
		IDPEntityID: c.IDPEntityID, IDPMetadataURL: c.IDPMetadataURL, IDPCertExpiresAt: c.IDPCertNotAfter,
		Domains: slices.Clone(c.Domains), DefaultRole: c.DefaultRole,
		AttributeMapping:  AttributeMapping{Email: c.EmailAttribute, Name: c.NameAttribute, Groups: c.GroupsAttribute},
		AllowIDPInitiated: c.AllowIDPInitiated, Enabled: c.Enabled, PasswordSignIn: !c.PasswordSignInDisabled,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
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
	return s.view(o, c), nil
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

const maxAttrName = 256

// Put creates or replaces the organization's connection (actorID: the
// admin, for the audit log). The metadata URL is fetched through the
// outbound guard. BAD_REQUEST for invalid input or metadata, CONFLICT
// when a domain belongs to another organization's connection.
func (s *Service) Put(ctx context.Context, actorID string, o authos.Organization, in ConnectionInput) (Connection, error) {
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
	raw, err := s.metadataOf(ctx, in)
	if err != nil {
		return Connection{}, err
	}
	md, err := parseIDPMetadata(raw)
	if err != nil {
		return Connection{}, authos.WrapError(authos.CodeBadRequest, "The identity provider metadata is not usable SAML 2.0 IdP metadata", err)
	}
	now := s.a.Now()
	c := store.SAMLConnection{OrgID: o.ID, IDPMetadata: raw, IDPMetadataURL: in.IDPMetadataURL, IDPEntityID: md.EntityID,
		IDPCertNotAfter: md.CertNotAfter, Domains: domains, DefaultRole: role,
		EmailAttribute: m.Email, NameAttribute: m.Name, GroupsAttribute: m.Groups, AllowIDPInitiated: in.AllowIDPInitiated,
		Enabled: in.Enabled == nil || *in.Enabled, PasswordSignInDisabled: in.PasswordSignIn != nil && !*in.PasswordSignIn,
		CreatedAt: now, UpdatedAt: now}
	var out store.SAMLConnection
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
		out = c
		ext := authos.Extend(s.a)
		after := s.view(o, c)
		var before any
		if old.ID != "" {
			before = s.view(o, old)
		}
		if err := ext.Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: "put_saml_connection",
			TargetType: "organization", TargetID: o.ID, Before: before, After: after}); err != nil {
			return err
		}
		return ext.Emit(ctx, tx, authos.Event{Type: EventConnectionUpdated, OrgID: o.ID, ActorID: actorID, TargetID: c.ID,
			Data: map[string]any{"enabled": c.Enabled, "domains": c.Domains}})
	})
	if err != nil {
		return Connection{}, authos.AsError(err)
	}
	return s.view(o, out), nil
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
			TargetType: "organization", TargetID: o.ID, Before: s.view(o, old)}); err != nil {
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

// metadataOf returns the metadata document of in: the XML, or what the
// URL serves (through the outbound guard, size-capped, no redirects).
func (s *Service) metadataOf(ctx context.Context, in ConnectionInput) ([]byte, error) {
	switch {
	case (in.IDPMetadataXML == "") == (in.IDPMetadataURL == ""):
		return nil, authos.NewError(authos.CodeBadRequest, "Give either idp_metadata_xml or idp_metadata_url")
	case in.IDPMetadataXML != "":
		if len(in.IDPMetadataXML) > maxMetadataBytes {
			return nil, authos.NewError(authos.CodeBadRequest, "The identity provider metadata is too large")
		}
		return []byte(in.IDPMetadataXML), nil
	}
	if u, err := url.Parse(in.IDPMetadataURL); err != nil || len(in.IDPMetadataURL) > 2048 || u.Host == "" || u.User != nil ||
		u.Scheme != "https" && u.Scheme != "http" {
		return nil, authos.NewError(authos.CodeInvalidURL, "idp_metadata_url must be an absolute http(s) URL with a host")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.IDPMetadataURL, nil)
	if err != nil {
		return nil, authos.WrapError(authos.CodeInvalidURL, "idp_metadata_url must be an absolute http(s) URL with a host", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, authos.WrapError(authos.CodeBadRequest, "The identity provider metadata could not be fetched", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, authos.NewError(authos.CodeBadRequest, "The identity provider metadata could not be fetched")
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, authos.WrapError(authos.CodeBadRequest, "The identity provider metadata could not be fetched", err)
	}
	if len(raw) > maxMetadataBytes {
		return nil, authos.NewError(authos.CodeBadRequest, "The identity provider metadata is too large")
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
