package authos

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// The way back into a pending authorization request (the flow): every
// first factor (the hosted password page, a social login, SAML) ends in
// continueSignIn, which runs the second-factor step when the hook asks for
// it and then finishFlow, which the JSON completion (CompleteAuthorization)
// shares: consume the request, open the sign-in session, issue the code.

// SignInMethod is a way to sign in offered on the hosted sign-in page (a
// button), such as a social login provider. Packages register methods with
// Extension.AddSignInMethod.
type SignInMethod struct {
	// ID names the method, unique per instance (e.g. "google").
	ID string
	// Label is the button's text, shown as is.
	Label string
	// Start returns the URL the button leads to for the flow f, or "" to
	// hide the button for this flow (e.g. nothing configured for the
	// client's organization).
	Start func(ctx context.Context, f SignInFlow) string
	// Discover, when set, is asked by the hosted sign-in page's POST before
	// any password is checked (home-realm discovery): a URL sends the
	// browser there instead (e.g. the identity provider that owns the
	// email's domain). With exclusive false the page does so only when no
	// password was entered; with exclusive true always, which bars password
	// sign-in for that email. "" lets the page go on.
	Discover func(ctx context.Context, f SignInFlow, email string) (url string, exclusive bool)
}

// SignInFlow is what a sign-in method needs to know about a pending
// authorization request. Reading it does not consume the request.
type SignInFlow struct {
	ID        string // the flow id the sign-in page received
	ClientID  string
	ServiceID string
	OrgID     string // the organization of the client's service
	LoginHint string // login_hint, as sent by the client
	Prompt    string // prompt, as sent by the client
	ExpiresAt time.Time
}

// addSignInMethod is Extension.AddSignInMethod.
func (a *Authos) addSignInMethod(m SignInMethod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, cur := range a.signInMethods {
		if cur.ID == m.ID {
			a.signInMethods[i] = m
			return
		}
	}
	a.signInMethods = append(a.signInMethods, m)
}

// methodsFor returns the buttons of the registered methods for f.
func (a *Authos) methodsFor(ctx context.Context, f SignInFlow) []pageMethod {
	a.mu.RLock()
	ms := slices.Clone(a.signInMethods)
	a.mu.RUnlock()
	var out []pageMethod
	for _, m := range ms {
		if m.Start == nil {
			continue
		}
		if u := m.Start(ctx, f); u != "" {
			out = append(out, pageMethod{ID: m.ID, Label: m.Label, URL: u})
		}
	}
	return out
}

// discover asks the registered methods' Discover hooks about email and
// returns the first URL to send the browser to ("" for none).
func (a *Authos) discover(ctx context.Context, f SignInFlow, email, password string) string {
	a.mu.RLock()
	ms := slices.Clone(a.signInMethods)
	a.mu.RUnlock()
	for _, m := range ms {
		if m.Discover == nil {
			continue
		}
		if u, exclusive := m.Discover(ctx, f, email); u != "" && (exclusive || password == "") {
			return u
		}
	}
	return ""
}

// pendingFlow returns the live request of flow and the hash it is stored
// under. BAD_REQUEST when it is unknown, used or expired.
func (a *Authos) pendingFlow(ctx context.Context, flow string) (store.AuthRequest, string, error) {
	if flow == "" || len(flow) > 128 {
		return store.AuthRequest{}, "", NewError(CodeBadRequest, "flow is required")
	}
	ss, err := a.signInStore(a.st)
	if err != nil {
		return store.AuthRequest{}, "", err
	}
	hash := hashx.SHA256Hex(flow)
	req, err := ss.GetAuthRequest(ctx, hash, a.now())
	if err != nil {
		return store.AuthRequest{}, "", flowError(err)
	}
	return req, hash, nil
}

// flowError is the error of a request that cannot be read or consumed.
func flowError(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
		return WrapError(CodeBadRequest, "The sign-in request is unknown or has expired; start again from the application", err)
	}
	return dbError(err)
}

// signInFlow is Extension.SignInFlow.
func (a *Authos) signInFlow(ctx context.Context, flow string) (SignInFlow, error) {
	req, _, err := a.pendingFlow(ctx, flow)
	if err != nil {
		return SignInFlow{}, err
	}
	return flowOf(flow, req), nil
}

