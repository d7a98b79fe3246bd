package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store/memory"
)

// The discovery documents of generic providers are cached for an hour of
// the instance's clock (Config.Now, not the wall clock), and the cache
// keeps at most oauth.MaxDiscovery issuers however many organizations
// name their own.
func TestDiscoveryCache(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, ok := strings.CutSuffix(r.URL.Path, "/.well-known/openid-configuration")
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		hits[tenant]++
		mu.Unlock()
		iss := srv.URL + tenant
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/authorize",
			"token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks"})
	}))
	defer srv.Close()
	count := func(tenant string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[tenant]
	}

	inst := authostest.New(t, func(c *authos.Config) { c.Store = memory.New() })
	svc, err := oauth.New(inst.Authos, oauth.Config{AllowPrivateTargets: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	discover := func(tenant string) {
		t.Helper()
		if err := oauth.Discover(svc, ctx, srv.URL+tenant); err != nil {
			t.Fatalf("discovery of %s: %v", tenant, err)
		}
	}

	discover("/a")
	inst.Clock.Advance(59 * time.Minute)
	discover("/a")
	if n := count("/a"); n != 1 {
		t.Fatalf("%d fetches of /a within the hour; want 1", n)
	}
	// An hour on the instance's clock (the wall clock barely moved).
	inst.Clock.Advance(time.Minute)
	discover("/a")
	if n := count("/a"); n != 2 {
		t.Fatalf("%d fetches of /a after an hour of the instance's clock; want 2", n)
	}

	for i := range oauth.MaxDiscovery + 20 {
		inst.Clock.Advance(time.Second)
		discover("/t/" + strconv.Itoa(i))
		if n := oauth.DiscoveryLen(svc); n > oauth.MaxDiscovery {
			t.Fatalf("the cache holds %d documents; want at most %d", n, oauth.MaxDiscovery)
		}
	}
	if n := oauth.DiscoveryLen(svc); n != oauth.MaxDiscovery {
		t.Fatalf("the cache holds %d documents; want %d", n, oauth.MaxDiscovery)
	}
	// /a was the oldest: it made room, and is fetched again.
	discover("/a")
	if n := count("/a"); n != 3 {
		t.Fatalf("%d fetches of /a after it was evicted; want 3", n)
	}
	// Expired entries go first: after the hour only the new one stays.
	inst.Clock.Advance(2 * time.Hour)
	discover("/b")
	if n := oauth.DiscoveryLen(svc); n != 1 {
		t.Fatalf("the cache holds %d documents after every other expired; want 1", n)
	}
}
