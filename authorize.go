package authos

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// The sign-in flow of the authorization server (RFC 6749 §4.1, RFC 7636,
// OpenID Connect Core §3.1): GET /auth/authorize checks the client and its
// redirect URI, then answers at once from the browser's sign-in session
// (single sign-on) or keeps the request server-side (10 minutes, by a hash
// of its id) and sends the browser to the sign-in page with the request's
// id; the sign-in ends in CompleteAuthorization, which opens the sign-in
// session and issues the code. The client redeems the code at the token
// endpoint (60 seconds, once, with the PKCE verifier).

// Scopes the authorization server grants.
const (
	scopeOpenID        = "openid"
	scopeProfile       = "profile"
	scopeEmail         = "email"
	scopeOfflineAccess = "offline_access"
)

// supportedScopes are the scopes a client may ask for.
var supportedScopes = []string{scopeOpenID, scopeProfile, scopeEmail, scopeOfflineAccess}

// Lifetimes of the flow's state.
const (
	authRequestTTL = 10 * time.Minute
	authCodeTTL    = 60 * time.Second
	// usedCodeKeep is how long a code is kept after it expires, so that a
	// late second presentation still revokes what the first one issued.
	usedCodeKeep = time.Hour
)

// Limits on the authorization request's parameters.
const (
	maxStateBytes     = 1024
	maxNonceBytes     = 512
	maxLoginHintBytes = 254
	maxMaxAge         = 366 * 24 * 60 * 60
)

// signInAudience is the Audience of sign-in sessions: no access token is
// ever minted for it.
const signInAudience = "authos:signin"

// Prompt values (OpenID Connect Core §3.1.2.1, Initiating User
// Registration 1.0).
const (
	promptNone   = "none"
	promptLogin  = "login"
	promptCreate = "create"
)

// authorizeRequest is an authorization request's parameters, as sent.
type authorizeRequest struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string
	LoginHint           string
	// MaxAge is max_age in seconds; negative when absent.
	MaxAge int
}

// parseAuthorizeRequest reads an authorization request from its raw query,
// strictly: each parameter at most once (RFC 6749 §3.1), valid UTF-8
// without control characters, bounded lengths, max_age a non-negative
// integer. An error means that nothing in the query can be trusted, not
// even the redirect URI: the caller shows it and redirects nowhere.
func parseAuthorizeRequest(rawQuery string) (authorizeRequest, error) {
	if len(rawQuery) > 8<<10 {
		return authorizeRequest{}, NewError(CodeBadRequest, "The authorization request is too long")
	}
	q, err := parseFormBody(rawQuery)
	if err != nil {
		return authorizeRequest{}, err
	}
	r := authorizeRequest{
		ResponseType: q.Get("response_type"), ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"), CodeChallenge: q.Get("code_challenge"),
		CodeChallengeMethod: q.Get("code_challenge_method"), Prompt: q.Get("prompt"), LoginHint: q.Get("login_hint"),
		MaxAge: -1,
	}
	switch {
	case len(r.ClientID) > 256 || len(r.RedirectURI) > 2048 || len(r.Scope) > 512 || len(r.ResponseType) > 64:
		return authorizeRequest{}, NewError(CodeBadRequest, "A parameter of the authorization request is too long")
	case len(r.State) > maxStateBytes || len(r.Nonce) > maxNonceBytes || len(r.LoginHint) > maxLoginHintBytes:
		return authorizeRequest{}, NewError(CodeBadRequest, "state, nonce or login_hint is too long")
	case len(r.CodeChallenge) > 128 || len(r.CodeChallengeMethod) > 16 || len(r.Prompt) > 64:
		return authorizeRequest{}, NewError(CodeBadRequest, "A parameter of the authorization request is too long")
	}
	if v, ok := q["max_age"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 || n > maxMaxAge || v[0] != strconv.Itoa(n) {
			return authorizeRequest{}, NewError(CodeBadRequest, "max_age must be a number of seconds")
		}
		r.MaxAge = n
	}
	return r, nil
}

// authorizeError is an error of the authorization endpoint that goes back
// to the client (RFC 6749 §4.1.2.1).
type authorizeError struct {
	rfc  string // e.g. "invalid_request"
	code ErrorCode
	desc string
}