func flowOf(flow string, req store.AuthRequest) SignInFlow {
	return SignInFlow{ID: flow, ClientID: req.ClientID, ServiceID: req.ServiceID, OrgID: req.OrgID,
		LoginHint: req.LoginHint, Prompt: req.Prompt, ExpiresAt: req.ExpiresAt}
}

// signedIn is how a person signed in, for the sign-in session finishFlow
// opens.
type signedIn struct {
	userID    string
	amr       []string
	authTime  time.Time // when the first factor was presented
	expiresAt time.Time // the end of the sign-in session
	clientIP  string
	userAgent string
}

// finishFlow consumes the request req (stored under hash), opens a
// sign-in session for who and issues the code. A refusal of the user by
// the client (an inactive organization, a suspended membership) is the
// result's redirect carrying access_denied; errors are BAD_REQUEST (the
// request is gone) or storage failures.
func (a *Authos) finishFlow(ctx context.Context, req store.AuthRequest, hash string, who signedIn) (*AuthorizationResult, error) {
	ss, err := a.signInStore(a.st)
	if err != nil {
		return nil, err
	}
	now := a.now()
	svc, err := a.serviceByClientID(ctx, req.ClientID)
	if err != nil || svc.ID != req.ServiceID {
		return nil, WrapError(CodeBadRequest, "The application no longer exists", err)
	}
	o, err := a.orgOf(ctx, svc)
	if err != nil {
		return nil, dbError(err)
	}
	c := ServiceClient{Service: svc, Org: o}
	if _, err := ss.ConsumeAuthRequest(ctx, hash, now); err != nil {
		return nil, WrapError(CodeBadRequest, "The sign-in request was already completed", err)
	}
	// The code's exchange records the user.login event of the service's
	// session.
	secret, sis, err := a.createSignInSession(ctx, ss, who, now)
	if err != nil {
		return nil, err
	}
	ar := authorizeRequest{RedirectURI: req.RedirectURI, Nonce: req.Nonce, CodeChallenge: req.CodeChallenge}
	scope, _ := parseScope(req.Scope)
	res := &AuthorizationResult{SignInCookie: secret, CookieExpiry: sis.Session.ExpiresAt}
	to, aerr := a.issueCode(ctx, c, sis, authCodeOf(ar, scope, c, sis), req.State, now)
	if aerr != nil {
		to = a.errorRedirect(req.RedirectURI, req.State, aerr)
	}
	res.RedirectTo = to
	return res, nil
}

// createSignInSession stores a sign-in session for who and returns the
// cookie's secret with it.
func (a *Authos) createSignInSession(ctx context.Context, ss store.SignInStore, who signedIn, now time.Time) (string, store.SignInSession, error) {
	secret := randx.Token(32)
	sis := store.SignInSession{CookieHash: hashx.SHA256Hex(secret), Session: store.Session{
		ID: randx.ID(), UserID: who.userID, AMR: slices.Clone(who.amr), Audience: signInAudience,
		UserAgent: truncate(who.userAgent, 512), IP: who.clientIP,
		CreatedAt: who.authTime, LastUsedAt: now, ExpiresAt: who.expiresAt,
	}}
	if err := ss.CreateSignInSession(ctx, sis); err != nil {
		return "", store.SignInSession{}, dbError(err)
	}
	return secret, sis, nil
}

// openSignIn is Extension.OpenSignIn.
func (a *Authos) openSignIn(w http.ResponseWriter, r *http.Request, user User, lc LoginContext) (bool, error) {
	ctx := r.Context()
	ss, err := a.signInStore(a.st)
	if err != nil {
		return false, err
	}
	u, err := a.st.GetUser(ctx, user.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, NewError(CodeUnauthorized, "The account no longer exists")
	}
	if err != nil {
		return false, dbError(err)
	}
	if err := checkAccount(u); err != nil {
		return false, err
	}
	if lc.Method != "" && !slices.Contains(lc.AMR, lc.Method) {
		lc.AMR = append([]string{lc.Method}, lc.AMR...)
	}
	need, err := a.secondFactorRequired(ctx, u, lc)
	if err != nil || need {
		return false, err
	}
	now := a.now()
	secret, sis, err := a.createSignInSession(ctx, ss, signedIn{userID: u.ID, amr: lc.AMR, authTime: now,
		expiresAt: now.Add(a.cfg.SessionLifetime), clientIP: a.ClientIP(r), userAgent: r.UserAgent()}, now)
	if err != nil {
		return false, err
	}
	a.setSignInCookie(w, secret, sis.Session.ExpiresAt)
	return true, nil
}

