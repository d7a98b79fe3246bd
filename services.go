package authos

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Service is an organization's application (the store's shape).
type Service = store.Service

// Service types; web and api are confidential clients with a secret.
const (
	ServiceWeb     = "web"
	ServiceMobile  = "mobile"
	ServiceDesktop = "desktop"
	ServiceAPI     = "api"
)

func confidential(typ string) bool { return typ == ServiceWeb || typ == ServiceAPI }

// ServiceInput creates or changes a service. On update, nil fields are kept.
type ServiceInput struct {
	Slug                *string   `json:"slug,omitempty"`
	Name                *string   `json:"name,omitempty"`
	ServiceType         *string   `json:"service_type,omitempty"`
	RedirectURIs        *[]string `json:"redirect_uris,omitempty"`
	DeviceActivationURI *string   `json:"device_activation_uri,omitempty"`
	// PostLogoutRedirectURIs are where RP-initiated logout may return the
	// browser (exact match).
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris,omitempty"`
	// MembersOnly admits only the organization's members to sign in;
	// otherwise any verified account may.
	MembersOnly *bool `json:"members_only,omitempty"`
}

// ServiceUpdate changes a service (the body of PATCH
// /api/organizations/{org}/services/{service}): the fields of ServiceInput
// that are set, and RotateSecret, which replaces the client secret of a
// confidential service.
type ServiceUpdate struct {
	ServiceInput
	RotateSecret bool `json:"rotate_secret,omitempty"`
}

// ServiceView is a service as clients see it; ClientSecret is set only in
// the response that creates or rotates it.
type ServiceView struct {
	ID                     string    `json:"id"`
	Slug                   string    `json:"slug"`
	Name                   string    `json:"name"`
	ServiceType            string    `json:"service_type"`
	RedirectURIs           []string  `json:"redirect_uris"`
	DeviceActivationURI    string    `json:"device_activation_uri,omitempty"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	MembersOnly            bool      `json:"members_only"`
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"`
	Confidential           bool      `json:"confidential"`
	CreatedAt              time.Time `json:"created_at"`
}

func serviceView(s Service, secret string) ServiceView {
	orEmpty := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	return ServiceView{ID: s.ID, Slug: s.Slug, Name: s.Name, ServiceType: s.Type, RedirectURIs: orEmpty(s.RedirectURIs),
		DeviceActivationURI: s.DeviceActivationURI, PostLogoutRedirectURIs: orEmpty(s.PostLogoutRedirectURIs),
		MembersOnly: s.MembersOnly, ClientID: s.ClientID, ClientSecret: secret,
		Confidential: confidential(s.Type), CreatedAt: s.CreatedAt}
}

// applyServiceInput validates in onto s.
func applyServiceInput(s *Service, in ServiceInput) error {
	if in.Slug != nil {
		slug, err := validateSlug(*in.Slug)
		if err != nil {
			return err
		}
		s.Slug = slug
	}
	if in.Name != nil {
		name, err := validateName(*in.Name)
		if err != nil {
			return err
		}
		s.Name = name
	}
	if in.ServiceType != nil {
		if !slices.Contains([]string{ServiceWeb, ServiceMobile, ServiceDesktop, ServiceAPI}, *in.ServiceType) {
			return NewError(CodeBadRequest, "service_type must be web, mobile, desktop or api")
		}
		s.Type = *in.ServiceType
	}
	if in.RedirectURIs != nil {
		l, err := uriList(*in.RedirectURIs)
		if err != nil {
			return err
		}
		s.RedirectURIs = l
	}
	if in.PostLogoutRedirectURIs != nil {
		l, err := uriList(*in.PostLogoutRedirectURIs)
		if err != nil {
			return err
		}
		s.PostLogoutRedirectURIs = l
	}
	if in.MembersOnly != nil {
		s.MembersOnly = *in.MembersOnly
	}
	if in.DeviceActivationURI != nil {
		if *in.DeviceActivationURI != "" {
			if err := validateURL(*in.DeviceActivationURI, CodeInvalidURL); err != nil {
				return err
			}
		}
		s.DeviceActivationURI = *in.DeviceActivationURI
	}
	return nil
}

