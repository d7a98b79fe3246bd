package signintest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

const (
	byeURI    = "https://app.example.com/bye"
	portalCB  = "https://portal.example.com/cb"
	memberPwd = "correct horse battery staple"
)

// signIn runs the authorization request of conf in the browser b: with
// b's sign-in session it is answered at once (sso true); otherwise it is
// completed as the harness's signed-in person (on the hosted sign-in page
// with the owner's password when h.viaPage). It returns the redirect to
// the client.
func (h *signInHarness) signIn(b *http.Client, conf *oauth2.Config, state, verifier string, opts ...oauth2.AuthCodeOption) (back *url.URL, sso bool) {
	h.t.Helper()
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	resp, _ := h.get(b, conf.AuthCodeURL(state, opts...))
	to := h.location(resp)
	if to.Host != "front.example.com" {
		return to, true
	}
	if h.viaPage {
		ph := &pagesHarness{t: h.t}
		signin := ph.open(b, h.srv.URL+"/auth/signin?flow="+url.QueryEscape(to.Query().Get("flow")))
		wantPage(h.t, signin, http.StatusOK, `<label for="email">`, `<label for="password">`)
		return location(h.t, ph.submit(b, signin, url.Values{"email": {ownerEmail}, "password": {ownerPassword}})), false
	}
	return h.complete(b, to.Query().Get("flow")), false
}

