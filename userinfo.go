package authos

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/store"
)

// UserInfo is the answer of the UserInfo endpoint (OpenID Connect Core
// §5.3.2): the subject, and the claims of the scopes the user granted
// (email: email and email_verified; profile: name).
type UserInfo struct {
	Subject       string `json:"sub"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	Name          string `json:"name,omitempty"`
}

// GetUserInfo returns the claims about the user of accessToken, an access
// token issued through the sign-in flow with the openid scope to a
// service (or to the host client). Errors: the token's (JWT_ERROR,
// TOKEN_EXPIRED, SESSION_REVOKED), UNAUTHORIZED when the account is gone
// or disabled, FORBIDDEN when the token lacks the openid scope.
func (a *Authos) GetUserInfo(ctx context.Context, accessToken string) (UserInfo, error) {
	p, err := a.verifyUserInfoToken(ctx, accessToken)
	if err != nil {
		return UserInfo{}, err
	}
	if !slices.Contains(p.Scopes, scopeOpenID) {
		return UserInfo{}, NewError(CodeForbidden, "The access token was not granted the openid scope")
	}
	u, err := a.st.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return UserInfo{}, NewError(CodeUnauthorized, "The account no longer exists")
	}
	if err != nil {
		return UserInfo{}, dbError(err)
	}
	if u.Disabled {
		return UserInfo{}, NewError(CodeUnauthorized, "Account is disabled")
	}
	info := UserInfo{Subject: u.ID}
	if slices.Contains(p.Scopes, scopeEmail) {
		verified := u.EmailVerified
		info.Email, info.EmailVerified = u.Email, &verified
	}
	if slices.Contains(p.Scopes, scopeProfile) {
		info.Name = u.Name
	}
	return info, nil
}

// verifyUserInfoToken verifies an access token for the UserInfo endpoint
// with one signature check: its signature (a known key of this issuer,
// the typ and crit rules of every access token), issuer and expiry, for
// any audience, and only then reads the store: the token's single
// audience must be one the UserInfo endpoint serves, a registered
// service's client_id or the management audience (the host client's
// tokens). A forged token is thus refused without reading anything but
// the signing keys. The rest is VerifyAccessToken's (a session, not
// revoked) without its verified-token cache, which is keyed by audience.
func (a *Authos) verifyUserInfoToken(ctx context.Context, raw string) (*Principal, error) {
	c, err := a.parseAccessToken(ctx, raw, "")
	if err != nil {
		return nil, err
	}
	if len(c.Audience) != 1 {
		return nil, NewError(CodeJWTError, "Invalid token")
	}
	aud := c.Audience[0]
	if aud != a.cfg.ManagementAudience {
		if CheckIdentifier("client_id", aud) != nil {
			return nil, NewError(CodeJWTError, "Invalid token")
		}
		if _, err := a.serviceByClientID(ctx, aud); errors.Is(err, store.ErrNotFound) {
			return nil, NewError(CodeJWTError, "Invalid token")
		} else if err != nil {
			return nil, dbError(err)
		}
	}
	return a.accessPrincipal(ctx, c, aud)
}

// handleUserInfo serves GET and POST /auth/userinfo (OpenID Connect Core
// §5.3) with the access token in the Authorization header (RFC 6750 §2.1).
// Errors are RFC 6750 §3 challenges: invalid_token (401) or
// insufficient_scope (403).
func (a *Authos) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	raw := httpx.BearerToken(r)
	var err error
	var info UserInfo
	if raw == "" {
		err = NewError(CodeUnauthorized, "Authentication required")
	} else {
		info, err = a.GetUserInfo(r.Context(), raw)
	}
	if err != nil {
		e := AsError(err)
		oe := &OAuthError{RFC: "invalid_token", Code: e.Code, Description: e.PublicMessage(), Status: http.StatusUnauthorized, Err: err}
		switch {
		case e.Code.HTTPStatus() >= 500:
			oe = oauthErrorOf(err)
		case e.Code == CodeForbidden:
			oe.RFC, oe.Status = "insufficient_scope", http.StatusForbidden
			w.Header().Set("WWW-Authenticate", `Bearer realm="authos", error="insufficient_scope", scope="openid"`)
		case raw == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="authos"`)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="authos", error="invalid_token"`)
		}
		a.writeOAuthError(w, r, oe)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, info) // Cache-Control: no-store
}
