package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store"
)

const (
	webCallback = "https://app.example.com/callback"
	password    = "correct horse battery"
)

// harness is an authos instance with package oauth on a local server, an
// active organization "acme" (owner owner@example.com) with a confidential
// web service, and a mockoidc provider.
type harness struct {
	t     *testing.T
	inst  *authostest.Instance
	svc   *oauth.Service
	st    store.Storage
	srv   *httptest.Server
	org   authos.Organization
	web   authos.ServiceView
	owner string // the owner's access token
	idp   *mockoidc.MockOIDC

	mu        sync.Mutex
	tamper    bool         // the provider's next ID token gets a broken signature
	authorize []url.Values // what the provider's authorization endpoint received
	token     []url.Values // what its token endpoint received
	issued    []issued     // the access tokens its token endpoint issued
	// beforeToken, when set, runs before the token endpoint answers a
	// request (outside the lock): a test holds a refresh there.
	beforeToken func(form url.Values)
}

// issued is an access token the provider issued, with the grant type of
// its request.
type issued struct {
	grant, accessToken string
}

func newHarness(t *testing.T, st store.Storage, configure ...func(*oauth.Config)) *harness {
	t.Helper()
	h := &harness{t: t, st: st}
	handler := http.NotFoundHandler()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(h.srv.Close)
	h.inst = authostest.New(t, func(c *authos.Config) {
		c.Store, c.BaseURL, c.AutoApproveOrgs = st, h.srv.URL, true
		c.RateLimits.Disabled = true
	})
	var err error
	if h.idp, err = mockoidc.NewServer(nil); err != nil {
		t.Fatal(err)
	}
	if err := h.idp.AddMiddleware(h.record); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.idp.Shutdown() })
	cfg := oauth.Config{AllowPrivateTargets: true}
	for _, f := range configure {
		f(&cfg)
	}
	if h.svc, err = oauth.New(h.inst.Authos, cfg); err != nil {
		t.Fatal(err)
	}
	// The JSON API is checked against openapi.yaml; the browser routes
	// answer redirects and pages.
	handler = oapitest.Handler(t, h.inst.Handler())
	h.owner, h.org, h.web = acmeWeb(t, h.inst)
	return h
}

// acmeWeb makes the active organization "acme" of owner@example.com with
// the confidential web service "webapp" (redirect URI webCallback) on inst,
// and returns the owner's access token, the organization and the service.
func acmeWeb(t testing.TB, inst *authostest.Instance) (owner string, org authos.Organization, web authos.ServiceView) {
	t.Helper()
	ctx := context.Background()
	owner = authostest.Token(t, inst, "owner@example.com", authostest.Password(password))
	p, err := inst.VerifyAccessToken(ctx, owner, "")
	if err != nil {
		t.Fatal(err)
	}
	if org, _, err = inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	web, err = inst.CreateService(ctx, p.UserID, org, authos.ServiceInput{Slug: str("webapp"), Name: str("Web app"),
		ServiceType: str(authos.ServiceWeb), RedirectURIs: &[]string{webCallback}})
	if err != nil {
		t.Fatal(err)
	}
	return owner, org, web
}

// record keeps the form of every request to the provider's authorization
// and token endpoints.
func (h *harness) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/authorize") || strings.HasSuffix(r.URL.Path, "/token") {
			_ = r.ParseForm()
			h.mu.Lock()
			if strings.HasSuffix(r.URL.Path, "/authorize") {
				h.authorize = append(h.authorize, r.Form)
			} else {
				h.token = append(h.token, r.Form)
			}
			h.mu.Unlock()
		}
		if !strings.HasSuffix(r.URL.Path, "/token") {
			next.ServeHTTP(w, r)
			return
		}
		h.mu.Lock()
		before := h.beforeToken
		h.mu.Unlock()
		if before != nil {
			before(r.Form)
		}
		// mockoidc sends expires_in in nanoseconds (a time.Duration);
		// RFC 6749 §5.1 says seconds, as real providers send it.
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			if v, ok := m["expires_in"].(float64); ok && v > 1e6 {
				m["expires_in"] = int64(v / 1e9)
			}
			h.mu.Lock()
			if at, ok := m["access_token"].(string); ok {
				h.issued = append(h.issued, issued{grant: r.Form.Get("grant_type"), accessToken: at})
			}
			if idt, ok := m["id_token"].(string); ok && h.tamper {
				h.tamper = false
				m["id_token"] = idt[:len(idt)-8] + "AAAAAAAA"
			}
			h.mu.Unlock()
			body, _ = json.Marshal(m)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func (h *harness) lastAuthorize() url.Values { return h.last(&h.authorize, "authorization") }

// last is the last of the requests (*got, under h.mu) the provider's
// endpoint (what) received.
func (h *harness) last(got *[]url.Values, what string) url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(*got) == 0 {
		h.t.Fatalf("the provider received no %s request", what)
	}
	return (*got)[len(*got)-1]
}

// lastIssued is the last access token the provider issued for grant.
func (h *harness) lastIssued(grant string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.issued) - 1; i >= 0; i-- {
		if h.issued[i].grant == grant {
			return h.issued[i].accessToken
		}
	}
	h.t.Fatalf("the provider issued no access token for %s", grant)
	return ""
}

func (h *harness) lastToken() url.Values { return h.last(&h.token, "token") }

// result is an HTTP answer with its body read.
type result struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (h *harness) do(method, path, token string, body any) result {
	h.t.Helper()
	return h.doIn(http.DefaultClient, method, path, token, body)
}

