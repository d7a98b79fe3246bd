package webhook

import (
	"net/http"
	"strconv"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// API key scopes of the webhook routes.
const (
	ScopeRead  = "webhooks:read"
	ScopeWrite = "webhooks:write"
)

type none = struct{}

type endpointCreated struct {
	Webhook Endpoint `json:"webhook"`
	Secret  string   `json:"secret"`
}

type endpointOne struct {
	Webhook Endpoint `json:"webhook"`
}

type endpointList struct {
	Webhooks []Endpoint `json:"webhooks"`
}

type deliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

type deliveryOne struct {
	Delivery Delivery `json:"delivery"`
}

type eventTypeList struct {
	EventTypes []EventType `json:"event_types"`
}

// guarded is an /api/organizations/{org}/webhooks route: organization
// admins, or API keys of an admin holding scope (keys bound to a service
// are refused).
func (s *Service) guarded(scope string, h http.Handler) http.Handler {
	a := s.a
	return a.RequireOrgRole(store.RoleAdmin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := authos.PrincipalFrom(r.Context()); p.Kind == authos.PrincipalAPIKey {
			switch {
			case !p.HasScope(scope):
				a.WriteError(w, r, authos.NewError(authos.CodeForbidden, "This API key lacks the "+scope+" scope"))
				return
			case p.Service != "":
				a.WriteError(w, r, authos.NewError(authos.CodeForbidden, "This API key is bound to a service and cannot use this route"))
				return
			}
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
	read := func(h http.Handler) http.Handler { return s.guarded(ScopeRead, h) }
	write := func(h http.Handler) http.Handler { return s.guarded(ScopeWrite, h) }
	const base = "/api/organizations/{org}/webhooks"
	return []authos.Route{
		{Pattern: "POST " + base, Handler: write(authos.HandleJSON(a, http.StatusCreated, func(r *http.Request, _ *authos.Principal, in EndpointInput) (endpointCreated, error) {
			e, secret, err := s.Create(r.Context(), org(r), in)
			return endpointCreated{e, secret}, err
		}))},
		{Pattern: "GET " + base, Handler: read(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (endpointList, error) {
			l, err := s.List(r.Context(), org(r))
			return endpointList{l}, err
		}))},
		{Pattern: "GET " + base + "/{id}", Handler: read(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (endpointOne, error) {
			e, err := s.Get(r.Context(), org(r), r.PathValue("id"))
			return endpointOne{e}, err
		}))},
		{Pattern: "PATCH " + base + "/{id}", Handler: write(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, in EndpointPatch) (endpointOne, error) {
			e, err := s.Update(r.Context(), org(r), r.PathValue("id"), in)
			return endpointOne{e}, err
		}))},
		{Pattern: "DELETE " + base + "/{id}", Handler: write(authos.HandleJSON(a, http.StatusNoContent, func(r *http.Request, _ *authos.Principal, _ none) (none, error) {
			return none{}, s.Delete(r.Context(), org(r), r.PathValue("id"))
		}))},
		{Pattern: "POST " + base + "/{id}/rotate-secret", Handler: write(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (endpointCreated, error) {
			e, secret, err := s.RotateSecret(r.Context(), org(r), r.PathValue("id"))
			return endpointCreated{e, secret}, err
		}))},
		{Pattern: "GET " + base + "/{id}/deliveries", Handler: read(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (deliveryList, error) {
			q := r.URL.Query()
			f := DeliveryFilter{Status: q.Get("status"), EventType: q.Get("event_type"), Cursor: q.Get("cursor")}
			if v := q.Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return deliveryList{}, authos.NewError(authos.CodeBadRequest, "limit must be between 1 and 100")
				}
				f.Limit = n
			}
			l, next, err := s.Deliveries(r.Context(), org(r), r.PathValue("id"), f)
			return deliveryList{l, next}, err
		}))},
		{Pattern: "POST " + base + "/{id}/deliveries/{delivery_id}/retry", Handler: write(authos.HandleJSON(a, http.StatusAccepted, func(r *http.Request, _ *authos.Principal, _ none) (deliveryOne, error) {
			d, err := s.Retry(r.Context(), org(r), r.PathValue("id"), r.PathValue("delivery_id"))
			return deliveryOne{d}, err
		}))},
		{Pattern: "POST " + base + "/{id}/test", Handler: write(authos.HandleJSON(a, http.StatusOK, func(r *http.Request, _ *authos.Principal, _ none) (TestResult, error) {
			return s.Test(r.Context(), org(r), r.PathValue("id"))
		}))},
		{Pattern: "GET /api/webhooks/event-types", Handler: authos.HandleJSON(a, http.StatusOK, func(*http.Request, *authos.Principal, none) (eventTypeList, error) {
			return eventTypeList{s.EventTypes()}, nil
		})},
	}
}