// uriList validates a list of redirect URIs (at most 20) and copies it.
func uriList(l []string) ([]string, error) {
	if len(l) > 20 {
		return nil, NewError(CodeBadRequest, "At most 20 redirect URIs")
	}
	for _, u := range l {
		if err := validateURL(u, CodeInvalidURL); err != nil {
			return nil, err
		}
	}
	return slices.Clone(l), nil
}

// CreateService registers an application of an active organization; the
// tier's service limit is checked in the same transaction. Confidential
// types (web, api) get a client secret, returned once. ORGANIZATION_NOT_ACTIVE,
// SERVICE_LIMIT_EXCEEDED, ALREADY_EXISTS, INVALID_URL and the slug/name codes.
func (a *Authos) CreateService(ctx context.Context, actorID string, o Organization, in ServiceInput) (ServiceView, error) {
	if in.Slug == nil || in.Name == nil || in.ServiceType == nil {
		return ServiceView{}, NewError(CodeBadRequest, "slug, name and service_type are required")
	}
	now := a.now()
	s := Service{ID: randx.ID(), OrgID: o.ID, ClientID: "cl_" + randx.Token(16), CreatedAt: now, UpdatedAt: now}
	if err := applyServiceInput(&s, in); err != nil {
		return ServiceView{}, err
	}
	var secret string
	if confidential(s.Type) {
		secret = "cs_" + randx.Token(32)
		s.ClientSecretHash = hashx.SHA256Hex(secret)
	}
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		cur, err := activeOrgInTx(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		n, err := tx.CountServices(ctx, o.ID)
		if err != nil {
			return err
		}
		if !within(a.LimitsOf(cur).MaxServices, n) {
			return NewError(CodeServiceLimitExceeded, "The organization has reached its service limit")
		}
		if err := tx.CreateService(ctx, s); errors.Is(err, store.ErrConflict) {
			return NewError(CodeAlreadyExists, "A service with this slug already exists")
		} else if err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.ServiceCreated, OrgID: o.ID, ActorID: actorID, TargetID: s.ID,
			Data: map[string]any{"slug": s.Slug, "client_id": s.ClientID}})
	})
	if err != nil {
		return ServiceView{}, dbError(err)
	}
	return serviceView(s, secret), nil
}

// ListServices returns the organization's services.
func (a *Authos) ListServices(ctx context.Context, o Organization) ([]ServiceView, error) {
	return a.listServices(ctx, o, "")
}

// listServices returns the organization's services; only, when set, keeps
// that service alone.
func (a *Authos) listServices(ctx context.Context, o Organization, only string) ([]ServiceView, error) {
	ss, err := a.st.ListServices(ctx, o.ID)
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]ServiceView, 0, len(ss))
	for _, s := range ss {
		if only == "" || s.ID == only {
			out = append(out, serviceView(s, ""))
		}
	}
	return out, nil
}

// serviceInScope reads the service slug of orgID; only, when set, is the
// one service the caller may see (an API key bound to it): any other is
// NOT_FOUND like an unknown slug.
func serviceInScope(ctx context.Context, st store.ServiceStore, orgID, slug, only string) (Service, error) {
	s, err := st.GetServiceBySlug(ctx, orgID, slug)
	if errors.Is(err, store.ErrNotFound) || err == nil && only != "" && s.ID != only {
		return Service{}, NewError(CodeNotFound, "Service not found")
	}
	return s, err
}

// GetService returns the organization's service by slug. NOT_FOUND.
func (a *Authos) GetService(ctx context.Context, o Organization, slug string) (Service, error) {
	s, err := serviceInScope(ctx, a.st, o.ID, slug, "")
	return s, dbError(err)
}

// UpdateService changes the organization's service slug; in.RotateSecret
// replaces the client secret of a confidential service and returns the new
// one once (the old one stops authenticating at once).
func (a *Authos) UpdateService(ctx context.Context, o Organization, slug string, in ServiceUpdate) (ServiceView, error) {
	return a.updateService(ctx, o, slug, "", in)
}