func redirectErr(rfc string, code ErrorCode, desc string) *authorizeError {
	return &authorizeError{rfc: rfc, code: code, desc: desc}
}

// checkParams validates what is left of r once its client and redirect
// URI are known good: response_type, PKCE, scope, prompt.
func (r authorizeRequest) checkParams() ([]string, *authorizeError) {
	if r.ResponseType != "code" {
		return nil, redirectErr("unsupported_response_type", CodeBadRequest, "Only response_type=code is supported")
	}
	switch r.CodeChallengeMethod {
	case "S256":
	case "":
		if r.CodeChallenge == "" {
			return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "code_challenge_method=S256 is required")
	default:
		return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "Only code_challenge_method=S256 is supported")
	}
	if !validChallenge(r.CodeChallenge) {
		return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "code_challenge must be the base64url SHA-256 of the verifier (43 characters)")
	}
	scope, oe := parseScope(r.Scope)
	if oe != nil {
		return nil, redirectErr(oe.RFC, oe.Code, oe.Description)
	}
	if _, err := parsePrompt(r.Prompt); err != nil {
		return nil, err
	}
	return scope, nil
}

// parsePrompt returns the prompt values; none must stand alone.
func parsePrompt(p string) ([]string, *authorizeError) {
	if p == "" {
		return nil, nil
	}
	vals := strings.Split(p, " ")
	for _, v := range vals {
		if v != promptNone && v != promptLogin && v != promptCreate {
			return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "prompt must be none, login or create")
		}
	}
	if slices.Contains(vals, promptNone) && len(vals) > 1 {
		return nil, redirectErr(oauthInvalidRequest, CodeBadRequest, "prompt=none cannot be combined")
	}
	return vals, nil
}

// validChallenge reports whether c is an S256 challenge: 43 base64url
// characters (a SHA-256 digest).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

// validVerifier reports whether v is a PKCE code verifier (RFC 7636 §4.1):
// 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return false
		}
	}
	return true
}

