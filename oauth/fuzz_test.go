package oauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store/memory"
)

// FuzzCallbackQuery: whatever query and cookie reach the callback, it
// never panics, never answers 5xx and never signs anyone in: without a
// state this browser was given, the answer is the error page with
// OAUTH_STATE_MISMATCH (or the root's BAD_REQUEST for a malformed query).
func FuzzCallbackQuery(f *testing.F) {
	for _, s := range []string{"", "state=", "code=abc", "state=" + strings.Repeat("A", 43) + "&code=x",
		"state=a&state=b", "error=access_denied&state=" + strings.Repeat("B", 43), "iss=https%3A%2F%2Fevil&state=x&code=y",
		"code=%ff%fe&state=%00", "state=" + strings.Repeat("C", 5000), ";;;&&&==", "error=server_error", "state=%zz"} {
		f.Add(s, "")
		f.Add(s, strings.Repeat("k", 43))
	}
	h := githubHandler(f)
	f.Fuzz(func(t *testing.T, rawQuery, cookie string) {
		req := httptest.NewRequest("GET", "/auth/social/github/callback", nil)
		req.URL.RawQuery = rawQuery
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "authos_social", Value: strings.Map(func(r rune) rune {
				if r < 0x21 || r > 0x7e || r == ';' || r == '"' || r == ',' || r == '\\' {
					return -1
				}
				return r
			}, cookie)})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// The root refuses a malformed query (control characters, bad
		// escapes) with BAD_REQUEST before the route runs.
		body := rec.Body.String()
		if rec.Code != http.StatusBadRequest || (!strings.Contains(body, "OAUTH_STATE_MISMATCH") && !strings.Contains(body, `"error_code":"BAD_REQUEST"`)) {
			t.Fatalf("query %q: %d %s", rawQuery, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Set-Cookie") != "" {
			t.Fatalf("query %q set a cookie", rawQuery)
		}
	})
}

