package oauth_test

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/postgres"
)

// signIn makes the person sign in with the organization's own provider
// (the Go API) and returns the result.
func (h *harness) signInIdP(subject, email string) (userID string) {
	h.t.Helper()
	h.idp.QueueUser(&mockoidc.MockUser{Subject: subject, Email: email, EmailVerified: true})
	q, b := h.startAt("acme-sso", h.flow(browser(h.t), "s", "n"))
	res, err := h.svc.Callback(context.Background(), "acme-sso", q, b)
	if err != nil {
		h.t.Fatalf("Callback: %v", err)
	}
	return res.User.ID
}

func (h *harness) vault(clientID, secret, userID string) result {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/provider-tokens/acme-sso?user_id="+userID, nil)
	if clientID != "" {
		req.SetBasicAuth(clientID, secret)
	}
	return send(h.t, http.DefaultClient, req)
}

func (h *harness) refreshRequests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.token {
		if f.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

// The vault: the organization's service receives a live provider access
// token with its client credentials; others get 401; an expired token is
// refreshed exactly once however many requests ask at once; a refused
// refresh marks the identity as needing consent; tokens are stored as
// ciphertext.
func TestVault(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		uid := h.signInIdP("idp-vic", "vic@example.com")

		r := h.vault(h.web.ClientID, h.web.ClientSecret, uid)
		if r.status != 200 || r.json["access_token"] == "" || r.json["token_type"] == "" || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("vault: %d %s", r.status, r.body)
		}
		first := r.json["access_token"].(string)

		// Ciphertext at rest.
		ids, err := st.(store.OAuthStore).ListOAuthIdentities(context.Background(), uid)
		if err != nil || len(ids) != 1 {
			t.Fatalf("identities %v, %v", ids, err)
		}
		if strings.Contains(string(ids[0].AccessToken), first) || len(ids[0].RefreshToken) == 0 {
			t.Fatal("the stored access token is not ciphertext")
		}
		if db, ok := st.(interface{ DB() *sql.DB }); ok {
			var at, rt []byte
			if err := db.DB().QueryRow(`SELECT access_token, refresh_token FROM authos_oauth_identities WHERE user_id = `+ph(st, 1), uid).Scan(&at, &rt); err != nil {
				t.Fatal(err)
			}
			if len(at) < 28 || strings.Contains(string(at), first) || strings.Contains(string(at), "eyJ") || strings.Contains(string(rt), "eyJ") {
				t.Fatalf("the row holds %q / %q, not ciphertext", at, rt)
			}
		}

		wantCode(t, h.vault("", "", uid), 401, authos.CodeUnauthorized)
		wantCode(t, h.vault(h.web.ClientID, "wrong-secret", uid), 401, authos.CodeUnauthorized)
		wantCode(t, h.vault(h.web.ClientID, h.web.ClientSecret, "nobody"), 404, authos.CodeNotFound)
		// A provider the organization turned off hands out no tokens.
		ost := st.(store.OAuthStore)
		prov, err := ost.GetOAuthProvider(t.Context(), h.org.ID, "acme-sso")
		if err != nil {
			t.Fatal(err)
		}
		prov.Enabled = false
		if err := ost.PutOAuthProvider(t.Context(), prov); err != nil {
			t.Fatal(err)
		}
		wantCode(t, h.vault(h.web.ClientID, h.web.ClientSecret, uid), 400, authos.CodeProviderNotConfigured)
		prov.Enabled = true
		if err := ost.PutOAuthProvider(t.Context(), prov); err != nil {
			t.Fatal(err)
		}
		if n := h.refreshRequests(); n != 0 {
			t.Fatalf("%d refreshes of a live token", n)
		}

		// Expired (the access token lives 10 minutes at mockoidc): 20
		// requests at once cause one refresh and all get the new token.
		h.inst.Clock.Advance(11 * time.Minute)
		var wg sync.WaitGroup
		tokens := make([]string, 20)
		for i := range tokens {
			wg.Go(func() {
				r := h.vault(h.web.ClientID, h.web.ClientSecret, uid)
				if r.status == 200 {
					tokens[i], _ = r.json["access_token"].(string)
				} else {
					t.Errorf("concurrent vault request: %d %s", r.status, r.body)
				}
			})
		}
		wg.Wait()
		if n := h.refreshRequests(); n != 1 {
			t.Fatalf("%d refresh requests reached the provider; want exactly 1", n)
		}
		for i, tok := range tokens {
			if tok == "" || tok != tokens[0] {
				t.Fatalf("request %d got another token than request 0 after the refresh", i)
			}
		}
		// The refreshed token's expiry is on the instance's clock again.
		r = h.vault(h.web.ClientID, h.web.ClientSecret, uid)
		exp, _ := time.Parse(time.RFC3339, r.json["expires_at"].(string))
		if !exp.After(h.inst.Clock.Now().Add(5 * time.Minute)) {
			t.Fatalf("expires_at %v after the refresh; want about 10 minutes after %v", exp, h.inst.Clock.Now())
		}

		// The background refresh renews what expires within the hour (the
		// new token lives 10 minutes), once.
		if n, err := h.svc.RefreshDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("RefreshDue = %d, %v; want 1", n, err)
		}
		if n := h.refreshRequests(); n != 2 {
			t.Fatalf("%d refresh requests after the background refresh; want 2", n)
		}

		// The provider refuses the next refresh: the identity needs consent.
		h.inst.Clock.Advance(11 * time.Minute)
		h.idp.QueueError(&mockoidc.ServerError{Code: 400, Error: "invalid_grant", Description: "refresh token revoked"})
		wantCode(t, h.vault(h.web.ClientID, h.web.ClientSecret, uid), 409, authos.CodeConflict)
		got, err := st.(store.OAuthStore).GetOAuthIdentity(context.Background(), ids[0].ID)
		if err != nil || !got.NeedsConsent {
			t.Fatalf("identity after the refused refresh: %+v, %v", got, err)
		}
		wantCode(t, h.vault(h.web.ClientID, h.web.ClientSecret, uid), 409, authos.CodeConflict)
		if n := h.refreshRequests(); n != 3 {
			t.Fatalf("%d refresh requests; want 3 (none after the refusal)", n)
		}
	})
}

// ph is the n-th bind placeholder of st's SQL dialect.
func ph(st store.Storage, n int) string {
	if _, ok := st.(*postgres.Store); ok {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