// flowPreAuth is the stored login of a preauth token issued inside a flow:
// the LoginContext's members with the hash of the flow beside them. The
// JSON second step (FinishPreAuth) refuses such a token.
type flowPreAuth struct {
	LoginContext
	FlowHash string `json:"flow_hash,omitempty"`
}

// continueSignIn is Extension.ContinueSignIn.
func (a *Authos) continueSignIn(w http.ResponseWriter, r *http.Request, flow string, user User, amr []string) {
	ctx := r.Context()
	req, hash, err := a.pendingFlow(ctx, flow)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	u, err := a.st.GetUser(ctx, user.ID)
	if errors.Is(err, store.ErrNotFound) {
		err = NewError(CodeUnauthorized, "The account no longer exists")
	}
	if err == nil {
		err = checkAccount(u)
	}
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	lc := LoginContext{AMR: slices.Clone(amr), OrgID: req.OrgID, ServiceID: req.ServiceID,
		ClientIP: a.ClientIP(r), UserAgent: r.UserAgent()}
	if len(amr) > 0 {
		lc.Method = amr[0]
	}
	need, err := a.secondFactorRequired(ctx, u, lc)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	if need {
		secret, err := a.storePreAuth(ctx, u.ID, flowPreAuth{LoginContext: lc, FlowHash: hash})
		if err != nil {
			a.signInErrorPage(w, r, err)
			return
		}
		a.setCookie(w, mfaCookie, secret, a.cfg.PreAuthTTL)
		httpx.Redirect(w, r, a.pageURL(pathSignInMFA, flow))
		return
	}
	a.finishSignIn(w, r, req, hash, u.ID, lc.AMR, a.now())
}

// finishSignIn ends the page flow: finishFlow, the sign-in cookie and the
// redirect to the client.
func (a *Authos) finishSignIn(w http.ResponseWriter, r *http.Request, req store.AuthRequest, hash, userID string, amr []string, authTime time.Time) {
	now := a.now()
	res, err := a.finishFlow(r.Context(), req, hash, signedIn{userID: userID, amr: amr, authTime: authTime,
		expiresAt: now.Add(a.cfg.SessionLifetime), clientIP: a.ClientIP(r), userAgent: r.UserAgent()})
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	a.setSignInCookie(w, res.SignInCookie, res.CookieExpiry)
	httpx.Redirect(w, r, res.RedirectTo)
}

// failSignIn is Extension.FailSignIn.
func (a *Authos) failSignIn(w http.ResponseWriter, r *http.Request, flow, oauthError string, code ErrorCode, description string) {
	if !oauthErrorText(oauthError, 64) || oauthError == "" || !oauthErrorText(description, 500) {
		a.signInErrorPage(w, r, NewError(CodeInternalServerError, ""))
		a.log.Error("authos: FailSignIn with an error or description outside RFC 6749 §4.1.2.1", "error", oauthError)
		return
	}
	ctx := r.Context()
	_, hash, err := a.pendingFlow(ctx, flow)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	ss, err := a.signInStore(a.st)
	if err != nil {
		a.signInErrorPage(w, r, err)
		return
	}
	req, err := ss.ConsumeAuthRequest(ctx, hash, a.now())
	if err != nil {
		a.signInErrorPage(w, r, flowError(err))
		return
	}
	params := url.Values{"error": {oauthError}}
	if description != "" {
		params.Set("error_description", description)
	}
	if code != "" {
		params.Set("error_code", string(code))
	}
	httpx.Redirect(w, r, a.authResponse(req.RedirectURI, req.State, params))
}

