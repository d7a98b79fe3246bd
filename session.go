package authos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Authentication methods (RFC 8176) recorded in amr.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	AMRDevice   = "device"
	// AMRMFA: an identity provider reports the sign-in as multi-factor
	// (e.g. a SAML assertion's AuthnContext); it counts as the second
	// factor.
	AMRMFA = "mfa"
)

// LoginContext describes a login in progress: how the first factor was
// passed and for which audience the tokens are minted.
type LoginContext struct {
	Method    string   `json:"method"`             // first factor's amr value, e.g. "pwd"
	AMR       []string `json:"amr,omitempty"`      // factors passed so far (Method is added)
	Audience  string   `json:"audience,omitempty"` // empty: the management audience
	OrgID     string   `json:"org_id,omitempty"`   // optional context, carried into the session
	Org       string   `json:"org,omitempty"`      // org slug claim
	ServiceID string   `json:"service_id,omitempty"`
	Service   string   `json:"service,omitempty"` // service slug claim
	ClientIP  string   `json:"client_ip,omitempty"`
	UserAgent string   `json:"user_agent,omitempty"`
}

// SecondFactor decides whether a login needs a second step. The mfa package
// registers one with Extension.SetSecondFactor; the core never imports it.
type SecondFactor interface {
	// Required reports whether user must pass a second factor before a
	// session is created for lc.
	Required(ctx context.Context, user User, lc LoginContext) (bool, error)
	// VerifyCode checks code (as the person typed it) for the login
	// waiting under preauthToken (Extension.LookupPreAuth), counting a wrong
	// code against the token (Extension.FailPreAuth) and the user, without
	// finishing the login; the caller does. It returns the amr value the
	// factor adds (e.g. "otp"). The hosted sign-in page's second step calls
	// it. UNAUTHORIZED (unknown, used or expired token), INVALID_MFA_CODE,
	// RATE_LIMIT_EXCEEDED, BAD_REQUEST.
	VerifyCode(ctx context.Context, preauthToken, code string) (amr string, err error)
}

// setSecondFactor is Extension.SetSecondFactor: registers the second-factor hook (nil removes it).
func (a *Authos) setSecondFactor(sf SecondFactor) {
	a.mu.Lock()
	a.secondFactor = sf
	a.mu.Unlock()
}

// secondFactorRequired is Extension.SecondFactorRequired: asks the registered second-factor hook whether user
// must still pass a second factor for lc (false without a hook). Flows that
// approve on behalf of an already signed-in user (device approval) call it
// with the approving session's amr.
func (a *Authos) secondFactorRequired(ctx context.Context, user User, lc LoginContext) (bool, error) {
	a.mu.RLock()
	sf := a.secondFactor
	a.mu.RUnlock()
	if sf == nil {
		return false, nil
	}
	return sf.Required(ctx, user, lc)
}

// TokenResponse is the token pair returned by login, refresh, MFA verify and
// the device grant.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Scope and IDToken are set by the token endpoint's grants for
	// services (OpenID Connect: id_token with the openid scope).
	Scope   string `json:"scope,omitempty"`
	IDToken string `json:"id_token,omitempty"`
	// Session is the session the pair belongs to (not serialized).
	Session store.Session `json:"-"`
}

// CompleteLogin finishes every login, whatever the first factor: it checks
// the account, asks the second-factor hook whether a step is needed (then
// it returns MFA_REQUIRED carrying a preauth_token), and otherwise creates
// the session, mints the token pair and records a user.login event. No
// other code creates sessions or mints tokens.
func (a *Authos) CompleteLogin(ctx context.Context, user User, lc LoginContext) (*TokenResponse, error) {
	if err := checkAccount(user); err != nil {
		return nil, err
	}
	if lc.Method != "" && !slices.Contains(lc.AMR, lc.Method) {
		lc.AMR = append([]string{lc.Method}, lc.AMR...)
	}
	need, err := a.secondFactorRequired(ctx, user, lc)
	if err != nil {
		return nil, err
	}
	if need {
		return nil, a.issuePreAuth(ctx, user, lc)
	}
	return a.createSession(ctx, user, lc)
}

func checkAccount(u User) error {
	switch {
	case u.Disabled:
		return NewError(CodeForbidden, "Account is disabled")
	case !u.EmailVerified:
		return NewError(CodeEmailNotVerified, "Email address is not verified")
	}
	return nil
}

func (a *Authos) issuePreAuth(ctx context.Context, user User, lc LoginContext) error {
	secret, err := a.storePreAuth(ctx, user.ID, lc)
	if err != nil {
		return err
	}
	return &MFARequiredError{PreAuthToken: secret, ExpiresAt: a.now().Add(a.cfg.PreAuthTTL),
		err: NewError(CodeMFARequired, "A second factor is required").
			WithField("preauth_token", secret).WithField("mfa_required", true).
			WithField("expires_in", int(a.cfg.PreAuthTTL/time.Second))}
}

