package oauth

import (
	"net/http"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/store"
)

type none = struct{}

type providerList struct {
	Providers []ProviderView `json:"providers"`
}

type linkResponse struct {
	URL string `json:"url"`
}

type unlinkRequest struct {
	CurrentPassword string `json:"current_password,omitempty"`
}

// admin guards the organization's provider routes: organization admins
// with an access token (API keys are refused: the secret is a credential
// of the organization).
func (s *Service) admin(h http.Handler) http.Handler {
	a := s.a
	return a.RequireOrgRole(store.RoleAdmin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := authos.PrincipalFrom(r.Context()); p == nil || p.Kind != authos.PrincipalAccessToken {
			a.WriteError(w, r, authos.NewError(authos.CodeForbidden, "Only a signed-in organization admin can change sign-in providers"))
			return
		}
		h.ServeHTTP(w, r)
	}))
}

func org(r *http.Request) authos.Organization {
	o, _, _ := authos.OrgFrom(r.Context())
	return o
}

func (s *Service) routes() []authos.Route {
	a := s.a
	const base = "/api/organizations/{org}/oauth-providers"
	return []authos.Route{
		{Pattern: "GET " + base, Handler: s.admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (providerList, error) {
			l, err := s.ListProviders(r.Context(), org(r))
			return providerList{l}, err
		}))},
		{Pattern: "PUT " + base + "/{provider}", Handler: s.admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in ProviderInput) (ProviderView, error) {
			return s.PutProvider(r.Context(), p.UserID, org(r), r.PathValue("provider"), in)
		}))},
		{Pattern: "GET " + base + "/{provider}", Handler: s.admin(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (ProviderView, error) {
			return s.GetProvider(r.Context(), org(r), r.PathValue("provider"))
		}))},
		{Pattern: "DELETE " + base + "/{provider}", Handler: s.admin(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *authos.Principal, _ none) (none, error) {
			return none{}, s.DeleteProvider(r.Context(), p.UserID, org(r), r.PathValue("provider"))
		}))},
		{Pattern: "GET /api/user/identities", Handler: a.RequireAuth(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, _ none) ([]Identity, error) {
			return s.Identities(r.Context(), p.UserID)
		}))},
		{Pattern: "POST /api/user/identities/{provider}", Handler: a.LimitByIP(a.RequireAuth(s.bindBrowser(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, p *authos.Principal, in LinkInput) (linkResponse, error) {
			l, err := s.Link(r.Context(), p, r.PathValue("provider"), in, browserFrom(r.Context()))
			return linkResponse{l.URL}, err
		}))))},
		{Pattern: "DELETE /api/user/identities/{provider}", Handler: a.LimitByIP(a.RequireAuth(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *authos.Principal, in unlinkRequest) (none, error) {
			return none{}, s.Unlink(r.Context(), p, r.PathValue("provider"), in.CurrentPassword)
		})))},
		{Pattern: "GET /api/provider-tokens/{provider}", Handler: http.HandlerFunc(s.handleProviderToken)},
		{Pattern: "GET /auth/social/{provider}", Handler: a.LimitByIP(http.HandlerFunc(s.handleStart))},
		{Pattern: "GET /auth/social/{provider}/callback", Handler: a.LimitByIP(http.HandlerFunc(s.handleCallback))},
		{Pattern: "GET /auth/social/{provider}/confirm", Handler: a.LimitByIP(http.HandlerFunc(s.handleConfirmPage))},
		{Pattern: "POST /auth/social/{provider}/confirm", Handler: a.LimitByIP(http.HandlerFunc(s.handleConfirm))},
	}
}

// handleProviderToken serves the vault to a confidential service
// authenticated with HTTP Basic (its client_id and secret).
func (s *Service) handleProviderToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	var c authos.ServiceClient
	var err error
	if ok && id != "" && secret != "" {
		c, err = s.a.AuthenticateClient(r.Context(), id, secret)
	}
	if !ok || id == "" || secret == "" || err != nil || c.Service.ClientSecretHash == "" {
		if e, isErr := err.(*authos.Error); isErr && e.Code != authos.CodeUnauthorized && e.Code != authos.CodeBadRequest {
			s.a.WriteError(w, r, err)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="authos", charset="UTF-8"`)
		s.a.WriteError(w, r, authos.NewError(authos.CodeUnauthorized, "The service's client credentials are required"))
		return
	}
	t, err := s.ProviderToken(r.Context(), c, r.PathValue("provider"), r.URL.Query().Get("user_id"))
	if err != nil {
		s.a.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, t)
}
