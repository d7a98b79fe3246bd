package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// wantPage checks an HTML error page's status and the catalog code it
// shows.
func wantPage(t *testing.T, r result, status int, code string) {
	t.Helper()
	if r.status != status || !strings.Contains(r.body, code) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("page %d %q; want %d showing %s", r.status, r.body, status, code)
	}
}

// wantClientError checks that the browser went back to the client with
// error=access_denied and the catalog code in error_code (none when code
// is empty).
func wantClientError(t *testing.T, r result, code string) {
	t.Helper()
	u := location(t, r)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != webCallback || q.Get("error") != "access_denied" || q.Get("state") != "s" ||
		q.Get("error_code") != code || q.Get("error_description") == "" {
		t.Fatalf("back at the client with %s; want error=access_denied (%s)", u, code)
	}
}

// toIdP follows the button of a new flow in b to the provider's
// authorization URL (not opened).
func (h *harness) toIdP(b *http.Client) *url.URL {
	h.t.Helper()
	flow := h.flow(b, "s", "n")
	return location(h.t, get(h.t, b, h.buttons(b, flow)["acme-sso"]))
}

// Every error of the callback, over HTTP: its status and code (on the page,
// or at the client for a sign-in flow), and never a half-created account.
func TestCallbackErrors(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		emails := []string{"eve@example.com"}
		queue := func() {
			h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-eve", Email: "eve@example.com", EmailVerified: true})
		}
		callback := h.srv.URL + "/auth/social/acme-sso/callback"
		// toCallback queues the provider's user and takes a new browser
		// through the provider to the callback URL (not opened).
		toCallback := func(t *testing.T) (*http.Client, *url.URL) {
			queue()
			b := browser(t)
			return b, location(t, get(t, b, h.toIdP(b).String()))
		}
		h.provision("idp-eve", "eve@example.com")

		t.Run("state missing", func(t *testing.T) {
			b := browser(t)
			h.toIdP(b)
			wantPage(t, get(t, b, callback+"?code=abc"), 400, "OAUTH_STATE_MISMATCH")
		})
		t.Run("state forged", func(t *testing.T) {
			b := browser(t)
			h.toIdP(b)
			wantPage(t, get(t, b, callback+"?code=abc&state="+strings.Repeat("A", 43)), 400, "OAUTH_STATE_MISMATCH")
		})
		t.Run("replayed", func(t *testing.T) {
			b, cb := toCallback(t)
			if r := get(t, b, cb.String()); r.status != http.StatusFound {
				t.Fatalf("first callback: %d %s", r.status, r.body)
			}
			wantPage(t, get(t, b, cb.String()), 400, "OAUTH_STATE_MISMATCH")
		})
		t.Run("another browser", func(t *testing.T) {
			b, cb := toCallback(t)
			wantPage(t, get(t, browser(t), cb.String()), 400, "OAUTH_STATE_MISMATCH")
			// The state was spent: the right browser cannot use it now.
			wantPage(t, get(t, b, cb.String()), 400, "OAUTH_STATE_MISMATCH")
		})
		t.Run("expired", func(t *testing.T) {
			b, cb := toCallback(t)
			h.inst.Clock.Advance(11 * time.Minute)
			defer h.inst.Clock.Advance(-11 * time.Minute)
			wantPage(t, get(t, b, cb.String()), 400, "OAUTH_STATE_MISMATCH")
		})
		if n := h.countUsers(emails...); n != 1 {
			t.Fatalf("%d accounts after the state cases; want the one of the replayed sign-in", n)
		}
		emails = []string{"mallory@example.com"}
		queue = func() {
			h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-mallory", Email: "mallory@example.com", EmailVerified: true})
		}
		t.Run("code refused", func(t *testing.T) {
			b, cb := toCallback(t)
			h.idp.QueueError(&mockoidc.ServerError{Code: 400, Error: "invalid_grant", Description: "code expired"})
			wantClientError(t, get(t, b, cb.String()), "OAUTH_CODE_EXPIRED")
		})
		t.Run("provider down", func(t *testing.T) {
			b, cb := toCallback(t)
			h.idp.QueueError(&mockoidc.ServerError{Code: 503, Error: "temporarily_unavailable", Description: "down"})
			wantClientError(t, get(t, b, cb.String()), "OAUTH_ERROR")
		})
		t.Run("bad ID token", func(t *testing.T) {
			b, cb := toCallback(t)
			h.mu.Lock()
			h.tamper = true
			h.mu.Unlock()
			wantClientError(t, get(t, b, cb.String()), "OAUTH_ERROR")
		})
		t.Run("issuer mix-up", func(t *testing.T) {
			b, cb := toCallback(t)
			q := cb.Query()
			q.Set("iss", "https://attacker.example.com")
			wantClientError(t, get(t, b, callback+"?"+q.Encode()), "OAUTH_ERROR")
		})
		t.Run("cancelled", func(t *testing.T) {
			b := browser(t)
			state := h.toIdP(b).Query().Get("state")
			wantClientError(t, get(t, b, callback+"?error=access_denied&state="+url.QueryEscape(state)), "")
		})
		t.Run("provider removed meanwhile", func(t *testing.T) {
			b, cb := toCallback(t)
			if r := h.do("DELETE", "/api/organizations/acme/oauth-providers/acme-sso", h.owner, nil); r.status != 204 {
				t.Fatalf("DELETE: %d", r.status)
			}
			defer h.useIdP()
			wantClientError(t, get(t, b, cb.String()), "PROVIDER_NOT_CONFIGURED")
		})
		if n := h.countUsers(emails...); n != 0 {
			t.Fatalf("%d accounts after failed sign-ins; want none", n)
		}
		// OAUTH_ERROR on the hosted page has the catalog's status (500),
		// as the JSON API answers it: the provider's discovery fails.
		t.Run("provider discovery fails", func(t *testing.T) {
			h.setOrgProvider("broken-sso", map[string]any{"client_id": "c", "client_secret": "s", "issuer": h.srv.URL + "/no-such-issuer"})
			defer h.do("DELETE", "/api/organizations/acme/oauth-providers/broken-sso", h.owner, nil)
			b := browser(t)
			flow := h.flow(b, "s", "n")
			r := get(t, b, h.srv.URL+"/auth/social/broken-sso?flow="+url.QueryEscape(flow))
			wantPage(t, r, authos.CodeOAuthError.HTTPStatus(), "OAUTH_ERROR")
			if r.status != http.StatusInternalServerError {
				t.Fatalf("OAUTH_ERROR page status %d; want 500", r.status)
			}
		})
		// The admin removes the provider, or turns it off: no button, and
		// no sign-in starts with it.
		for name, off := range map[string]func(t *testing.T){
			"provider not configured": func(t *testing.T) {
				if r := h.do("DELETE", "/api/organizations/acme/oauth-providers/acme-sso", h.owner, nil); r.status != 204 {
					t.Fatalf("DELETE: %d", r.status)
				}
			},
			"provider disabled": func(*testing.T) {
				h.setOrgProvider("acme-sso", map[string]any{"client_id": h.idp.ClientID, "issuer": h.idp.Issuer(), "enabled": false})
			},
		} {
			t.Run(name, func(t *testing.T) {
				off(t)
				defer h.useIdP()
				b := browser(t)
				flow := h.flow(b, "s", "n")
				if bs := h.buttons(b, flow); len(bs) != 0 {
					t.Fatalf("buttons after the removal: %v", bs)
				}
				wantPage(t, get(t, b, h.srv.URL+"/auth/social/acme-sso?flow="+url.QueryEscape(flow)), 400, "PROVIDER_NOT_CONFIGURED")
			})
		}
	})
}
