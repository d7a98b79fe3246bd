package authostest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostFlowMain is the host of the acceptance test: one handler for the
// core, mfa and device, mounted at base ("" or "/id"), the outbox delivered
// by Run as a host does.
const hostFlowMain = `// Package host is a host of authos: one handler for every package.
package host

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store/memory"
)

// Host is the authos instance and the mux serving it at its base path.
type Host struct {
	A   *authos.Authos
	Mux *http.ServeMux

	mu    sync.Mutex
	Inbox []authos.Message
}

// New builds the host; baseURL may carry a path ("http://host/id").
func New(ctx context.Context, baseURL, basePath string, clock *authostest.Clock, keyring *authos.Keyring) (*Host, error) {
	h := &Host{Mux: http.NewServeMux()}
	a, err := authos.New(ctx, authos.Config{
		Store: memory.New(), Keyring: keyring, BaseURL: baseURL, Now: clock.Now,
		Hasher: authostest.FastHasher{}, AutoApproveOrgs: true,
		Mailer: authos.MailerFunc(func(_ context.Context, m authos.Message) error {
			h.mu.Lock()
			h.Inbox = append(h.Inbox, m)
			h.mu.Unlock()
			return nil
		}),
	})
	if err != nil {
		return nil, err
	}
	if _, err := mfa.New(a, mfa.Config{}); err != nil {
		return nil, err
	}
	if _, err := device.New(a, device.Config{Interval: time.Second}); err != nil {
		return nil, err
	}
	h.A = a
	h.Mux.Handle(basePath+"/", a.Handler()) // one handler: core, mfa, device, the pages
	return h, nil
}

// Mail returns the emails delivered so far.
func (h *Host) Mail() []authos.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]authos.Message(nil), h.Inbox...)
}
`

// hostFlowTest drives the host over HTTP as a person and a device would.
const hostFlowTest = `package host

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
)

const email, password = "ada@example.com", "analytical engine 1843"

// totp is the RFC 6238 code (SHA-1, 30 s, 6 digits) of secret at t.
func totp(t *testing.T, secret string, at time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	s := m.Sum(nil)
	off := s[len(s)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(s[off:off+4])&0x7fffffff)%1000000)
}

var (
	linkRE   = regexp.MustCompile(` + "`" + `https?://\S+` + "`" + `)
	formRE   = regexp.MustCompile(` + "`" + `<form method="post" action="([^"]*)">` + "`" + `)
	hiddenRE = regexp.MustCompile(` + "`" + `<input type="hidden" name="([a-z_]+)" value="([^"]*)">` + "`" + `)
)

func TestFlow(t *testing.T) {
	for _, base := range []string{"", "/id"} {
		t.Run("base="+base, func(t *testing.T) { flow(t, base) })
	}
}

func flow(t *testing.T, basePath string) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv := httptest.NewUnstartedServer(nil)
	root := "http://" + srv.Listener.Addr().String()
	clock := authostest.NewClock(time.Now().UTC().Truncate(time.Second))
	h, err := New(ctx, root+basePath, basePath, clock, authostest.Keyring(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h.Mux
	srv.Start()
	t.Cleanup(srv.Close)
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.A.Run(runCtx) }()
	t.Cleanup(func() {
		stopRun()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	base := root + basePath

	call := func(method, path, bearer string, body any, want int) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		raw, _ := io.ReadAll(res.Body)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s; want %d", method, path, res.StatusCode, raw, want)
		}
		return out
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }

	// Register; Run delivers the verification email.
	call("POST", "/api/auth/register", "", map[string]string{"email": email, "password": password}, 201)
	var link string
	for deadline := time.Now().Add(20 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range h.Mail() {
			if m.To == email {
				link = linkRE.FindString(m.Text)
			}
		}
	}
	if !strings.HasPrefix(link, base+"/verify-email?token=") {
		t.Fatalf("verification link %q (want it under %s)", link, base)
	}
	call("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, 401)

	// Verify through the link's page: GET it, POST its form, as a browser.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err := browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	action := formRE.FindSubmatch(page)
	if res.StatusCode != 200 || action == nil {
		t.Fatalf("GET the link: %d\n%s", res.StatusCode, page)
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllSubmatch(page, -1) {
		form.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	target, _ := url.Parse(link)
	target, _ = target.Parse(html.UnescapeString(string(action[1])))
	req, _ := http.NewRequest("POST", target.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "null") // the pages send no referrer
	res, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST %s: %d\n%s", target, res.StatusCode, page)
	}

	// Login, then enable TOTP.
	access := str(call("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, 200), "access_token")
	call("GET", "/api/user", access, nil, 200)
	secret := str(call("POST", "/api/user/mfa/setup", access, map[string]string{"current_password": password}, 200), "secret")
	enabled := call("POST", "/api/user/mfa/enable", access, map[string]string{"code": totp(t, secret, clock.Now()), "current_password": password}, 200)
	if codes, _ := enabled["backup_codes"].([]any); len(codes) == 0 {
		t.Fatalf("enable: %v", enabled)
	}

	// Login again: the second factor is asked for, and the next code passes it.
	clock.Advance(30 * time.Second)
	pending := call("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, 401)
	if str(pending, "error_code") != string(authos.CodeMFARequired) || str(pending, "preauth_token") == "" {
		t.Fatalf("login with MFA on: %v", pending)
	}
	mfaAccess := str(call("POST", "/api/auth/mfa/verify", "", map[string]string{
		"preauth_token": str(pending, "preauth_token"), "code": totp(t, secret, clock.Now())}, 200), "access_token")
	call("GET", "/api/user", mfaAccess, nil, 200)

	// A device signs the user in: x/oauth2's device flow against a service
	// of the user's organization, approved by the user.
	call("POST", "/api/organizations", mfaAccess, map[string]string{"slug": "acme", "name": "Acme"}, 201)
	svc := call("POST", "/api/organizations/acme/services", mfaAccess, map[string]string{
		"slug": "cli", "name": "Acme CLI", "service_type": authos.ServiceDesktop}, 201)
	clientID := str(svc["service"].(map[string]any), "client_id")
	conf := &oauth2.Config{ClientID: clientID, Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: base + "/auth/device/code", TokenURL: base + "/auth/token", AuthStyle: oauth2.AuthStyleInParams}}
	octx := context.WithValue(ctx, oauth2.HTTPClient, srv.Client())
	da, err := conf.DeviceAuth(octx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(da.VerificationURI, base+"/") {
		t.Errorf("verification URI %q is not under %s", da.VerificationURI, base)
	}
	call("POST", "/auth/device/verify", mfaAccess, map[string]string{"user_code": da.UserCode}, 200)
	tok, err := conf.DeviceAccessToken(octx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	var who *authos.Principal
	api := h.A.RequireAudience(clientID)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who = authos.PrincipalFrom(r.Context())
	}))
	r := httptest.NewRequest("GET", "/cli/api", nil)
	tok.SetAuthHeader(r)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, r)
	if rec.Code != 200 || who == nil || who.Email != email {
		t.Fatalf("the service's API with the device's token: %d %s", rec.Code, rec.Body)
	}
}
`

