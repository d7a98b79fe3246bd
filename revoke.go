package authos

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/store"
)

// Token revocation (RFC 7009) and introspection (RFC 7662): a client,
// authenticated as at the token endpoint, revokes or inspects the access
// and refresh tokens issued to it. Tokens of another client, unknown,
// malformed or expired ones are ignored by revocation (200) and inactive
// for introspection, so that neither endpoint tells a client anything
// about tokens that are not its own.

// Token type hints and introspection token types.
const (
	tokenTypeAccess  = "access_token"
	tokenTypeRefresh = "refresh_token"
)

// tokenClient authenticates the client of a request of the revocation or
// introspection endpoint (authenticateClientRequest) and returns it with
// the token; on failure it has written the OAuth error.
func (a *Authos) tokenClient(w http.ResponseWriter, r *http.Request) (ServiceClient, string, bool) {
	c, _, form, oe := a.authenticateClientRequest(w, r)
	if oe == nil && form.Get("token") == "" {
		oe = NewOAuthError(oauthInvalidRequest, CodeBadRequest, "token is required")
	}
	if oe != nil {
		a.writeOAuthError(w, r, oe)
		return ServiceClient{}, "", false
	}
	return c, form.Get("token"), true
}

// clientToken is a token found to be issued to a client.
type clientToken struct {
	kind    string        // tokenTypeAccess or tokenTypeRefresh
	session store.Session // zero for client_credentials tokens (no session)
	claims  *accessClaims // access tokens
	refresh store.RefreshToken
}

// findClientToken identifies token as an access or refresh token issued
// to c. ok is false when it is not one: malformed, unknown, signed by no
// key of this issuer, expired (access tokens), or another client's.
func (a *Authos) findClientToken(ctx context.Context, c ServiceClient, token string) (ct clientToken, ok bool, err error) {
	aud := a.audienceOf(c)
	if aud == "" {
		// parseAccessToken checks no audience for "": a client without a
		// client_id has no token to find.
		return clientToken{}, false, nil
	}
	if strings.Count(token, ".") == 2 {
		claims, err := a.parseAccessToken(ctx, token, aud)
		if err != nil {
			if AsError(err).Code.HTTPStatus() >= 500 {
				return clientToken{}, false, err
			}
			return clientToken{}, false, nil
		}
		ct = clientToken{kind: tokenTypeAccess, claims: claims}
		if strings.HasPrefix(claims.SessionID, clientSessionPrefix) {
			return ct, claims.Subject == c.Service.ClientID, nil
		}
		s, err := a.st.GetSession(ctx, claims.SessionID)
		if errors.Is(err, store.ErrNotFound) {
			return clientToken{}, false, nil
		}
		if err != nil {
			return clientToken{}, false, dbError(err)
		}
		ct.session = s
		return a.clientTokenOf(ctx, ct, c)
	}
	if len(token) > 512 {
		return clientToken{}, false, nil
	}
	ss, offered := store.As[store.SignInStore](a.st)
	if !offered {
		return clientToken{}, false, nil
	}
	rt, err := ss.GetRefreshToken(ctx, hashx.SHA256Hex(token))
	if errors.Is(err, store.ErrNotFound) {
		return clientToken{}, false, nil
	}
	if err != nil {
		return clientToken{}, false, dbError(err)
	}
	s, err := a.st.GetSession(ctx, rt.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return clientToken{}, false, nil
	}
	if err != nil {
		return clientToken{}, false, dbError(err)
	}
	ct = clientToken{kind: tokenTypeRefresh, session: s, refresh: rt}
	return a.clientTokenOf(ctx, ct, c)
}

// clientTokenOf returns ct, with ok telling whether its session was
// issued to c (issuedTo).
func (a *Authos) clientTokenOf(ctx context.Context, ct clientToken, c ServiceClient) (clientToken, bool, error) {
	ok, err := a.issuedTo(ctx, a.st, ct.session, c)
	if err != nil {
		return clientToken{}, false, dbError(err)
	}
	return ct, ok, nil
}

