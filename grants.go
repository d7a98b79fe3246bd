package authos

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// purposeServiceGrant keeps, as a one-time token of the store that is never
// consumed, what the authorization code grant granted to a family of
// tokens (its scope, sign-in session and auth time), for its refreshes.
const purposeServiceGrant = "service_grant"

// serviceGrant is the Data of a purposeServiceGrant token.
type serviceGrant struct {
	Scope    string    `json:"scope"`
	SignInID string    `json:"sid,omitempty"`
	AuthTime time.Time `json:"auth_time"`
	Nonce    string    `json:"-"`
}

// grantKey is the hash a family's serviceGrant is stored under.
func grantKey(sessionID string) string { return hashx.SHA256Hex("service-grant:" + sessionID) }

// codeError is the invalid_grant answer to a code that cannot be redeemed.
func codeError(desc string) *OAuthError {
	return NewOAuthError(oauthInvalidGrant, CodeOAuthCodeExpired, desc)
}

// grantAuthorizationCode redeems an authorization code (RFC 6749 §4.1.3,
// RFC 7636 §4.5): once, within 60 s, by the client it was issued to, with
// the same redirect_uri and the PKCE verifier of its challenge. A code
// presented again revokes the tokens its first exchange issued. The tokens
// belong to a new session of the service (aud = client_id); the refresh
// token comes with offline_access only and the ID token with openid.
func (a *Authos) grantAuthorizationCode(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	f := req.Form
	code, verifier, redirectURI := f.Get("code"), f.Get("code_verifier"), f.Get("redirect_uri")
	if code == "" || len(code) > 256 {
		return nil, NewOAuthError(oauthInvalidRequest, CodeBadRequest, "code is required")
	}
	ss, err := a.signInStore(a.st)
	if err != nil {
		return nil, err
	}
	now := a.now()
	hash := hashx.SHA256Hex(code)
	c, err := ss.ConsumeAuthCode(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrUsed):
		if c.FamilyID != "" {
			if rerr := a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
				return []string{c.FamilyID}, tx.RevokeSession(ctx, c.FamilyID, now)
			}, ""); rerr != nil && AsError(rerr).Code != CodeNotFound {
				return nil, rerr
			}
		}
		a.log.Warn("authos: authorization code presented twice; its tokens are revoked", "client_id", c.ClientID)
		return nil, codeError("The code was already used; the tokens issued for it are revoked")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return nil, codeError("Unknown or expired code")
	case err != nil:
		return nil, dbError(err)
	}
	switch {
	case c.ClientID != req.Client.Service.ClientID:
		return nil, codeError("The code was issued to another client")
	case redirectURI != c.RedirectURI:
		return nil, codeError("redirect_uri differs from the one of the authorization request")
	case verifier == "":
		return nil, codeError("code_verifier is required (PKCE)")
	case !validVerifier(verifier) || !codeMatches(verifier, c.CodeChallenge):
		return nil, codeError("code_verifier does not match the code_challenge")
	}
	if err := a.mayUseService(ctx, a.st, c.UserID, req.Client); err != nil {
		e := AsError(err)
		if e.Code.HTTPStatus() >= 500 {
			return nil, err
		}
		return nil, NewOAuthError(oauthInvalidGrant, e.Code, e.PublicMessage())
	}
	user, err := a.st.GetUser(ctx, c.UserID)
	if err != nil {
		return nil, dbError(err)
	}
	scope, _ := parseScope(c.Scope)
	s := store.Session{
		ID: randx.ID(), UserID: user.ID, AMR: c.AMR, Audience: a.audienceOf(req.Client),
		OrgID: req.Client.Org.ID, ServiceID: req.Client.Service.ID, UserAgent: truncate(req.UserAgent, 512),
		IP: req.ClientIP, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(a.cfg.SessionLifetime),
	}
	var refresh string
	var rt store.RefreshToken
	if hasScope(scope, scopeOfflineAccess) {
		refresh = randx.Token(32)
		rt = store.RefreshToken{Hash: hashx.SHA256Hex(refresh), SessionID: s.ID, CreatedAt: now,
			ExpiresAt: minTime(now.Add(a.cfg.RefreshTokenTTL), s.ExpiresAt)}
	}
	data, err := json.Marshal(serviceGrant{Scope: c.Scope, SignInID: c.SignInSessionID, AuthTime: c.AuthTime})
	if err != nil {
		return nil, WrapError(CodeInternalServerError, "", err)
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		if refresh != "" {
			if err := tx.CreateRefreshToken(ctx, rt); err != nil {
				return err
			}
		}
		if err := tx.CreateToken(ctx, store.OneTimeToken{Hash: grantKey(s.ID), Purpose: purposeServiceGrant,
			UserID: user.ID, Data: data, CreatedAt: now, ExpiresAt: s.ExpiresAt}); err != nil {
			return err
		}
		sst, err := a.signInStore(tx)
		if err != nil {
			return err
		}
		if err := sst.BindAuthCodeFamily(ctx, hash, s.ID); errors.Is(err, store.ErrReused) {
			return codeError("The code was presented twice; no tokens are issued")
		} else if err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserLogin, ActorID: user.ID, TargetID: user.ID, OrgID: s.OrgID,
			Data: map[string]any{"session_id": s.ID, "amr": s.AMR, "ip": s.IP, "client_id": req.Client.Service.ClientID}})
	})
	if err != nil {
		return nil, dbError(err)
	}
	tr, err := a.tokenPair(user, s, tokenContext{org: req.Client.Org.Slug, service: req.Client.Service.Slug, scope: joinScope(scope)},
		refresh, now, randx.ID())
	if err != nil {
		return nil, err
	}
	tr.Scope = joinScope(scope)
	if hasScope(scope, scopeOpenID) {
		tr.IDToken, err = a.mintIDToken(idTokenInput{user: user, clientID: req.Client.Service.ClientID, scope: scope, nonce: c.Nonce,
			amr: s.AMR, authTime: c.AuthTime, signInID: c.SignInSessionID, org: req.Client.Org.Slug,
			accessToken: tr.AccessToken, iat: now})
		if err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// grantRefreshToken redeems a refresh token of a service (RFC 6749 §6):
// only the client the token was issued to, authenticated, rotates it (with
// the reuse detection and grace of every refresh); scope may narrow what
// was granted. The ID token comes again with openid.
func (a *Authos) grantRefreshToken(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	token := req.Form.Get("refresh_token")
	if token == "" {
		return nil, NewOAuthError(oauthInvalidRequest, CodeBadRequest, "refresh_token is required")
	}
	var g serviceGrant
	var scope []string
	// The scope is checked inside the rotation: a refused request leaves the
	// refresh token as it was.
	check := func(tx store.Tx, s store.Session) (string, error) {
		// issuedTo, with the service grant read once for both the host
		// client's test and the scope.
		otherClient := func() error {
			return NewOAuthError(oauthInvalidGrant, CodeUnauthorized, "The refresh token was issued to another client")
		}
		if !a.sameClient(s, req.Client) {
			return "", otherClient()
		}
		t, err := tx.GetToken(ctx, purposeServiceGrant, grantKey(s.ID), a.now())
		if a.isHostClient(req.Client) {
			if held, herr := grantHeld(err); herr != nil {
				return "", herr
			} else if !held {
				return "", otherClient()
			}
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			// a family another grant started (device_code): no scope was granted
		case err != nil:
			return "", NewOAuthError(oauthInvalidGrant, CodeUnauthorized, "The grant of this refresh token has ended")
		default:
			if err := json.Unmarshal(t.Data, &g); err != nil {
				return "", err
			}
		}
		granted, _ := parseScope(g.Scope)
		if granted == nil {
			granted = []string{} // nothing granted: nothing to ask for
		}
		var oe *OAuthError
		if scope, oe = narrowScope(req.Form.Get("scope"), granted); oe != nil {
			return "", oe
		}
		return joinScope(scope), nil
	}
	tr, user, err := a.refresh(ctx, token, check)
	if err != nil {
		var oe *OAuthError
		if errors.As(err, &oe) {
			return nil, oe
		}
		e := AsError(err)
		if e.Code.HTTPStatus() < 500 {
			return nil, NewOAuthError(oauthInvalidGrant, e.Code, e.PublicMessage())
		}
		return nil, err
	}
	tr.Scope = joinScope(scope)
	if hasScope(scope, scopeOpenID) {
		tr.IDToken, err = a.mintIDToken(idTokenInput{user: user, clientID: req.Client.Service.ClientID, scope: scope,
			amr: tr.Session.AMR, authTime: g.AuthTime, signInID: g.SignInID, org: req.Client.Org.Slug,
			accessToken: tr.AccessToken, iat: a.now()})
		if err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// clientSessionPrefix begins the sid of a client_credentials access token:
// a session id of its own, never stored, so never revoked.
const clientSessionPrefix = "cc_"

// mintClientToken mints the access token of client_credentials: subject
// and audience are the client_id. It belongs to no stored session (there
// is no user), so its sid is its own and it lives until it expires.
func (a *Authos) mintClientToken(_ context.Context, c ServiceClient, scope string) (*TokenResponse, error) {
	now := a.now()
	exp := now.Add(a.cfg.AccessTokenTTL)
	at, err := a.mintAccessToken(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.cfg.Issuer, Subject: c.Service.ClientID, Audience: jwt.ClaimStrings{c.Service.ClientID},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), ID: randx.ID(),
		},
		SessionID: clientSessionPrefix + randx.ID(), Org: c.Org.Slug, Service: c.Service.Slug, Scope: scope,
	})
	if err != nil {
		return nil, err
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(a.cfg.AccessTokenTTL / time.Second), Scope: scope}, nil
}
