package authos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/authos/authos/internal/httpx"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// RFC 6749 §5.2 (and RFC 8628 §3.5) error codes of the token endpoint.
const (
	oauthInvalidRequest       = "invalid_request"
	oauthInvalidClient        = "invalid_client"
	oauthInvalidGrant         = "invalid_grant"
	oauthUnauthorizedClient   = "unauthorized_client"
	oauthUnsupportedGrantType = "unsupported_grant_type"
	oauthInvalidScope         = "invalid_scope"
	oauthAccessDenied         = "access_denied"
	oauthServerError          = "server_error"
)

// Grant types the core redeems at the token endpoint.
const (
	grantTypeAuthorizationCode = "authorization_code"
	grantTypeRefreshToken      = "refresh_token"
	grantTypeClientCredentials = "client_credentials"
)

// maxTokenFormBytes caps the bodies of the token endpoint.
const maxTokenFormBytes = 16 << 10

// OAuthError is an error of the OAuth endpoints (token, device
// authorization): the RFC error code, with the catalog code sent beside it
// as error_code.
type OAuthError struct {
	RFC         string    // e.g. "invalid_grant"
	Code        ErrorCode // e.g. OAUTH_CODE_EXPIRED
	Description string    // public message
	Status      int       // HTTP status: 400 (0 means 400), 401 for invalid_client with HTTP Basic, 429, 500
	Err         error     // internal cause, logged and never sent
	// RetryAfter sets the Retry-After header (429).
	RetryAfter time.Duration
}

// Error returns the RFC code and the public description.
func (e *OAuthError) Error() string { return e.RFC + ": " + e.Description }

// Unwrap returns the internal cause.
func (e *OAuthError) Unwrap() error { return e.Err }

// NewOAuthError returns an OAuthError with status 400.
func NewOAuthError(rfc string, code ErrorCode, description string) *OAuthError {
	return &OAuthError{RFC: rfc, Code: code, Description: description, Status: http.StatusBadRequest}
}

// oauthErrorOf maps err to the OAuth error sent for it: an *OAuthError as
// is; a catalog error by its code (UNAUTHORIZED is invalid_client,
// ORGANIZATION_NOT_ACTIVE unauthorized_client, other 4xx invalid_request);
// anything else server_error (500), its cause kept for the log.
func oauthErrorOf(err error) *OAuthError {
	var oe *OAuthError
	if errors.As(err, &oe) {
		return oe
	}
	e := AsError(err)
	switch e.Code {
	case CodeUnauthorized:
		return NewOAuthError(oauthInvalidClient, e.Code, e.PublicMessage())
	case CodeOrganizationNotActive:
		return NewOAuthError(oauthUnauthorizedClient, e.Code, e.PublicMessage())
	}
	if s := e.Code.HTTPStatus(); s < 500 {
		return NewOAuthError(oauthInvalidRequest, e.Code, e.PublicMessage())
	}
	return &OAuthError{RFC: oauthServerError, Code: e.Code, Description: e.PublicMessage(), Status: 500, Err: err}
}

