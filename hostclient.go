package authos

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/store"
)

// HostClient is the host's own front end as a built-in public client of
// the authorization server: it signs people in through /auth/authorize
// with PKCE like any service, without a secret, and the tokens it redeems
// at /auth/token carry the management audience, so they work on the
// management API (/api/...). It belongs to no organization. It refreshes,
// revokes and introspects only the tokens its own code grants issued, not
// those of other sign-ins to the management API.
type HostClient struct {
	// ClientID is its client_id. Default "host" when RedirectURIs is set;
	// it may not start with "cl_" (the services' client ids).
	ClientID string
	// RedirectURIs are its registered redirect URIs (exact match). None
	// leaves the host client out.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where RP-initiated logout may return the
	// browser (exact match).
	PostLogoutRedirectURIs []string
}

// check validates the host client's configuration and fills its default.
func (h *HostClient) check() error {
	if len(h.RedirectURIs) == 0 {
		if h.ClientID != "" || len(h.PostLogoutRedirectURIs) != 0 {
			return errors.New("authos: Config.SignIn needs RedirectURIs")
		}
		return nil
	}
	if h.ClientID == "" {
		h.ClientID = "host"
	}
	if CheckIdentifier("client_id", h.ClientID) != nil || strings.HasPrefix(h.ClientID, "cl_") || len(h.ClientID) > 256 {
		return errors.New("authos: Config.SignIn.ClientID must be a plain identifier that does not start with cl_")
	}
	for _, l := range []struct {
		field string
		uris  []string
	}{{"RedirectURIs", h.RedirectURIs}, {"PostLogoutRedirectURIs", h.PostLogoutRedirectURIs}} {
		if _, err := uriList(l.uris); err != nil {
			return fmt.Errorf("authos: Config.SignIn.%s: %w", l.field, err) // the code (INVALID_URL) stays readable
		}
	}
	return nil
}

// hostClient returns the built-in host client when clientID is its id.
func (a *Authos) hostClient(clientID string) (ServiceClient, bool) {
	h := a.cfg.SignIn
	if h.ClientID == "" || clientID != h.ClientID {
		return ServiceClient{}, false
	}
	return ServiceClient{Service: Service{ClientID: h.ClientID, Type: ServiceWeb, Name: a.cfg.ProductName,
		RedirectURIs: h.RedirectURIs, PostLogoutRedirectURIs: h.PostLogoutRedirectURIs}}, true
}

// isHostClient reports whether c is the built-in host client.
func (a *Authos) isHostClient(c ServiceClient) bool {
	return c.Service.ID == "" && a.cfg.SignIn.ClientID != "" && c.Service.ClientID == a.cfg.SignIn.ClientID
}

// audienceOf is the aud of the access tokens issued to c: its client_id,
// or the management audience for the host client.
func (a *Authos) audienceOf(c ServiceClient) string {
	if a.isHostClient(c) {
		return a.cfg.ManagementAudience
	}
	return c.Service.ClientID
}

// issuedTo reports whether the session s is a family of tokens issued to
// the client c (the test of RFC 7009 §2.1 and RFC 7662 §2.2, and of a
// refresh): its audience and service are c's and, for the host client,
// the host client's authorization code grant started it. That test is
// needed because the host client's sessions share the management audience
// and the empty service with every sign-in to the management API
// (password, social, SAML...): only the code grant records a service
// grant for its session, so a session without one was never the host
// client's, and the host client may not refresh, revoke or inspect it.
func (a *Authos) issuedTo(ctx context.Context, st store.TokenStore, s store.Session, c ServiceClient) (bool, error) {
	if !a.sameClient(s, c) {
		return false, nil
	}
	if !a.isHostClient(c) {
		return true, nil
	}
	_, err := st.GetToken(ctx, purposeServiceGrant, grantKey(s.ID), a.now())
	return grantHeld(err)
}

// sameClient reports whether the session s has the audience and service
// of the client c: the first half of issuedTo.
func (a *Authos) sameClient(s store.Session, c ServiceClient) bool {
	return s.Audience == a.audienceOf(c) && s.ServiceID == c.Service.ID
}

// grantHeld sorts out err, that of reading a session's service grant: true
// when the grant was read, false when there is none (not found, expired or
// used), else the error. For the host client, a session with a grant is
// one its code grant started (see issuedTo).
func grantHeld(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrUsed):
		return false, nil
	}
	return false, err
}

// serviceByClientID returns the service of clientID, the host client
// included. store.ErrNotFound when there is none.
func (a *Authos) serviceByClientID(ctx context.Context, clientID string) (Service, error) {
	if c, ok := a.hostClient(clientID); ok {
		return c.Service, nil
	}
	return a.st.GetServiceByClientID(ctx, clientID)
}

// orgOf returns the organization of s; none for the host client.
func (a *Authos) orgOf(ctx context.Context, s Service) (Organization, error) {
	if s.OrgID == "" {
		return Organization{}, nil
	}
	return a.st.GetOrg(ctx, s.OrgID)
}

// authenticateAnyClient is AuthenticateClient: the host client needs no
// secret (it is public).
func (a *Authos) authenticateAnyClient(ctx context.Context, clientID, secret string) (ServiceClient, error) {
	if c, ok := a.hostClient(clientID); ok {
		return c, nil
	}
	return a.AuthenticateClient(ctx, clientID, secret)
}

// limitClient applies the per-client limit of the token, revocation and
// introspection endpoints (RATE_LIMIT_EXCEEDED, 429 with Retry-After),
// keyed by the client_id presented, before the client is authenticated.
func (a *Authos) limitClient(ctx context.Context, clientID string) *OAuthError {
	rl := a.cfg.RateLimits
	if rl.Disabled || rl.PerClient == (Limit{}) {
		return nil
	}
	err := a.allow(ctx, "client:"+hashx.SHA256Hex(clientID), rl.PerClient)
	if err == nil {
		return nil
	}
	e := AsError(err)
	return &OAuthError{RFC: "temporarily_unavailable", Code: e.Code, Description: e.PublicMessage(),
		Status: e.Code.HTTPStatus(), RetryAfter: e.RetryAfter, Err: err}
}

// signInRequiresOrg reports whether sign-in to c checks an organization
// (every service; not the host client).
func signInRequiresOrg(c ServiceClient) bool { return c.Service.OrgID != "" }
