package authos

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzAuthorizeRequest: whatever query the authorization endpoint gets,
// parsing and validation never panic; an accepted query holds only bounded,
// clean values and reads back the same when encoded again; what passes the
// checks asks for response_type=code with an S256 challenge and supported
// scopes; and the redirect URI check accepts only a registered URI, or for
// a desktop service a loopback one differing by its port.
func FuzzAuthorizeRequest(f *testing.F) {
	challenge := s256(strings.Repeat("v", 43))
	for _, s := range []string{
		"response_type=code&client_id=cl_1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&code_challenge=" + challenge + "&code_challenge_method=S256&scope=openid+email&state=s&nonce=n",
		"response_type=code&client_id=cl_1&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcb&code_challenge=" + challenge + "&code_challenge_method=S256&prompt=none&max_age=0",
		"response_type=token&client_id=cl_1", "client_id=a&client_id=b", "max_age=-1", "max_age=01", "max_age=99999999999",
		"prompt=none+login", "prompt=consent", "scope=openid%20%20email", "code_challenge_method=plain&code_challenge=abc",
		"redirect_uri=http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fcb", "redirect_uri=http%3A%2F%2F127.0.0.1%3A0%2Fcb", "%00=1", "a=%zz", "",
		"redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcb%3Fx%3D1", "redirect_uri=http%3A%2F%2Flocalhost%3A5000%2Fcb",
	} {
		f.Add(s)
	}
	web := Service{Type: ServiceWeb, RedirectURIs: []string{"https://app.example.com/cb"}}
	desk := Service{Type: ServiceDesktop, RedirectURIs: []string{"http://127.0.0.1/cb", "http://[::1]/cb"}}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := parseAuthorizeRequest(raw)
		if err != nil {
			if AsError(err).Code != CodeBadRequest {
				t.Fatalf("error code %s", AsError(err).Code)
			}
			return
		}
		fields := []string{r.ResponseType, r.ClientID, r.RedirectURI, r.Scope, r.State, r.Nonce, r.CodeChallenge,
			r.CodeChallengeMethod, r.Prompt, r.LoginHint}
		for _, s := range fields {
			if !cleanText(s, true) || len(s) > 2048 {
				t.Fatalf("accepted %q", s)
			}
		}
		if r.MaxAge < -1 || r.MaxAge > maxMaxAge {
			t.Fatalf("max_age %d", r.MaxAge)
		}
		q := url.Values{}
		for k, v := range map[string]string{"response_type": r.ResponseType, "client_id": r.ClientID,
			"redirect_uri": r.RedirectURI, "scope": r.Scope, "state": r.State, "nonce": r.Nonce,
			"code_challenge": r.CodeChallenge, "code_challenge_method": r.CodeChallengeMethod, "prompt": r.Prompt,
			"login_hint": r.LoginHint} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if r.MaxAge >= 0 {
			q.Set("max_age", strconv.Itoa(r.MaxAge))
		}
		again, err := parseAuthorizeRequest(q.Encode())
		if err != nil || again != r {
			t.Fatalf("round trip: %+v vs %+v (%v)", r, again, err)
		}
		if scope, aerr := r.checkParams(); aerr == nil {
			if r.ResponseType != "code" || r.CodeChallengeMethod != "S256" || !validChallenge(r.CodeChallenge) {
				t.Fatalf("accepted %+v", r)
			}
			if _, err := base64.RawURLEncoding.DecodeString(r.CodeChallenge); err != nil {
				t.Fatalf("challenge %q", r.CodeChallenge)
			}
			for _, s := range scope {
				if !slices.Contains(supportedScopes, s) {
					t.Fatalf("scope %q", s)
				}
			}
		} else if aerr.rfc == "" || aerr.code == "" {
			t.Fatalf("error without codes: %+v", aerr)
		}
		if matchRedirect(web, r.RedirectURI) && r.RedirectURI != "https://app.example.com/cb" {
			t.Fatalf("web service accepted %q", r.RedirectURI)
		}
		if matchRedirect(desk, r.RedirectURI) {
			u, err := url.Parse(r.RedirectURI)
			if err != nil || u.Scheme != "http" || u.Path != "/cb" || u.RawQuery != "" || u.User != nil ||
				(u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
				t.Fatalf("desktop service accepted %q", r.RedirectURI)
			}
		}
	})
}

