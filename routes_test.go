package authos_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/scim"
)

// A host that serves authos under /id mounts one handler: every route
// (the core's and the packages'), every discovery URL and the emailed
// link carry the base path, and nothing answers outside it.
func TestHandlerUnderBasePath(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	base := origin + "/id"
	a := authostest.New(t, func(c *authos.Config) { c.BaseURL = base; c.RateLimits.Disabled = true })
	if got := a.Config().BasePath; got != "/id" {
		t.Fatalf("BasePath: got %q; want /id", got)
	}
	if _, err := mfa.New(a.Authos, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := device.New(a.Authos, device.Config{}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", oapitest.Under(t, "/id", a.Handler())) // answers checked against openapi.yaml's routes under /id
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	c := srv.Client()
	send := func(method, u, bearer string, body any) authostest.Response {
		t.Helper()
		hdr := map[string]string{}
		if bearer != "" {
			hdr["Authorization"] = "Bearer " + bearer
		}
		return authostest.Send(t, c, authostest.NewJSONRequest(t, method, u, hdr, body))
	}

	disc := send("GET", base+"/.well-known/openid-configuration", "", nil)
	if disc.Status != 200 {
		t.Fatalf("discovery: got %d; want 200", disc.Status)
	}
	for _, key := range []string{"jwks_uri", "token_endpoint", "device_authorization_endpoint"} {
		u, _ := disc.Body[key].(string)
		if !strings.HasPrefix(u, base+"/") {
			t.Fatalf("%s = %q; want it under %s", key, u, base)
		}
	}
	if r := send("GET", disc.Body["jwks_uri"].(string), "", nil); r.Status != 200 || r.Body["keys"] == nil {
		t.Errorf("jwks_uri: got %d %s; want 200 with keys", r.Status, r.Raw)
	}
	// The OAuth endpoints answer (an incomplete request is refused with an
	// OAuth error, not a 404).
	for _, key := range []string{"token_endpoint", "device_authorization_endpoint"} {
		req, _ := http.NewRequest("POST", disc.Body[key].(string), strings.NewReader(url.Values{"client_id": {"nobody"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := authostest.Send(t, c, req)
		if r.Status == 404 || r.Status/100 != 4 || r.Body["error"] == nil {
			t.Errorf("%s: got %d %s; want an OAuth error", key, r.Status, r.Raw)
		}
	}

	// Register, follow the emailed link's token, sign in, use core and mfa routes.
	const email, pw = "ada@example.com", "correct horse battery"
	if r := send("POST", base+"/api/auth/register", "", map[string]string{"email": email, "password": pw}); r.Status != 201 {
		t.Fatalf("register: got %d %s", r.Status, r.Raw)
	}
	mails := a.Emails()
	if len(mails) != 1 {
		t.Fatalf("got %d emails; want 1", len(mails))
	}
	m := regexp.MustCompile(regexp.QuoteMeta(base) + `/verify-email\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("the verification email has no link under %s:\n%s", base, mails[0].Text)
	}
	if r := send("GET", m[0], "", nil); r.Status != 200 || !strings.Contains(string(r.Raw), `action="verify-email"`) {
		t.Errorf("GET %s (the emailed link): got %d; want the page", m[0], r.Status)
	}
	if r := send("POST", base+"/api/auth/verify-email", "", map[string]string{"token": m[1]}); r.Status != 200 {
		t.Fatalf("verify: got %d %s", r.Status, r.Raw)
	}
	login := send("POST", base+"/api/auth/login", "", map[string]string{"email": email, "password": pw})
	tok, _ := login.Body["access_token"].(string)
	if login.Status != 200 || tok == "" {
		t.Fatalf("login: got %d %s", login.Status, login.Raw)
	}
	if r := send("GET", base+"/api/user", tok, nil); r.Status != 200 {
		t.Errorf("GET /id/api/user: got %d %s", r.Status, r.Raw)
	}
	if r := send("GET", base+"/api/user/mfa", tok, nil); r.Status != 200 || r.Body["enabled"] != false {
		t.Errorf("GET /id/api/user/mfa: got %d %s", r.Status, r.Raw)
	}
	// Outside the base path nothing is served.
	for _, u := range []string{origin + "/api/user", origin + "/idx/api/user", origin + "/.well-known/jwks.json", origin + "/id"} {
		r := send("GET", u, tok, nil)
		if r.Status != 404 || r.Body["error_code"] != string(authos.CodeNotFound) {
			t.Errorf("GET %s: got %d %s; want 404 NOT_FOUND", u, r.Status, r.Raw)
		}
	}
}

// Config.BasePath "/" serves at the root though BaseURL has a path (a
// proxy in front takes it off); links keep BaseURL's path.
func TestBasePathRootBehindProxy(t *testing.T) {
	a := authostest.New(t, func(c *authos.Config) { c.BaseURL = "https://example.com/id"; c.BasePath = "/" })
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/openid-configuration", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"jwks_uri":"https://example.com/id/.well-known/jwks.json"`) {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{"id", "/id/../x", "/a b", "/{x}"} {
		_, err := authos.New(t.Context(), authos.Config{Store: a.Store(), Keyring: a.Keyring(), BasePath: bad})
		if err == nil {
			t.Errorf("BasePath %q accepted", bad)
		}
	}
}

// Registering a route twice, one that conflicts with another, or any
// after Handler was built is an error of the package's New; a failed
// registration adds none of its routes.
func TestRouteRegistrationErrors(t *testing.T) {
	a := authostest.New(t)
	ext := authos.Extend(a.Authos)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	if err := ext.Handle(authos.Route{Pattern: "GET /extra", Handler: ok}); err != nil {
		t.Fatal(err)
	}
	for _, rs := range [][]authos.Route{
		{{Pattern: "GET /extra", Handler: ok}},                                                         // twice
		{{Pattern: "GET /new", Handler: ok}, {Pattern: "POST /api/auth/login", Handler: ok}},           // the core's
		{{Pattern: "GET /api/user/{x}", Handler: ok}, {Pattern: "GET /api/{y}/sessions", Handler: ok}}, // conflicting
		{{Pattern: "/nomethod", Handler: ok}},
		{{Pattern: "GET /nohandler"}},
	} {
		if err := ext.Handle(rs...); err == nil {
			t.Errorf("Handle(%v) succeeded; want an error", rs[0].Pattern)
		}
	}
	if _, err := mfa.New(a.Authos, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mfa.New(a.Authos, mfa.Config{}); err == nil || !strings.Contains(err.Error(), "/api/user/mfa") {
		t.Errorf("a second mfa.New on one instance: got %v; want a duplicate-route error", err)
	}
	h := oapitest.Handler(t, a.Handler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/new", nil))
	if rec.Code != 404 {
		t.Errorf("GET /new of a refused registration: got %d; want 404", rec.Code)
	}
	if _, err := device.New(a.Authos, device.Config{}); err == nil || !strings.Contains(err.Error(), "after Handler") {
		t.Errorf("device.New after Handler: got %v; want an error", err)
	}
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/extra", nil))
	if rec.Code != 204 {
		t.Errorf("GET /extra: got %d; want 204", rec.Code)
	}
}

// Config.LeaveOut drops the organization, platform and billing routes,
// including those packages add there; the rest is served.
func TestLeaveOutRouteGroups(t *testing.T) {
	a := authostest.New(t, func(c *authos.Config) {
		c.LeaveOut = authos.RouteGroups{Organizations: true, Platform: true, Billing: true}
	})
	if _, err := mfa.New(a.Authos, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := scim.New(a.Authos, scim.Config{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Routes() {
		_, path, _ := strings.Cut(p, " ")
		if strings.HasPrefix(path, "/api/organizations") || strings.HasPrefix(path, "/api/platform") || path == "/webhooks/stripe" {
			t.Errorf("%s is served; its group was left out", p)
		}
	}
	tok := authostest.Token(t, a, "ada@example.com")
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/organizations", 404},
		{"GET", "/api/platform/tiers", 404},
		{"POST", "/webhooks/stripe", 404},
		{"GET", "/api/organizations/acme/scim-tokens", 404},
		{"GET", "/api/user", 200},
		{"GET", "/api/user/mfa", 200},
		{"GET", "/scim/v2/Users", 401},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s: got %d; want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
	// The Go API stays.
	pr, err := a.VerifyAccessToken(t.Context(), tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateOrganization(t.Context(), pr.UserID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"}); err != nil {
		t.Errorf("CreateOrganization with the routes left out: %v", err)
	}
}
