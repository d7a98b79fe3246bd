package authos_test

import (
	"context"
	"log"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// A web application signs its users in through authos with
// golang.org/x/oauth2 and coreos/go-oidc. Register it as a service of your
// organization (service_type web, redirect_uris
// ["https://app.example.com/callback"]) and use its client_id and
// client_secret. The README's "Sign in to your app" shows this code.
func Example_signInToYourApp() {
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, "https://id.example.com") // authos's issuer (its BaseURL)
	if err != nil {
		log.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: "cl_...", ClientSecret: "cs_...", RedirectURL: "https://app.example.com/callback",
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess}}
	idTokens := provider.Verifier(&oidc.Config{ClientID: conf.ClientID})

	http.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		state, pkce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		http.SetCookie(w, &http.Cookie{Name: "signin", Value: state + "." + pkce, Path: "/callback", MaxAge: 600,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(pkce)), http.StatusFound)
	})
	http.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("signin")
		if err != nil || len(ck.Value) != 87 || r.FormValue("state") != ck.Value[:43] {
			http.Error(w, "sign-in expired; try again", http.StatusBadRequest)
			return
		}
		tok, err := conf.Exchange(r.Context(), r.FormValue("code"), oauth2.VerifierOption(ck.Value[44:]))
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusUnauthorized)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := idTokens.Verify(r.Context(), raw)
		var claims struct {
			Email string `json:"email"`
		}
		if err != nil || idt.Claims(&claims) != nil {
			http.Error(w, "sign-in failed", http.StatusUnauthorized)
			return
		}
		// Start your own session for idt.Subject; keep tok.RefreshToken server-side.
		log.Printf("signed in: %s <%s>", idt.Subject, claims.Email)
		http.Redirect(w, r, "/", http.StatusFound)
	})
	log.Fatal(http.ListenAndServe(":3000", nil))
}
