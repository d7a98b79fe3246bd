package oauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// leaseTTL bounds one refresh; another instance may take over after it.
const leaseTTL = 30 * time.Second

func tokenAAD(identityID, which string) []byte {
	return []byte("authos_oauth_identities." + which + ":" + identityID)
}

// sealTokens encrypts tok for identity id; a missing refresh token keeps
// old's.
func (s *Service) sealTokens(id string, tok *oauth2.Token, old store.OAuthTokens) (store.OAuthTokens, error) {
	kr := s.a.Keyring()
	out := store.OAuthTokens{TokenType: tok.TokenType, ExpiresAt: tok.Expiry, RefreshToken: old.RefreshToken, Scopes: old.Scopes}
	if tok.ExpiresIn > 0 {
		// On the instance's clock, as every expiry it compares.
		out.ExpiresAt = s.a.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if out.TokenType == "" {
		out.TokenType = "Bearer"
	}
	var err error
	if out.AccessToken, err = kr.Encrypt([]byte(tok.AccessToken), tokenAAD(id, "access_token")); err != nil {
		return store.OAuthTokens{}, authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	if tok.RefreshToken != "" {
		if out.RefreshToken, err = kr.Encrypt([]byte(tok.RefreshToken), tokenAAD(id, "refresh_token")); err != nil {
			return store.OAuthTokens{}, authos.WrapError(authos.CodeEncryptionError, "", err)
		}
	}
	if sc, ok := tok.Extra("scope").(string); ok && sc != "" {
		out.Scopes = strings.FieldsFunc(sc, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return out, nil
}

func (s *Service) open(id, which string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := s.a.Keyring().Decrypt(sealed, tokenAAD(id, which))
	if err != nil {
		return "", authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	return string(b), nil
}

// ProviderToken is a live access token of a user at a provider.
type ProviderToken struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresAt   string   `json:"expires_at,omitempty"`
	Scopes      []string `json:"scopes"`
}

// errNeedsConsent: the provider refused the refresh.
func errNeedsConsent(provider string) error {
	return authos.NewError(authos.CodeConflict, "The person must sign in with "+label(provider)+" again to renew access")
}

// ProviderToken returns the access token of userID's identity at provider
// for the service c: the identity of c's organization's own credentials
// (identities of the platform's credentials are not handed to services).
// A token that expires within Config.RefreshAhead is refreshed first, once
// however many callers ask at the same time. NOT_FOUND (no such identity),
// PROVIDER_NOT_CONFIGURED, CONFLICT (the provider refused the refresh: the
// person must sign in with it again), OAUTH_ERROR.
func (s *Service) ProviderToken(ctx context.Context, c authos.ServiceClient, provider, userID string) (ProviderToken, error) {
	if !nameRE.MatchString(provider) {
		return ProviderToken{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	if err := authos.CheckIdentifier("user_id", userID); err != nil || userID == "" {
		return ProviderToken{}, authos.NewError(authos.CodeBadRequest, "user_id is required")
	}
	if p, err := s.st.GetOAuthProvider(ctx, c.Org.ID, provider); errors.Is(err, store.ErrNotFound) || (err == nil && !p.Enabled) {
		return ProviderToken{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	} else if err != nil {
		return ProviderToken{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	ids, err := s.st.ListOAuthIdentities(ctx, userID)
	if err != nil {
		return ProviderToken{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	var id store.OAuthIdentity
	for _, i := range ids {
		// An unconfirmed identity (see account) is nobody's yet.
		if i.Provider == provider && i.OrgID == c.Org.ID && !i.Unconfirmed {
			id = i
		}
	}
	if id.ID == "" {
		return ProviderToken{}, authos.NewError(authos.CodeNotFound, "The user has no identity at this provider")
	}
	for wait := 0; ; wait++ {
		if id.NeedsConsent {
			return ProviderToken{}, errNeedsConsent(provider)
		}
		if !s.due(id, s.cfg.RefreshAhead) {
			return s.view(id)
		}
		next, err := s.refresh(ctx, id, s.cfg.RefreshAhead)
		switch {
		case err == nil:
			return s.view(next)
		case !errors.Is(err, errLeased):
			return ProviderToken{}, err
		case wait >= 200:
			return ProviderToken{}, errProvider(errors.New("the token refresh by another instance did not finish"))
		}
		// Another caller is refreshing: wait for it, then read its result.
		select {
		case <-ctx.Done():
			return ProviderToken{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		if id, err = s.st.GetOAuthIdentity(ctx, id.ID); err != nil {
			return ProviderToken{}, authos.WrapError(authos.CodeDatabaseError, "", err)
		}
	}
}

// due reports whether id's access token expires within ahead and can be
// refreshed.
func (s *Service) due(id store.OAuthIdentity, ahead time.Duration) bool {
	return len(id.RefreshToken) > 0 && !id.ExpiresAt.IsZero() && !id.ExpiresAt.After(s.a.Now().Add(ahead))
}

func (s *Service) view(id store.OAuthIdentity) (ProviderToken, error) {
	at, err := s.open(id.ID, "access_token", id.AccessToken)
	if err != nil {
		return ProviderToken{}, err
	}
	t := ProviderToken{AccessToken: at, TokenType: id.TokenType, Scopes: id.Scopes}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	if !id.ExpiresAt.IsZero() {
		t.ExpiresAt = id.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return t, nil
}

// errLeased: another caller holds the identity's refresh lease, or a
// sign-in stored new tokens while this refresh ran (its result is older
// and was dropped).
var errLeased = errors.New("oauth: the identity is being refreshed")

// Backoff of the background refresh of an identity whose refresh failed:
// retryBase after the first failure, doubling, at most retryMax.
const (
	retryBase = 5 * time.Minute
	retryMax  = 24 * time.Hour
)

// retryAfter is the wait after the n-th failure in a row.
func retryAfter(n int) time.Duration {
	d := retryBase
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// refresh renews id's tokens under a lease (errLeased when another caller
// holds it, or when a sign-in replaced the tokens meanwhile: the store then
// refuses this older result). A token found no longer due once leased
// (refreshed by the previous holder) is returned as it is. A refresh the
// provider refuses (invalid_grant) marks the identity as needing consent;
// any other failure (the provider gone from the configuration, or down)
// counts, and the background refresh leaves the identity alone for a
// growing while (retryAfter) so that failing identities never crowd out the
// others.
func (s *Service) refresh(ctx context.Context, id store.OAuthIdentity, ahead time.Duration) (store.OAuthIdentity, error) {
	lease := randx.ID()
	now := s.a.Now()
	l, err := s.st.LeaseOAuthIdentity(ctx, id.ID, lease, now, now.Add(leaseTTL))
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.OAuthIdentity{}, errLeased
	case err != nil:
		return store.OAuthIdentity{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	release := func(t store.OAuthTokens) error {
		err := s.st.SetOAuthTokens(context.WithoutCancel(ctx), l.ID, lease, t, s.a.Now())
		switch {
		case errors.Is(err, store.ErrConflict):
			return errLeased // a sign-in's newer tokens ended the lease
		case err != nil:
			return authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		l.OAuthTokens, l.LeaseID, l.LeaseUntil = t, "", time.Time{}
		return nil
	}
	if l.NeedsConsent || !s.due(l, ahead) {
		return l, release(l.OAuthTokens)
	}
	tok, err := s.renew(ctx, l)
	if err != nil {
		t := l.OAuthTokens
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			t.NeedsConsent = true
			if rerr := release(t); rerr != nil {
				return store.OAuthIdentity{}, rerr
			}
			return store.OAuthIdentity{}, errNeedsConsent(l.Provider)
		}
		t.RefreshFailures++
		t.RetryAt = s.a.Now().Add(retryAfter(t.RefreshFailures))
		if rerr := release(t); rerr != nil {
			return store.OAuthIdentity{}, rerr
		}
		var ae *authos.Error
		if errors.As(err, &ae) {
			return store.OAuthIdentity{}, err
		}
		return store.OAuthIdentity{}, errProvider(err)
	}
	t, err := s.sealTokens(l.ID, tok, l.OAuthTokens)
	if err != nil {
		_ = release(l.OAuthTokens)
		return store.OAuthIdentity{}, err
	}
	return l, release(t)
}

// renew asks the provider for new tokens with id's refresh token.
func (s *Service) renew(ctx context.Context, id store.OAuthIdentity) (*oauth2.Token, error) {
	c, err := s.connOf(ctx, id)
	if err != nil {
		return nil, err
	}
	rt, err := s.open(id.ID, "refresh_token", id.RefreshToken)
	if err != nil {
		return nil, err
	}
	oc, _, err := s.config(ctx, c)
	if err != nil {
		return nil, err
	}
	return oc.TokenSource(s.ctx(ctx), &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)}).Token()
}

// connOf is the connection an identity was made with.
func (s *Service) connOf(ctx context.Context, id store.OAuthIdentity) (conn, error) {
	if id.OrgID == "" {
		if c, ok := s.platformConn(id.Provider); ok {
			return c, nil
		}
		return conn{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	p, err := s.st.GetOAuthProvider(ctx, id.OrgID, id.Provider)
	if errors.Is(err, store.ErrNotFound) {
		return conn{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
	}
	if err != nil {
		return conn{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return s.orgConn(p)
}

// RefreshDue refreshes the tokens that expire within
// Config.BackgroundRefreshAhead (those another instance is refreshing are
// skipped) and returns how many it renewed. New registers it with the
// instance's hourly cleanup; Run calls it every few minutes.
func (s *Service) RefreshDue(ctx context.Context) (int, error) {
	now := s.a.Now()
	ids, err := s.st.ListOAuthIdentitiesToRefresh(ctx, now.Add(s.cfg.BackgroundRefreshAhead), now, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var firstErr error
	for _, id := range ids {
		if _, err := s.refresh(ctx, id, s.cfg.BackgroundRefreshAhead); err != nil {
			if !errors.Is(err, errLeased) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		n++
	}
	return n, firstErr
}

// Run refreshes due tokens every interval (default 5 minutes) until ctx
// ends. Run it in one or in every instance: the leases keep two from
// refreshing the same token.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RefreshDue(ctx); err != nil && ctx.Err() == nil {
			s.a.Logger().Warn("oauth: background token refresh", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