// service creates a web service of the harness's organization.
func (h *signInHarness) service(slug string, in authos.ServiceInput) authos.ServiceView {
	h.t.Helper()
	str := func(s string) *string { return &s }
	in.Slug, in.Name, in.ServiceType = str(slug), str("Service "+slug), str(authos.ServiceWeb)
	if in.RedirectURIs == nil {
		in.RedirectURIs = &[]string{portalCB}
	}
	v, err := h.inst.CreateService(h.t.Context(), h.ownerID, h.org, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// clientForm posts form to path with the client's credentials (HTTP
// Basic when secret is set, client_id in the body otherwise).
func (h *signInHarness) clientForm(path, clientID, secret string, form url.Values) formResult {
	h.t.Helper()
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	return decodeResult(h.t, resp, err)
}

func (h *signInHarness) introspect(clientID, secret, token string) map[string]any {
	h.t.Helper()
	r := h.clientForm("/auth/introspect", clientID, secret, url.Values{"token": {token}})
	if r.status != 200 {
		h.t.Fatalf("introspect: %d %v", r.status, r.body)
	}
	return r.body
}

func (h *signInHarness) revoke(clientID, secret, token string) {
	h.t.Helper()
	if r := h.clientForm("/auth/revoke", clientID, secret, url.Values{"token": {token}}); r.status != 200 {
		h.t.Fatalf("revoke: %d %v", r.status, r.body)
	}
}

// jwtClaims decodes the claims of a JWT without verifying it.
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// moreServices lets the free tier have 10 services.
func moreServices(c *authos.Config) {
	c.Tiers = authos.DefaultTiers()
	free := c.Tiers[authos.TierFree]
	free.MaxServices = 10
	c.Tiers[authos.TierFree] = free
}

// wantCode checks the error_code of an error.
func wantCode(t *testing.T, what string, err error, code authos.ErrorCode) {
	t.Helper()
	if authos.AsError(err).Code != code {
		t.Errorf("%s: %v; want %s", what, err, code)
	}
}

// TestUserInfoIntrospectionRevocationLogout: over HTTP, with
// golang.org/x/oauth2 and coreos/go-oidc, on every backend: discovery
// names the endpoints; the person signs in on the hosted page; UserInfo
// answers the claims of the granted scopes;
// the access token carries its scope, works with RequireAudience(client_id)
// and is refused by the management API; introspection tells a client
// about its own tokens only; revocation by another client changes nothing
// and by the client ends the family; a second service signs in without a
// page (single sign-on); RP-initiated logout with id_token_hint returns to
// the registered URI with state, ends the sign-in session and the token
// families issued from it, and the next request needs a sign-in again.
func TestUserInfoIntrospectionRevocationLogout(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st, moreServices)
		h.viaPage = true // the person signs in on the hosted page
		ctx := t.Context()
		if _, err := h.inst.UpdateService(ctx, h.org, "webapp", authos.ServiceUpdate{ServiceInput: authos.ServiceInput{
			PostLogoutRedirectURIs: &[]string{byeURI}}}); err != nil {
			t.Fatal(err)
		}
		portal := h.service("portal", authos.ServiceInput{})
		provider, err := oidc.NewProvider(ctx, h.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			UserInfo      string   `json:"userinfo_endpoint"`
			Revocation    string   `json:"revocation_endpoint"`
			Introspection string   `json:"introspection_endpoint"`
			EndSession    string   `json:"end_session_endpoint"`
			RevokeAuth    []string `json:"revocation_endpoint_auth_methods_supported"`
		}
		if err := provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		if meta.UserInfo != h.srv.URL+"/auth/userinfo" || meta.Revocation != h.srv.URL+"/auth/revoke" ||
			meta.Introspection != h.srv.URL+"/auth/introspect" || meta.EndSession != h.srv.URL+"/auth/logout" ||
			!slices.Contains(meta.RevokeAuth, "none") {
			t.Errorf("discovery: %+v", meta)
		}

		conf := h.oauthConfig(oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess)
		conf.Endpoint = provider.Endpoint()
		b := h.browser()
		v := oauth2.GenerateVerifier()
		back, _ := h.signIn(b, conf, "s1", v)
		tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		rawID, _ := tok.Extra("id_token").(string)

		// UserInfo through go-oidc.
		ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
		var uic struct {
			Name string `json:"name"`
		}
		_ = ui.Claims(&uic)
		if ui.Subject != h.ownerID || ui.Email != "owner@example.com" || !ui.EmailVerified || uic.Name != "Olive Owner" {
			t.Errorf("UserInfo: %+v %+v", ui, uic)
		}
		// The access token carries its scope; the management API refuses
		// it (JWT_ERROR), RequireAudience(client_id) takes it.
		if c := jwtClaims(t, tok.AccessToken); c["scope"] != "openid email profile offline_access" {
			t.Errorf("access token scope claim: %v", c["scope"])
		}
		mgmt, _ := http.NewRequest("GET", h.srv.URL+"/api/user", nil)
		mgmt.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(mgmt)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			ErrorCode string `json:"error_code"`
		}
		if readJSON(t, resp, &e); resp.StatusCode != 401 || e.ErrorCode != string(authos.CodeJWTError) {
			t.Errorf("the service's token at GET /api/user: %d %s; want 401 JWT_ERROR", resp.StatusCode, e.ErrorCode)
		}
		api := httptest.NewServer(h.inst.RequireAudience(h.web.ClientID)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := authos.PrincipalFrom(r.Context())
			_, _ = w.Write([]byte(p.UserID + " " + strings.Join(p.Scopes, ",")))
		})))
		t.Cleanup(api.Close)
		resp, err = conf.Client(ctx, tok).Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got := readBody(t, resp); resp.StatusCode != 200 || got != h.ownerID+" openid,email,profile,offline_access" {
			t.Errorf("RequireAudience(client_id): %d, the handler got %q; want 200, the person and the granted scopes", resp.StatusCode, got)
		}
		// Another service's audience refuses it.
		other := httptest.NewServer(h.inst.RequireAudience(h.desktop.ClientID)(http.NotFoundHandler()))
		t.Cleanup(other.Close)
		resp, err = conf.Client(ctx, tok).Get(other.URL)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != 401 {
			t.Fatalf("RequireAudience(another client_id): %d %s; want 401", resp.StatusCode, body)
		}

		// Introspection: the client's own tokens only.
		in := h.introspect(h.web.ClientID, h.web.ClientSecret, tok.AccessToken)
		if in["active"] != true || in["client_id"] != h.web.ClientID || in["sub"] != h.ownerID || in["token_type"] != "Bearer" ||
			in["scope"] != "openid email profile offline_access" || in["aud"] != h.web.ClientID || in["iss"] != h.srv.URL ||
			in["exp"] == nil || in["iat"] == nil {
			t.Errorf("introspection of the access token: %v", in)
		}
		in = h.introspect(h.web.ClientID, h.web.ClientSecret, tok.RefreshToken)
		if in["active"] != true || in["token_type"] != "refresh_token" || in["sub"] != h.ownerID || in["scope"] != "openid email profile offline_access" {
			t.Errorf("introspection of the refresh token: %v", in)
		}
		for name, x := range map[string]map[string]any{
			"by another client": h.introspect(h.desktop.ClientID, "", tok.AccessToken),
			"of garbage":        h.introspect(h.web.ClientID, h.web.ClientSecret, "garbage"),
		} {
			if len(x) != 1 || x["active"] != false {
				t.Errorf("introspection %s: %v; want only active=false", name, x)
			}
		}
		if r := h.clientForm("/auth/introspect", h.web.ClientID, "wrong", url.Values{"token": {tok.AccessToken}}); r.status != 401 || r.body["error"] != "invalid_client" {
			t.Errorf("introspection with a wrong secret: %d %v", r.status, r.body)
		}

		// Refresh: the presented refresh token is no longer active.
		next, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if x := h.introspect(h.web.ClientID, h.web.ClientSecret, tok.RefreshToken); x["active"] != false {
			t.Errorf("introspection of a rotated refresh token: %v", x)
		}
		if c := jwtClaims(t, next.AccessToken); c["scope"] != "openid email profile offline_access" {
			t.Errorf("refreshed access token scope: %v", c["scope"])
		}

		// Revocation: another client's request changes nothing; the
		// client's own ends the family; unknown tokens are fine.
		h.revoke(h.desktop.ClientID, "", next.RefreshToken)
		h.revoke(h.web.ClientID, h.web.ClientSecret, "unknown-token")
		if x := h.introspect(h.web.ClientID, h.web.ClientSecret, next.RefreshToken); x["active"] != true {
			t.Fatalf("after another client's revocation: %v; want still active", x)
		}
		h.revoke(h.web.ClientID, h.web.ClientSecret, next.RefreshToken)
		if x := h.introspect(h.web.ClientID, h.web.ClientSecret, next.AccessToken); x["active"] != false {
			t.Errorf("the access token after revoking its refresh token: %v", x)
		}
		_, err = h.inst.VerifyAccessToken(ctx, next.AccessToken, h.web.ClientID)
		wantCode(t, "access token after revocation", err, authos.CodeSessionRevoked)
		_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token()
		wantRetrieveError(t, err, "invalid_grant", authos.CodeSessionRevoked)

		// Single sign-on: a second service in the same browser gets a code
		// without a page.
		pconf := &oauth2.Config{ClientID: portal.ClientID, ClientSecret: portal.ClientSecret, RedirectURL: portalCB,
			Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}}
		pv := oauth2.GenerateVerifier()
		pback, sso := h.signIn(b, pconf, "p1", pv)
		if !sso || pback.Host != "portal.example.com" || pback.Query().Get("code") == "" || pback.Query().Get("state") != "p1" {
			t.Fatalf("second service: sso %v, %s", sso, pback)
		}
		ptok, err := pconf.Exchange(ctx, pback.Query().Get("code"), oauth2.VerifierOption(pv))
		if err != nil {
			t.Fatal(err)
		}

		// RP-initiated logout with id_token_hint.
		srvURL, _ := url.Parse(h.srv.URL)
		oldCookies := b.Jar.Cookies(srvURL)
		if len(oldCookies) == 0 {
			t.Fatal("no sign-in cookie in the browser")
		}
		lq := url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {byeURI}, "state": {"bye-1"}}
		resp, _ = h.get(b, h.srv.URL+"/auth/logout?"+lq.Encode())
		if to := h.location(resp); to.String() != byeURI+"?state=bye-1" {
			t.Errorf("logout redirected to %s; want %s?state=bye-1", to, byeURI)
		}
		if ck := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(ck, "authos_signin=;") || !strings.Contains(ck, "Max-Age=0") {
			t.Errorf("logout cookie: %q; want it cleared", ck)
		}
		_, err = h.inst.VerifyAccessToken(ctx, ptok.AccessToken, portal.ClientID)
		wantCode(t, "the second service's token after logout", err, authos.CodeSessionRevoked)
		_, err = pconf.TokenSource(ctx, &oauth2.Token{RefreshToken: ptok.RefreshToken}).Token()
		wantRetrieveError(t, err, "invalid_grant", authos.CodeSessionRevoked)
		// The next request needs a sign-in again, even with the old cookie.
		stale := h.browser()
		stale.Jar.SetCookies(srvURL, oldCookies)
		for _, br := range []*http.Client{b, stale} {
			resp, _ = h.get(br, pconf.AuthCodeURL("p2", oauth2.S256ChallengeOption(pv)))
			if to := h.location(resp); to.Host != "front.example.com" {
				t.Errorf("after logout: sent to %s; want the sign-in page", to)
			}
		}
	})
}

