package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authos/authos/oauth"
)

// TestSocialLoginWired: AUTHOS_OAUTH_GITHUB_CLIENT_ID/_SECRET and
// AUTHOS_OIDC_PROVIDERS become the platform's social login providers: the
// hosted sign-in page shows their buttons, and GitHub's leads to GitHub
// with the platform's client id, PKCE S256, a state and the callback under
// AUTHOS_BASE_URL (nothing is sent to GitHub: the test stops at the
// redirect).
func TestSocialLoginWired(t *testing.T) {
	vars := map[string]string{envDatabaseURL: "memory:", envBaseURL: "https://id.example.com",
		envSignInURIs:                       "https://front.example.com/cb",
		envOAuthPrefix + "GITHUB_CLIENT_ID": "gh-id", envOAuthPrefix + "GITHUB_CLIENT_SECRET": "gh-secret",
		envOIDCProviders: "corp=https://idp.example.com,corp-id,corp-secret"}
	c, err := loadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if c.OAuth.GitHub != (oauth.Credentials{ClientID: "gh-id", ClientSecret: "gh-secret"}) || c.OAuth.Google.ClientID != "" ||
		len(c.OAuth.OIDC) != 1 || c.OAuth.OIDC[0].Name != "corp" || c.OAuth.OIDC[0].Issuer != "https://idp.example.com" ||
		c.OAuth.OIDC[0].ClientID != "corp-id" || c.OAuth.OIDC[0].ClientSecret != "corp-secret" || c.AllowPrivateOutbound {
		t.Fatalf("social login settings %+v, private outbound %v", c.OAuth, c.AllowPrivateOutbound)
	}

	s := mustSetup(t, vars)
	get := func(path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	q := url.Values{"response_type": {"code"}, "client_id": {"host"}, "redirect_uri": {"https://front.example.com/cb"},
		"state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	rec := get("/auth/authorize?" + q.Encode())
	signIn, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || signIn == nil || signIn.Path != "/auth/signin" || signIn.Query().Get("flow") == "" {
		t.Fatalf("authorize: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = get(signIn.RequestURI())
	buttons := map[string]string{}
	for _, m := range regexp.MustCompile(`href="[^"]*(/auth/social/([a-z0-9-]+)\?flow=[^"]*)"`).FindAllStringSubmatch(rec.Body.String(), -1) {
		buttons[m[2]] = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if rec.Code != http.StatusOK || len(buttons) != 2 || buttons["github"] == "" || buttons["corp"] == "" {
		t.Fatalf("sign-in page: %d, buttons %v", rec.Code, buttons)
	}
	rec = get(buttons["github"])
	to, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || to == nil || to.Scheme+"://"+to.Host+to.Path != "https://github.com/login/oauth/authorize" {
		t.Fatalf("GitHub button: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if aq := to.Query(); aq.Get("client_id") != "gh-id" || aq.Get("code_challenge_method") != "S256" || aq.Get("state") == "" ||
		aq.Get("redirect_uri") != "https://id.example.com/auth/social/github/callback" || strings.Contains(to.String(), "gh-secret") {
		t.Fatalf("the authorization request to GitHub: %s", to)
	}
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), "__Host-authos_social=") {
		t.Fatalf("no browser-binding cookie: %q", rec.Header().Get("Set-Cookie"))
	}
}
