package browsertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/mfa"
)

// BrowserEnv, when "1", makes a missing browser, Node.js or playwright-core
// a failure instead of a skip (CI sets it).
const BrowserEnv = "AUTHOS_TEST_BROWSER"

// browserTools returns the Chromium binary and node, or skips (fails with
// BrowserEnv=1) when something is missing.
func browserTools(t *testing.T) (chromium, node string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv(BrowserEnv) == "1" {
			t.Fatalf("%s=1 but %s", BrowserEnv, what)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", what, BrowserEnv)
	}
	chromium = os.Getenv("AUTHOS_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no Chromium at " + chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	cmd := exec.Command(node, "-e", "require.resolve('playwright-core')")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("playwright-core cannot be resolved from " + mustGetwd(t) + " (npm ci here, or NODE_PATH): " + strings.TrimSpace(string(out)))
	}
	return chromium, node
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// TestSignInInChromium serves an example-like instance (SQLite file, mfa,
// a confidential service and its callback) and has a real browser sign up
// on the hosted page, verify the address from the mailbox, sign in with a
// wrong then the right password, pass the TOTP step and land on the
// client's callback, which exchanges the code. Screenshots go to the
// test's temporary directory, or to AUTHOS_BROWSER_OUT when set.
func TestSignInInChromium(t *testing.T) {
	chromium, node := browserTools(t)
	ctx := t.Context()

	var inst *authostest.Instance
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	inst = authostest.New(t, func(c *authos.Config) {
		c.Store, c.BaseURL, c.AutoApproveOrgs = backends.OpenSQLite(t), srv.URL, true
		c.RateLimits.Disabled = true
	})
	mf, err := mfa.New(inst.Authos, mfa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", inst.Handler())

	ownerTok := authostest.Token(t, inst, "owner@example.com")
	owner, err := inst.VerifyAccessToken(ctx, ownerTok, "")
	if err != nil {
		t.Fatal(err)
	}
	org, _, err := inst.CreateOrganization(ctx, owner.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	svc, err := inst.CreateService(ctx, owner.UserID, org, authos.ServiceInput{Slug: str("webapp"), Name: str("Web app"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{srv.URL + "/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, RedirectURL: srv.URL + "/callback",
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"}}
	idv := provider.Verifier(&oidc.Config{ClientID: svc.ClientID})
	verifier, state, nonce := oauth2.GenerateVerifier(), "browser-state", "browser-nonce"

	// The client's callback: a confidential client exchanging the code.
	var (
		mu       sync.Mutex
		signedIn []string // "email amr..." of each exchanged code
		secrets  = map[string]string{}
	)
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != state || q.Get("iss") != srv.URL || q.Get("code") == "" {
			http.Error(w, "bad callback: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		tok, err := conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := idv.Verify(r.Context(), raw)
		var claims struct {
			Email string   `json:"email"`
			AMR   []string `json:"amr"`
		}
		if err == nil {
			err = idt.Claims(&claims)
		}
		if err != nil || idt.Nonce != nonce {
			http.Error(w, fmt.Sprintf("id token: %v", err), http.StatusBadGateway)
			return
		}
		mu.Lock()
		signedIn = append(signedIn, claims.Email+" "+strings.Join(claims.AMR, " "))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, "<!doctype html><title>Client</title><p>Signed in as %s (amr %s)</p>", claims.Email, strings.Join(claims.AMR, " "))
	})
	// Helpers the script calls in place of a mailbox and an authenticator app.
	mux.HandleFunc("GET /test/mailbox", func(w http.ResponseWriter, r *http.Request) {
		var link string
		for _, m := range inst.Emails() {
			if m.To == r.URL.Query().Get("to") {
				link = linkRE.FindString(m.Text)
			}
		}
		if link == "" {
			http.NotFound(w, r)
			return
		}
		_, _ = fmt.Fprint(w, link)
	})
	mux.HandleFunc("GET /test/enrol", func(w http.ResponseWriter, r *http.Request) {
		email := r.URL.Query().Get("email")
		tok := authostest.Token(t, inst, email)
		p, err := inst.VerifyAccessToken(r.Context(), tok, "")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		en, err := mf.Setup(r.Context(), p, "cobol compiler 1959")
		if err == nil {
			code, _ := totp.GenerateCode(en.Secret, inst.Clock.Now())
			_, err = mf.Enable(r.Context(), p, code, "cobol compiler 1959")
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		inst.Clock.Advance(31 * time.Second) // the sign-in's code is of a new step
		mu.Lock()
		secrets[email] = en.Secret
		mu.Unlock()
		_, _ = fmt.Fprint(w, en.Secret)
	})
	mux.HandleFunc("GET /test/totp", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		secret := secrets[r.URL.Query().Get("email")]
		mu.Unlock()
		code, err := totp.GenerateCode(secret, inst.Clock.Now())
		if err != nil || secret == "" {
			http.Error(w, "no secret", 404)
			return
		}
		_, _ = fmt.Fprint(w, code)
	})

	out := os.Getenv("AUTHOS_BROWSER_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	start := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("prompt", "create"))
	runCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "signin.js")
	cmd.Env = append(os.Environ(), "AUTHOS_START="+start, "AUTHOS_TEST_API="+srv.URL+"/test", "AUTHOS_OUT="+out,
		"AUTHOS_CHROMIUM="+chromium, "AUTHOS_PROFILE="+t.TempDir())
	output, err := cmd.CombinedOutput()
	t.Logf("signin.js:\n%s", output)
	if err != nil {
		t.Fatalf("signin.js: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(signedIn) != 1 || !strings.HasPrefix(signedIn[0], "grace@example.com ") || !slices.Contains(strings.Fields(signedIn[0]), authos.AMROTP) {
		t.Fatalf("the client's callback exchanged %q; want one sign-in of grace@example.com with otp", signedIn)
	}
	u, err := inst.Store().GetUserByEmail(ctx, "grace@example.com")
	if err != nil || !u.EmailVerified || u.Name != "Grace" {
		t.Fatalf("stored account %+v, %v; want Grace, verified", u, err)
	}
	for _, name := range []string{"signup", "signin", "signin-wrong-password", "mfa", "callback"} {
		if fi, err := os.Stat(filepath.Join(out, name+".png")); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s.png: %v", name, err)
		}
	}
}