// writeOAuthError writes e in the RFC 6749 §5.2 shape with the catalog
// fields: {"error", "error_description", "error_code", "timestamp"}, with
// no-store caching and, for 401, a Basic challenge.
func (a *Authos) writeOAuthError(w http.ResponseWriter, r *http.Request, e *OAuthError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if status >= 500 {
		attrs := []any{"error_code", string(e.Code), "path", r.URL.Path}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		a.log.Error("authos: oauth request failed", attrs...)
	}
	h := w.Header()
	if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Basic realm="authos"`)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	// A write error means the client is gone; the status is already sent.
	_ = json.NewEncoder(w).Encode(map[string]string{
		"error": e.RFC, "error_description": e.Description,
		"error_code": string(e.Code), "timestamp": a.now().Format(time.RFC3339),
	})
}

// Client authentication methods at the token endpoint (TokenRequest.Via).
const (
	clientAuthBasic = "basic" // client_secret_basic, or a public client's id in HTTP Basic
	clientAuthBody  = "body"  // client_secret_post, or a public client's client_id in the body (none)
)

// TokenRequest is one request to the token endpoint once its client is
// authenticated: what a registered grant receives.
type TokenRequest struct {
	GrantType string
	Client    ServiceClient
	// Public tells that the client has no secret (mobile and desktop
	// services): it authenticated with its client_id alone.
	Public bool
	// Via is how the client authenticated: clientAuthBasic or clientAuthBody.
	Via string
	// Form is the request's parameters (each appears once).
	Form      url.Values
	ClientIP  string
	UserAgent string
}

// TokenGrant redeems one grant type at the token endpoint. Errors are
// *OAuthError, or catalog errors mapped by oauthErrorOf.
type TokenGrant func(ctx context.Context, req *TokenRequest) (*TokenResponse, error)

// grantRegistry holds the grant types of the token endpoint.
type grantRegistry struct {
	mu     sync.RWMutex
	grants map[string]TokenGrant
}

// RegisterGrant adds a grant type to the token endpoint (POST /auth/token)
// and to the discovery document's grant_types_supported. It fails when the
// type is empty or registered already.
func (e Extension) RegisterGrant(grantType string, g TokenGrant) error {
	if grantType == "" || g == nil {
		return errors.New("authos: RegisterGrant needs a grant type and a grant")
	}
	r := &e.a.grants
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.grants[grantType]; ok {
		return fmt.Errorf("authos: grant type %q is registered already", grantType)
	}
	if r.grants == nil {
		r.grants = map[string]TokenGrant{}
	}
	r.grants[grantType] = g
	return nil
}

// grant returns the grant of type t.
func (a *Authos) grant(t string) (TokenGrant, bool) {
	a.grants.mu.RLock()
	defer a.grants.mu.RUnlock()
	g, ok := a.grants.grants[t]
	return g, ok
}

// grantTypes lists the grant types the token endpoint redeems, sorted.
func (a *Authos) grantTypes() []string {
	a.grants.mu.RLock()
	defer a.grants.mu.RUnlock()
	out := make([]string, 0, len(a.grants.grants))
	for t := range a.grants.grants {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// registerCoreGrants registers the grants of the core.
func (a *Authos) registerCoreGrants() error {
	x := Extend(a)
	err := errors.Join(
		x.RegisterGrant(grantTypeRefreshToken, a.grantRefreshToken),
		x.RegisterGrant(grantTypeClientCredentials, a.grantClientCredentials),
	)
	if a.signInOffered() {
		err = errors.Join(err, x.RegisterGrant(grantTypeAuthorizationCode, a.grantAuthorizationCode))
	}
	return err
}

// clientCredentials reads the client's credentials of a token request:
// HTTP Basic (RFC 6749 §2.3.1, form-encoded id and secret) or client_id
// and client_secret in the body. Both may name the client (x/oauth2 sends
// client_id in the body beside Basic), but they must agree, and a secret
// may come only one way.
func clientCredentials(r *http.Request, form url.Values) (id, secret, via string, oe *OAuthError) {
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	bid, bsecret, basic := r.BasicAuth()
	if !basic {
		if r.Header.Get("Authorization") != "" {
			return "", "", "", &OAuthError{RFC: oauthInvalidClient, Code: CodeUnauthorized,
				Description: "Unsupported Authorization scheme", Status: http.StatusUnauthorized}
		}
		if bodyID == "" {
			return "", "", "", NewOAuthError(oauthInvalidClient, CodeUnauthorized, "client_id is required")
		}
		return bodyID, bodySecret, clientAuthBody, nil
	}
	uid, err1 := url.QueryUnescape(bid)
	usecret, err2 := url.QueryUnescape(bsecret)
	switch {
	case err1 != nil || err2 != nil || uid == "":
		return "", "", "", &OAuthError{RFC: oauthInvalidClient, Code: CodeUnauthorized,
			Description: "Malformed client credentials", Status: http.StatusUnauthorized}
	case bodyID != "" && bodyID != uid:
		return "", "", "", NewOAuthError(oauthInvalidRequest, CodeBadRequest, "client_id in the body differs from the Authorization header")
	case bodySecret != "":
		return "", "", "", NewOAuthError(oauthInvalidRequest, CodeBadRequest, "Send the client secret one way only")
	}
	return uid, usecret, clientAuthBasic, nil
}

// authenticateClientRequest reads the form of a request to the token,
// revocation or introspection endpoint (strictly: each parameter once, no
// control characters) and authenticates its client, the same way for the
// three: the credentials of clientCredentials, the per-client limit, then a
// confidential client by its secret and a public one (the host client
// included) by its client_id alone; a public client that sends a secret
// is refused, since it has none to send. Failures are the OAuth error to
// write (see clientError).
func (a *Authos) authenticateClientRequest(w http.ResponseWriter, r *http.Request) (ServiceClient, string, url.Values, *OAuthError) {
	if err := parseForm(w, r, maxTokenFormBytes); err != nil {
		return ServiceClient{}, "", nil, oauthErrorOf(err)
	}
	form := r.PostForm
	id, secret, via, oe := clientCredentials(r, form)
	if oe == nil && (len(id) > 256 || len(secret) > 512) {
		oe = clientError(NewError(CodeUnauthorized, "Invalid client credentials"), via)
	}
	if oe == nil {
		oe = a.limitClient(r.Context(), id)
	}
	if oe != nil {
		return ServiceClient{}, "", nil, oe
	}
	c, err := a.authenticateAnyClient(r.Context(), id, secret)
	if err == nil && secret != "" && c.Service.ClientSecretHash == "" {
		err = NewError(CodeUnauthorized, "This client is public and has no secret; send its client_id alone")
	}
	if err != nil {
		return ServiceClient{}, "", nil, clientError(err, via)
	}
	return c, via, form, nil
}

// clientError is the OAuth error of err for a client that authenticated
// via (clientAuthBasic or clientAuthBody): invalid_client is 401, with the
// Basic challenge writeOAuthError adds, when the client tried HTTP Basic
// (RFC 6749 §5.2), 400 otherwise.
func clientError(err error, via string) *OAuthError {
	e := oauthErrorOf(err)
	if e.RFC == oauthInvalidClient && via == clientAuthBasic {
		e.Status = http.StatusUnauthorized
	}
	return e
}

// handleToken serves POST /auth/token: it authenticates the client once
// and hands the request to the grant registered for its grant_type.
func (a *Authos) handleToken(w http.ResponseWriter, r *http.Request) {
	c, via, form, oe := a.authenticateClientRequest(w, r)
	if oe != nil {
		a.writeOAuthError(w, r, oe)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		a.writeOAuthError(w, r, NewOAuthError(oauthInvalidRequest, CodeBadRequest, "grant_type is required"))
		return
	}
	if err := CheckIdentifier("grant_type", grantType); err != nil || len(grantType) > 256 {
		a.writeOAuthError(w, r, NewOAuthError(oauthInvalidRequest, CodeBadRequest, "Malformed grant_type"))
		return
	}
	g, ok := a.grant(grantType)
	if !ok {
		a.writeOAuthError(w, r, NewOAuthError(oauthUnsupportedGrantType, CodeInvalidGrantType,
			"Unsupported grant_type; supported: "+fmt.Sprint(a.grantTypes())))
		return
	}
	req := &TokenRequest{GrantType: grantType, Client: c, Public: c.Service.ClientSecretHash == "", Via: via,
		Form: form, ClientIP: a.ClientIP(r), UserAgent: r.UserAgent()}
	tr, err := g(r.Context(), req)
	if err != nil {
		a.writeOAuthError(w, r, clientError(err, via))
		return
	}
	w.Header().Set("Pragma", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, tr) // Cache-Control: no-store
}

// grantClientCredentials redeems client_credentials (RFC 6749 §4.4): for
// confidential services only, an access token whose subject is the
// client_id, with no refresh token. It has no stored session: it cannot be
// revoked on its own and ends when it expires.
func (a *Authos) grantClientCredentials(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.Public {
		return nil, NewOAuthError(oauthUnauthorizedClient, CodeUnauthorized, "Public clients cannot use client_credentials")
	}
	scope, oe := narrowScope(req.Form.Get("scope"), nil)
	if oe != nil {
		return nil, oe
	}
	if slices.Contains(scope, scopeOpenID) || slices.Contains(scope, scopeOfflineAccess) {
		return nil, NewOAuthError(oauthInvalidScope, CodeBadRequest, "openid and offline_access need a user; client_credentials has none")
	}
	return a.mintClientToken(ctx, req.Client, joinScope(scope))
}