// RevokeToken revokes, for the client c, an access or refresh token issued
// to it (RFC 7009): either ends the token's session, that is the family of
// tokens of one sign-in at the client, on every instance within a second.
// A token that is unknown, malformed, expired or another client's changes
// nothing and is no error; nor is a client_credentials token, which has no
// session and ends when it expires. Errors are storage failures only.
func (a *Authos) RevokeToken(ctx context.Context, c ServiceClient, token string) error {
	ct, ok, err := a.findClientToken(ctx, c, token)
	if err != nil || !ok || ct.session.ID == "" || !ct.session.RevokedAt.IsZero() {
		return err
	}
	err = a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		return []string{ct.session.ID}, tx.RevokeSession(ctx, ct.session.ID, now)
	}, "")
	if AsError(err).Code == CodeNotFound {
		return nil
	}
	return err
}

// Introspection is the answer of token introspection (RFC 7662 §2.2).
// Only Active is set for a token that is not active for the asking client.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	ExpiresAt int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Audience  string `json:"aud,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	// TokenType is "Bearer" for access tokens and "refresh_token" for
	// refresh tokens.
	TokenType string `json:"token_type,omitempty"`
}

// IntrospectToken tells the client c whether token, one of its access or
// refresh tokens, is active (RFC 7662): issued to c, unexpired, its
// session not revoked and, for a refresh token, not yet rotated. Any other
// token is inactive. Errors are storage failures only.
func (a *Authos) IntrospectToken(ctx context.Context, c ServiceClient, token string) (Introspection, error) {
	ct, ok, err := a.findClientToken(ctx, c, token)
	if err != nil || !ok {
		return Introspection{}, err
	}
	now := a.now()
	s := ct.session
	if s.ID != "" && (!s.RevokedAt.IsZero() || !s.ExpiresAt.After(now)) {
		return Introspection{}, nil
	}
	in := Introspection{Active: true, ClientID: c.Service.ClientID, Audience: a.audienceOf(c), Issuer: a.cfg.Issuer}
	if ct.kind == tokenTypeAccess { // its session, read from the store above, is not revoked
		in.Scope, in.Subject, in.TokenType = ct.claims.Scope, ct.claims.Subject, "Bearer"
		if ct.claims.ExpiresAt != nil {
			in.ExpiresAt = ct.claims.ExpiresAt.Unix()
		}
		if ct.claims.IssuedAt != nil {
			in.IssuedAt = ct.claims.IssuedAt.Unix()
		}
		return in, nil
	}
	rt := ct.refresh
	if !rt.RotatedAt.IsZero() || !rt.ExpiresAt.After(now) {
		return Introspection{}, nil
	}
	in.Subject, in.TokenType = s.UserID, tokenTypeRefresh
	in.ExpiresAt, in.IssuedAt = rt.ExpiresAt.Unix(), rt.CreatedAt.Unix()
	t, err := a.st.GetToken(ctx, purposeServiceGrant, grantKey(s.ID), now)
	if err == nil {
		var g serviceGrant
		if json.Unmarshal(t.Data, &g) == nil {
			in.Scope = g.Scope
		}
	} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExpired) && !errors.Is(err, store.ErrUsed) {
		return Introspection{}, dbError(err)
	}
	return in, nil
}

// handleRevoke serves POST /auth/revoke: 200 with an empty body whatever
// the token was, once the client is authenticated.
func (a *Authos) handleRevoke(w http.ResponseWriter, r *http.Request) {
	c, token, ok := a.tokenClient(w, r)
	if !ok {
		return
	}
	if err := a.RevokeToken(r.Context(), c, token); err != nil {
		a.writeOAuthError(w, r, oauthErrorOf(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect serves POST /auth/introspect.
func (a *Authos) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	c, token, ok := a.tokenClient(w, r)
	if !ok {
		return
	}
	in, err := a.IntrospectToken(r.Context(), c, token)
	if err != nil {
		a.writeOAuthError(w, r, oauthErrorOf(err))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, in) // Cache-Control: no-store
}