// updateService is UpdateService confined to the service only, when set.
func (a *Authos) updateService(ctx context.Context, o Organization, slug, only string, up ServiceUpdate) (ServiceView, error) {
	in, rotate := up.ServiceInput, up.RotateSecret
	var secret string
	var out Service
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		s, err := serviceInScope(ctx, tx, o.ID, slug, only)
		if err != nil {
			return err
		}
		if err := applyServiceInput(&s, in); err != nil {
			return err
		}
		switch {
		case !confidential(s.Type):
			s.ClientSecretHash = ""
		case rotate || s.ClientSecretHash == "":
			secret = "cs_" + randx.Token(32)
			s.ClientSecretHash = hashx.SHA256Hex(secret)
		}
		s.UpdatedAt = a.now()
		out = s
		if err := tx.UpdateService(ctx, s); errors.Is(err, store.ErrConflict) {
			return NewError(CodeAlreadyExists, "A service with this slug already exists")
		} else if err != nil {
			return err
		}
		if !rotate || secret == "" {
			return nil
		}
		return a.emit(ctx, tx, Event{Type: event.ServiceSecretRotated, OrgID: o.ID, TargetID: s.ID,
			Data: map[string]any{"slug": s.Slug, "client_id": s.ClientID}})
	})
	if err != nil {
		return ServiceView{}, dbError(err)
	}
	return serviceView(out, secret), nil
}

// DeleteService removes a service and the API keys bound to it.
func (a *Authos) DeleteService(ctx context.Context, actorID string, o Organization, slug string) error {
	return a.deleteService(ctx, actorID, o, slug, "")
}

// deleteService is DeleteService confined to the service only, when set.
func (a *Authos) deleteService(ctx context.Context, actorID string, o Organization, slug, only string) error {
	return dbError(a.st.Tx(ctx, func(tx store.Tx) error {
		s, err := serviceInScope(ctx, tx, o.ID, slug, only)
		if err != nil {
			return err
		}
		if err := tx.DeleteService(ctx, s.ID); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.ServiceDeleted, OrgID: o.ID, ActorID: actorID, TargetID: s.ID})
	}))
}

// ServiceClient is a registered client as the token endpoints see it.
type ServiceClient struct {
	Service Service
	Org     Organization
}

// AuthenticateClient looks up a client by client_id and, for confidential
// clients, checks the secret in constant time. It fails with
// UNAUTHORIZED for an unknown client or a wrong secret, and with
// ORGANIZATION_NOT_ACTIVE when the organization is not active.
func (a *Authos) AuthenticateClient(ctx context.Context, clientID, secret string) (ServiceClient, error) {
	if err := CheckIdentifier("client_id", clientID); err != nil {
		return ServiceClient{}, err
	}
	s, err := a.st.GetServiceByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return ServiceClient{}, NewError(CodeUnauthorized, "Unknown client")
	}
	if err != nil {
		return ServiceClient{}, dbError(err)
	}
	if s.ClientSecretHash != "" &&
		subtle.ConstantTimeCompare([]byte(hashx.SHA256Hex(secret)), []byte(s.ClientSecretHash)) != 1 {
		return ServiceClient{}, NewError(CodeUnauthorized, "Invalid client credentials")
	}
	o, err := a.st.GetOrg(ctx, s.OrgID)
	if err != nil {
		return ServiceClient{}, dbError(err)
	}
	if err := requireActive(o); err != nil {
		return ServiceClient{}, err
	}
	return ServiceClient{Service: s, Org: o}, nil
}

// ServiceLoginContext is the LoginContext that mints tokens for a service:
// aud is its client_id and the org and service claims are set.
func ServiceLoginContext(c ServiceClient, method string) LoginContext {
	return LoginContext{Method: method, Audience: c.Service.ClientID, OrgID: c.Org.ID, Org: c.Org.Slug,
		ServiceID: c.Service.ID, Service: c.Service.Slug}
}
