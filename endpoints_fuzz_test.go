package authos

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLogoutRequest: whatever query or form the logout endpoint gets, the
// parser never panics, and what it accepts holds only bounded, valid UTF-8
// values without control characters.
func FuzzLogoutRequest(f *testing.F) {
	for _, s := range []string{
		"", "id_token_hint=a.b.c&client_id=cl_x&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=s",
		"state=a&state=b", "client_id=%00", "post_logout_redirect_uri=%ZZ", "ui_locales=de&logout_hint=x",
		"state=" + strings.Repeat("s", 1025), "client_id=" + strings.Repeat("c", 257), ";;&&==", "state=%C3%28",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := parseLogoutRequest(raw)
		if err != nil {
			if AsError(err).Code != CodeBadRequest {
				t.Fatalf("error %v; want BAD_REQUEST", err)
			}
			return
		}
		if len(r.IDTokenHint) > maxTokenBytes || len(r.ClientID) > 256 || len(r.PostLogoutRedirectURI) > 2048 || len(r.State) > maxStateBytes {
			t.Fatalf("accepted an over-long parameter: %+v", r)
		}
		for _, v := range []string{r.IDTokenHint, r.ClientID, r.PostLogoutRedirectURI, r.State} {
			if !utf8.ValidString(v) || !cleanText(v, false) {
				t.Fatalf("accepted %q", v)
			}
		}
	})
}

// FuzzTokenClientRequest: whatever body and Authorization header the
// revocation and introspection endpoints get, they answer 200 (revocation:
// an empty body; introspection: active, and for an active token its
// client's id) or a 400/401 RFC error with a catalog code, never a server
// error and never cacheable.
func FuzzTokenClientRequest(f *testing.F) {
	a, web, desk := fuzzClients(f)
	ctx := f.Context()
	c, err := a.AuthenticateClient(ctx, web.ClientID, web.ClientSecret)
	if err != nil {
		f.Fatal(err)
	}
	cc, err := a.mintClientToken(ctx, c, "")
	if err != nil {
		f.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(web.ClientID)+":"+url.QueryEscape(web.ClientSecret)))
	for _, s := range []struct{ path, body, auth string }{
		{"/auth/introspect", "token=" + cc.AccessToken, basic},
		{"/auth/introspect", "token=abc&token_type_hint=refresh_token", basic},
		{"/auth/revoke", "token=" + cc.AccessToken, basic},
		{"/auth/revoke", "token=abc&client_id=" + web.ClientID + "&client_secret=" + web.ClientSecret, ""},
		{"/auth/introspect", "token=a.b.c&client_id=cl_nobody", ""},
		{"/auth/introspect", "token=" + cc.AccessToken + "&client_id=" + desk.ClientID, ""},
		{"/auth/revoke", "token=", basic}, {"/auth/revoke", "token=x&token=y", basic},
		{"/auth/introspect", "token=x", "Bearer abc"}, {"/auth/introspect", "token=x", "Basic %%%"},
		{"/auth/revoke", "", ""},
	} {
		f.Add(s.path == "/auth/revoke", s.body, s.auth)
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, revoke bool, body, auth string) {
		path := "/auth/introspect"
		if revoke {
			path = "/auth/revoke"
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("%s: Cache-Control %q", path, cc)
		}
		if rec.Code == http.StatusOK && revoke {
			if rec.Body.Len() != 0 {
				t.Fatalf("revocation answered a body: %q", rec.Body)
			}
			return
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: status %d, body %q: %v", path, rec.Code, rec.Body, err)
		}
		switch rec.Code {
		case http.StatusOK:
			active, ok := out["active"].(bool)
			if !ok || active && out["client_id"] != web.ClientID || !active && len(out) != 1 {
				t.Fatalf("introspection: %v", out)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			if e, _ := out["error"].(string); e == "" || out["error_code"] == nil {
				t.Fatalf("%s: %d %v", path, rec.Code, out)
			}
		default:
			t.Fatalf("%s: status %d %v", path, rec.Code, out)
		}
	})
}
