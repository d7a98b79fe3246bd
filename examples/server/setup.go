package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/billing/stripe"
	"github.com/authos/authos/device"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/ratelimit/redisrate"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/scim"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/store/postgres"
	"github.com/authos/authos/store/sqlite"
	"github.com/authos/authos/webhook"
)

// server is everything setup builds: the service, the HTTP handler to serve
// and the resources to release on exit.
type server struct {
	authos   *authos.Authos
	webhooks *webhook.Service
	oauth    *oauth.Service
	handler  http.Handler
	closers  []func() error // run in reverse order by Close
}

// Close releases the store and the rate limiter.
func (s *server) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// setup opens the store, builds the mailer, the rate limiter and the
// service, bootstraps the platform owner and mounts the handlers. On error
// everything opened so far is closed again.
func setup(ctx context.Context, cfg config, logger *slog.Logger) (_ *server, err error) {
	s := &server{}
	defer func() {
		if err != nil {
			_ = s.Close() // err, the reason setup failed, is what the caller sees
		}
	}()

	keyring, err := loadKeyring(cfg, logger)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, st.Close)

	m, err := newMailer(cfg, logger)
	if err != nil {
		return nil, err
	}

	var limiter authos.RateLimiter // nil: authos's in-process limiter
	if cfg.RedisURL != "" {
		rl, err := redisrate.NewFromURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envRedisURL, err)
		}
		s.closers = append(s.closers, rl.Close)
		// Fail at start rather than refusing every login later.
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = rl.Allow(pctx, "authos-server-startup-probe", authos.Limit{Rate: 1000, Period: time.Second, Burst: 1000})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: Redis is not reachable: %w", envRedisURL, err)
		}
		limiter = rl
		logger.Info("rate limits shared through Redis")
	} else {
		logger.Info("rate limits kept in process; set " + envRedisURL + " to share them between instances")
	}

	if cfg.NoRateLimits {
		logger.Warn("auth rate limits are off (" + envNoRateLimits + "): for load tests only")
	}

	var billing authos.Billing // nil: billing routes answer NOT_FOUND
	if cfg.Stripe.SecretKey != "" {
		b, err := stripe.New(stripe.Config{SecretKey: cfg.Stripe.SecretKey, WebhookSecret: cfg.Stripe.WebhookSecret,
			Prices: cfg.Stripe.Prices, APIBase: cfg.Stripe.APIBase,
			SuccessURL: cfg.BaseURL + "/billing/success", CancelURL: cfg.BaseURL + "/billing/cancel"})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envStripeKey, err)
		}
		billing = b
	}
	a, err := authos.New(ctx, authos.Config{
		Store:           st,
		Keyring:         keyring,
		Hasher:          cfg.hasher,
		Mailer:          m,
		BaseURL:         cfg.BaseURL,
		RateLimiter:     limiter,
		RateLimits:      authos.RateLimits{Disabled: cfg.NoRateLimits},
		Logger:          logger,
		AutoApproveOrgs: cfg.AutoApprove,
		Billing:         billing,
		SignIn:          authos.HostClient{RedirectURIs: cfg.SignInRedirectURIs},
	})
	if errors.Is(err, authos.CodeEncryptionError) {
		cause := errors.Unwrap(err) // authos.Error hides its cause from Error()
		if cause == nil {
			cause = err
		}
		return nil, fmt.Errorf("cannot decrypt the signing keys stored in %s: the encryption key is not the one "+
			"the database was created with (%s, or the key file beside an SQLite database): %w",
			cfg.Database, envEncryptionKey, cause)
	}
	if err != nil {
		return nil, fmt.Errorf("authos: %w", err)
	}
	s.authos = a
	// Each package registers its routes with a: a.Handler() serves them.
	_, err = mfa.New(a, mfa.Config{}) // also the second factor of logins
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	_, err = device.New(a, device.Config{}) // RFC 8628; adds its endpoints to discovery
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	_, err = scim.New(a, scim.Config{}) // SCIM 2.0 at <BASE_URL>/scim/v2
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}

	wh, err := webhook.New(a, webhook.Config{AllowPrivateTargets: cfg.AllowPrivateOutbound}) // its worker runs in run()
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	s.webhooks = wh
	oc := cfg.OAuth
	oc.AllowPrivateTargets = cfg.AllowPrivateOutbound
	if s.oauth, err = oauth.New(a, oc); err != nil { // social login; its token refresh runs in run()
		return nil, fmt.Errorf("oauth: %w", err)
	}
	// SAML SSO per organization; metadata URLs go through the outbound guard.
	if _, err = saml.New(a, saml.Config{AllowPrivateMetadataURLs: cfg.AllowPrivateOutbound}); err != nil {
		return nil, fmt.Errorf("saml: %w", err)
	}
	if cfg.AllowPrivateOutbound {
		logger.Warn(envAllowPrivate + " is set: webhooks and social login providers may reach loopback and private addresses (development only)")
	}

	if cfg.OwnerEmail != "" {
		if err := bootstrapOwner(ctx, a, cfg.OwnerEmail, cfg.OwnerPassword); err != nil {
			return nil, err
		}
	}

	// One handler serves the core and every package created above.
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.Handle("GET /healthz", a.HealthHandler()) // liveness: the process is up
	mux.Handle("GET /readyz", a.ReadyHandler())   // readiness: the store answers, the keys are loaded
	s.handler = mux
	return s, nil
}

