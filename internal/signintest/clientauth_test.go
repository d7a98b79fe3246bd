package signintest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/store/memory"
)

// TestClientAuthenticationSameAtEveryEndpoint: the token, revocation and
// introspection endpoints authenticate their client the same way and
// answer a failure with the same status, error, error_code and challenge:
// no credentials, a wrong secret, an unknown client, a secret sent both in
// HTTP Basic and in the body (RFC 6749 §2.3: one method per request), and
// a secret from a public client (a service without one, or the host
// client), which has none to send.
func TestClientAuthenticationSameAtEveryEndpoint(t *testing.T) {
	h := newSignInHarness(t, memory.New(), func(c *authos.Config) {
		c.SignIn = authos.HostClient{RedirectURIs: []string{hostCallback}}
	})
	type creds struct {
		basicID, basicSecret string // HTTP Basic when basicID is set
		body                 url.Values
	}
	type answer struct {
		status          int
		rfc, code       string
		wwwAuthenticate string
	}
	invalidBasic := answer{401, "invalid_client", string(authos.CodeUnauthorized), `Basic realm="authos"`}
	invalidBody := answer{400, "invalid_client", string(authos.CodeUnauthorized), ""}
	for _, tc := range []struct {
		name string
		c    creds
		want answer
	}{
		{"no credentials", creds{}, invalidBody},
		{"wrong secret in HTTP Basic", creds{basicID: h.web.ClientID, basicSecret: "wrong"}, invalidBasic},
		{"wrong secret in the body", creds{body: url.Values{"client_id": {h.web.ClientID}, "client_secret": {"wrong"}}}, invalidBody},
		{"unknown client in HTTP Basic", creds{basicID: "cl_nobody", basicSecret: "s"}, invalidBasic},
		{"unknown client in the body", creds{body: url.Values{"client_id": {"cl_nobody"}}}, invalidBody},
		{"secret in HTTP Basic and in the body", creds{basicID: h.web.ClientID, basicSecret: h.web.ClientSecret,
			body: url.Values{"client_id": {h.web.ClientID}, "client_secret": {h.web.ClientSecret}}},
			answer{400, "invalid_request", string(authos.CodeBadRequest), ""}},
		{"public service with a secret in the body", creds{body: url.Values{"client_id": {h.desktop.ClientID}, "client_secret": {"made-up"}}}, invalidBody},
		{"public service with a secret in HTTP Basic", creds{basicID: h.desktop.ClientID, basicSecret: "made-up"}, invalidBasic},
		{"host client with a secret", creds{body: url.Values{"client_id": {"host"}, "client_secret": {"made-up"}}}, invalidBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/auth/token", "/auth/revoke", "/auth/introspect"} {
				form := url.Values{"grant_type": {"client_credentials"}, "token": {"some-token"}}
				for k, v := range tc.c.body {
					form[k] = v
				}
				req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tc.c.basicID != "" {
					req.SetBasicAuth(url.QueryEscape(tc.c.basicID), url.QueryEscape(tc.c.basicSecret))
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				readJSON(t, resp, &body)
				got := answer{resp.StatusCode, str(body["error"]), str(body["error_code"]), resp.Header.Get("WWW-Authenticate")}
				if got != tc.want {
					t.Errorf("%s: %+v (%v); want %+v", path, got, body["error_description"], tc.want)
				}
			}
		})
	}
}

func str(v any) string { s, _ := v.(string); return s }
