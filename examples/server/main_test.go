package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/oapitest"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func mustSetup(t *testing.T, vars map[string]string) *server {
	t.Helper()
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.hasher = authostest.FastHasher{} // Argon2id is tested in the root package
	s, err := setup(t.Context(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.handler = oapitest.Handler(t, s.handler)
	return s
}

// call sends one request to h and decodes the JSON answer.
func call(t *testing.T, h http.Handler, method, path, bearer string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: non-JSON answer %q", method, path, rec.Body.String())
		}
	}
	return rec.Code, out
}

func login(t *testing.T, h http.Handler, email, password string) (int, map[string]any) {
	t.Helper()
	return call(t, h, "POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
}

func jwksKid(t *testing.T, h http.Handler) string {
	t.Helper()
	code, body := call(t, h, "GET", "/.well-known/jwks.json", "", nil)
	keys, _ := body["keys"].([]any)
	if code != 200 || len(keys) == 0 {
		t.Fatalf("GET /.well-known/jwks.json = %d %v", code, body)
	}
	return keys[0].(map[string]any)["kid"].(string)
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.BaseURL != "http://localhost:8080" {
		t.Errorf("addr, base URL = %q, %q", c.Addr, c.BaseURL)
	}
	if c.Database != (database{Kind: dbSQLite, Path: "authos.db"}) {
		t.Errorf("database = %+v, want sqlite:authos.db", c.Database)
	}
	if c.OwnerEmail != "" || c.SMTPURL != "" || c.MailboxDir != "" || c.EncryptionKey != "" || c.RedisURL != "" || c.SignInRedirectURIs != nil {
		t.Errorf("unexpected settings: %+v", c)
	}
	c, err = loadConfig(env(map[string]string{envSignInURIs: "https://front.example.com/cb, http://localhost:3000/cb"}))
	if err != nil || !slices.Equal(c.SignInRedirectURIs, []string{"https://front.example.com/cb", "http://localhost:3000/cb"}) {
		t.Errorf("%s: %v, %v", envSignInURIs, c.SignInRedirectURIs, err)
	}
}

func TestParseDatabaseURL(t *testing.T) {
	good := map[string]database{
		"sqlite:authos.db":                       {Kind: dbSQLite, Path: "authos.db"},
		"sqlite:/var/lib/authos/a.db":            {Kind: dbSQLite, Path: "/var/lib/authos/a.db"},
		"sqlite:///var/lib/authos/a.db":          {Kind: dbSQLite, Path: "/var/lib/authos/a.db"},
		"memory:":                                {Kind: dbMemory},
		"postgres://u:p@db:5432/authos":          {Kind: dbPostgres, URL: "postgres://u:p@db:5432/authos"},
		"postgresql://db/authos?sslmode=disable": {Kind: dbPostgres, URL: "postgresql://db/authos?sslmode=disable"},
	}
	for raw, want := range good {
		got, err := parseDatabaseURL(raw)
		if err != nil || got != want {
			t.Errorf("parseDatabaseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	if s := (database{Kind: dbPostgres, URL: "postgres://u:hunter2@db/authos"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("String() leaks the password: %s", s)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cases := []struct {
		name string
		vars map[string]string
		want string // substring of the error
	}{
		{"mysql", map[string]string{envDatabaseURL: "mysql://root:hunter2@db/authos"}, `unsupported scheme "mysql"`},
		{"redis as database", map[string]string{envDatabaseURL: "redis://db:6379"}, `unsupported scheme "redis"`},
		{"no scheme", map[string]string{envDatabaseURL: "authos.db"}, "has no scheme"},
		{"password without scheme", map[string]string{envDatabaseURL: "hunter2@db"}, "has no scheme"},
		{"empty sqlite path", map[string]string{envDatabaseURL: "sqlite:"}, "needs a file path"},
		{"postgres without //", map[string]string{envDatabaseURL: "postgres:db/authos", envEncryptionKey: key}, "malformed PostgreSQL URL"},
		{"memory with path", map[string]string{envDatabaseURL: "memory:foo"}, "takes no path"},
		{"postgres without key", map[string]string{envDatabaseURL: "postgres://u:hunter2@db/authos"}, envEncryptionKey + " is required with PostgreSQL"},
		{"owner email only", map[string]string{envOwnerEmail: "root@example.com"}, "set both"},
		{"owner password only", map[string]string{envOwnerPassword: "hunter2hunter2"}, "set both"},
		{"bad base URL", map[string]string{envBaseURL: "localhost:8080"}, envBaseURL},
		{"bad auto-approve", map[string]string{envAutoApprove: "yes please"}, envAutoApprove},
		{"stripe without prices", map[string]string{envStripeKey: "sk_test_hunter2", envStripeWebhook: "whsec_x"}, envStripePrices},
		{"sign-in redirect not a URL", map[string]string{envSignInURIs: "https://front.example.com/cb, /relative"}, envSignInURIs},
		{"GitHub secret only", map[string]string{envOAuthPrefix + "GITHUB_CLIENT_SECRET": "hunter2"}, "set both " + envOAuthPrefix + "GITHUB_CLIENT_ID"},
		{"Google id only", map[string]string{envOAuthPrefix + "GOOGLE_CLIENT_ID": "g-id"}, "set both " + envOAuthPrefix + "GOOGLE_CLIENT_ID"},
		{"OIDC provider named github", map[string]string{envOIDCProviders: "github=https://idp.example.com,c,hunter2"}, envOIDCProviders},
		{"OIDC provider without issuer URL", map[string]string{envOIDCProviders: "corp=idp.example.com,c,hunter2"}, envOIDCProviders},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(env(tc.vars))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestAutoApproveOrgs(t *testing.T) {
	for _, c := range []struct {
		value, status string
	}{{"", "pending"}, {"true", "active"}} {
		s := mustSetup(t, map[string]string{envDatabaseURL: "memory:", envAutoApprove: c.value})
		ctx := t.Context()
		u, _, err := s.authos.EnsurePlatformOwner(ctx, "founder@example.com", "first owner passphrase")
		if err != nil {
			t.Fatal(err)
		}
		o, _, err := s.authos.CreateOrganization(ctx, u.ID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
		if err != nil || o.Status != c.status {
			t.Errorf("%s=%q: new organization %q, %v; want %q", envAutoApprove, c.value, o.Status, err, c.status)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestStripeBillingWired(t *testing.T) {
	vars := map[string]string{envDatabaseURL: "memory:", envStripeKey: "sk_test_123", envStripeWebhook: "whsec_test",
		envStripePrices: "starter=price_starter, pro=price_pro"}
	s := mustSetup(t, vars)
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	if s.authos.Config().Billing == nil {
		t.Fatal("billing not configured")
	}
	// An unsigned webhook is refused by the Stripe verifier, not 404.
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest("POST", "/webhooks/stripe", strings.NewReader(`{}`)))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"BAD_REQUEST"`) {
		t.Fatalf("unsigned webhook: %d %s", rec.Code, rec.Body)
	}
}

func TestSQLiteKeyFileCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "authos.db")
	vars := map[string]string{envDatabaseURL: "sqlite:" + db}

	s := mustSetup(t, vars)
	kid := jwksKid(t, s.handler)
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	keyFile := db + ".key"
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	first, _ := os.ReadFile(keyFile)
	if _, err := authos.ParseKeyring(strings.TrimSpace(string(first))); err != nil {
		t.Fatalf("key file holds no valid key: %v", err)
	}

	// The second start reuses the key: the signing key stored in the
	// database can be decrypted, so the JWKS is unchanged.
	s = mustSetup(t, vars)
	if got := jwksKid(t, s.handler); got != kid {
		t.Errorf("kid after restart = %s, want %s", got, kid)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, first) {
		t.Error("key file was rewritten on the second start")
	}

	// A database whose key file is gone is refused with a clear message,
	// rather than getting a new key that cannot read it.
	if err := os.Rename(keyFile, keyFile+".bak"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := loadConfig(env(vars))
	if _, err := setup(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), "key file") {
		t.Errorf("setup without the key file: %v", err)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("a new key file was created for an existing database")
	}

	// The wrong key says so.
	vars[envEncryptionKey] = base64.StdEncoding.EncodeToString(randomKey())
	cfg, _ = loadConfig(env(vars))
	if _, err := setup(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), "not the one the database was created with") {
		t.Errorf("setup with another key: %v", err)
	}
}

func TestSQLiteWithEncryptionKeyWritesNoKeyFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "authos.db")
	mustSetup(t, map[string]string{
		envDatabaseURL:   "sqlite:" + db,
		envEncryptionKey: base64.StdEncoding.EncodeToString(randomKey()),
	})
	if _, err := os.Stat(db + ".key"); !os.IsNotExist(err) {
		t.Errorf("key file exists although %s is set (%v)", envEncryptionKey, err)
	}
}

func TestBadEncryptionKey(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{envDatabaseURL: "memory:", envEncryptionKey: "c2hvcnQ="}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), envEncryptionKey) {
		t.Errorf("setup with a 5-byte key: %v", err)
	}
}

// storeURLs are the AUTHOS_DATABASE_URL values the bootstrap test runs on.
func storeURLs(t *testing.T) map[string]func(t *testing.T) map[string]string {
	m := map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string {
			return map[string]string{envDatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "authos.db")}
		},
		"memory": func(t *testing.T) map[string]string {
			return map[string]string{envDatabaseURL: "memory:"}
		},
	}
	if os.Getenv("AUTHOS_TEST_POSTGRES_URL") != "" {
		m["postgres"] = func(t *testing.T) map[string]string {
			return map[string]string{
				envDatabaseURL:   postgresSchemaURL(t),
				envEncryptionKey: base64.StdEncoding.EncodeToString(randomKey()),
			}
		}
	} else {
		t.Log("AUTHOS_TEST_POSTGRES_URL not set: PostgreSQL case skipped")
	}
	return m
}

// postgresSchemaURL creates a fresh schema and returns a URL whose
// connections use it (search_path), dropping it after the test.
func postgresSchemaURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("AUTHOS_TEST_POSTGRES_URL")
	b := make([]byte, 6)
	rand.Read(b)
	schema := "authos_server_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); err != nil {
			t.Error(err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPlatformOwnerBootstrap(t *testing.T) {
	for name, vars := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			v := vars(t)
			v[envOwnerEmail] = "Root@Example.com"
			v[envOwnerPassword] = "correct horse battery staple"
			s := mustSetup(t, v)

			code, tok := login(t, s.handler, "root@example.com", "correct horse battery staple")
			if code != 200 || tok["access_token"] == nil || tok["refresh_token"] == nil {
				t.Fatalf("owner login = %d %v", code, tok)
			}
			code, me := call(t, s.handler, "GET", "/api/user", tok["access_token"].(string), nil)
			if code != 200 || me["is_platform_owner"] != true || me["email_verified"] != true {
				t.Fatalf("GET /api/user = %d %v", code, me)
			}
			if code, body := login(t, s.handler, "root@example.com", "wrong password!"); code != 401 || body["error_code"] != "INVALID_CREDENTIALS" {
				t.Errorf("login with a wrong password = %d %v", code, body)
			}

			if name == "memory" {
				return
			}
			// A restart with the same settings keeps the account, and a
			// changed password variable does not overwrite the password.
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			v[envOwnerPassword] = "another password entirely"
			s = mustSetup(t, v)
			if code, body := login(t, s.handler, "root@example.com", "correct horse battery staple"); code != 200 {
				t.Errorf("owner login after restart = %d %v", code, body)
			}
		})
	}
}

func TestPlatformOwnerPromotesExistingAccount(t *testing.T) {
	for name, vars := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			v := vars(t)
			if name == "memory" {
				// One process: register through the handler of the same
				// service, then bootstrap it.
				s := mustSetup(t, v)
				registerUnverified(t, s.handler)
				if err := bootstrapOwner(t.Context(), s.authos, "ada@example.com", "ignored password"); err != nil {
					t.Fatal(err)
				}
				checkOwner(t, s.handler)
				return
			}
			s := mustSetup(t, v)
			registerUnverified(t, s.handler)
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			v[envOwnerEmail] = "ada@example.com"
			v[envOwnerPassword] = "ignored password"
			checkOwner(t, mustSetup(t, v).handler)
		})
	}
}

func registerUnverified(t *testing.T, h http.Handler) {
	t.Helper()
	code, body := call(t, h, "POST", "/api/auth/register", "",
		map[string]string{"email": "ada@example.com", "password": "analytical engine"})
	if code != 201 {
		t.Fatalf("register = %d %v", code, body)
	}
	if code, body := login(t, h, "ada@example.com", "analytical engine"); code != 401 || body["error_code"] != "EMAIL_NOT_VERIFIED" {
		t.Fatalf("login before verification = %d %v", code, body)
	}
}

func checkOwner(t *testing.T, h http.Handler) {
	t.Helper()
	code, tok := login(t, h, "ada@example.com", "analytical engine")
	if code != 200 {
		t.Fatalf("login after bootstrap = %d %v (the existing password must be kept)", code, tok)
	}
	code, me := call(t, h, "GET", "/api/user", tok["access_token"].(string), nil)
	if code != 200 || me["is_platform_owner"] != true || me["email_verified"] != true {
		t.Fatalf("GET /api/user = %d %v", code, me)
	}
}

func TestOwnerPasswordTooShort(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{envDatabaseURL: "memory:",
		envOwnerEmail: "root@example.com", envOwnerPassword: "short"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), envOwnerPassword) {
		t.Errorf("setup with a 5-character owner password: %v", err)
	}
}

func TestMailbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:", envMailboxDir: dir})
	if code, body := call(t, s.handler, "POST", "/api/auth/register", "",
		map[string]string{"email": "ada@example.com", "password": "analytical engine"}); code != 201 {
		t.Fatalf("register = %d %v", code, body)
	}
	if _, err := s.authos.ProcessOutbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d .eml files in the mailbox, want 1", len(files))
	}
}

// TestRunServesAndShutsDown starts the real server on the default SQLite
// store (a file in a temp dir, no other setting) and on memory:, serves,
// and shuts down gracefully.
func TestRunServesAndShutsDown(t *testing.T) {
	for _, db := range []string{"sqlite:" + filepath.Join(t.TempDir(), "authos.db"), "memory:"} {
		t.Run(strings.SplitN(db, ":", 2)[0], func(t *testing.T) { runServesAndShutsDown(t, db) })
	}
}

func runServesAndShutsDown(t *testing.T, db string) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	vars := map[string]string{envAddr: "127.0.0.1:0", envDatabaseURL: db}
	go func() { done <- run(ctx, env(vars), testLogger(t), func(addr string) { addrc <- addr }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	for _, path := range []string{"/.well-known/jwks.json", "/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // read to the end; closing only frees the connection
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
	// Without AUTHOS_BASE_URL, the issuer (and every link) is the address
	// the server listens on, its port chosen for ":0" included.
	resp, err := http.Get("http://" + addr + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Issuer string `json:"issuer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&meta)
	_ = resp.Body.Close() // read to the end; closing only frees the connection
	if err != nil || meta.Issuer != "http://"+addr {
		t.Errorf("issuer %q, %v; want http://%s", meta.Issuer, err, addr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func TestRunRefusesBadDatabaseURL(t *testing.T) {
	err := run(t.Context(), env(map[string]string{envDatabaseURL: "mongodb://db/authos"}), testLogger(t), nil)
	if err == nil || !strings.Contains(err.Error(), `unsupported scheme "mongodb"`) {
		t.Errorf("run = %v", err)
	}
}

func TestRedisRateLimiter(t *testing.T) {
	// An unreachable Redis is refused at start, not at the first login.
	cfg, err := loadConfig(env(map[string]string{envDatabaseURL: "memory:", envRedisURL: "redis://:hunter2@127.0.0.1:1/0"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup(t.Context(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), envRedisURL) {
		t.Errorf("setup with an unreachable Redis: %v", err)
	} else if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the Redis password: %v", err)
	}

	url := os.Getenv("AUTHOS_TEST_REDIS_URL")
	if url == "" {
		t.Skip("AUTHOS_TEST_REDIS_URL not set")
	}
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:", envRedisURL: url})
	if code, body := login(t, s.handler, "nobody@example.com", "not a password"); code != 401 || body["error_code"] != "INVALID_CREDENTIALS" {
		t.Errorf("login through the Redis limiter = %d %v", code, body)
	}
}

// TestSCIMMounted: the server serves SCIM at AUTHOS_BASE_URL/scim/v2: an
// admin creates a token and the directory provisions a user with it.
func TestSCIMMounted(t *testing.T) {
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:", envAutoApprove: "true", envBaseURL: "https://id.example.com"})
	ctx := t.Context()
	if _, _, err := s.authos.EnsurePlatformOwner(ctx, "founder@example.com", "first owner passphrase"); err != nil {
		t.Fatal(err)
	}
	_, lr := login(t, s.handler, "founder@example.com", "first owner passphrase")
	owner, _ := lr["access_token"].(string)
	code, body := call(t, s.handler, "POST", "/api/organizations", owner, map[string]string{"slug": "acme", "name": "Acme"})
	if code != 201 {
		t.Fatalf("create organization: %d %v", code, body)
	}
	o, err := s.authos.Store().GetOrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	o.Tier = authos.TierPro
	if err := s.authos.Store().UpdateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	code, body = call(t, s.handler, "POST", "/api/organizations/acme/scim-tokens", owner, map[string]string{"name": "Okta"})
	token, _ := body["token"].(string)
	if code != 201 || !strings.HasPrefix(token, "scim_") {
		t.Fatalf("create SCIM token: %d %v", code, body)
	}
	code, body = call(t, s.handler, "POST", "/scim/v2/Users", token, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ada@example.com", "active": true})
	meta, _ := body["meta"].(map[string]any)
	if code != 201 || meta["location"] != "https://id.example.com/scim/v2/Users/"+body["id"].(string) {
		t.Fatalf("provision: %d %v", code, body)
	}
}

// TestBaseURLFollowsAddr: without AUTHOS_BASE_URL the links point at the
// address the server listens on; with it, at the setting.
func TestBaseURLFollowsAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://localhost:8080",
		":9090":          "http://localhost:9090",
		"0.0.0.0:9090":   "http://localhost:9090",
		"[::]:9090":      "http://localhost:9090",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"[::1]:9000":     "http://[::1]:9000",
		"auth.lan:80":    "http://auth.lan:80",
	} {
		c, err := loadConfig(env(map[string]string{envAddr: addr}))
		if err != nil || c.BaseURL != want {
			t.Errorf("AUTHOS_ADDR=%q: base URL %q, %v; want %q", addr, c.BaseURL, err, want)
		}
	}
	c, err := loadConfig(env(map[string]string{envAddr: ":9090", envBaseURL: "https://id.example.com/"}))
	if err != nil || c.BaseURL != "https://id.example.com" {
		t.Errorf("AUTHOS_BASE_URL set: base URL %q, %v", c.BaseURL, err)
	}
}
