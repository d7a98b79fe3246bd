package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// fakeGitHub is a local stand-in for GitHub's OAuth endpoints and its
// user and emails APIs: the authorization endpoint approves at once, the
// token endpoint checks the client, the code and its PKCE verifier.
type fakeGitHub struct {
	srv    *httptest.Server
	mu     sync.Mutex
	codes  map[string]string // code -> S256 challenge
	tokens map[string]ghUser // access token -> user
	next   ghUser
	// iss is the iss parameter of its authorization responses (RFC 9207),
	// as github.com sends https://github.com/login/oauth.
	iss string
}

type ghUser struct {
	ID     int64
	Login  string
	Emails []map[string]any
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{codes: map[string]string{}, tokens: map[string]ghUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != "gh-client" || q.Get("code_challenge_method") != "S256" || q.Get("state") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		code := "code-" + q.Get("state")[:8]
		f.codes[code] = q.Get("code_challenge")
		iss := f.iss
		f.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {iss}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		ch, ok := f.codes[r.Form.Get("code")]
		delete(f.codes, r.Form.Get("code"))
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("client_id") != "gh-client" || r.Form.Get("client_secret") != "gh-secret" || !ok ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != ch {
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"}) // GitHub answers 200
			return
		}
		tok := "gho_" + r.Form.Get("code")
		f.tokens[tok] = f.next
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
	})
	user := func(w http.ResponseWriter, r *http.Request) (ghUser, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		u, ok := f.tokens[r.Header.Get("Authorization")[len("Bearer "):]]
		if !ok {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		}
		return u, ok
	}
	mux.HandleFunc("GET /api/user", func(w http.ResponseWriter, r *http.Request) {
		if u, ok := user(w, r); ok {
			_ = json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": u.Login, "name": nil})
		}
	})
	mux.HandleFunc("GET /api/user/emails", func(w http.ResponseWriter, r *http.Request) {
		if u, ok := user(w, r); ok {
			_ = json.NewEncoder(w).Encode(u.Emails)
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.iss = f.srv.URL + "/login/oauth"
	return f
}

// The github provider against a local fake of GitHub: a verified primary
// email creates the account; a primary email GitHub has not verified
// joins nothing (even with a verified secondary one), and creates nothing.
// Once GitHub verifies that primary email, it joins the existing account
// whose email is verified. GitHub names itself in its authorization
// responses (iss); a response naming another issuer is refused.
func TestGitHub(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		gh := newFakeGitHub(t)
		h := newHarness(t, st, func(c *oauth.Config) {
			c.GitHub = oauth.Credentials{ClientID: "gh-client", ClientSecret: "gh-secret"}
			c.GitHubEndpoints = oauth.GitHubEndpoints{AuthURL: gh.srv.URL + "/login/oauth/authorize",
				TokenURL: gh.srv.URL + "/login/oauth/access_token", APIURL: gh.srv.URL + "/api"}
		})
		ctx := context.Background()
		signIn := func(u ghUser) result {
			gh.mu.Lock()
			gh.next = u
			gh.mu.Unlock()
			b := browser(t)
			flow := h.flow(b, "s", "n")
			btn := h.buttons(b, flow)["github"]
			if btn == "" {
				t.Fatal("no GitHub button on the sign-in page")
			}
			toGH := location(t, get(t, b, btn))
			if toGH.Query().Get("nonce") != "" || toGH.Query().Get("code_challenge_method") != "S256" {
				t.Fatalf("authorization request %s", toGH)
			}
			return get(t, b, location(t, get(t, b, toGH.String())).String())
		}
		octo := ghUser{ID: 101, Login: "octo", Emails: []map[string]any{
			{"email": "octo@example.com", "primary": true, "verified": true}}}
		// A response naming another issuer (a mix-up) is refused before
		// the code is used.
		gh.mu.Lock()
		gh.iss = "https://github.example.net/login/oauth"
		gh.mu.Unlock()
		wantClientError(t, signIn(octo), "OAUTH_ERROR")
		if n := h.countUsers("octo@example.com"); n != 0 {
			t.Fatal("an account was made from a response of another issuer")
		}
		gh.mu.Lock()
		gh.iss = gh.srv.URL + "/login/oauth"
		gh.mu.Unlock()
		r := signIn(octo)
		if r.status != http.StatusFound || location(t, r).Query().Get("code") == "" {
			t.Fatalf("GitHub sign-in: %d %s", r.status, r.body)
		}
		u, err := st.GetUserByEmail(ctx, "octo@example.com")
		if err != nil || !u.EmailVerified || u.Name != "octo" {
			t.Fatalf("account %+v, %v", u, err)
		}
		id, err := st.(store.OAuthStore).FindOAuthIdentity(ctx, "github", "", "101")
		if err != nil || id.UserID != u.ID || id.OrgID != "" {
			t.Fatalf("identity %+v, %v", id, err)
		}

		// Primary email not verified: no merge into the existing verified
		// account, no new account.
		existing, err := h.inst.Register(ctx, authos.RegisterInput{Email: "sam@example.com", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		existing.EmailVerified = true
		if err := st.UpdateUser(ctx, existing); err != nil {
			t.Fatal(err)
		}
		wantPage(t, signIn(ghUser{ID: 202, Login: "sam", Emails: []map[string]any{
			{"email": "sam@example.com", "primary": true, "verified": false},
			{"email": "sam@work.example.com", "primary": false, "verified": true}}}), 401, "EMAIL_NOT_VERIFIED")
		if _, err := st.(store.OAuthStore).FindOAuthIdentity(ctx, "github", "", "202"); err == nil {
			t.Fatal("the unverified primary email was linked")
		}
		if n := h.countUsers("sam@work.example.com"); n != 0 {
			t.Fatal("an account was made from the secondary email")
		}
		// Once GitHub has verified it, the primary email joins the account
		// whose email is verified: no new account.
		if r := signIn(ghUser{ID: 202, Login: "sam", Emails: []map[string]any{
			{"email": "sam@example.com", "primary": true, "verified": true}}}); r.status != http.StatusFound || location(t, r).Query().Get("code") == "" {
			t.Fatalf("verified join: %d %s", r.status, r.body)
		}
		if id, err := st.(store.OAuthStore).FindOAuthIdentity(ctx, "github", "", "202"); err != nil || id.UserID != existing.ID {
			t.Fatalf("identity %+v, %v; want it linked to the existing account %s", id, err, existing.ID)
		}
		// The user API failing is OAUTH_ERROR, back at the client.
		r = signIn(ghUser{ID: 0, Login: "ghost"})
		wantClientError(t, r, "OAUTH_ERROR")
	})
}

// A second factor the instance requires applies to social sign-ins: the
// callback leads to the hosted second step, not to the client.
func TestSocialSignInSecondFactor(t *testing.T) {
	h := newHarness(t, memory.New())
	h.useIdP()
	h.provision("idp-mfa", "mfa@example.com")
	authos.Extend(h.inst.Authos).SetSecondFactor(alwaysSecond{})
	r := h.signInVia("idp-mfa", "mfa@example.com", true)
	if u := location(t, r); u.Path != "/auth/signin/mfa" {
		t.Fatalf("after the callback: %s; want the second-factor page", u)
	}
}

type alwaysSecond struct{}

func (alwaysSecond) Required(context.Context, authos.User, authos.LoginContext) (bool, error) {
	return true, nil
}

func (alwaysSecond) VerifyCode(context.Context, string, string) (string, error) {
	return "", authos.NewError(authos.CodeInvalidMFACode, "")
}

// An organization's own GitHub app takes precedence over the platform's
// for its services; once the admin removes it, the platform's app serves
// them again.
func TestOrgCredentialsTakePrecedence(t *testing.T) {
	gh := newFakeGitHub(t)
	h := newHarness(t, memory.New(), func(c *oauth.Config) {
		c.GitHub = oauth.Credentials{ClientID: "gh-client", ClientSecret: "gh-secret"}
		c.GitHubEndpoints = oauth.GitHubEndpoints{AuthURL: gh.srv.URL + "/login/oauth/authorize",
			TokenURL: gh.srv.URL + "/login/oauth/access_token", APIURL: gh.srv.URL + "/api"}
	})
	clientAtGitHub := func() string {
		t.Helper()
		b := browser(t)
		btn := h.buttons(b, h.flow(b, "s", "n"))["github"]
		if btn == "" {
			t.Fatal("no GitHub button on the sign-in page")
		}
		return location(t, get(t, b, btn)).Query().Get("client_id")
	}
	if id := clientAtGitHub(); id != "gh-client" {
		t.Fatalf("client_id %q at GitHub; want the platform's", id)
	}
	h.setOrgProvider("github", map[string]any{"client_id": "acme-gh", "client_secret": "acme-secret"})
	if id := clientAtGitHub(); id != "acme-gh" {
		t.Fatalf("client_id %q at GitHub; want the organization's own", id)
	}
	if r := h.do("DELETE", "/api/organizations/acme/oauth-providers/github", h.owner, nil); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if id := clientAtGitHub(); id != "gh-client" {
		t.Fatalf("client_id %q at GitHub after the removal; want the platform's", id)
	}
}
