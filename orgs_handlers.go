package authos

import (
	"cmp"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/authos/authos/store"
)

// access declares who may use an /api/organizations/{org} route.
type access struct {
	// role is the least role an access token's user needs. An API key acts
	// with its creator's role (the lower of the role when the key was made
	// and now), so it needs the same role: an admin's key cannot do owner
	// work.
	role string
	// scope is the scope that stands for the route on an API key; "" means
	// API keys are refused.
	scope string
	// service lets a key bound to a service use the route; the handler then
	// confines the key to its own service. Other routes refuse bound keys.
	service bool
}

// orgRoute is an /api/organizations/{org} route guarded by acc.
func (a *Authos) orgRoute(pattern string, acc access, h http.Handler) route {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := PrincipalFrom(r.Context())
		if p.Kind == PrincipalAPIKey {
			switch {
			case acc.scope == "":
				a.WriteError(w, r, NewError(CodeForbidden, "API keys cannot use this route"))
				return
			case !p.HasScope(acc.scope):
				a.WriteError(w, r, NewError(CodeForbidden, "This API key lacks the "+acc.scope+" scope"))
				return
			case p.Service != "" && !acc.service:
				a.WriteError(w, r, NewError(CodeForbidden, "This API key is bound to a service and cannot use this route"))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
	return route{pattern: pattern, handler: a.RequireOrgRole(acc.role)(inner)}
}

// org returns the organization RequireOrgRole resolved.
func org(r *http.Request) (Organization, Membership) {
	o, m, _ := OrgFrom(r.Context())
	return o, m
}

type orgCreated struct {
	Organization OrgView        `json:"organization"`
	Membership   membershipJSON `json:"membership"`
}

type orgList struct {
	Organizations []UserOrganization `json:"organizations"`
}

type nameRequest struct {
	Name string `json:"name"`
}

type roleRequest struct {
	Role string `json:"role"`
}

type userIDRequest struct {
	UserID string `json:"user_id"`
}

type invitationCreated struct {
	Invitation InvitationView `json:"invitation"`
	Token      string         `json:"token"`
}

type invitationList struct {
	Invitations []InvitationView `json:"invitations"`
}

type serviceEnvelope struct {
	Service ServiceView `json:"service"`
}

type serviceList struct {
	Services []ServiceView `json:"services"`
}

type apiKeyCreated struct {
	APIKey APIKeyView `json:"api_key"`
	Key    string     `json:"key"`
}

type apiKeyList struct {
	APIKeys []APIKeyView `json:"api_keys"`
}

type testEmailRequest struct {
	To string `json:"to"`
}

type checkoutRequest struct {
	Tier string `json:"tier"`
}

type checkoutResponse struct {
	URL string `json:"url"`
}

func (a *Authos) orgRoutes() []route {
	member, admin, owner := store.RoleMember, store.RoleAdmin, store.RoleOwner
	return []route{
		{pattern: "POST /api/organizations", auth: true, handler: HandleJSON(a, http.StatusCreated, func(r *http.Request, p *Principal, in CreateOrgInput) (orgCreated, error) {
			o, m, err := a.CreateOrganization(r.Context(), p.UserID, in)
			return orgCreated{a.viewOf(o), membershipView(m)}, err
		})},
		{pattern: "GET /api/organizations", auth: true, handler: HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (orgList, error) {
			l, err := a.ListMyOrganizations(r.Context(), p.UserID)
			return orgList{l}, err
		})},
		a.orgRoute("GET /api/organizations/{org}", access{role: member, scope: "organization:read", service: true}, HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, _ none) (OrgView, error) {
			o, _ := org(r)
			return a.viewOf(o), nil
		})),
		a.orgRoute("PATCH /api/organizations/{org}", access{role: admin, scope: "organization:write"}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in nameRequest) (OrgView, error) {
			o, _ := org(r)
			o, err := a.RenameOrganization(r.Context(), p.UserID, o, in.Name)
			return a.viewOf(o), err
		})),
		a.orgRoute("DELETE /api/organizations/{org}", access{role: owner}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			o, _ := org(r)
			return none{}, a.DeleteOrganization(r.Context(), p.UserID, o)
		})),
		a.orgRoute("GET /api/organizations/{org}/members", access{role: member, scope: "members:read"}, HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, _ none) (MemberList, error) {
			o, _ := org(r)
			return a.ListMembers(r.Context(), o)
		})),
		a.orgRoute("PATCH /api/organizations/{org}/members/{user_id}", access{role: owner}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in roleRequest) (none, error) {
			o, _ := org(r)
			return none{}, a.SetMemberRole(r.Context(), p.UserID, o, r.PathValue("user_id"), in.Role)
		})),
		a.orgRoute("DELETE /api/organizations/{org}/members/{user_id}", access{role: member}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			o, m := org(r)
			return none{}, a.RemoveMember(r.Context(), p.UserID, m.Role, o, r.PathValue("user_id"))
		})),
		a.orgRoute("POST /api/organizations/{org}/transfer-ownership", access{role: owner}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in userIDRequest) (none, error) {
			o, _ := org(r)
			return none{}, a.TransferOwnership(r.Context(), p.UserID, o, in.UserID)
		})),
		a.orgRoute("POST /api/organizations/{org}/invitations", access{role: admin}, HandleJSON(a, http.StatusCreated, func(r *http.Request, p *Principal, in InviteInput) (invitationCreated, error) {
			o, _ := org(r)
			inv, tok, err := a.Invite(r.Context(), p.UserID, o, in)
			return invitationCreated{inv, tok}, err
		})),
		a.orgRoute("GET /api/organizations/{org}/invitations", access{role: admin, scope: "invitations:read"}, HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, _ none) (invitationList, error) {
			o, _ := org(r)
			l, err := a.ListInvitations(r.Context(), o)
			return invitationList{l}, err
		})),
		a.orgRoute("DELETE /api/organizations/{org}/invitations/{id}", access{role: admin, scope: "invitations:write"}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, _ *Principal, _ none) (none, error) {
			o, _ := org(r)
			return none{}, a.CancelInvitation(r.Context(), o, r.PathValue("id"))
		})),
		{pattern: "GET /api/invitations", auth: true, handler: HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (invitationList, error) {
			l, err := a.MyInvitations(r.Context(), p.UserID)
			return invitationList{l}, err
		})},
		{pattern: "POST /api/invitations/accept", auth: true, handler: HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in tokenRequest) (membershipJSON, error) {
			m, err := a.AcceptInvitation(r.Context(), p.UserID, in.Token)
			return membershipView(m), err
		})},
		{pattern: "POST /api/invitations/decline", auth: true, handler: HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in tokenRequest) (none, error) {
			return none{}, a.DeclineInvitation(r.Context(), p.UserID, in.Token)
		})},
		a.orgRoute("POST /api/organizations/{org}/services", access{role: admin, scope: "services:write"}, HandleJSON(a, http.StatusCreated, func(r *http.Request, p *Principal, in ServiceInput) (serviceEnvelope, error) {
			o, _ := org(r)
			s, err := a.CreateService(r.Context(), p.UserID, o, in)
			return serviceEnvelope{s}, err
		})),
		a.orgRoute("GET /api/organizations/{org}/services", access{role: member, scope: "services:read", service: true}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (serviceList, error) {
			o, _ := org(r)
			l, err := a.listServices(r.Context(), o, keyService(p))
			return serviceList{l}, err
		})),
		a.orgRoute("GET /api/organizations/{org}/services/{service}", access{role: member, scope: "services:read", service: true}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (serviceEnvelope, error) {
			o, _ := org(r)
			s, err := serviceInScope(r.Context(), a.st, o.ID, r.PathValue("service"), keyService(p))
			if err != nil {
				return serviceEnvelope{}, dbError(err)
			}
			return serviceEnvelope{serviceView(s, "")}, err
		})),
		a.orgRoute("PATCH /api/organizations/{org}/services/{service}", access{role: admin, scope: "services:write", service: true}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in ServiceUpdate) (serviceEnvelope, error) {
			o, _ := org(r)
			s, err := a.updateService(r.Context(), o, r.PathValue("service"), keyService(p), in)
			return serviceEnvelope{s}, err
		})),
		a.orgRoute("DELETE /api/organizations/{org}/services/{service}", access{role: owner, scope: "services:write", service: true}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			o, _ := org(r)
			return none{}, a.deleteService(r.Context(), p.UserID, o, r.PathValue("service"), keyService(p))
		})),
		a.orgRoute("POST /api/organizations/{org}/api-keys", access{role: admin, scope: "api_keys:write", service: true}, HandleJSON(a, http.StatusCreated, func(r *http.Request, p *Principal, in APIKeyInput) (apiKeyCreated, error) {
			o, _ := org(r)
			k, key, err := a.CreateAPIKey(r.Context(), p, o, in)
			return apiKeyCreated{k, key}, err
		})),
		a.orgRoute("GET /api/organizations/{org}/api-keys", access{role: admin, scope: "api_keys:read", service: true}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (apiKeyList, error) {
			o, _ := org(r)
			l, err := a.listAPIKeys(r.Context(), o, keyService(p))
			return apiKeyList{l}, err
		})),
		a.orgRoute("DELETE /api/organizations/{org}/api-keys/{id}", access{role: admin, scope: "api_keys:write", service: true}, HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			o, _ := org(r)
			return none{}, a.revokeAPIKey(r.Context(), p.UserID, o, r.PathValue("id"), keyService(p))
		})),
		a.orgRoute("POST /api/organizations/{org}/billing/checkout", access{role: owner}, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in checkoutRequest) (checkoutResponse, error) {
			o, _ := org(r)
			if a.cfg.Billing == nil {
				return checkoutResponse{}, NewError(CodeNotFound, "Billing is not configured")
			}
			if _, ok := a.cfg.Tiers[in.Tier]; !ok {
				return checkoutResponse{}, NewError(CodeBadRequest, "Unknown tier "+in.Tier)
			}
			u, err := a.st.GetUser(r.Context(), p.UserID)
			if err != nil {
				return checkoutResponse{}, dbError(err)
			}
			url, err := a.cfg.Billing.Checkout(r.Context(), o, in.Tier, u.Email)
			return checkoutResponse{url}, err
		})),
		{pattern: "POST /webhooks/stripe", handler: http.HandlerFunc(a.handleBillingWebhook)},
	}
}