// TestServiceAccessRules, on every backend: any verified account signs in
// to a service, a members-only one refuses a non-member back to the client
// (access_denied, NOT_ORGANIZATION_MEMBER) and admits a member; a
// confidential service's refresh token is refused at /api/auth/refresh and
// at /auth/token without the client's secret, and after the secret is
// rotated the old secret no longer refreshes (invalid_client,
// UNAUTHORIZED); after its organization is suspended, a code issued before
// and a refresh token are refused at the token endpoint
// (unauthorized_client, ORGANIZATION_NOT_ACTIVE).
func TestServiceAccessRules(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newSignInHarness(t, st, moreServices)
		ctx := t.Context()
		yes := true
		club := h.service("club", authos.ServiceInput{MembersOnly: &yes})
		if got, err := h.inst.GetService(ctx, h.org, "club"); err != nil || !got.MembersOnly {
			t.Fatalf("GetService(club): members_only %v, %v", got.MembersOnly, err)
		}
		cconf := &oauth2.Config{ClientID: club.ClientID, ClientSecret: club.ClientSecret, RedirectURL: portalCB,
			Endpoint: oauth2.Endpoint{AuthURL: h.srv.URL + "/auth/authorize", TokenURL: h.srv.URL + "/auth/token"},
			Scopes:   []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}}
		owner := h.ownerTok
		h.ownerTok = authostest.Token(t, h.inst, "nina@example.com") // not a member
		v := oauth2.GenerateVerifier()
		nb := h.browser()
		back, _ := h.signIn(nb, cconf, "c1", v)
		if q := back.Query(); q.Get("error") != "access_denied" || q.Get("error_code") != string(authos.CodeNotOrganizationMember) || q.Get("state") != "c1" {
			t.Errorf("a non-member at a members-only service: %s; want access_denied with NOT_ORGANIZATION_MEMBER", back)
		}
		// The same account may sign in to a service open to every account.
		wconf := h.oauthConfig(oidc.ScopeOpenID)
		back, sso := h.signIn(nb, wconf, "w1", v)
		if !sso || back.Query().Get("code") == "" {
			t.Errorf("a non-member at an open service: sso %v, %s; want a code", sso, back)
		}
		h.ownerTok = owner
		back, _ = h.signIn(h.browser(), cconf, "c2", v)
		tok, err := cconf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatalf("a member at a members-only service: %s, %v", back, err)
		}

		// The refresh token is the service's.
		r := postJSON(t, h.srv.URL+"/api/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken})
		if r.status != 401 || r.body["error_code"] != string(authos.CodeUnauthorized) {
			t.Errorf("a service's refresh token at /api/auth/refresh: %d %v; want 401 UNAUTHORIZED", r.status, r.body)
		}
		noSecret := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {club.ClientID}}
		if r := postForm(t, h.srv.URL+"/auth/token", noSecret); r.status != 400 || r.body["error"] != "invalid_client" ||
			r.body["error_code"] != string(authos.CodeUnauthorized) {
			t.Errorf("refresh without client authentication: %d %v; want 400 invalid_client UNAUTHORIZED", r.status, r.body)
		}
		rotated, err := h.inst.UpdateService(ctx, h.org, "club", authos.ServiceUpdate{RotateSecret: true})
		if err != nil || rotated.ClientSecret == "" || rotated.ClientSecret == club.ClientSecret {
			t.Fatalf("rotate: %+v, %v", rotated, err)
		}
		_, err = cconf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		wantRetrieveError(t, err, "invalid_client", authos.CodeUnauthorized)
		cconf.ClientSecret = rotated.ClientSecret
		fresh, err := cconf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh with the new secret: %v", err)
		}

		// A suspended organization: a code issued before the suspension and
		// a refresh token are refused at the token endpoint.
		mb := h.browser()
		back, _ = h.signIn(mb, cconf, "c3", v)
		pending := back.Query().Get("code")
		if pending == "" {
			t.Fatalf("a member before the suspension: %s; want a code", back)
		}
		if _, err := h.inst.TransitionOrganization(ctx, h.ownerID, authos.OrgTransition{OrgID: h.org.ID, Action: "suspend", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		_, err = cconf.Exchange(ctx, pending, oauth2.VerifierOption(v))
		wantRetrieveError(t, err, "unauthorized_client", authos.CodeOrganizationNotActive)
		_, err = cconf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
		wantRetrieveError(t, err, "unauthorized_client", authos.CodeOrganizationNotActive)
	})
}

