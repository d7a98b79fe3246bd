package authos

import (
	"context"
	"testing"

	"github.com/authos/authos/store/memory"
)

// TestHostClientConfig: the host client's configuration is checked at New,
// and its client_id defaults to "host".
func TestHostClientConfig(t *testing.T) {
	kr, err := NewKeyring(testKey(3))
	if err != nil {
		t.Fatal(err)
	}
	for name, hc := range map[string]HostClient{
		"a service's client_id prefix": {ClientID: "cl_x", RedirectURIs: []string{"https://front.example.com/cb"}},
		"no redirect URIs":             {ClientID: "front"},
		"a malformed redirect URI":     {RedirectURIs: []string{"not a url"}},
		"a malformed logout URI":       {RedirectURIs: []string{"https://front.example.com/cb"}, PostLogoutRedirectURIs: []string{"x"}},
	} {
		if _, err := New(context.Background(), Config{Store: memory.New(), Keyring: kr, Hasher: fastHasher{}, SignIn: hc}); err == nil {
			t.Errorf("%s: New accepted %+v", name, hc)
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