// MFARequiredError is the error of a login that needs a second factor
// (MFA_REQUIRED, HTTP 401): PreAuthToken, a secret, goes to the second step
// (package mfa's Verify, POST /api/auth/mfa/verify) before ExpiresAt. Find
// it with errors.As; errors.Is(err, CodeMFARequired) also holds, and over
// HTTP the envelope carries preauth_token, mfa_required and expires_in.
type MFARequiredError struct {
	PreAuthToken string
	ExpiresAt    time.Time
	err          *Error
}

func (e *MFARequiredError) Error() string { return e.err.Error() }

// Unwrap returns the *Error with code MFA_REQUIRED.
func (e *MFARequiredError) Unwrap() error { return e.err }

// PreAuth is a login waiting for its second factor.
type PreAuth struct {
	User      User
	Login     LoginContext
	Attempts  int       // failed second-factor attempts recorded with FailPreAuth
	ExpiresAt time.Time // end of the pending login
	// HostedPage tells that the login waits on the hosted sign-in page's
	// second step: only that page finishes it (FinishPreAuth refuses it).
	HostedPage bool
}

// lookupPreAuth is Extension.LookupPreAuth: returns the pending login of a preauth token without
// consuming it. Unknown, used or expired tokens give UNAUTHORIZED.
func (a *Authos) lookupPreAuth(ctx context.Context, token string) (*PreAuth, error) {
	t, err := a.st.GetToken(ctx, store.PurposePreAuth, hashx.SHA256Hex(token), a.now())
	if err != nil {
		return nil, preAuthError(err)
	}
	return a.pendingLogin(ctx, t)
}

// pendingLogin decodes a preauth token's login and loads its user.
func (a *Authos) pendingLogin(ctx context.Context, t store.OneTimeToken) (*PreAuth, error) {
	var fp flowPreAuth // the login, and the flow of a hosted page's second step
	if err := json.Unmarshal(t.Data, &fp); err != nil {
		return nil, WrapError(CodeInternalServerError, "", err)
	}
	u, err := a.st.GetUser(ctx, t.UserID)
	if err != nil {
		return nil, preAuthError(err)
	}
	return &PreAuth{User: u, Login: fp.LoginContext, Attempts: t.Attempts, ExpiresAt: t.ExpiresAt, HostedPage: fp.FlowHash != ""}, nil
}

// failPreAuth is Extension.FailPreAuth: records a wrong second-factor code against the token and
// returns the number of failures so far.
func (a *Authos) failPreAuth(ctx context.Context, token string) (int, error) {
	n, err := a.st.RecordTokenAttempt(ctx, store.PurposePreAuth, hashx.SHA256Hex(token))
	if err != nil {
		return 0, preAuthError(err)
	}
	return n, nil
}

// finishPreAuth is Extension.FinishPreAuth: consumes the preauth token after the second factor (amr,
// e.g. "otp") has been checked by the caller, and creates the session.
func (a *Authos) finishPreAuth(ctx context.Context, token, amr string) (*TokenResponse, error) {
	// A token of the hosted sign-in page's second step finishes there,
	// never as a management login.
	if cur, err := a.st.GetToken(ctx, store.PurposePreAuth, hashx.SHA256Hex(token), a.now()); err == nil && flowOfPreAuth(cur.Data) != "" {
		return nil, NewError(CodeUnauthorized, "Pre-authentication token is invalid or expired")
	}
	t, err := a.st.ConsumeToken(ctx, store.PurposePreAuth, hashx.SHA256Hex(token), a.now())
	if err != nil {
		return nil, preAuthError(err)
	}
	pa, err := a.pendingLogin(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := checkAccount(pa.User); err != nil {
		return nil, err
	}
	lc := pa.Login
	if amr != "" && !slices.Contains(lc.AMR, amr) {
		lc.AMR = append(lc.AMR, amr)
	}
	return a.createSession(ctx, pa.User, lc)
}

func preAuthError(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
		return WrapError(CodeUnauthorized, "Pre-authentication token is invalid or expired", err)
	}
	return dbError(err)
}

