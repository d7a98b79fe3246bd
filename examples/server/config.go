package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/authos/authos"
	"github.com/authos/authos/oauth"
)

// Environment variables read by the server (listed in doc.go). All are optional.
const (
	envAddr          = "AUTHOS_ADDR"
	envBaseURL       = "AUTHOS_BASE_URL"
	envDatabaseURL   = "AUTHOS_DATABASE_URL"
	envOwnerEmail    = "AUTHOS_PLATFORM_OWNER_EMAIL"
	envOwnerPassword = "AUTHOS_PLATFORM_OWNER_PASSWORD"
	envSMTPURL       = "AUTHOS_SMTP_URL"
	envMailboxDir    = "AUTHOS_MAILBOX_DIR"
	envEncryptionKey = "AUTHOS_ENCRYPTION_KEY"
	envRedisURL      = "AUTHOS_REDIS_URL"
	envAutoApprove   = "AUTHOS_AUTO_APPROVE_ORGS"
	envAllowPrivate  = "AUTHOS_ALLOW_PRIVATE_OUTBOUND"
	envNoRateLimits  = "AUTHOS_DISABLE_RATE_LIMITS"
	envStripeKey     = "AUTHOS_STRIPE_SECRET_KEY"
	envStripeWebhook = "AUTHOS_STRIPE_WEBHOOK_SECRET"
	envStripeAPIBase = "AUTHOS_STRIPE_API_BASE"
	envStripePrices  = "AUTHOS_STRIPE_PRICES" // tier=price_id,tier=price_id
	// Social login: AUTHOS_OAUTH_{GITHUB,GOOGLE,MICROSOFT}_CLIENT_ID and
	// _CLIENT_SECRET, and generic OpenID Connect providers.
	envOAuthPrefix   = "AUTHOS_OAUTH_"
	envOIDCProviders = "AUTHOS_OIDC_PROVIDERS" // name=issuer,client_id,client_secret;...
	envSignInURIs    = "AUTHOS_SIGNIN_REDIRECT_URIS"
)

// Defaults of the server: a working server on an embedded SQLite file.
const (
	defaultAddr        = ":8080"
	defaultBaseURL     = "http://localhost:8080"
	defaultDatabaseURL = "sqlite:authos.db"
)

// Database kinds.
const (
	dbSQLite   = "sqlite"
	dbPostgres = "postgres"
	dbMemory   = "memory"
)

// database is a parsed AUTHOS_DATABASE_URL.
type database struct {
	Kind string // dbSQLite, dbPostgres, dbMemory
	Path string // SQLite file
	URL  string // PostgreSQL connection URL (holds the password: never log it)
}

// String is safe to log: the PostgreSQL password is redacted.
func (d database) String() string {
	switch d.Kind {
	case dbSQLite:
		return "sqlite:" + d.Path
	case dbPostgres:
		if u, err := url.Parse(d.URL); err == nil {
			return u.Redacted()
		}
		return "postgres://(unparsable)"
	}
	return d.Kind + ":"
}

// config is the server configuration read from the environment. Secrets
// (owner password, encryption key, SMTP and Redis URLs) are kept as given;
// never log the struct itself.
type config struct {
	Addr          string
	BaseURL       string
	Database      database
	OwnerEmail    string
	OwnerPassword string
	SMTPURL       string
	MailboxDir    string
	EncryptionKey string
	RedisURL      string
	AutoApprove   bool // new organizations start active
	// NoRateLimits turns the auth rate limits off (load tests from one
	// address only; the lockout still counts wrong passwords).
	NoRateLimits bool
	// AllowPrivateOutbound lets webhooks reach loopback and private
	// addresses: for local development and tests only.
	AllowPrivateOutbound bool
	Stripe               stripeConfig
	// OAuth holds the platform's social login credentials.
	OAuth oauth.Config
	// SignInRedirectURIs are the redirect URIs of the host's front end as
	// the built-in public client "host" (authos.Config.SignIn).
	SignInRedirectURIs []string

	hasher authos.PasswordHasher // not read from the environment; nil: Argon2id (tests set a fast one)
	// baseURLFromAddr: AUTHOS_BASE_URL is not set, BaseURL follows Addr.
	baseURLFromAddr bool
}

// baseURLFor is the base URL of a server listening on addr as a browser on
// the same machine reaches it: http://localhost:PORT when addr has no host
// or a wildcard one (":9090", "0.0.0.0:9090"), else http://HOST:PORT.
func baseURLFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return defaultBaseURL
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// stripeConfig enables billing when SecretKey is set.
type stripeConfig struct {
	SecretKey, WebhookSecret, APIBase string
	Prices                            map[string]string
}