// oauthErrorText reports whether s is at most n characters of the set
// RFC 6749 allows in error and error_description (%x20-21 / %x23-5B /
// %x5D-7E).
func oauthErrorText(s string, n int) bool {
	if len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// storePreAuth stores a preauth token for userID holding data (JSON) and
// returns its secret.
func (a *Authos) storePreAuth(ctx context.Context, userID string, data any) (string, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	secret := randx.Token(32)
	now := a.now()
	err = a.st.CreateToken(ctx, store.OneTimeToken{Hash: hashx.SHA256Hex(secret), Purpose: store.PurposePreAuth,
		UserID: userID, Data: raw, CreatedAt: now, ExpiresAt: now.Add(a.cfg.PreAuthTTL)})
	if err != nil {
		return "", dbError(err)
	}
	return secret, nil
}

// flowOfPreAuth returns the flow hash a preauth token's data is bound to
// ("" for a login outside a flow).
func flowOfPreAuth(data []byte) string {
	var fp flowPreAuth
	if json.Unmarshal(data, &fp) != nil {
		return ""
	}
	return fp.FlowHash
}

// AddSignInMethod adds a button to the hosted sign-in page (or replaces
// the method with the same ID).
func (e Extension) AddSignInMethod(m SignInMethod) { e.a.addSignInMethod(m) }

// SignInFlow returns the pending authorization request flowID (the id the
// sign-in page received) without consuming it. BAD_REQUEST when it is
// unknown, used or expired.
func (e Extension) SignInFlow(ctx context.Context, flowID string) (SignInFlow, error) {
	return e.a.signInFlow(ctx, flowID)
}

// ContinueSignIn is the one way back into the flow flowID once a first
// factor has identified user (amr: the methods passed, e.g. ["pwd"]): it
// checks the account (enabled, verified), sends the browser to the
// second-factor page when the SecondFactor hook asks for it, and otherwise
// opens the sign-in session cookie, consumes the request and redirects to
// the client with the code (or, when the client refuses the user, with
// error=access_denied). What cannot go to the client is shown on the
// error page.
func (e Extension) ContinueSignIn(w http.ResponseWriter, r *http.Request, flowID string, user User, amr []string) {
	e.a.continueSignIn(w, r, flowID, user, amr)
}

// OpenSignIn signs user in on this browser outside any pending
// authorization request, for a first factor that starts elsewhere (an
// identity provider's unsolicited SAML response): it checks the account
// (it exists, is enabled and verified) and, unless the SecondFactor hook
// asks for a second factor for lc, opens a sign-in session with amr
// lc.AMR (lc.Method first) and sets the sign-in cookie on w, so that the
// browser's next authorization request completes without asking (one with
// prompt=login or a max_age it does not meet still asks). It writes
// nothing else to w. It returns false, and opens nothing, when a second
// factor is due: the caller then sends the browser into an ordinary
// authorization request, whose sign-in runs the second-factor step.
// Errors are catalog errors (UNAUTHORIZED, FORBIDDEN, EMAIL_NOT_VERIFIED,
// storage) for the caller's error page. Whether the person may use a
// given service is checked by that authorization request.
func (e Extension) OpenSignIn(w http.ResponseWriter, r *http.Request, user User, lc LoginContext) (bool, error) {
	return e.a.openSignIn(w, r, user, lc)
}

// SignInError shows err on the hosted sign-in error page, with its
// catalog code beside the message (a method's callback that cannot go
// back into its flow). Internal causes are logged, never shown.
func (e Extension) SignInError(w http.ResponseWriter, r *http.Request, err error) {
	e.a.signInErrorPage(w, r, err)
}

// FailSignIn ends the flow flowID without a sign-in: the browser goes back
// to the client with error=oauthError (e.g. access_denied when the person
// cancelled at a provider), error_description, error_code (the catalog
// code, when code is not empty), state and iss (RFC 6749 §4.1.2.1). Both
// strings must be of the characters RFC 6749 allows.
func (e Extension) FailSignIn(w http.ResponseWriter, r *http.Request, flowID, oauthError string, code ErrorCode, description string) {
	e.a.failSignIn(w, r, flowID, oauthError, code, description)
}