// createSession writes the session and its first refresh token with the
// login event, then mints the access token.
func (a *Authos) createSession(ctx context.Context, user User, lc LoginContext) (*TokenResponse, error) {
	now := a.now()
	aud := lc.Audience
	if aud == "" {
		aud = a.cfg.ManagementAudience
	}
	s := store.Session{
		ID: randx.ID(), UserID: user.ID, AMR: lc.AMR, Audience: aud, OrgID: lc.OrgID, ServiceID: lc.ServiceID,
		UserAgent: truncate(lc.UserAgent, 512), IP: lc.ClientIP,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(a.cfg.SessionLifetime),
	}
	refresh := randx.Token(32)
	rt := store.RefreshToken{Hash: hashx.SHA256Hex(refresh), SessionID: s.ID, CreatedAt: now,
		ExpiresAt: minTime(now.Add(a.cfg.RefreshTokenTTL), s.ExpiresAt)}
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		if err := tx.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserLogin, ActorID: user.ID, TargetID: user.ID, OrgID: lc.OrgID,
			Data: map[string]any{"session_id": s.ID, "amr": lc.AMR, "ip": lc.ClientIP}})
	})
	if err != nil {
		return nil, dbError(err)
	}
	return a.tokenPair(user, s, tokenContext{org: lc.Org, service: lc.Service}, refresh, now, randx.ID())
}

// tokenContext is what an access token says beside its user and session:
// the slugs of the session's organization and service, and the granted
// scope (services only).
type tokenContext struct {
	org, service, scope string
}

// tokenPair mints the access token for session s issued at iat with jti.
func (a *Authos) tokenPair(user User, s store.Session, tc tokenContext, refresh string, iat time.Time, jti string) (*TokenResponse, error) {
	exp := iat.Add(a.cfg.AccessTokenTTL)
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.cfg.Issuer, Subject: user.ID, Audience: jwt.ClaimStrings{s.Audience},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(iat), ID: jti,
		},
		SessionID: s.ID, Email: user.Email, AMR: s.AMR, IsPlatformOwner: user.IsPlatformOwner,
		Org: tc.org, Service: tc.service, Scope: tc.scope,
	}
	at, err := a.mintAccessToken(claims)
	if err != nil {
		return nil, err
	}
	expiresIn := int(exp.Sub(a.now()) / time.Second)
	if expiresIn < 0 {
		expiresIn = 0
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: expiresIn, RefreshToken: refresh, Session: s}, nil
}

// successor derives the refresh token that replaces presented: an HMAC of
// it under a key derived from the keyring. A retry of the same refresh can
// thus be answered with the same pair without storing any token in clear.
func (a *Authos) successor(presented string) string {
	m := hmac.New(sha256.New, a.keyring.successorKey)
	m.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Refresh rotates a refresh token of the management API and returns a new
// pair. A retry with the same token within the grace window returns the
// same pair; any other reuse of a rotated token revokes the whole session
// (SESSION_REVOKED). A refresh token issued to a service (its audience is
// the service's client_id) is refused with UNAUTHORIZED and left as it
// was: only its client redeems it, at the token endpoint.
func (a *Authos) Refresh(ctx context.Context, refreshToken string) (*TokenResponse, error) {
	tr, _, err := a.refresh(ctx, refreshToken, func(_ store.Tx, s store.Session) (string, error) {
		if s.Audience != a.cfg.ManagementAudience || s.ServiceID != "" {
			return "", NewError(CodeUnauthorized, "This refresh token belongs to an application; its client redeems it at the token endpoint")
		}
		return "", nil
	})
	return tr, err
}

// refresh is Refresh; check vets the token's session inside the rotation's
// transaction (its error undoes the rotation and is returned) and returns
// the scope of the new access token.
func (a *Authos) refresh(ctx context.Context, refreshToken string, check func(tx store.Tx, s store.Session) (string, error)) (*TokenResponse, User, error) {
	if refreshToken == "" || len(refreshToken) > 512 {
		return nil, User{}, NewError(CodeUnauthorized, "Invalid refresh token")
	}
	now := a.now()
	next := a.successor(refreshToken)
	nextHash := hashx.SHA256Hex(next)
	var (
		rot    store.Rotation
		user   User
		tc     tokenContext
		reused bool
	)
	// Rotation and the checks of the session's context commit together: a
	// refused refresh (inactive organization, disabled account) leaves the
	// token unrotated, so it works again once the cause is lifted.
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		rot, err = tx.RotateRefreshToken(ctx, hashx.SHA256Hex(refreshToken), store.RefreshToken{
			Hash: nextHash, CreatedAt: now, ExpiresAt: now.Add(a.cfg.RefreshTokenTTL),
		}, now, a.cfg.RefreshGrace)
		if errors.Is(err, store.ErrReused) {
			reused = true
			return nil // commit the family's revocation
		}
		if err != nil {
			return err
		}
		if tc.scope, err = check(tx, rot.Session); err != nil {
			return err
		}
		// The rotation read the user too: a session without an
		// organization refreshes in the rotation's statements alone.
		user = rot.User
		if err := checkAccount(user); err != nil {
			return err
		}
		tc.org, tc.service, err = a.sessionContext(ctx, tx, rot.Session)
		return err
	})
	var oe *OAuthError
	switch {
	case reused:
		a.refreshReused(ctx, hashx.SHA256Hex(refreshToken))
		a.log.Warn("authos: refresh token reuse; session revoked")
		return nil, User{}, NewError(CodeSessionRevoked, "Refresh token was already used; the session has been revoked")
	case errors.As(err, &oe):
		return nil, User{}, oe
	case errors.Is(err, store.ErrNotFound):
		return nil, User{}, WrapError(CodeUnauthorized, "Invalid refresh token", err)
	case errors.Is(err, store.ErrExpired):
		return nil, User{}, WrapError(CodeUnauthorized, "Refresh token has expired; log in again", err)
	case errors.Is(err, store.ErrRevoked):
		return nil, User{}, WrapError(CodeSessionRevoked, "Session has been revoked; log in again", err)
	case err != nil:
		return nil, User{}, dbError(err)
	}
	// The access token is derived from the rotation too (iat and jti), so a
	// retry gets the same pair.
	tr, err := a.tokenPair(user, rot.Session, tc, next, rot.Old.RotatedAt, "rt-"+nextHash[:32])
	return tr, user, err
}