// loadConfig reads the configuration through getenv (os.Getenv in main) and
// checks what can be checked without touching the network or the disk.
func loadConfig(getenv func(string) string) (config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := config{
		Addr:          get(envAddr, defaultAddr),
		BaseURL:       strings.TrimRight(get(envBaseURL, ""), "/"),
		OwnerEmail:    get(envOwnerEmail, ""),
		OwnerPassword: getenv(envOwnerPassword), // kept verbatim: spaces may be part of it
		SMTPURL:       get(envSMTPURL, ""),
		MailboxDir:    get(envMailboxDir, ""),
		EncryptionKey: get(envEncryptionKey, ""),
		RedisURL:      get(envRedisURL, ""),
	}
	if c.BaseURL == "" {
		c.BaseURL, c.baseURLFromAddr = baseURLFor(c.Addr), true
	}
	var errs []error
	if v := get(envAutoApprove, "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", envAutoApprove))
		}
		c.AutoApprove = b
	}
	if v := get(envNoRateLimits, "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", envNoRateLimits))
		}
		c.NoRateLimits = b
	}
	if v := get(envAllowPrivate, "false"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", envAllowPrivate))
		}
		c.AllowPrivateOutbound = b
	}
	for name, creds := range map[string]*oauth.Credentials{"GITHUB": &c.OAuth.GitHub, "GOOGLE": &c.OAuth.Google, "MICROSOFT": &c.OAuth.Microsoft} {
		creds.ClientID = get(envOAuthPrefix+name+"_CLIENT_ID", "")
		creds.ClientSecret = getenv(envOAuthPrefix + name + "_CLIENT_SECRET")
		if (creds.ClientID == "") != (creds.ClientSecret == "") {
			errs = append(errs, fmt.Errorf("set both %s%s_CLIENT_ID and _CLIENT_SECRET, or neither", envOAuthPrefix, name))
		}
	}
	if ps, err := oauth.ParseOIDCProviders(get(envOIDCProviders, "")); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", envOIDCProviders, err))
	} else {
		c.OAuth.OIDC = ps
	}
	c.Stripe = stripeConfig{SecretKey: get(envStripeKey, ""), WebhookSecret: get(envStripeWebhook, ""),
		APIBase: get(envStripeAPIBase, "")}
	if c.Stripe.SecretKey != "" {
		c.Stripe.Prices = map[string]string{}
		for _, pair := range strings.Split(get(envStripePrices, ""), ",") {
			tier, price, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && tier != "" && price != "" {
				c.Stripe.Prices[tier] = price
			}
		}
		if c.Stripe.WebhookSecret == "" || len(c.Stripe.Prices) == 0 {
			errs = append(errs, fmt.Errorf("billing needs %s, %s and %s (e.g. starter=price_123,pro=price_456)",
				envStripeKey, envStripeWebhook, envStripePrices))
		}
	}
	for _, uri := range strings.Split(get(envSignInURIs, ""), ",") {
		if uri = strings.TrimSpace(uri); uri == "" {
			continue
		}
		if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("%s must be a comma-separated list of absolute http(s) URLs", envSignInURIs))
			break
		}
		c.SignInRedirectURIs = append(c.SignInRedirectURIs, uri)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL such as %s", envBaseURL, defaultBaseURL))
	}
	db, err := parseDatabaseURL(get(envDatabaseURL, defaultDatabaseURL))
	if err != nil {
		errs = append(errs, err)
	}
	c.Database = db
	if (c.OwnerEmail == "") != (c.OwnerPassword == "") {
		errs = append(errs, fmt.Errorf("set both %s and %s, or neither", envOwnerEmail, envOwnerPassword))
	}
	if c.Database.Kind == dbPostgres && c.EncryptionKey == "" {
		errs = append(errs, fmt.Errorf("%s is required with PostgreSQL: the server keeps a generated key only "+
			"beside an SQLite file. Generate one with `openssl rand -base64 32`, keep it safe (signing keys and "+
			"queued emails are encrypted with it) and pass the same value to every instance", envEncryptionKey))
	}
	return c, errors.Join(errs...)
}

// parseDatabaseURL accepts sqlite:PATH (also sqlite://PATH), postgres://...,
// postgresql://... and memory:. Errors never repeat the URL, which may hold
// a password.
func parseDatabaseURL(raw string) (database, error) {
	const want = "want sqlite:PATH, postgres://..., postgresql://... or memory:"
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" || !validScheme(scheme) {
		return database{}, fmt.Errorf("%s has no scheme (%s)", envDatabaseURL, want)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return database{}, fmt.Errorf("%s: sqlite needs a file path, e.g. sqlite:authos.db", envDatabaseURL)
		}
		return database{Kind: dbSQLite, Path: path}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil || !strings.HasPrefix(rest, "//") || u.Host == "" {
			return database{}, fmt.Errorf("%s: malformed PostgreSQL URL (want postgres://user:password@host:5432/dbname; "+
				"percent-encode special characters of the password)", envDatabaseURL)
		}
		return database{Kind: dbPostgres, URL: raw}, nil
	case "memory":
		if rest != "" && rest != "//" {
			return database{}, fmt.Errorf("%s: memory: takes no path", envDatabaseURL)
		}
		return database{Kind: dbMemory}, nil
	}
	return database{}, fmt.Errorf("%s: unsupported scheme %q (%s)", envDatabaseURL, scheme, want)
}

// validScheme reports whether s is an RFC 3986 scheme, so that the part of
// a scheme-less value before its first colon (possibly a user name or a
// password) is not echoed in an error.
func validScheme(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return len(s) <= 32
}
