package authostest

import (
	"net/http/httptest"
	"testing"

	"github.com/authos/authos"
)

// Provider is an authos issuer on a local httptest server, for services
// that only verify tokens (a resource server that reads the issuer's
// discovery document and JWKS): like go-oidc's oidctest, but the tokens and
// keys are the real ones of an authos instance. Mint tokens with
// Token(t, p, email, Audience(aud)); serve an expired one by minting it
// after moving p.Clock back. The server and the instance end with the test.
type Provider struct {
	*Instance
	// URL is the issuer (iss) and base URL, http://127.0.0.1:port; the
	// discovery document is at URL+"/.well-known/openid-configuration"
	// and the key set at JWKSURL.
	URL     string
	JWKSURL string
	// Server serves every route of the instance's Handler.
	Server *httptest.Server
}

// NewProvider starts the server and builds its instance with New (configure
// as there, except that BaseURL and Issuer are always the server's URL).
func NewProvider(t testing.TB, configure ...func(*authos.Config)) *Provider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	configure = append(configure[:len(configure):len(configure)], func(c *authos.Config) { c.BaseURL, c.Issuer = base, base })
	i := New(t, configure...)
	srv.Config.Handler = i.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &Provider{Instance: i, URL: base, JWKSURL: base + "/.well-known/jwks.json", Server: srv}
}