// postJSON posts body as JSON to u.
func postJSON(t *testing.T, u string, body any) formResult {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	return decodeResult(t, resp, err)
}

// TestSignInSessionRevocation: the sign-in session is listed in
// /api/user/sessions, and revoking it there revokes the service token
// families issued from it (memory).
func TestSignInSessionRevocation(t *testing.T) {
	h := newSignInHarness(t, memory.New())
	ctx := t.Context()
	h.ownerTok = authostest.Token(t, h.inst, "sam@example.com", authostest.Password(memberPwd))
	conf := h.oauthConfig(oidc.ScopeOpenID, oidc.ScopeOfflineAccess)
	v := oauth2.GenerateVerifier()
	back, _ := h.signIn(h.browser(), conf, "s", v)
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := jwtClaims(t, tok.Extra("id_token").(string))["sid"].(string)
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/user/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+h.ownerTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	readJSON(t, resp, &list)
	if !slices.ContainsFunc(list.Sessions, func(s struct {
		ID string `json:"id"`
	}) bool {
		return s.ID == sid
	}) {
		t.Fatalf("GET /api/user/sessions: %+v; want the sign-in session %s", list, sid)
	}
	body, _ := json.Marshal(map[string]string{"current_password": memberPwd})
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/user/sessions/"+sid+"/revoke", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.ownerTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != 204 {
		t.Fatalf("revoking the sign-in session: %d %s; want 204", resp.StatusCode, body)
	}
	_, err = h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID)
	wantCode(t, "the service's token after its sign-in session was revoked", err, authos.CodeSessionRevoked)
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	wantRetrieveError(t, err, "invalid_grant", authos.CodeSessionRevoked)
}