// s256 is the S256 challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// parseScope splits a scope parameter (RFC 6749 §3.3) into distinct
// supported scopes, in the order sent. invalid_scope for any other.
func parseScope(s string) ([]string, *OAuthError) {
	var out []string
	if s == "" {
		return nil, nil
	}
	for _, v := range strings.Split(s, " ") {
		if v == "" {
			continue
		}
		if !slices.Contains(supportedScopes, v) {
			return nil, NewOAuthError(oauthInvalidScope, CodeBadRequest, "Unsupported scope; supported: "+strings.Join(supportedScopes, " "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// narrowScope parses requested and checks that it asks for no more than
// granted (nil: anything supported). An empty request is granted as is.
func narrowScope(requested string, granted []string) ([]string, *OAuthError) {
	scope, oe := parseScope(requested)
	if oe != nil {
		return nil, oe
	}
	if requested == "" && granted != nil {
		return granted, nil
	}
	if granted != nil {
		for _, s := range scope {
			if !slices.Contains(granted, s) {
				return nil, NewOAuthError(oauthInvalidScope, CodeBadRequest, "The scope asks for more than was granted")
			}
		}
	}
	return scope, nil
}

func joinScope(s []string) string { return strings.Join(s, " ") }

func hasScope(s []string, v string) bool { return slices.Contains(s, v) }

// matchRedirect reports whether uri is one of the service's redirect URIs:
// the same string exactly, or, for mobile and desktop services, a loopback
// redirect (http on 127.0.0.1 or [::1]) that differs from a registered one
// by its port only (RFC 8252 §7.3).
func matchRedirect(s Service, uri string) bool {
	if uri == "" {
		return false
	}
	if slices.Contains(s.RedirectURIs, uri) {
		return true
	}
	if s.Type != ServiceMobile && s.Type != ServiceDesktop {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || !loopbackRedirect(u) {
		return false
	}
	for _, reg := range s.RedirectURIs {
		r, err := url.Parse(reg)
		if err != nil || !loopbackRedirect(r) {
			continue
		}
		if r.Hostname() == u.Hostname() && r.EscapedPath() == u.EscapedPath() && r.RawQuery == u.RawQuery &&
			r.ForceQuery == u.ForceQuery {
			return true
		}
	}
	return false
}

// loopbackRedirect reports whether u is an http redirect to a loopback IP
// literal with nothing but a path and query beside it.
func loopbackRedirect(u *url.URL) bool {
	if u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	host := u.Hostname()
	if host != "127.0.0.1" && host != "::1" {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p != strconv.Itoa(n) {
			return false
		}
	}
	return net.ParseIP(host).IsLoopback()
}

// authorizeClient finds the client of r and checks its redirect URI. Its
// errors are shown to the person and never sent to the redirect URI.
func (a *Authos) authorizeClient(ctx context.Context, r authorizeRequest) (ServiceClient, error) {
	if r.ClientID == "" {
		return ServiceClient{}, NewError(CodeBadRequest, "client_id is missing")
	}
	if err := CheckIdentifier("client_id", r.ClientID); err != nil {
		return ServiceClient{}, err
	}
	s, err := a.serviceByClientID(ctx, r.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return ServiceClient{}, NewError(CodeUnauthorized, "Unknown client")
	}
	if err != nil {
		return ServiceClient{}, dbError(err)
	}
	if r.RedirectURI == "" {
		return ServiceClient{}, NewError(CodeBadRequest, "redirect_uri is missing")
	}
	if !matchRedirect(s, r.RedirectURI) {
		return ServiceClient{}, NewError(CodeInvalidURL, "redirect_uri is not registered for this client")
	}
	o, err := a.orgOf(ctx, s)
	if err != nil {
		return ServiceClient{}, dbError(err)
	}
	return ServiceClient{Service: s, Org: o}, nil
}

// authResponse builds the redirect to the client with params, state and
// iss (RFC 9207).
func (a *Authos) authResponse(redirectURI, state string, params url.Values) string {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", a.cfg.Issuer)
	return httpx.AppendQuery(redirectURI, params)
}

// errorRedirect is the redirect carrying e (with the catalog code beside
// the RFC one as error_code).
func (a *Authos) errorRedirect(redirectURI, state string, e *authorizeError) string {
	return a.authResponse(redirectURI, state, url.Values{"error": {e.rfc}, "error_description": {e.desc},
		"error_code": {string(e.code)}})
}

// handleAuthorize serves GET /auth/authorize.
func (a *Authos) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, err := parseAuthorizeRequest(r.URL.RawQuery)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := a.authorizeClient(ctx, req)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	redirect := func(to string) { httpx.Redirect(w, r, to) }
	scope, aerr := req.checkParams()
	if aerr != nil {
		redirect(a.errorRedirect(req.RedirectURI, req.State, aerr))
		return
	}
	if err := requireActive(c.Org); err != nil && signInRequiresOrg(c) {
		redirect(a.errorRedirect(req.RedirectURI, req.State, redirectErr(oauthAccessDenied, CodeOrganizationNotActive, AsError(err).PublicMessage())))
		return
	}
	prompt, _ := parsePrompt(req.Prompt)
	now := a.now()
	sis, signedIn := a.currentSignIn(r, now)
	fresh := !slices.Contains(prompt, promptLogin) && !slices.Contains(prompt, promptCreate) &&
		(req.MaxAge < 0 || now.Sub(sis.Session.CreatedAt) <= time.Duration(req.MaxAge)*time.Second)
	if signedIn && fresh {
		code := authCodeOf(req, scope, c, sis)
		to, aerr := a.issueCode(ctx, c, sis, code, req.State, now)
		if aerr != nil {
			redirect(a.errorRedirect(req.RedirectURI, req.State, aerr))
			return
		}
		redirect(to)
		return
	}
	if slices.Contains(prompt, promptNone) {
		redirect(a.errorRedirect(req.RedirectURI, req.State, redirectErr("login_required", CodeUnauthorized, "The user is not signed in")))
		return
	}
	flow := randx.Token(32)
	ar := store.AuthRequest{
		IDHash: hashx.SHA256Hex(flow), ClientID: c.Service.ClientID, ServiceID: c.Service.ID, OrgID: c.Org.ID,
		RedirectURI: req.RedirectURI, Scope: joinScope(scope), State: req.State, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint,
		CreatedAt: now, ExpiresAt: now.Add(authRequestTTL),
	}
	ss, err := a.signInStore(a.st)
	if err == nil {
		err = ss.CreateAuthRequest(ctx, ar)
	}
	if err != nil {
		a.signInErrorPage(w, r, dbError(err))
		return
	}
	redirect(a.signInPageURL(flow, req))
}

// signInPageURL is where a person signs in for the pending request flow:
// the hosted sign-in page (its sign-up page for prompt=create), or
// Config.Pages.SignInURL when the host set one, with flow (and
// login_hint, prompt) added.
func (a *Authos) signInPageURL(flow string, req authorizeRequest) string {
	if !a.hostSignInURL && a.hostedSignIn() {
		if prompt, _ := parsePrompt(req.Prompt); slices.Contains(prompt, promptCreate) {
			return a.pageURL(pathSignUp, flow)
		}
		return a.pageURL(pathSignIn, flow)
	}
	u, err := url.Parse(a.cfg.Pages.SignInURL)
	if err != nil { // checked by Config; keep a working answer anyway
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Set("flow", flow)
	if req.LoginHint != "" {
		q.Set("login_hint", req.LoginHint)
	}
	if req.Prompt == promptCreate {
		q.Set("prompt", promptCreate)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// signInStore returns the sign-in capability of v (the Storage or a Tx).
func (a *Authos) signInStore(v any) (store.SignInStore, error) {
	ss, err := store.Require[store.SignInStore](v)
	if err != nil {
		return nil, WrapError(CodeInternalServerError, "", err)
	}
	return ss, nil
}

// authCodeOf starts the code for req, issued from sis.
func authCodeOf(req authorizeRequest, scope []string, c ServiceClient, sis store.SignInSession) store.AuthCode {
	return store.AuthCode{
		ClientID: c.Service.ClientID, ServiceID: c.Service.ID, OrgID: c.Org.ID, RedirectURI: req.RedirectURI,
		Scope: joinScope(scope), Nonce: req.Nonce, CodeChallenge: req.CodeChallenge,
		SignInSessionID: sis.Session.ID, UserID: sis.Session.UserID, AMR: sis.Session.AMR,
		AuthTime: sis.Session.CreatedAt,
	}
}

// issueCode checks that the signed-in user may sign in to the client (an
// enabled, verified account; an active organization; no suspended
// membership), stores the code and returns the redirect carrying it.
func (a *Authos) issueCode(ctx context.Context, c ServiceClient, sis store.SignInSession, code store.AuthCode, state string, now time.Time) (string, *authorizeError) {
	deny := func(err error) *authorizeError {
		e := AsError(err)
		if e.Code.HTTPStatus() >= 500 {
			a.log.Error("authos: authorization", "error_code", string(e.Code), "cause", err.Error())
			return redirectErr(oauthServerError, e.Code, e.PublicMessage())
		}
		return redirectErr(oauthAccessDenied, e.Code, e.PublicMessage())
	}
	if err := a.mayUseService(ctx, a.st, sis.Session.UserID, c); err != nil {
		return "", deny(err)
	}
	secret := randx.Token(32)
	code.Hash, code.CreatedAt, code.ExpiresAt = hashx.SHA256Hex(secret), now, now.Add(authCodeTTL)
	ss, err := a.signInStore(a.st)
	if err == nil {
		err = ss.CreateAuthCode(ctx, code)
	}
	if err != nil {
		return "", deny(dbError(err))
	}
	return a.authResponse(code.RedirectURI, state, url.Values{"code": {secret}}), nil
}

// mayUseService checks that userID may sign in to c: the account exists,
// is enabled and verified, the organization is active and the user's
// membership, if any, is not suspended (and exists, for a members-only
// service). The host client has no organization to check.
func (a *Authos) mayUseService(ctx context.Context, tx store.Tx, userID string, c ServiceClient) error {
	u, err := tx.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return NewError(CodeUnauthorized, "The account no longer exists")
	}
	if err != nil {
		return dbError(err)
	}
	if err := checkAccount(u); err != nil || !signInRequiresOrg(c) {
		return err
	}
	o, err := tx.GetOrg(ctx, c.Org.ID)
	if err != nil {
		return dbError(err)
	}
	if err := requireActive(o); err != nil {
		return err
	}
	return admitToService(ctx, tx, c.Service, userID)
}

// Sign-in sessions.

// currentSignIn returns the live sign-in session of the request's cookie.
func (a *Authos) currentSignIn(r *http.Request, now time.Time) (store.SignInSession, bool) {
	ck, err := r.Cookie(a.cookieName(signInCookie))
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return store.SignInSession{}, false
	}
	ss, err := a.signInStore(a.st)
	if err != nil {
		return store.SignInSession{}, false
	}
	sis, err := ss.GetSignInSession(r.Context(), hashx.SHA256Hex(ck.Value), now)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrRevoked) && !errors.Is(err, store.ErrExpired) {
			a.log.Error("authos: reading the sign-in session", "cause", err.Error())
		}
		return store.SignInSession{}, false
	}
	return sis, true
}

// setSignInCookie sends the sign-in cookie (setCookie) for the session's
// lifetime.
func (a *Authos) setSignInCookie(w http.ResponseWriter, secret string, expires time.Time) {
	a.setCookie(w, signInCookie, secret, max(expires.Sub(a.now()), time.Second))
}

// AuthorizationResult is the outcome of CompleteAuthorization.
type AuthorizationResult struct {
	// RedirectTo is the client's redirect URI with the code (or an error),
	// state and iss.
	RedirectTo string `json:"redirect_to"`
	// SignInCookie is the secret of the new sign-in cookie (empty when
	// none was opened); the HTTP handler sets it.
	SignInCookie string    `json:"-"`
	CookieExpiry time.Time `json:"-"`
}

// CompleteAuthorization finishes the pending authorization request flow
// (the id the sign-in page received) for the person p signed in as: p is
// the principal of a management access token, whose session tells how and
// when they signed in. It opens a sign-in session for them (single sign-on
// for the next requests), consumes the request and returns the redirect to
// the client with the code. A request that asked for a fresh sign-in
// (prompt=login, or max_age) needs a session that started after the
// request, or within max_age. Errors: BAD_REQUEST (unknown, used or
// expired request), UNAUTHORIZED (a fresh sign-in is needed); a refusal of
// the user by the client's organization goes to the client as access_denied.
func (a *Authos) CompleteAuthorization(ctx context.Context, p *Principal, flow, clientIP, userAgent string) (*AuthorizationResult, error) {
	if p == nil || p.Kind != PrincipalAccessToken || p.SessionID == "" {
		return nil, NewError(CodeUnauthorized, "Sign in first")
	}
	now := a.now()
	req, hash, err := a.pendingFlow(ctx, flow)
	if err != nil {
		return nil, err
	}
	login, err := a.st.GetSession(ctx, p.SessionID)
	if err != nil {
		return nil, dbError(err)
	}
	if !login.RevokedAt.IsZero() || !login.ExpiresAt.After(now) || login.UserID != p.UserID {
		return nil, NewError(CodeSessionRevoked, "Session has been revoked")
	}
	prompt, _ := parsePrompt(req.Prompt)
	if (slices.Contains(prompt, promptLogin) || slices.Contains(prompt, promptCreate)) && !login.CreatedAt.After(req.CreatedAt) {
		return nil, NewError(CodeUnauthorized, "The application asks for a fresh sign-in")
	}
	if req.MaxAge >= 0 && now.Sub(login.CreatedAt) > time.Duration(req.MaxAge)*time.Second {
		return nil, NewError(CodeUnauthorized, "The application asks for a more recent sign-in")
	}
	return a.finishFlow(ctx, req, hash, signedIn{userID: p.UserID, amr: login.AMR, authTime: login.CreatedAt,
		expiresAt: minTime(now.Add(a.cfg.SessionLifetime), login.ExpiresAt), clientIP: clientIP, userAgent: userAgent})
}

type completeAuthorizationRequest struct {
	Flow string `json:"flow"`
}

// handleCompleteAuthorization serves POST /auth/authorize/complete.
func (a *Authos) handleCompleteAuthorization(w http.ResponseWriter, r *http.Request) {
	var in completeAuthorizationRequest
	if r.ContentLength != 0 && !a.decode(w, r, &in) {
		return
	}
	res, err := a.CompleteAuthorization(r.Context(), PrincipalFrom(r.Context()), in.Flow, a.ClientIP(r), r.UserAgent())
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	if res.SignInCookie != "" {
		a.setSignInCookie(w, res.SignInCookie, res.CookieExpiry)
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// The error page of the authorization endpoint: a bad client_id or
// redirect_uri is shown to the person, never sent anywhere.

const signInErrorContent = `<p class="error" role="alert">{{.Error}}</p>
{{with .Hint}}<p class="hint">{{.}}</p>{{end}}
`

// signInPages holds the parsed templates of the sign-in flow.
type signInPages struct {
	errorPage  *template.Template
	logoutPage *template.Template
}

func newSignInPages(a *Authos) (*signInPages, error) {
	t, err := page.Parse("signin_error", a.cfg.Pages.Templates[pageLayout], signInErrorContent)
	if err != nil {
		return nil, err
	}
	lp, err := newLogoutPage(a)
	if err != nil {
		return nil, err
	}
	return &signInPages{errorPage: t, logoutPage: lp}, nil
}

// signInErrorPage shows err with its catalog code (so support can read it
// off a screenshot) and its status.
func (a *Authos) signInErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := AsError(err)
	status := e.Code.HTTPStatus()
	if status >= 500 {
		attrs := []any{"error_code", string(e.Code), "path", r.URL.Path}
		if e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		a.log.Error("authos: authorization request failed", attrs...)
	} else {
		status = http.StatusBadRequest
	}
	d := a.pages.data(r, "page.failed")
	d.Title = d.T("page.signin.refused")
	d.Error = localMessage(d.Lang, e)
	d.Hint = d.T("page.signin.errorcode", string(e.Code))
	w.Header().Set("Cache-Control", "no-store")
	a.pages.render(w, status, a.signIn.errorPage, d)
}

// codeMatches compares a verifier with a stored S256 challenge in
// constant time.
func codeMatches(verifier, challenge string) bool {
	return subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(challenge)) == 1
}

// signInRoutes are the routes of the authorization server.
func (a *Authos) signInRoutes() []route {
	// The token endpoint is not behind the per-IP limit: device polls are
	// paced by slow_down, and a service's backend talks from one address.
	rs := []route{{pattern: "POST /auth/token", handler: http.HandlerFunc(a.handleToken)}}
	if a.signInOffered() {
		rs = append(rs,
			route{pattern: "GET /auth/authorize", handler: http.HandlerFunc(a.handleAuthorize)},
			route{pattern: "POST /auth/authorize/complete", handler: http.HandlerFunc(a.handleCompleteAuthorization), auth: true, limited: true})
	}
	return append(rs, a.endpointRoutes()...)
}

// signInOffered reports whether the store keeps the sign-in flow's state
// (store.SignInStore); without it the authorization endpoint and the
// authorization_code grant are left out.
func (a *Authos) signInOffered() bool {
	_, ok := store.As[store.SignInStore](a.st)
	return ok
}

// serverMetadata is the core of the discovery document: what this
// instance really serves.
func (a *Authos) serverMetadata() map[string]any {
	base := a.cfg.BaseURL
	m := map[string]any{
		"issuer":                                a.cfg.Issuer,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"token_endpoint":                        base + "/auth/token",
		"grant_types_supported":                 a.grantTypes(),
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": a.keys.algorithms(),
		"scopes_supported":                      supportedScopes,
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid",
			"at_hash", "email", "email_verified", "name", "org"},
		"response_types_supported": []string{},
	}
	if a.signInOffered() {
		m["authorization_endpoint"] = base + "/auth/authorize"
		m["response_types_supported"] = []string{"code"}
		m["response_modes_supported"] = []string{"query"}
		m["code_challenge_methods_supported"] = []string{"S256"}
		m["authorization_response_iss_parameter_supported"] = true
	}
	a.endpointMetadata(m)
	return m
}

// unreserved reports whether c is an unreserved character of RFC 3986 §2.3.
func unreserved(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~'
}
