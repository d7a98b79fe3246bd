package oauth_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/store/postgres"
)

// signIn makes the person sign in with the organization's own provider
// (the Go API) and returns the result.
func (h *harness) signInIdP(subject, email string) (userID string) {
	h.t.Helper()
	if _, err := h.st.GetUserByEmail(context.Background(), email); err != nil {
		h.provision(subject, email)
	}
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
	r, err := h.tryVault(clientID, secret, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// tryVault is vault returning its error, for goroutines other than the
// test's (which must not call t.Fatal).
func (h *harness) tryVault(clientID, secret, userID string) (result, error) {
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/provider-tokens/acme-sso?user_id="+userID, nil)
	if clientID != "" {
		req.SetBasicAuth(clientID, secret)
	}
	return trySend(http.DefaultClient, req)
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
		// The token the provider issued at the sign-in, and it works there.
		if first != h.lastIssued("authorization_code") {
			t.Fatal("the vault answered another access token than the provider issued at the sign-in")
		}
		h.wantLive(first, "vic@example.com")

		// Ciphertext at rest.
		ids, err := st.(store.OAuthStore).ListOAuthIdentities(context.Background(), uid)
		if err != nil || len(ids) != 1 {
			t.Fatalf("identities %v, %v", ids, err)
		}
		if strings.Contains(string(ids[0].AccessToken), first) || len(ids[0].RefreshToken) == 0 {
			t.Fatal("the stored access token is not ciphertext")
		}
		db, ok := st.(interface{ DB() *sql.DB })
		if _, mem := st.(*memory.Store); !ok && !mem {
			t.Fatalf("%T has no DB(): the row cannot be read", st)
		}
		if ok {
			var at, rt []byte
			if err := db.DB().QueryRow(`SELECT access_token, refresh_token FROM authos_oauth_identities WHERE user_id = `+ph(st, 1), uid).Scan(&at, &rt); err != nil {
				t.Fatal(err)
			}
			if len(at) < 28 || strings.Contains(string(at), first) || strings.Contains(string(at), "eyJ") || strings.Contains(string(rt), "eyJ") {
				t.Fatalf("the row holds %q / %q, not ciphertext", at, rt)
			}
			// It is the token, sealed with the keyring for this identity.
			if pt, err := h.inst.Keyring().Decrypt(at, []byte("authos_oauth_identities.access_token:"+ids[0].ID)); err != nil || string(pt) != first {
				t.Fatalf("the row's access token does not open to the provider's token: %v", err)
			}
		}

		wantCode(t, h.vault("", "", uid), 401, authos.CodeUnauthorized)
		wantCode(t, h.vault(h.web.ClientID, "wrong-secret", uid), 401, authos.CodeUnauthorized)
		// Nor does the user's (or an admin's) own access token do.
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/provider-tokens/acme-sso?user_id="+uid, nil)
		req.Header.Set("Authorization", "Bearer "+h.owner)
		wantCode(t, send(t, http.DefaultClient, req), 401, authos.CodeUnauthorized)
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

		// Expired (the access token lives 10 minutes at mockoidc, whose
		// clock moves with the instance's): 20 requests at once cause one
		// refresh and all get the new token.
		h.advance(11 * time.Minute)
		if r := h.userinfo(first); r.status != 401 {
			t.Fatalf("the provider's userinfo with the expired token: %d; want 401", r.status)
		}
		var wg sync.WaitGroup
		tokens := make([]string, 20)
		for i := range tokens {
			wg.Go(func() {
				r, err := h.tryVault(h.web.ClientID, h.web.ClientSecret, uid)
				if err != nil {
					t.Errorf("concurrent vault request: %v", err)
				} else if r.status == 200 {
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
		if tokens[0] == first || tokens[0] != h.lastIssued("refresh_token") {
			t.Fatal("the requests did not get the token the refresh issued")
		}
		h.wantLive(tokens[0], "vic@example.com")
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
		h.advance(11 * time.Minute)
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
		// The person sees it in their identities, and signing in with the
		// provider again restores access.
		vic, err := st.GetUser(context.Background(), uid)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := h.inst.CompleteLogin(context.Background(), vic, authos.LoginContext{Method: "social"})
		if err != nil {
			t.Fatal(err)
		}
		if l := h.identities(tr.AccessToken); len(l) != 1 || l[0]["needs_consent"] != true {
			t.Fatalf("identities after the refused refresh: %v", l)
		}
		if again := h.signInIdP("idp-vic", "vic@example.com"); again != uid {
			t.Fatalf("the new sign-in found user %s; want %s", again, uid)
		}
		r = h.vault(h.web.ClientID, h.web.ClientSecret, uid)
		if r.status != 200 || r.json["access_token"] != h.lastIssued("authorization_code") {
			t.Fatalf("vault after a new sign-in: %d %s; want the new sign-in's token", r.status, r.body)
		}
		if l := h.identities(tr.AccessToken); len(l) != 1 || l[0]["needs_consent"] != false {
			t.Fatalf("identities after the new sign-in: %v", l)
		}
	})
}

// userinfo is the provider's userinfo answer to access token at.
func (h *harness) userinfo(at string) result {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.idp.UserinfoEndpoint(), nil)
	req.Header.Set("Authorization", "Bearer "+at)
	return send(h.t, http.DefaultClient, req)
}

// wantLive checks at the provider's userinfo endpoint that access token
// at is live and belongs to email.
func (h *harness) wantLive(at, email string) {
	h.t.Helper()
	if r := h.userinfo(at); r.status != 200 || r.json["email"] != email {
		h.t.Fatalf("the provider's userinfo with the token: %d %s", r.status, r.body)
	}
}

// advance moves the instance's clock and the provider's by d.
func (h *harness) advance(d time.Duration) {
	h.inst.Clock.Advance(d)
	h.idp.FastForward(d)
}

// ph is the n-th bind placeholder of st's SQL dialect.
func ph(st store.Storage, n int) string {
	if _, ok := st.(*postgres.Store); ok {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// A sign-in that stores new provider tokens while a refresh of the same
// identity is under way wins: the refresh's older result is refused when
// it comes back, and the vault hands out the sign-in's token.
func TestSignInBeatsRunningRefresh(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		uid := h.signInIdP("idp-rae", "rae@example.com")
		// The access token expired (in the store: the provider's ID tokens
		// must stay valid for the second sign-in).
		ost := st.(store.OAuthStore)
		id, err := ost.FindOAuthIdentity(context.Background(), "acme-sso", h.org.ID, "idp-rae")
		if err != nil {
			t.Fatal(err)
		}
		id.ExpiresAt = h.inst.Clock.Now().Add(-time.Second)
		if err := ost.SetOAuthTokens(context.Background(), id.ID, "", id.OAuthTokens, h.inst.Clock.Now()); err != nil {
			t.Fatal(err)
		}

		entered, release := make(chan struct{}), make(chan struct{})
		var once, released sync.Once
		unblock := func() { released.Do(func() { close(release) }) }
		t.Cleanup(unblock) // before the provider shuts down
		h.mu.Lock()
		h.beforeToken = func(form url.Values) {
			if form.Get("grant_type") == "refresh_token" {
				once.Do(func() { close(entered) })
				<-release
			}
		}
		h.mu.Unlock()
		done := make(chan result)
		go func() {
			r, err := h.tryVault(h.web.ClientID, h.web.ClientSecret, uid)
			if err != nil {
				t.Errorf("vault during the race: %v", err)
			}
			done <- r
		}()
		<-entered // the refresh holds the lease and waits for the provider

		if again := h.signInIdP("idp-rae", "rae@example.com"); again != uid {
			t.Fatalf("the second sign-in found user %s; want %s", again, uid)
		}
		signIn := h.lastIssued("authorization_code")
		unblock()
		r := <-done
		refreshed := h.lastIssued("refresh_token")
		if refreshed == signIn {
			t.Fatal("the provider issued the same token twice")
		}
		if r.status != 200 || r.json["access_token"] != signIn {
			t.Fatalf("vault during the race: %d %s; want the sign-in's token", r.status, r.body)
		}
		r = h.vault(h.web.ClientID, h.web.ClientSecret, uid)
		if r.status != 200 || r.json["access_token"] != signIn {
			t.Fatalf("vault after the race: %d; want the sign-in's token stored, not the refresh's", r.status)
		}
		if n := h.refreshRequests(); n != 1 {
			t.Fatalf("%d refresh requests; want 1", n)
		}
		id, err = ost.GetOAuthIdentity(context.Background(), id.ID)
		if err != nil || id.LeaseID != "" {
			t.Fatalf("identity after the race: lease %q, %v", id.LeaseID, err)
		}
	})
}

// Identities whose refresh keeps failing (here: their provider is no
// longer set up, PROVIDER_NOT_CONFIGURED) wait with a growing backoff, so
// more than a batch (100) of them never keep a good identity from being
// refreshed.
func TestRefreshDueBacksOffFailures(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()
		ost := st.(store.OAuthStore)
		uid := h.signInIdP("idp-gus", "gus@example.com")
		now := h.inst.Clock.Now()
		const failing = 150
		for i := range failing {
			u := authos.User{ID: fmt.Sprintf("u%03d", i), Email: fmt.Sprintf("gone%03d@example.com", i), EmailVerified: true, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			// Expiring before the good one: listed first.
			if err := ost.CreateOAuthIdentity(ctx, store.OAuthIdentity{ID: fmt.Sprintf("i%03d", i), UserID: u.ID, Provider: "gone-sso", OrgID: h.org.ID,
				Subject: u.ID, OAuthTokens: store.OAuthTokens{AccessToken: []byte("x"), RefreshToken: []byte("x"), TokenType: "Bearer",
					ExpiresAt: now.Add(-time.Hour)}, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		total := 0
		for range 2 {
			n, err := h.svc.RefreshDue(ctx)
			if err == nil {
				t.Fatal("RefreshDue reported no failure")
			}
			total += n
		}
		if total != 1 || h.refreshRequests() != 1 {
			t.Fatalf("two background rounds renewed %d (provider saw %d refreshes); want the good identity once", total, h.refreshRequests())
		}
		r := h.vault(h.web.ClientID, h.web.ClientSecret, uid)
		if r.status != 200 || r.json["access_token"] != h.lastIssued("refresh_token") {
			t.Fatalf("vault: %d %s; want the refreshed token", r.status, r.body)
		}
		first, err := ost.GetOAuthIdentity(ctx, "i000")
		if err != nil || first.RefreshFailures != 1 || !first.RetryAt.Equal(now.Add(5*time.Minute)) || first.NeedsConsent {
			t.Fatalf("a failing identity: failures %d, retry at %v (now %v), %v", first.RefreshFailures, first.RetryAt, now, err)
		}
		// While they wait, a round touches the good identity only.
		if n, err := h.svc.RefreshDue(ctx); n != 1 || err != nil {
			t.Fatalf("RefreshDue while the failing ones wait = %d, %v; want 1, nil", n, err)
		}
		// After the wait they are tried again, and then wait twice as long.
		h.inst.Clock.Advance(5 * time.Minute)
		for range 2 {
			_, _ = h.svc.RefreshDue(ctx)
		}
		first, err = ost.GetOAuthIdentity(ctx, "i149")
		if err != nil || first.RefreshFailures != 2 || !first.RetryAt.Equal(now.Add(15*time.Minute)) {
			t.Fatalf("a failing identity after its second failure: failures %d, retry at %v, %v", first.RefreshFailures, first.RetryAt, err)
		}
	})
}
