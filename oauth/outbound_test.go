package oauth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/outbound"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store/memory"
)

type stubResolver map[string]string

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, errors.New("no such host")
}

// Outbound calls go through the address guard: a provider whose name
// resolves to a private, link-local or metadata address is never dialled
// unless private targets are allowed (and metadata never); a public one is.
// The resolver and dialer are stubs: nothing leaves the process.
func TestOutboundGuard(t *testing.T) {
	for _, allow := range []bool{false, true} {
		inst := authostest.New(t, func(c *authos.Config) { c.Store = memory.New() })
		svc, err := oauth.New(inst.Authos, oauth.Config{AllowPrivateTargets: allow, OIDC: []oauth.OIDCProvider{
			{Name: "private", Issuer: "https://idp.corp.example", Credentials: oauth.Credentials{ClientID: "c"}},
			{Name: "metadata", Issuer: "https://meta.example", Credentials: oauth.Credentials{ClientID: "c"}},
			{Name: "public", Issuer: "https://idp.example.com", Credentials: oauth.Credentials{ClientID: "c"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var dialled []string
		oauth.SetDialer(svc, stubResolver{"idp.corp.example": "10.1.2.3", "meta.example": "169.254.169.254", "idp.example.com": "93.184.216.34"},
			func(_ context.Context, _, addr string) (net.Conn, error) {
				mu.Lock()
				dialled = append(dialled, addr)
				mu.Unlock()
				return nil, errors.New("stub dialer: not connecting")
			})
		ctx := context.Background()
		for _, p := range []string{"private", "metadata", "public"} {
			_, err := svc.Start(ctx, p, oauth.StartInput{LinkUserID: "u1"})
			var e *authos.Error
			if !errors.As(err, &e) || e.Code != authos.CodeOAuthError {
				t.Fatalf("allow=%v %s: %v; want OAUTH_ERROR", allow, p, err)
			}
			if p != "public" && !allow && !errors.Is(err, outbound.ErrBlocked) {
				t.Errorf("allow=%v %s: %v; want the guard's refusal", allow, p, err)
			}
		}
		want := []string{"93.184.216.34:443"}
		if allow {
			want = []string{"10.1.2.3:443", "93.184.216.34:443"}
		}
		if strings.Join(dialled, " ") != strings.Join(want, " ") {
			t.Errorf("allow=%v: dialled %v; want %v", allow, dialled, want)
		}
	}
}

// A provider answer over Config.MaxResponseBytes is refused (loopback
// allowed explicitly for the local server).
func TestResponseCap(t *testing.T) {
	big := strings.Repeat("x", 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"issuer":"` + big + `"}`))
	}))
	defer srv.Close()
	inst := authostest.New(t, func(c *authos.Config) { c.Store = memory.New() })
	svc, err := oauth.New(inst.Authos, oauth.Config{AllowPrivateTargets: true, MaxResponseBytes: 1024,
		OIDC: []oauth.OIDCProvider{{Name: "big", Issuer: srv.URL, Credentials: oauth.Credentials{ClientID: "c"}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Start(context.Background(), "big", oauth.StartInput{LinkUserID: "u1"})
	// go-oidc reports the read failure as text.
	var e *authos.Error
	if !errors.As(err, &e) || e.Code != authos.CodeOAuthError || e.Err == nil || !strings.Contains(e.Err.Error(), oauth.ErrTooLarge.Error()) {
		t.Fatalf("Start: %v; want OAUTH_ERROR for the size cap", err)
	}
}
