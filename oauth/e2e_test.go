package oauth_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

var buttonRE = regexp.MustCompile(`href="([^"]*/auth/social/([a-z0-9-]+)\?flow=[^"]*)"`)

// buttons returns the social login buttons of the hosted sign-in page of
// flow: provider -> URL.
func (h *harness) buttons(b *http.Client, flow string) map[string]string {
	h.t.Helper()
	r := get(h.t, b, h.srv.URL+"/auth/signin?flow="+url.QueryEscape(flow))
	if r.status != 200 {
		h.t.Fatalf("sign-in page: %d %s", r.status, r.body)
	}
	out := map[string]string{}
	for _, m := range buttonRE.FindAllStringSubmatch(r.body, -1) {
		out[m[2]] = html.UnescapeString(m[1])
	}
	return out
}

// viaProvider follows a button in browser b through the provider
// (mockoidc answers at once) and returns the callback URL it sends the
// browser to.
func (h *harness) viaProvider(b *http.Client, button string) *url.URL {
	h.t.Helper()
	toIdP := location(h.t, get(h.t, b, button))
	return location(h.t, get(h.t, b, toIdP.String()))
}

// The whole sign-in over HTTP: a service of the organization signs a user
// in with x/oauth2 and go-oidc through the hosted page's button for the
// organization's own OpenID Connect provider (mockoidc), which saw PKCE
// S256, the state and a nonce; the service's ID token carries the email;
// the identity is listed; the login event names the provider.
func TestSocialSignInEndToEnd(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()
		// The organization's own provider may assert any address: its
		// first sign-in makes an unverified account, and the person
		// confirms the address from the email first.
		h.provision("idp-ada", "ada@example.com")
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-ada", Email: "ada@example.com", EmailVerified: true})

		b := browser(t)
		verifier := oauth2.GenerateVerifier()
		conf := &oauth2.Config{ClientID: h.web.ClientID, ClientSecret: h.web.ClientSecret, RedirectURL: webCallback,
			Endpoint: oauth2.Endpoint{AuthURL: h.srv.URL + "/auth/authorize", TokenURL: h.srv.URL + "/auth/token"},
			Scopes:   []string{oidc.ScopeOpenID, "email"}}
		start := conf.AuthCodeURL("client-state", oauth2.S256ChallengeOption(verifier), oidc.Nonce("client-nonce"))
		signIn := location(t, get(t, b, start))
		flow := signIn.Query().Get("flow")
		buttons := h.buttons(b, flow)
		if len(buttons) != 1 || buttons["acme-sso"] == "" {
			t.Fatalf("buttons %v; want the organization's acme-sso only", buttons)
		}
		cb := h.viaProvider(b, buttons["acme-sso"])
		az := h.lastAuthorize()
		if az.Get("code_challenge_method") != "S256" || len(az.Get("code_challenge")) != 43 || az.Get("state") == "" ||
			az.Get("state") != cb.Query().Get("state") || len(az.Get("nonce")) < 20 || az.Get("redirect_uri") != h.srv.URL+"/auth/social/acme-sso/callback" {
			t.Fatalf("the provider received %v", az)
		}
		back := location(t, get(t, b, cb.String()))
		if tk := h.lastToken(); challenge(tk.Get("code_verifier")) != az.Get("code_challenge") {
			t.Fatal("the provider's token request carried no matching PKCE verifier")
		}
		if back.Scheme+"://"+back.Host+back.Path != webCallback || back.Query().Get("state") != "client-state" || back.Query().Get("code") == "" {
			t.Fatalf("back at the client: %s", back)
		}
		tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		prov, err := oidc.NewProvider(ctx, h.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := prov.Verifier(&oidc.Config{ClientID: h.web.ClientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Email    string   `json:"email"`
			Verified bool     `json:"email_verified"`
			AMR      []string `json:"amr"`
		}
		if err := idt.Claims(&claims); err != nil || claims.Email != "ada@example.com" || !claims.Verified || idt.Nonce != "client-nonce" {
			t.Fatalf("ID token claims %+v, nonce %q, %v", claims, idt.Nonce, err)
		}
		if strings.Join(claims.AMR, " ") != "social social:acme-sso" {
			t.Errorf("amr %v", claims.AMR)
		}

		u, err := st.GetUserByEmail(ctx, "ada@example.com")
		if err != nil || !u.EmailVerified {
			t.Fatalf("account %+v, %v", u, err)
		}
		tr, err := h.inst.CompleteLogin(ctx, u, authos.LoginContext{Method: "social"})
		if err != nil {
			t.Fatal(err)
		}
		r := h.do("GET", "/api/user/identities", tr.AccessToken, nil)
		var ids []map[string]any
		if r.status == 200 {
			ids = listOf(r)
		}
		if len(ids) != 1 || ids[0]["provider"] != "acme-sso" || ids[0]["subject"] != "idp-ada" || ids[0]["email"] != "ada@example.com" ||
			ids[0]["organization_id"] != h.org.ID {
			t.Fatalf("identities: %d %s", r.status, r.body)
		}
		var login, linked bool
		for _, ev := range h.inst.Events() {
			switch ev.Type {
			case "user.login":
				if ev.TargetID == u.ID && strings.Contains(fmt.Sprint(ev.Data["amr"]), "social:acme-sso") {
					login = true
				}
			case "user.identity.linked":
				linked = ev.TargetID == u.ID && ev.Data["provider"] == "acme-sso"
			}
		}
		if !login || !linked {
			t.Errorf("events: login with the provider %v, identity linked %v", login, linked)
		}
	})
}

func listOf(r result) []map[string]any {
	var out []map[string]any
	_ = jsonUnmarshal(r.body, &out)
	return out
}