// doIn sends an API request from browser c (its cookies go along, and
// the ones the answer sets stay).
func (h *harness) doIn(c *http.Client, method, path, token string, body any) result {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(h.t, c, req)
}

func send(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	r, err := trySend(c, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// trySend is send returning its error, for goroutines other than the
// test's (which must not call t.Fatal).
func trySend(c *http.Client, req *http.Request) (result, error) {
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json)
	return r, nil
}

// wantCode checks an error answer's status and error_code.
func wantCode(t *testing.T, r result, status int, code authos.ErrorCode) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d; want %d (%s)", r.status, status, r.body)
	}
	if got, _ := r.json["error_code"].(string); got != string(code) {
		t.Fatalf("error_code %q; want %s (%s)", got, code, r.body)
	}
}

// browser is a client with its own cookie jar that follows no redirect.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, b *http.Client, u string) result {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, b, req)
}

func location(t *testing.T, r result) *url.URL {
	t.Helper()
	if r.status != http.StatusFound && r.status != http.StatusSeeOther {
		t.Fatalf("status %d; want a redirect (%s)", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// setOrgProvider configures the organization's own provider as its admin.
func (h *harness) setOrgProvider(name string, in map[string]any) {
	h.t.Helper()
	r := h.do("PUT", "/api/organizations/acme/oauth-providers/"+name, h.owner, in)
	if r.status != 200 {
		h.t.Fatalf("PUT provider: %d %s", r.status, r.body)
	}
}

// useIdP makes the mockoidc provider the organization's own "acme-sso".
func (h *harness) useIdP() {
	h.setOrgProvider("acme-sso", map[string]any{"client_id": h.idp.ClientID, "client_secret": h.idp.ClientSecret, "issuer": h.idp.Issuer()})
}

// verifier is the PKCE verifier of the service's own authorization request.
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func challenge(v string) string {
	s := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// authorizeQuery is the query of the web service clientID's authorization
// request (PKCE with verifier).
func authorizeQuery(clientID, state, nonce string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {webCallback},
		"scope": {"openid email profile"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
}

// flow starts a sign-in for the web service in browser b and returns the
// flow id the sign-in page received.
func (h *harness) flow(b *http.Client, state, nonce string) string {
	h.t.Helper()
	u := location(h.t, get(h.t, b, h.srv.URL+"/auth/authorize?"+authorizeQuery(h.web.ClientID, state, nonce).Encode()))
	if u.Path != "/auth/signin" {
		h.t.Fatalf("the authorization endpoint sent the browser to %s, not the hosted sign-in page", u)
	}
	f := u.Query().Get("flow")
	if f == "" {
		h.t.Fatalf("no flow in %s", u)
	}
	return f
}

// countUsers counts the accounts of emails.
func (h *harness) countUsers(emails ...string) int {
	n := 0
	for _, e := range emails {
		if _, err := h.st.GetUserByEmail(context.Background(), e); err == nil {
			n++
		}
	}
	return n
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

var confirmLinkRE = regexp.MustCompile(`https?://\S+/auth/social/[a-z0-9-]+/confirm\?token=\S+`)

var formActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// newestMail is the newest email to addr whose subject holds subject and
// whose text re matches (any text where re is nil), with re's submatches of
// that text; the test fails when there is none.
func (h *harness) newestMail(addr, subject string, re *regexp.Regexp) (authos.Message, []string) {
	h.t.Helper()
	ms := h.inst.Emails()
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].To != addr || !strings.Contains(ms[i].Subject, subject) {
			continue
		}
		if re == nil {
			return ms[i], nil
		}
		if m := re.FindStringSubmatch(ms[i].Text); m != nil {
			return ms[i], m
		}
	}
	h.t.Fatalf("no email to %s with %q in its subject and a text matching %v", addr, subject, re)
	return authos.Message{}, nil
}

// confirmLink is the confirmation link of the newest email to email that
// has one.
func (h *harness) confirmLink(email string) string {
	h.t.Helper()
	_, m := h.newestMail(email, "", confirmLinkRE)
	return m[0]
}

// confirm opens link in a new browser and confirms on the page.
func (h *harness) confirm(link string) result {
	h.t.Helper()
	b := browser(h.t)
	page := get(h.t, b, link)
	if page.status != 200 || !strings.Contains(page.body, `<form method="post"`) {
		h.t.Fatalf("confirmation page: %d %s", page.status, page.body)
	}
	u, _ := url.Parse(link)
	// Post where the page's form does (its action resolved against the
	// page's URL), as a browser would.
	m := formActionRE.FindStringSubmatch(page.body)
	if m == nil {
		h.t.Fatalf("confirmation page without a form action: %s", page.body)
	}
	action, err := url.Parse(m[1])
	if err != nil {
		h.t.Fatalf("form action %q: %v", m[1], err)
	}
	to := u.ResolveReference(action)
	if to.Path != u.Path {
		h.t.Fatalf("the form posts to %s; want the page's own path %s", to.Path, u.Path)
	}
	req, _ := http.NewRequest("POST", to.String(), strings.NewReader(url.Values{"token": {u.Query().Get("token")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(h.t, b, req)
}

// provision signs a new person in through the organization's own
// provider for the first time, which makes an unverified account, and
// confirms the address from the email, as its owner does.
func (h *harness) provision(sub, email string) {
	h.t.Helper()
	wantPage(h.t, h.signInVia(sub, email, true), 401, "EMAIL_NOT_VERIFIED")
	if r := h.confirm(h.confirmLink(email)); r.status != 200 || !strings.Contains(r.body, "is confirmed") {
		h.t.Fatalf("confirming %s: %d %s", email, r.status, r.body)
	}
}