// FuzzCallbackResponse: the rest of an authorization response that
// carries a live state of this browser's sign-in flow (code, iss, error,
// anything else): the callback never panics, never answers 5xx and never
// signs anyone in (the local stand-in for GitHub's token endpoint refuses
// every code): the browser goes back to the client with
// error=access_denied and no code, or the page shows OAUTH_STATE_MISMATCH
// (a second state) or the root's BAD_REQUEST (a malformed query).
func FuzzCallbackResponse(f *testing.F) {
	for _, s := range []string{"", "code=abc", "code=abc&iss=https%3A%2F%2Fgithub.com%2Flogin%2Foauth", "code=abc&iss=https%3A%2F%2Fevil",
		"error=access_denied", "error=server_error&error_description=x", "code=x&iss=", "code=x&state=y", "code=%ff", "code=a&code=b",
		"code=" + strings.Repeat("c", 3000), "error=access_denied&code=x", ";&=&code"} {
		f.Add(s)
	}
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"error":"bad_verification_code"}`)) // as GitHub answers, with 200
	}))
	f.Cleanup(tokens.Close)
	inst := authostest.New(f, func(c *authos.Config) {
		c.Store, c.AutoApproveOrgs = memory.New(), true
		c.RateLimits.Disabled = true
	})
	svc, err := oauth.New(inst.Authos, oauth.Config{AllowPrivateTargets: true, GitHub: oauth.Credentials{ClientID: "c", ClientSecret: "s"},
		GitHubEndpoints: oauth.GitHubEndpoints{TokenURL: tokens.URL, APIURL: tokens.URL}})
	if err != nil {
		f.Fatal(err)
	}
	_, _, web := acmeWeb(f, inst)
	h := inst.Handler()
	f.Fuzz(func(t *testing.T, rest string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/authorize?"+authorizeQuery(web.ClientID, "s", "n").Encode(), nil))
		signIn, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || signIn.Query().Get("flow") == "" {
			t.Fatalf("authorize: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		start, err := svc.Start(t.Context(), oauth.GitHub, oauth.StartInput{Flow: signIn.Query().Get("flow")})
		if err != nil {
			t.Fatal(err)
		}
		toGitHub, err := url.Parse(start.URL)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/auth/social/github/callback", nil)
		req.URL.RawQuery = "state=" + toGitHub.Query().Get("state") + "&" + rest
		req.AddCookie(&http.Cookie{Name: "authos_social", Value: start.Browser})
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		switch {
		case rec.Code == http.StatusFound:
			back, err := url.Parse(rec.Header().Get("Location"))
			if err != nil || back.Scheme+"://"+back.Host+back.Path != webCallback || back.Query().Get("error") != "access_denied" || back.Query().Has("code") {
				t.Fatalf("response %q: back at the client with %q", rest, rec.Header().Get("Location"))
			}
		case rec.Code == http.StatusBadRequest && (strings.Contains(body, "OAUTH_STATE_MISMATCH") || strings.Contains(body, `"error_code":"BAD_REQUEST"`)):
		default:
			t.Fatalf("response %q: %d %s", rest, rec.Code, body)
		}
	})
}

// FuzzParseOIDCProviders: never panics; every provider it returns is
// accepted by New and formats back to an equal entry.
func FuzzParseOIDCProviders(f *testing.F) {
	for _, s := range []string{"", "corp=https://idp.example.com,cid,secret", "a=https://x.example,c;b=http://y.example/realms/r,d,",
		"github=https://x,c,s", "x=ftp://x,c,s", "x=https://x,c,s;x=https://x,c,s", "=;;=", "x=https://x", "x=https://x?q=1,c,s",
		"X=https://x,c,s", "x=https://x,c,s,t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := oauth.ParseOIDCProviders(s)
		if err != nil {
			return
		}
		var parts []string
		for _, p := range ps {
			if p.Name == "" || p.ClientID == "" || p.Issuer == "" {
				t.Fatalf("%q gave %+v", s, p)
			}
			parts = append(parts, p.Name+"="+p.Issuer+","+p.ClientID+","+p.ClientSecret)
		}
		again, err := oauth.ParseOIDCProviders(strings.Join(parts, ";"))
		if err != nil || len(again) != len(ps) {
			t.Fatalf("%q: round trip %v, %v", s, again, err)
		}
		for i := range ps {
			if again[i].Name != ps[i].Name || again[i].Issuer != ps[i].Issuer || again[i].ClientID != ps[i].ClientID || again[i].ClientSecret != ps[i].ClientSecret {
				t.Fatalf("%q: %+v != %+v", s, again[i], ps[i])
			}
		}
	})
}

// FuzzTickets: whatever link ticket (GET /auth/social/{provider}?link=)
// or confirmation token (POST /auth/social/{provider}/confirm) arrives,
// with or without a browser cookie, it never panics, never answers 5xx,
// never leads to a provider and never confirms anything: the error page
// with OAUTH_STATE_MISMATCH, INVALID_TOKEN, PAYLOAD_TOO_LARGE (a form over
// 4 KiB) or the root's BAD_REQUEST.
func FuzzTickets(f *testing.F) {
	for _, s := range []string{"", "AAAA", strings.Repeat("A", 43), strings.Repeat("-", 43), "%00", strings.Repeat("x", 5000), "a b", "%zz"} {
		f.Add(s, "", false)
		f.Add(s, strings.Repeat("k", 43), true)
	}
	h := githubHandler(f)
	f.Fuzz(func(t *testing.T, ticket, cookie string, confirm bool) {
		var req *http.Request
		if confirm {
			req = httptest.NewRequest("POST", "/auth/social/github/confirm", strings.NewReader(url.Values{"token": {ticket}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest("GET", "/auth/social/github", nil)
			req.URL.RawQuery = url.Values{"link": {ticket}}.Encode()
		}
		if cookie = strings.Map(func(r rune) rune {
			if r < 0x21 || r > 0x7e || r == ';' || r == '"' || r == ',' || r == '\\' {
				return -1
			}
			return r
		}, cookie); cookie != "" {
			req.AddCookie(&http.Cookie{Name: "authos_social", Value: cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code >= 500 || rec.Header().Get("Location") != "" ||
			(!strings.Contains(body, "OAUTH_STATE_MISMATCH") && !strings.Contains(body, "INVALID_TOKEN") && !strings.Contains(body, "BAD_REQUEST") &&
				!strings.Contains(body, "PAYLOAD_TOO_LARGE")) {
			t.Fatalf("ticket %q (confirm %v): %d %s", ticket, confirm, rec.Code, body)
		}
	})
}

// githubHandler is the handler of an instance (memory store, no rate
// limits) with GitHub configured.
func githubHandler(f *testing.F) http.Handler {
	inst := authostest.New(f, func(c *authos.Config) {
		c.Store = memory.New()
		c.RateLimits.Disabled = true
	})
	if _, err := oauth.New(inst.Authos, oauth.Config{GitHub: oauth.Credentials{ClientID: "c", ClientSecret: "s"}}); err != nil {
		f.Fatal(err)
	}
	return inst.Handler()
}