// openStore opens the backend named by AUTHOS_DATABASE_URL.
func openStore(ctx context.Context, db database) (store.Storage, error) {
	switch db.Kind {
	case dbSQLite:
		st, err := sqlite.Open(ctx, db.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envDatabaseURL, err)
		}
		return st, nil
	case dbPostgres:
		st, err := postgres.Open(ctx, db.URL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envDatabaseURL, err)
		}
		return st, nil
	case dbMemory:
		return memory.New(), nil
	}
	return nil, fmt.Errorf("%s: unknown database kind %q", envDatabaseURL, db.Kind)
}

// newMailer picks SMTP, a mailbox directory of .eml files, or the log.
func newMailer(cfg config, logger *slog.Logger) (authos.Mailer, error) {
	switch {
	case cfg.SMTPURL != "":
		sc, err := mailer.ParseSMTPURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envSMTPURL, err)
		}
		if sc.From == "" {
			sc.From = "no-reply@" + hostOf(cfg.BaseURL)
		}
		m, err := mailer.NewSMTP(sc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envSMTPURL, err)
		}
		logger.Info("email is sent through SMTP", "smtp", m.Config()) // LogValue hides the password
		return m, nil
	case cfg.MailboxDir != "":
		logger.Info("email is written as .eml files", "dir", cfg.MailboxDir)
		return &mailer.Mailbox{Dir: cfg.MailboxDir, From: "no-reply@" + hostOf(cfg.BaseURL)}, nil
	}
	logger.Warn("no " + envSMTPURL + " or " + envMailboxDir + ": email is only logged, one-time links included; " +
		"do not run like this in production")
	return &mailer.Log{Logger: logger}, nil
}

func hostOf(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// loadKeyring returns the secrets keyring: AUTHOS_ENCRYPTION_KEY when set;
// otherwise, for SQLite, a key kept in PATH.key beside the database file
// (generated on the first start); for memory, an ephemeral key.
func loadKeyring(cfg config, logger *slog.Logger) (*authos.Keyring, error) {
	if cfg.EncryptionKey != "" {
		k, err := authos.ParseKeyring(cfg.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (want base64 of 32 random bytes, e.g. `openssl rand -base64 32`; "+
				"several keys comma-separated, newest first)", envEncryptionKey, err)
		}
		return k, nil
	}
	switch cfg.Database.Kind {
	case dbMemory:
		logger.Info("memory store: data and the ephemeral encryption key are lost on exit")
		return authos.NewKeyring(randomKey())
	case dbSQLite:
		return sqliteKeyFile(cfg.Database.Path, logger)
	}
	// loadConfig refuses this combination already.
	return nil, fmt.Errorf("%s is required with %s", envEncryptionKey, cfg.Database.Kind)
}

// keyFilePath is where the generated key of an SQLite database is kept.
func keyFilePath(dbPath string) string { return dbPath + ".key" }

// sqliteKeyFile reads the key kept beside the SQLite file, generating it
// (mode 0600) when neither the key file nor a database exists yet.
func sqliteKeyFile(dbPath string, logger *slog.Logger) (*authos.Keyring, error) {
	path := keyFilePath(dbPath)
	if k, err := readKeyFile(path, logger); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	// A database without its key cannot be read: do not paper over that
	// with a new key that would make the failure harder to understand.
	if fi, err := os.Stat(dbPath); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("the database %s exists but its key file %s does not and %s is not set: "+
			"restore the key file or set %s to the key the database was created with "+
			"(or move the database away to start afresh)", dbPath, path, envEncryptionKey, envEncryptionKey)
	}
	encoded := base64.StdEncoding.EncodeToString(randomKey())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process just created it
		return readKeyFile(path, logger)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the encryption key file: %w", err)
	}
	_, err = f.WriteString(encoded + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // best effort: a partial key file must not be used; err says why
		return nil, fmt.Errorf("writing the encryption key file: %w", err)
	}
	logger.Warn(envEncryptionKey+" is not set: generated a new encryption key and stored it beside the database. "+
		"Back it up with the database (without it the stored secrets cannot be decrypted), "+
		"or set "+envEncryptionKey+" in production", "key_file", path)
	return authos.ParseKeyring(encoded)
}

func readKeyFile(path string, logger *slog.Logger) (*authos.Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("the encryption key file is readable by other users; chmod 600 it", "key_file", path)
	}
	k, err := authos.ParseKeyring(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	logger.Warn(envEncryptionKey+" is not set: using the encryption key kept beside the database; "+
		"set "+envEncryptionKey+" in production", "key_file", path)
	return k, nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails (Go 1.24+)
	return k
}

// bootstrapOwner makes sure the account email exists, is verified and is a
// platform owner (authos.EnsurePlatformOwner). A new account gets password;
// an existing account keeps its password, unless it has none.
func bootstrapOwner(ctx context.Context, a *authos.Authos, email, password string) error {
	u, outcome, err := a.EnsurePlatformOwner(ctx, email, password)
	var ae *authos.Error
	switch {
	case errors.As(err, &ae) && ae.Code == authos.CodeInvalidEmail:
		return fmt.Errorf("%s: not a valid email address", envOwnerEmail)
	case errors.As(err, &ae) && ae.Code == authos.CodeWeakPassword:
		return fmt.Errorf("%s: %s", envOwnerPassword, ae.PublicMessage())
	case err != nil:
		return fmt.Errorf("bootstrapping the platform owner: %w", err)
	}
	log := a.Logger()
	log.Info("platform owner "+outcome, "email", u.Email)
	if outcome != authos.OwnerCreated {
		log.Info(envOwnerPassword + " is only used when the account has no password; the existing password was kept")
	}
	if u.Disabled {
		log.Warn("the platform owner account is disabled; it cannot log in", "email", u.Email)
	}
	return nil
}