// fuzzClients is an instance with an organization's confidential (web)
// and public (desktop) services, for the fuzz targets of the OAuth
// endpoints.
func fuzzClients(f *testing.F) (a *Authos, web, desk ServiceView) {
	a, _ = newTestAuthos(f, func(c *Config) { c.AutoApproveOrgs = true; c.RateLimits.Disabled = true })
	ctx := f.Context()
	u := verifiedUser(f, a, "owner@example.com", "correct horse battery")
	o, _, err := a.CreateOrganization(ctx, u.ID, CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		f.Fatal(err)
	}
	str := func(s string) *string { return &s }
	web, err = a.CreateService(ctx, u.ID, o, ServiceInput{Slug: str("web"), Name: str("Web"), ServiceType: str(ServiceWeb),
		RedirectURIs: &[]string{"https://app.example.com/cb"}})
	if err != nil {
		f.Fatal(err)
	}
	desk, err = a.CreateService(ctx, u.ID, o, ServiceInput{Slug: str("desk"), Name: str("Desk"), ServiceType: str(ServiceDesktop),
		RedirectURIs: &[]string{"http://127.0.0.1/cb"}})
	if err != nil {
		f.Fatal(err)
	}
	return a, web, desk
}

// FuzzTokenRequest sends any body and Authorization header to the token
// endpoint of an instance with a confidential and a public service: the
// answer is 200 with tokens, or a 400/401 RFC 6749 error with a catalog
// code; never a server error, never cacheable.
func FuzzTokenRequest(f *testing.F) {
	a, web, desk := fuzzClients(f)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(web.ClientID)+":"+url.QueryEscape(web.ClientSecret)))
	for _, s := range []struct{ body, auth string }{
		{"grant_type=client_credentials", basic},
		{"grant_type=client_credentials&client_id=" + web.ClientID + "&client_secret=" + web.ClientSecret, ""},
		{"grant_type=client_credentials&scope=email", basic},
		{"grant_type=client_credentials&client_id=" + desk.ClientID, ""},
		{"grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&code_verifier=" + strings.Repeat("v", 43), basic},
		{"grant_type=refresh_token&refresh_token=abc&client_id=" + desk.ClientID, ""},
		{"grant_type=password&username=a&password=b", basic},
		{"grant_type=client_credentials&client_id=x&client_id=y", ""},
		{"grant_type=client_credentials&client_secret=s", basic},
		{"grant_type=client_credentials", "Bearer abc"},
		{"grant_type=client_credentials", "Basic %%%"},
		{"", ""}, {"grant_type=%00", ""}, {"grant_type=", basic},
	} {
		f.Add(s.body, s.auth)
	}
	h := a.Handler()
	errs := []string{oauthInvalidRequest, oauthInvalidClient, oauthInvalidGrant, oauthUnauthorizedClient,
		oauthUnsupportedGrantType, oauthInvalidScope}
	f.Fuzz(func(t *testing.T, body, auth string) {
		req := httptest.NewRequest("POST", "/auth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q", cc)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body, err)
		}
		switch rec.Code {
		case http.StatusOK:
			if out["access_token"] == nil || out["token_type"] != "Bearer" {
				t.Fatalf("200 without tokens: %v", out)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			e, _ := out["error"].(string)
			code, _ := out["error_code"].(string)
			if !slices.Contains(errs, e) || !ErrorCode(code).known() {
				t.Fatalf("status %d: %v", rec.Code, out)
			}
			if rec.Code == http.StatusUnauthorized && e != oauthInvalidClient {
				t.Fatalf("401 with %v", out)
			}
		default:
			t.Fatalf("status %d: %v", rec.Code, out)
		}
	})
}