type tierList struct {
	Tiers []Tier `json:"tiers"`
}

type platformOrgList struct {
	Organizations []OrgView `json:"organizations"`
	Total         int       `json:"total"`
}

type transitionRequest struct {
	Tier   string `json:"tier,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type auditList struct {
	Entries []auditEntryJSON `json:"entries"`
	Total   int              `json:"total"`
}

// auditEntryJSON is an audit entry as clients see it.
type auditEntryJSON struct {
	ID         string `json:"id"`
	ActorID    string `json:"actor_id"`
	Action     string `json:"action"`
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	Before     any    `json:"before,omitempty"`
	After      any    `json:"after,omitempty"`
	Reason     string `json:"reason,omitempty"`
	CreatedAt  string `json:"created_at"`
}

func queryInt(r *http.Request, key string) int {
	n, _ := strconv.Atoi(r.URL.Query().Get(key))
	return max(n, 0)
}

func (a *Authos) platformRoutes() []route {
	po := func(pattern string, h http.Handler) route {
		return route{pattern: pattern, handler: a.RequirePlatformOwner(h)}
	}
	transition := func(action string) route {
		return po("POST /api/platform/organizations/{id}/"+action, HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in transitionRequest) (OrgView, error) {
			if action == "reject" && in.Reason == "" {
				return OrgView{}, NewError(CodeBadRequest, "reason is required")
			}
			o, err := a.TransitionOrganization(r.Context(), p.UserID, OrgTransition{OrgID: r.PathValue("id"), Action: action, Tier: in.Tier, Reason: in.Reason})
			return a.viewOf(o), err
		}))
	}
	return []route{
		po("GET /api/platform/tiers", HandleJSON(a, http.StatusOK, func(*http.Request, *Principal, none) (tierList, error) {
			var l tierList
			for _, t := range a.cfg.Tiers {
				l.Tiers = append(l.Tiers, t)
			}
			sortTiers(l.Tiers)
			return l, nil
		})),
		po("GET /api/platform/organizations", HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, _ none) (platformOrgList, error) {
			l, total, err := a.ListOrganizations(r.Context(), store.OrgFilter{Status: r.URL.Query().Get("status"),
				Limit: queryInt(r, "limit"), Offset: queryInt(r, "offset")})
			return platformOrgList{l, total}, err
		})),
		transition("approve"), transition("reject"), transition("suspend"), transition("activate"),
		po("PATCH /api/platform/organizations/{id}/tier", HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in TierChange) (OrgView, error) {
			in.OrgID = r.PathValue("id")
			o, err := a.SetOrganizationTier(r.Context(), p.UserID, in)
			return a.viewOf(o), err
		})),
		po("DELETE /api/platform/organizations/{id}", HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			return none{}, a.PlatformDeleteOrganization(r.Context(), p.UserID, OrgDeletion{OrgID: r.PathValue("id"), Reason: r.URL.Query().Get("reason")})
		})),
		po("POST /api/platform/owners", HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in userIDRequest) (none, error) {
			return none{}, a.SetPlatformOwner(r.Context(), p.UserID, in.UserID, true)
		})),
		po("DELETE /api/platform/owners/{user_id}", HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			return none{}, a.SetPlatformOwner(r.Context(), p.UserID, r.PathValue("user_id"), false)
		})),
		po("POST /api/platform/email/test", HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in testEmailRequest) (messageResponse, error) {
			if in.To == "" {
				return messageResponse{}, NewError(CodeBadRequest, "to is required")
			}
			return messageResponse{Message: "Test email sent"}, a.SendTestEmail(r.Context(), p.UserID, in.To)
		})),
		po("DELETE /api/platform/users/{user_id}/sessions", HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (revokedResponse, error) {
			n, err := a.PlatformRevokeUserSessions(r.Context(), p.UserID, r.PathValue("user_id"), r.URL.Query().Get("reason"))
			return revokedResponse{n}, err
		})),
		po("GET /api/platform/audit-log", HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, _ none) (auditList, error) {
			q := r.URL.Query()
			es, total, err := a.ListAudit(r.Context(), store.AuditFilter{ActorID: q.Get("actor_id"), Action: q.Get("action"),
				TargetType: q.Get("target_type"), TargetID: q.Get("target_id"), Limit: queryInt(r, "limit"), Offset: queryInt(r, "offset")})
			out := auditList{Entries: make([]auditEntryJSON, 0, len(es)), Total: total}
			for _, e := range es {
				out.Entries = append(out.Entries, auditEntryJSON{ID: e.ID, ActorID: e.ActorID, Action: e.Action, TargetType: e.TargetType,
					TargetID: e.TargetID, Before: rawJSON(e.Before), After: rawJSON(e.After), Reason: e.Reason,
					CreatedAt: e.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
			}
			return out, err
		})),
	}
}

func sortTiers(ts []Tier) {
	slices.SortFunc(ts, func(x, y Tier) int {
		if c := cmpLimit(x.MaxServices, y.MaxServices); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
}

// cmpLimit orders limits with -1 (unlimited) last.
func cmpLimit(x, y int) int {
	if x < 0 {
		x = math.MaxInt
	}
	if y < 0 {
		y = math.MaxInt
	}
	return cmp.Compare(x, y)
}

// rawJSON embeds stored JSON as is (nil stays absent).
func rawJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}