// sessionContext re-reads the organization and service of a session at
// refresh: tokens of an organization that is no longer active are not
// renewed (ORGANIZATION_NOT_ACTIVE), and a deleted one ends the session.
func (a *Authos) sessionContext(ctx context.Context, tx store.Tx, s store.Session) (org, service string, err error) {
	if s.OrgID == "" {
		return "", "", nil
	}
	o, err := tx.GetOrg(ctx, s.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", NewError(CodeSessionRevoked, "The organization of this session no longer exists")
	}
	if err != nil {
		return "", "", dbError(err)
	}
	if err := requireActive(o); err != nil {
		return "", "", err
	}
	if err := refuseSuspended(ctx, tx, o.ID, s.UserID); err != nil {
		return "", "", err
	}
	if s.ServiceID != "" {
		svc, err := tx.GetService(ctx, s.ServiceID)
		if errors.Is(err, store.ErrNotFound) {
			return "", "", NewError(CodeSessionRevoked, "The service of this session no longer exists")
		}
		if err != nil {
			return "", "", dbError(err)
		}
		service = svc.Slug
	}
	return o.Slug, service, nil
}

// Logout revokes the session: its refresh tokens stop at once and its access
// tokens are refused by every instance at once where revocations are pushed
// (PostgreSQL, Config.Revocations), else within Config.RevocationPoll.
func (a *Authos) Logout(ctx context.Context, sessionID string) error {
	return a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		return []string{sessionID}, tx.RevokeSession(ctx, sessionID, now)
	}, "")
}

// RevokeOtherSessions revokes through tx every active session of userID
// except keepID (may be empty), with a session.revoked event each (actorID
// as actor), and returns their ids. Domain packages call it in the
// transaction of a credential change (enabling a second factor); once tx
// has committed they pass the ids to SessionsRevoked.
func (a *Authos) RevokeOtherSessions(ctx context.Context, tx store.Tx, userID, keepID, actorID string) ([]string, error) {
	ids, err := tx.RevokeUserSessions(ctx, userID, keepID, a.now())
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := a.emit(ctx, tx, Event{Type: event.SessionRevoked, ActorID: actorID, TargetID: id}); err != nil {
			return nil, err
		}
	}
	// Announced with the commit too; SessionsRevoked announces them again
	// (harmless), for the channels outside the store.
	if _, err := a.publishRevocationsIn(ctx, tx, ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// revokeSessions runs revoke in a transaction with a session.revoked event
// per session and records the revocations in the local cache.
func (a *Authos) revokeSessions(ctx context.Context, revoke func(store.Tx, time.Time) ([]string, error), actor string) error {
	now := a.now()
	var (
		ids  []string
		inTx bool
	)
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		if ids, err = revoke(tx, now); err != nil {
			return err
		}
		for _, id := range ids {
			if err := a.emit(ctx, tx, Event{Type: event.SessionRevoked, ActorID: actor, TargetID: id}); err != nil {
				return err
			}
		}
		inTx, err = a.publishRevocationsIn(ctx, tx, ids)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return NewError(CodeNotFound, "Session not found")
	}
	if err != nil {
		return dbError(err)
	}
	a.sessionsRevoked(ctx, ids, now, inTx)
	return nil
}

func minTime(x, y time.Time) time.Time {
	if x.Before(y) {
		return x
	}
	return y
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
