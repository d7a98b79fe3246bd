package authos

import (
	"github.com/authos/authos/internal/httpx"
	"net/http"
)

// route is one mounted endpoint.
type route struct {
	pattern string // "METHOD /path"
	handler http.Handler
	limited bool // per-IP auth rate limit
	auth    bool // requires a management access token
}

// coreRoutes are the routes of the core, registered by New.
func (a *Authos) coreRoutes() []Route {
	h := a.accountHandlers()
	rs := []route{
		{pattern: "POST /api/auth/register", handler: h["register"], limited: true},
		{pattern: "POST /api/auth/verify-email", handler: h["verify"], limited: true},
		{pattern: "POST /api/auth/resend-verification", handler: h["resend"], limited: true},
		{pattern: "POST /api/auth/login", handler: h["login"], limited: true},
		{pattern: "POST /api/auth/refresh", handler: h["refresh"], limited: true},
		{pattern: "POST /api/auth/logout", handler: h["logout"], auth: true},
		{pattern: "POST /api/auth/forgot-password", handler: h["forgot"], limited: true},
		{pattern: "POST /api/auth/reset-password", handler: h["reset"], limited: true},
		{pattern: "GET /api/user", handler: h["profile"], auth: true},
		{pattern: "PATCH /api/user", handler: h["patchProfile"], auth: true},
		{pattern: "POST /api/user/password", handler: h["password"], auth: true, limited: true},
		{pattern: "GET /api/user/sessions", handler: h["sessions"], auth: true},
		{pattern: "DELETE /api/user/sessions/{id}", handler: h["revokeSession"], auth: true},
		{pattern: "POST /api/user/sessions/{id}/revoke", handler: h["revokeSessionConfirmed"], auth: true, limited: true},
		{pattern: "POST /api/user/sessions/revoke-others", handler: h["revokeOtherSessions"], auth: true, limited: true},
		{pattern: "GET /.well-known/jwks.json", handler: http.HandlerFunc(a.handleJWKS)},
		{pattern: "GET /.well-known/openid-configuration", handler: http.HandlerFunc(a.handleDiscovery)},
		{pattern: "GET /.well-known/oauth-authorization-server", handler: http.HandlerFunc(a.handleDiscovery)},
	}
	if !a.cfg.Pages.Disabled {
		rs = append(rs, a.pages.routes()...)
	}
	rs = append(rs, a.signInRoutes()...)
	rs = append(rs, a.orgRoutes()...)
	rs = append(rs, a.platformRoutes()...)
	out := make([]Route, 0, len(rs))
	for _, rt := range rs {
		h := rt.handler
		if rt.auth {
			h = a.RequireAuth(h)
		}
		if rt.limited {
			h = a.LimitByIP(h)
		}
		out = append(out, Route{Pattern: rt.pattern, Handler: h})
	}
	return out
}

// LimitByIP is middleware applying the per-IP auth rate limit
// (RATE_LIMIT_EXCEEDED with Retry-After).
func (a *Authos) LimitByIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.cfg.RateLimits.Disabled && a.cfg.RateLimits.PerIP != (Limit{}) {
			if err := a.allow(r.Context(), "ip:"+a.ClientIP(r), a.cfg.RateLimits.PerIP); err != nil {
				a.WriteError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Authos) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(w, r, a.cfg.MaxBodyBytes, v); err != nil {
		a.WriteError(w, r, err)
		return false
	}
	return true
}

// HandleJSON builds a JSON endpoint: it decodes the body into In (skipped
// when In is struct{}; an absent body is the zero In), calls fn with the
// request's principal (nil on public routes) and its client address in the
// context (clientIPFrom), and writes Out with status (nothing for 204), or
// the error envelope. Domain packages build their handlers with it.
func HandleJSON[In, Out any](a *Authos, status int, fn func(r *http.Request, p *Principal, in In) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// An absent body is the zero In (optional bodies such as {reason});
		// the method then reports missing required fields itself.
		if rc, ok := r.Context().Value(clientIPKey{}).(*requestCtx); !ok || rc.a != a { // else Handler's context has it
			r = r.WithContext(WithClientIP(r.Context(), a.ClientIP(r)))
		}
		var in In
		if _, empty := any(in).(struct{}); !empty && r.ContentLength != 0 && !a.decode(w, r, &in) {
			return
		}
		out, err := fn(r, PrincipalFrom(r.Context()), in)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		httpx.WriteJSON(w, status, out)
	}
}

