package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
)

// discoveryTTL is how long a provider's discovery document is reused, on
// the instance's clock (authos.Config.Now).
const discoveryTTL = time.Hour

// maxDiscovery bounds the cached discovery documents: every organization
// may name issuers of its own, so the cache must not grow with them. The
// oldest entry makes room for a new one.
const maxDiscovery = 64

type oidcEntry struct {
	p  *oidc.Provider
	at time.Time // fetched
}

// fresh reports whether e may still be used at now (a clock set back
// counts as expired).
func (e *oidcEntry) fresh(now time.Time) bool {
	return !now.Before(e.at) && now.Sub(e.at) < discoveryTTL
}

// oidcProvider returns the discovered provider of c's issuer. For a
// Microsoft issuer of several tenants the discovery document names a
// tenant placeholder as issuer; the ID token's iss is then checked against
// its tid instead. Failures are not cached.
func (s *Service) oidcProvider(ctx context.Context, c conn) (*oidc.Provider, error) {
	now := s.a.Now()
	s.mu.Lock()
	e, ok := s.discovery[c.issuer]
	s.mu.Unlock()
	if ok && e.fresh(now) {
		return e.p, nil
	}
	if err := s.guard.CheckURL(c.issuer); err != nil {
		return nil, err
	}
	dctx := s.ctx(ctx)
	if c.multiTenant {
		dctx = oidc.InsecureIssuerURLContext(dctx, c.issuer)
	}
	p, err := oidc.NewProvider(dctx, c.issuer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for iss, old := range s.discovery {
		if !old.fresh(now) {
			delete(s.discovery, iss)
		}
	}
	delete(s.discovery, c.issuer)
	for len(s.discovery) >= maxDiscovery {
		oldest := ""
		for iss, old := range s.discovery {
			if oldest == "" || old.at.Before(s.discovery[oldest].at) {
				oldest = iss
			}
		}
		delete(s.discovery, oldest)
	}
	s.discovery[c.issuer] = &oidcEntry{p: p, at: now}
	return p, nil
}

// config returns the OAuth 2.0 client of c (and its OpenID provider).
func (s *Service) config(ctx context.Context, c conn) (*oauth2.Config, *oidc.Provider, error) {
	oc := &oauth2.Config{ClientID: c.clientID, ClientSecret: c.secret, RedirectURL: s.redirectURI(c.name), Scopes: c.scopes}
	if c.kind == kindGitHub {
		oc.Endpoint = oauth2.Endpoint{AuthURL: s.gitHubAuthURL(),
			TokenURL: "https://github.com/login/oauth/access_token", AuthStyle: oauth2.AuthStyleInParams}
		if e := s.cfg.GitHubEndpoints; e.TokenURL != "" {
			oc.Endpoint.TokenURL = e.TokenURL
		}
		return oc, nil, nil
	}
	p, err := s.oidcProvider(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	oc.Endpoint = p.Endpoint()
	oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return oc, p, nil
}

// gitHubAuthURL is GitHub's authorization endpoint.
func (s *Service) gitHubAuthURL() string {
	if u := s.cfg.GitHubEndpoints.AuthURL; u != "" {
		return u
	}
	return "https://github.com/login/oauth/authorize"
}

// responseIssuer reports whether iss, the iss parameter of an
// authorization response (RFC 9207), names c's provider: GitHub's
// (https://github.com/login/oauth, its authorization endpoint without
// "/authorize"), or the OpenID Connect issuer; for Microsoft's multi-tenant
// authority a tenant's issuer under it, which the ID token's iss must then
// repeat (verifyIDToken).
func (s *Service) responseIssuer(c conn, iss string) bool {
	switch {
	case c.kind == kindGitHub:
		return iss == strings.TrimSuffix(s.gitHubAuthURL(), "/authorize")
	case c.multiTenant:
		tenant, ok := strings.CutPrefix(iss, s.cfg.MicrosoftAuthority+"/")
		tenant, ok2 := strings.CutSuffix(tenant, "/v2.0")
		return ok && ok2 && tenant != "" && !strings.Contains(tenant, "/")
	}
	return iss == c.issuer
}

// profile is what a provider asserts about the person.
type profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// errProvider is a provider failure (OAUTH_ERROR).
func errProvider(err error) error {
	return authos.WrapError(authos.CodeOAuthError, "The sign-in provider did not answer as expected; try again later", err)
}

// oidcClaims are the ID token claims read.
type oidcClaims struct {
	Issuer        string `json:"iss"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a boolean, or "true" from some providers
	Name          string `json:"name"`
	TenantID      string `json:"tid"`
}

// verifyIDToken checks the ID token of tok: signature, issuer, audience,
// expiry (go-oidc) and nonce, and reads the profile. respIss is the
// authorization response's iss ("" when it had none).
func (s *Service) verifyIDToken(ctx context.Context, c conn, p *oidc.Provider, tok *oauth2.Token, nonce, respIss string) (profile, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return profile{}, errProvider(errors.New("no id_token in the token response"))
	}
	v := p.Verifier(&oidc.Config{ClientID: c.clientID, SkipIssuerCheck: c.multiTenant, Now: s.a.Now})
	idt, err := v.Verify(s.ctx(ctx), raw)
	if err != nil {
		return profile{}, errProvider(err)
	}
	if nonce == "" || idt.Nonce != nonce {
		return profile{}, errProvider(errors.New("the ID token's nonce does not match"))
	}
	var cl oidcClaims
	if err := idt.Claims(&cl); err != nil {
		return profile{}, errProvider(err)
	}
	if c.multiTenant {
		base := strings.TrimSuffix(c.issuer, "/v2.0")
		base = base[:strings.LastIndex(base, "/")]
		if cl.TenantID == "" || cl.Issuer != base+"/"+cl.TenantID+"/v2.0" {
			return profile{}, errProvider(fmt.Errorf("the ID token's issuer %q does not match its tenant", cl.Issuer))
		}
		if respIss != "" && respIss != cl.Issuer {
			return profile{}, errProvider(errors.New("the authorization response and the ID token name other tenants"))
		}
	}
	verified := cl.EmailVerified == true || cl.EmailVerified == "true"
	return profile{Subject: idt.Subject, Email: cl.Email, EmailVerified: verified, Name: cl.Name}, nil
}

// gitHubProfile reads the user and email APIs of GitHub.
func (s *Service) gitHubProfile(ctx context.Context, tok *oauth2.Token) (profile, error) {
	api := "https://api.github.com"
	if s.cfg.GitHubEndpoints.APIURL != "" {
		api = strings.TrimRight(s.cfg.GitHubEndpoints.APIURL, "/")
	}
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := s.getJSON(ctx, api+"/user", tok.AccessToken, &u); err != nil {
		return profile{}, errProvider(err)
	}
	if u.ID <= 0 {
		return profile{}, errProvider(errors.New("github: the user has no id"))
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := s.getJSON(ctx, api+"/user/emails", tok.AccessToken, &emails); err != nil {
		return profile{}, errProvider(err)
	}
	p := profile{Subject: fmt.Sprint(u.ID), Name: u.Name}
	if p.Name == "" {
		p.Name = u.Login
	}
	for _, e := range emails {
		if e.Primary {
			p.Email, p.EmailVerified = e.Email, e.Verified
		}
	}
	return p, nil
}

// getJSON GETs url with the bearer token and decodes a 200 answer into v.
func (s *Service) getJSON(ctx context.Context, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
