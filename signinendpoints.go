package authos

import (
	"net/http"
)

// endpointRoutes are the routes of the authorization server beside the
// authorization and token endpoints: UserInfo, revocation, introspection
// and RP-initiated logout (which needs the sign-in sessions of
// store.SignInStore).
func (a *Authos) endpointRoutes() []route {
	rs := []route{
		{pattern: "GET /auth/userinfo", handler: http.HandlerFunc(a.handleUserInfo)},
		{pattern: "POST /auth/userinfo", handler: http.HandlerFunc(a.handleUserInfo)},
		{pattern: "POST /auth/revoke", handler: http.HandlerFunc(a.handleRevoke)},
		{pattern: "POST /auth/introspect", handler: http.HandlerFunc(a.handleIntrospect)},
	}
	if !a.signInOffered() {
		return rs
	}
	// The logout form posts back from this site's own page: a POST from
	// another site is refused (the sign-in cookie, SameSite=Lax, would not
	// come with it anyway).
	cop := http.NewCrossOriginProtection()
	if origin, err := originOf(a.cfg.BaseURL); err == nil {
		_ = cop.AddTrustedOrigin(origin) // originOf writes a valid origin
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.signInErrorPage(w, r, NewError(CodeForbidden, "The sign-out form was submitted from another site"))
	}))
	return append(rs,
		route{pattern: "GET /auth/logout", handler: http.HandlerFunc(a.handleLogout), limited: true},
		route{pattern: "POST /auth/logout", handler: cop.Handler(http.HandlerFunc(a.handleLogout)), limited: true})
}

// endpointMetadata adds the endpoints of endpointRoutes to the discovery
// document m.
func (a *Authos) endpointMetadata(m map[string]any) {
	base := a.cfg.BaseURL
	methods := []string{"client_secret_basic", "client_secret_post", "none"}
	m["userinfo_endpoint"] = base + "/auth/userinfo"
	m["revocation_endpoint"] = base + "/auth/revoke"
	m["revocation_endpoint_auth_methods_supported"] = methods
	m["introspection_endpoint"] = base + "/auth/introspect"
	m["introspection_endpoint_auth_methods_supported"] = methods
	if a.signInOffered() {
		m["end_session_endpoint"] = base + "/auth/logout"
	}
}
