package authos_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

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

// TestReadmeShowsSignInExample: the README's "Sign in to your app" code is
// the body of Example_signInToYourApp, so what readers copy compiles; the
// screenshot of the sign-in page it shows is in the repository.
func TestReadmeShowsSignInExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("signin_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := between(string(readme), "\n## Sign in to your app\n", "\n## ")
	if !ok {
		t.Fatal(`README.md has no "## Sign in to your app" section`)
	}
	block, ok := between(section, "```go\n", "```\n")
	if !ok || block == "" {
		t.Fatal(`"Sign in to your app" has no go code block`)
	}
	body, ok := between(string(src), "func Example_signInToYourApp() {\n", "\n}\n")
	if !ok {
		t.Fatal("no Example_signInToYourApp in signin_example_test.go")
	}
	var lines []string
	for l := range strings.SplitSeq(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if example := strings.Join(lines, "\n") + "\n"; block != example {
		t.Errorf("README's \"Sign in to your app\" code differs from Example_signInToYourApp:\nREADME:\n%s\nexample:\n%s", block, example)
	}
	shot := regexp.MustCompile(`!\[[^\]]*sign-in page\]\(([^)]+\.png)\)`).FindStringSubmatch(string(readme))
	if shot == nil {
		t.Fatal("README.md shows no screenshot of the sign-in page")
	}
	if fi, err := os.Stat(shot[1]); err != nil || fi.Size() == 0 {
		t.Errorf("the README's screenshot %s: %v", shot[1], err)
	}
}

// between returns the text of s after the first start and before the next
// end.
func between(s, start, end string) (string, bool) {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return "", false
	}
	in, _, ok := strings.Cut(after, end)
	return in, ok
}