// The acceptance test of embedding: a host module outside the repository
// (a temporary directory, authos replaced by this checkout) mounts one
// handler for the core, mfa and device, and a person and a device go
// through it over HTTP: register, verify through the emailed link's page
// (GET it, POST its form), sign in, enable TOTP, sign in again with the
// code, and sign a device in with x/oauth2's device flow, approved by the
// person. The same again with the handler under /id.
func TestHostModuleFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	_, run := hostModule(t, map[string]string{"host.go": hostFlowMain, "host_test.go": hostFlowTest})
	// -e: tidy also looks for the modules that the tests of the host's
	// dependencies (pquerna/otp's use testify) would need, which are not in
	// the module cache and not needed to build or test the host.
	run("mod", "tidy", "-e")
	out := run("test", "-count=1", "-v", ".")
	for _, sub := range []string{"TestFlow/base=", "TestFlow/base=/id"} {
		if !strings.Contains(out, "--- PASS: "+sub+" ") {
			t.Errorf("no passing %s in:\n%s", sub, out)
		}
	}
}

// hostModule writes a module example.com/host that requires authos,
// replaced by this checkout, with files into dir; run runs the go command
// in it, offline (the modules come from the module cache that building
// this package filled), and returns its output.
func hostModule(t *testing.T, files map[string]string) (dir string, run func(args ...string) string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found in PATH")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.mod"] = "module example.com/host\n\ngo 1.26\n\nrequire github.com/authos/authos v0.0.0\n\nreplace github.com/authos/authos => " + root + "\n"
	files["go.sum"] = string(sums) // tidy checks against these instead of the checksum database
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			if bytes.Contains(out, []byte("module lookup disabled by GOPROXY=off")) && os.Getenv("AUTHOS_TEST_MODCACHE") == "" {
				// Tests never reach the network: the host module builds
				// from the module cache only, which `go test ./...` or
				// `go mod download` fills. CI fills it and sets
				// AUTHOS_TEST_MODCACHE=1, so there this is a failure.
				t.Skipf("the module cache lacks a module the host needs (run `go mod download` first):\n%s", out)
			}
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}