type none = struct{}

type userResponse struct {
	User Profile `json:"user"`
}

type tokenRequest struct {
	Token string `json:"token"`
}

type emailRequest struct {
	Email string `json:"email"`
}

type messageResponse struct {
	Message string `json:"message"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// reauthRequest confirms a sensitive change (see Authos.Reauthenticate).
type reauthRequest struct {
	CurrentPassword string `json:"current_password,omitempty"`
}

// revokedResponse counts the sessions a request ended.
type revokedResponse struct {
	Revoked int `json:"revoked"`
}

type sessionsResponse struct {
	Sessions []SessionInfo `json:"sessions"`
}

// profileOf wraps an account call that yields a user into the {user} body.
func (a *Authos) profileOf(r *http.Request, u User, err error) (userResponse, error) {
	if err != nil {
		return userResponse{}, err
	}
	p, err := a.GetProfile(r.Context(), u.ID)
	return userResponse{User: p}, err
}

func (a *Authos) accountHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"register": HandleJSON(a, http.StatusCreated, func(r *http.Request, _ *Principal, in RegisterInput) (userResponse, error) {
			u, err := a.Register(r.Context(), in)
			return a.profileOf(r, u, err)
		}),
		"verify": HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, in tokenRequest) (userResponse, error) {
			u, err := a.VerifyEmail(r.Context(), in.Token)
			return a.profileOf(r, u, err)
		}),
		"resend": HandleJSON(a, http.StatusAccepted, func(r *http.Request, _ *Principal, in emailRequest) (messageResponse, error) {
			return messageResponse{"If the account exists and is unverified, an email is on its way."},
				a.ResendVerification(r.Context(), in.Email)
		}),
		"login": HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, in LoginInput) (*TokenResponse, error) {
			in.ClientIP, in.UserAgent = a.ClientIP(r), r.UserAgent()
			return a.Login(r.Context(), in)
		}),
		"refresh": HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, in refreshRequest) (*TokenResponse, error) {
			return a.Refresh(r.Context(), in.RefreshToken)
		}),
		"logout": HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			return none{}, a.Logout(r.Context(), p.SessionID)
		}),
		"forgot": HandleJSON(a, http.StatusAccepted, func(r *http.Request, _ *Principal, in emailRequest) (messageResponse, error) {
			return messageResponse{"If the account exists, a reset email is on its way."}, a.ForgotPassword(r.Context(), in.Email)
		}),
		"reset": HandleJSON(a, http.StatusOK, func(r *http.Request, _ *Principal, in resetRequest) (messageResponse, error) {
			return messageResponse{"Password changed; every session was signed out."}, a.ResetPassword(r.Context(), in.Token, in.Password)
		}),
		"profile": HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (Profile, error) {
			return a.GetProfile(r.Context(), p.UserID)
		}),
		"patchProfile": HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in ProfileUpdate) (Profile, error) {
			return a.UpdateProfile(r.Context(), p.UserID, in)
		}),
		"password": HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in PasswordChange) (none, error) {
			return none{}, a.ChangePassword(r.Context(), p, in)
		}),
		"sessions": HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, _ none) (sessionsResponse, error) {
			ss, err := a.ListSessions(r.Context(), p.UserID, p.SessionID)
			return sessionsResponse{Sessions: ss}, err
		}),
		// DELETE takes no body: it ends the caller's own session (a logout),
		// or another one when the account has no password and signed in
		// recently; otherwise the POST .../revoke form carries current_password.
		"revokeSession": HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, _ none) (none, error) {
			return none{}, a.RevokeUserSession(r.Context(), p, r.PathValue("id"), "")
		}),
		"revokeSessionConfirmed": HandleJSON(a, http.StatusNoContent, func(r *http.Request, p *Principal, in reauthRequest) (none, error) {
			return none{}, a.RevokeUserSession(r.Context(), p, r.PathValue("id"), in.CurrentPassword)
		}),
		"revokeOtherSessions": HandleJSON(a, http.StatusOK, func(r *http.Request, p *Principal, in reauthRequest) (revokedResponse, error) {
			n, err := a.SignOutOtherSessions(r.Context(), p, in.CurrentPassword)
			return revokedResponse{n}, err
		}),
	}
}