// TestTokenEndpointClientLimit: the token endpoint limits requests per
// client_id: past the burst, 429 with Retry-After and RATE_LIMIT_EXCEEDED.
func TestTokenEndpointClientLimit(t *testing.T) {
	h := newSignInHarness(t, memory.New(), func(c *authos.Config) {
		c.RateLimits.Disabled = false
		c.RateLimits.PerClient = authos.Limit{Rate: 1, Period: time.Hour, Burst: 2}
	})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {h.web.ClientID}, "client_secret": {h.web.ClientSecret}}
	for i := range 2 {
		if r := postForm(t, h.srv.URL+"/auth/token", form); r.status != 200 {
			t.Fatalf("request %d: %d %v", i+1, r.status, r.body)
		}
	}
	resp, err := http.PostForm(h.srv.URL+"/auth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	readJSON(t, resp, &body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || body["error_code"] != string(authos.CodeRateLimitExceeded) {
		t.Errorf("third request: %d, Retry-After %q, %v; want 429 RATE_LIMIT_EXCEEDED", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Another client keeps its own budget.
	other := url.Values{"grant_type": {"client_credentials"}, "client_id": {h.desktop.ClientID}}
	if r := postForm(t, h.srv.URL+"/auth/token", other); r.status == 429 {
		t.Errorf("another client was limited too: %v", r.body)
	}
}

// TestLogoutPages: without id_token_hint a signed-in browser is asked
// first (in its language) and its POST signs out; a browser without a
// session gets the "signed out" page at once; an unregistered
// post_logout_redirect_uri is not followed.
func TestLogoutPages(t *testing.T) {
	h := newSignInHarness(t, memory.New())
	ctx := t.Context()
	conf := h.oauthConfig(oidc.ScopeOpenID)
	b := h.browser()
	v := oauth2.GenerateVerifier()
	back, _ := h.signIn(b, conf, "s", v)
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	// Somebody else's ID token in a link: the browser is asked, not
	// signed out.
	owner := h.ownerTok
	h.ownerTok = authostest.Token(t, h.inst, "mallory@example.com")
	mv := oauth2.GenerateVerifier()
	mback, _ := h.signIn(h.browser(), conf, "m", mv)
	mtok, err := conf.Exchange(ctx, mback.Query().Get("code"), oauth2.VerifierOption(mv))
	if err != nil {
		t.Fatal(err)
	}
	h.ownerTok = owner
	mid, _ := mtok.Extra("id_token").(string)
	mresp, mbody := h.get(b, h.srv.URL+"/auth/logout?id_token_hint="+url.QueryEscape(mid))
	if mresp.StatusCode != 200 || !strings.Contains(mbody, `<form method="post" action="logout">`) {
		t.Fatalf("logout with another person's id_token_hint: %d %s; want the confirmation form", mresp.StatusCode, mbody)
	}
	if _, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID); err != nil {
		t.Fatalf("another person's id_token_hint signed the browser out: %v", err)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/auth/logout?client_id="+h.web.ClientID+"&state=x", nil)
	req.Header.Set("Accept-Language", "de")
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "Abmelden?") || !strings.Contains(page, `<form method="post" action="logout">`) ||
		!strings.Contains(page, `name="client_id" value="`+h.web.ClientID+`"`) {
		t.Fatalf("logout without id_token_hint: %d %s; want the German confirmation form", resp.StatusCode, page)
	}
	if _, err := h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID); err != nil {
		t.Errorf("the confirmation page signed out already: %v", err)
	}
	resp, err = b.PostForm(h.srv.URL+"/auth/logout", url.Values{"client_id": {h.web.ClientID},
		"post_logout_redirect_uri": {"https://evil.example.com/"}, "state": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	page = readBody(t, resp)
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || !strings.Contains(page, "Signed out") {
		t.Errorf("confirmed logout with an unregistered redirect: %d Location %q; want the signed-out page", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, err = h.inst.VerifyAccessToken(ctx, tok.AccessToken, h.web.ClientID)
	wantCode(t, "the service's token after the confirmed logout", err, authos.CodeSessionRevoked)
	// Nothing to end: the signed-out page at once.
	resp, _ = h.get(h.browser(), h.srv.URL+"/auth/logout")
	if resp.StatusCode != 200 {
		t.Errorf("logout without a session: %d", resp.StatusCode)
	}
	// A repeated parameter or an unknown client: the error page.
	for _, q := range []string{"state=a&state=b", "client_id=cl_nobody"} {
		if resp, _ := h.get(h.browser(), h.srv.URL+"/auth/logout?"+q); resp.StatusCode != 400 {
			t.Errorf("logout?%s: %d; want 400", q, resp.StatusCode)
		}
	}
}

// readBody reads resp's body to the end (so that its connection can be
// reused) and closes it.
func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readJSON reads resp's body to the end, closes it and decodes it into v
// (which a body that is no JSON leaves as it is).
func readJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	_ = json.Unmarshal([]byte(readBody(t, resp)), v)
}
