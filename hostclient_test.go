package authos

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authos/authos/store/memory"
)

// TestHostClientConfig: the host client's configuration is checked at New
// (each refusal names the setting, and a malformed URI keeps its
// INVALID_URL code), and its client_id defaults to "host".
func TestHostClientConfig(t *testing.T) {
	kr, err := NewKeyring(testKey(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		hc      HostClient
		setting string    // the setting the error names
		code    ErrorCode // the catalog code the error carries; "" for none (a plain configuration error)
	}{
		{"a service's client_id prefix", HostClient{ClientID: "cl_x", RedirectURIs: []string{"https://front.example.com/cb"}}, "Config.SignIn.ClientID", ""},
		{"a control character in the client_id", HostClient{ClientID: "fr\x00nt", RedirectURIs: []string{"https://front.example.com/cb"}}, "Config.SignIn.ClientID", ""},
		{"no redirect URIs", HostClient{ClientID: "front"}, "Config.SignIn needs RedirectURIs", ""},
		{"logout URIs without redirect URIs", HostClient{PostLogoutRedirectURIs: []string{"https://front.example.com/bye"}}, "Config.SignIn needs RedirectURIs", ""},
		{"a malformed redirect URI", HostClient{RedirectURIs: []string{"not a url"}}, "Config.SignIn.RedirectURIs", CodeInvalidURL},
		{"a redirect URI with a fragment", HostClient{RedirectURIs: []string{"https://front.example.com/cb#x"}}, "Config.SignIn.RedirectURIs", CodeInvalidURL},
		{"a malformed logout URI", HostClient{RedirectURIs: []string{"https://front.example.com/cb"}, PostLogoutRedirectURIs: []string{"x"}}, "Config.SignIn.PostLogoutRedirectURIs", CodeInvalidURL},
	} {
		_, err := New(context.Background(), Config{Store: memory.New(), Keyring: kr, Hasher: fastHasher{}, SignIn: tc.hc})
		if err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.hc)
			continue
		}
		if !strings.Contains(err.Error(), tc.setting) {
			t.Errorf("%s: error %q does not name %s", tc.name, err, tc.setting)
		}
		var e *Error
		switch {
		case tc.code == "" && errors.As(err, &e):
			t.Errorf("%s: error code %s; want a plain configuration error (%v)", tc.name, e.Code, err)
		case tc.code != "" && AsError(err).Code != tc.code:
			t.Errorf("%s: error code %s; want %s (%v)", tc.name, AsError(err).Code, tc.code, err)
		}
	}
	a, err := New(context.Background(), Config{Store: memory.New(), Keyring: kr, Hasher: fastHasher{},
		SignIn: HostClient{RedirectURIs: []string{"https://front.example.com/cb"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := a.hostClient("host"); !ok || c.Service.ClientID != "host" || a.audienceOf(c) != a.cfg.ManagementAudience {
		t.Errorf("host client: %+v, %v", c, ok)
	}
}
