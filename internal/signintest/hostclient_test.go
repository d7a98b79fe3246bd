package signintest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

const hostCallback = "https://front.example.com/callback"

// TestHostClient: the host's own front end signs in through
// /auth/authorize as the built-in public client of Config.SignIn, with
// PKCE and its client_id alone; its access token carries the management
// audience and works on the management API, its ID token names it, and it
// refreshes at the token endpoint; an unregistered redirect URI of it is
// refused like any client's.
func TestHostClient(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st, func(c *authos.Config) {
			c.SignIn = authos.HostClient{RedirectURIs: []string{hostCallback}}
		})
		ctx := t.Context()
		provider, err := oidc.NewProvider(ctx, h.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		conf := &oauth2.Config{ClientID: "host", RedirectURL: hostCallback, Endpoint: provider.Endpoint(),
			Scopes: []string{oidc.ScopeOpenID, "email", oidc.ScopeOfflineAccess}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		v := oauth2.GenerateVerifier()
		back, _ := h.signIn(h.browser(), conf, "h1", v)
		if back.Scheme+"://"+back.Host+back.Path != hostCallback || back.Query().Get("code") == "" {
			t.Fatalf("host client: redirected to %s", back)
		}
		tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: "host"}).Verify(ctx, tok.Extra("id_token").(string))
		if err != nil || idt.Subject != h.ownerID {
			t.Fatalf("host client's ID token: %v", err)
		}
		p, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, "")
		if err != nil || p.UserID != h.ownerID {
			t.Fatalf("host client's access token on the management audience: %+v, %v", p, err)
		}
		resp, err := conf.Client(ctx, tok).Get(h.srv.URL + "/api/user")
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != 200 {
			t.Fatalf("GET /api/user with the host client's token: %d %s; want 200", resp.StatusCode, body)
		}
		if ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil || ui.Email != "owner@example.com" {
			t.Errorf("UserInfo with the host client's token: %+v, %v", ui, err)
		}
		next, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("host client refresh: %v", err)
		}
		if _, err := h.inst.VerifyAccessToken(ctx, next.AccessToken, ""); err != nil {
			t.Errorf("refreshed host token: %v", err)
		}
		// Not a confidential client: no client_credentials.
		if r := postForm(t, h.srv.URL+"/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"host"}}); r.status != 400 || r.body["error"] != "unauthorized_client" {
			t.Errorf("client_credentials for the host client: %d %v", r.status, r.body)
		}
		pu, _ := url.Parse(conf.AuthCodeURL("h2", oauth2.S256ChallengeOption(v)))
		bad := pu.Query()
		bad.Set("redirect_uri", "https://evil.example.com/cb")
		if resp, _ := h.get(h.browser(), h.srv.URL+"/auth/authorize?"+bad.Encode()); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("host client with an unregistered redirect URI: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestHostClientOnlyItsOwnTokens: the host client is public (anyone may
// name it) and its tokens carry the management audience like those of any
// sign-in to the management API; still it may introspect, revoke and
// refresh only the tokens issued to it (RFC 7009 §2.1, RFC 7662 §2.2), not
// a password sign-in's: introspection answers {"active": false},
// revocation changes nothing, a refresh is invalid_grant.
func TestHostClientOnlyItsOwnTokens(t *testing.T) {
	h := newSignInHarness(t, memory.New(), func(c *authos.Config) {
		c.SignIn = authos.HostClient{RedirectURIs: []string{hostCallback}}
	})
	ctx := t.Context()
	conf := &oauth2.Config{ClientID: "host", RedirectURL: hostCallback,
		Endpoint: oauth2.Endpoint{AuthURL: h.srv.URL + "/auth/authorize", TokenURL: h.srv.URL + "/auth/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}}
	v := oauth2.GenerateVerifier()
	back, _ := h.signIn(h.browser(), conf, "h", v)
	own, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	pw, err := h.inst.Login(ctx, authos.LoginInput{Email: ownerEmail, Password: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{pw.AccessToken, pw.RefreshToken} {
		if in := h.introspect("host", "", tok); len(in) != 1 || in["active"] != false {
			t.Errorf("the host client introspects a password sign-in's token: %v; want only active false", in)
		}
		h.revoke("host", "", tok)
	}
	if _, err := h.inst.VerifyAccessToken(ctx, pw.AccessToken, ""); err != nil {
		t.Errorf("the host client revoked a password sign-in's session: %v", err)
	}
	r := postForm(t, h.srv.URL+"/auth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"host"}, "refresh_token": {pw.RefreshToken}})
	if r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Errorf("the host client refreshes a password sign-in's refresh token: %d %v; want invalid_grant", r.status, r.body)
	}
	if _, err := h.inst.Refresh(ctx, pw.RefreshToken); err != nil {
		t.Errorf("the password sign-in's refresh token after the host client's attempts: %v", err)
	}
	// Its own tokens: active, and revoked by it.
	if in := h.introspect("host", "", own.AccessToken); in["active"] != true || in["client_id"] != "host" {
		t.Errorf("the host client introspects its own access token: %v", in)
	}
	if in := h.introspect("host", "", own.RefreshToken); in["active"] != true {
		t.Errorf("the host client introspects its own refresh token: %v", in)
	}
	h.revoke("host", "", own.RefreshToken)
	_, err = h.inst.VerifyAccessToken(ctx, own.AccessToken, "")
	wantCode(t, "the host client's access token after it revoked its refresh token", err, authos.CodeSessionRevoked)
}
