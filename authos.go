package authos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/authos/authos/store"
)

// User is an account (the store's shape).
type User = store.User

// Authos is the core service: accounts, sessions, tokens and middleware. It
// is safe for concurrent use. Build it with New.
type Authos struct {
	cfg     Config
	st      store.Storage
	keyring *Keyring
	log     *slog.Logger
	hasher  PasswordHasher
	limiter RateLimiter

	keys      keySet
	parsers   sync.Map // audience -> *tokenParser
	revoked   *revocationCache
	tokens    *tokenCache // verified access tokens; nil when Config.TokenCache.Disabled
	dummyHash string
	templates map[string]map[string]*emailTemplate // language -> name
	pages     *accountPages

	discoveryMu sync.RWMutex
	discovery   map[string]any

	table       routeTable
	outboxWatch outboxWatch
	grants      grantRegistry
	signIn      *signInPages

	mu           sync.RWMutex
	secondFactor SecondFactor
	// signInMethods are the buttons of the hosted sign-in page.
	signInMethods []SignInMethod
	// hostSignInURL: the host set Pages.SignInURL, which replaces the
	// hosted sign-in page.
	hostSignInURL bool
	topics        map[string]OutboxHandler
	events        eventRegistry
	cleanups      []func(ctx context.Context) error
}

// New validates cfg, loads (or creates) the signing keys and returns the
// service. It fails early on bad configuration, never at request time.
func New(ctx context.Context, cfg Config) (*Authos, error) {
	hostSignInURL := cfg.Pages.SignInURL != ""
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tokens := newTokenCache(cfg.TokenCache)
	a := &Authos{
		cfg: cfg, st: cfg.Store, keyring: cfg.Keyring, log: cfg.Logger,
		hasher: nfkcHasher{cfg.Hasher}, limiter: cfg.RateLimiter,
		tokens:        tokens,
		revoked:       newRevocationCache(cfg, tokens),
		topics:        map[string]OutboxHandler{},
		hostSignInURL: hostSignInURL,
	}
	a.initEventTypes()
	if a.templates, err = parseTemplates(cfg.Templates); err != nil {
		return nil, err
	}
	if a.pages, err = newAccountPages(a); err != nil {
		return nil, err
	}
	// The hash that unknown emails are checked against, so that a login for
	// an unknown email costs the same as one for a known email.
	if a.dummyHash, err = a.hasher.Hash(ctx, "authos-dummy-password"); err != nil {
		return nil, startupError("password hasher", err)
	}
	if err := a.loadKeys(ctx); err != nil {
		return nil, startupError("loading signing keys", err)
	}
	a.topics[store.TopicEmail] = a.deliverEmail
	a.topics[store.TopicEvent] = a.deliverEvent
	a.topics[topicAccountMail] = a.deliverAccountMail
	if a.signIn, err = newSignInPages(a); err != nil {
		return nil, fmt.Errorf("authos: Config.Pages.Templates: %w", err)
	}
	if err := a.registerCoreGrants(); err != nil {
		return nil, err
	}
	if err := a.register(a.coreRoutes()...); err != nil {
		return nil, err
	}
	return a, nil
}

// Config returns the effective configuration (defaults filled in).
func (a *Authos) Config() Config { return a.cfg }

// Store returns the storage backend.
func (a *Authos) Store() store.Storage { return a.st }

// Keyring returns the secrets keyring, for domain packages that keep secrets.
func (a *Authos) Keyring() *Keyring { return a.keyring }

// Logger returns the configured logger.
func (a *Authos) Logger() *slog.Logger { return a.log }

// Now returns the current time of the configured clock.
func (a *Authos) Now() time.Time { return a.now() }

func (a *Authos) now() time.Time { return a.cfg.Now().UTC().Truncate(time.Millisecond) }

// WriteError writes err in the JSON envelope, logging internal causes with
// the configured logger. The message is in the request's Accept-Language,
// else Config.DefaultLanguage.
func (a *Authos) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeErrorAt(w, r, err, a.log, a.cfg.Now(), a.cfg.DefaultLanguage)
}

// Run does the background work until ctx ends: delivering the outbox
// (email, events), receiving the revocations other instances announce
// (Config.Revocations, a store with store.RevocationFeed) and refreshing the
// revocation set from the store, and hourly deleting
// expired tokens and stale failure counters (unlocked, with a window older
// than the longest lockout window and a day) and running the Extension.AddCleanup
// functions. Run it in one or in
// every instance; work is claimed from the store. Without it (or calls to
// ProcessOutbox) no email is sent: when a queued message is still waiting
// 10 s later and neither has been called, the instance logs one warning.
func (a *Authos) Run(ctx context.Context) error {
	a.outboxWatch.delivering.Store(true)
	var listeners sync.WaitGroup
	defer listeners.Wait()
	a.listenRevocations(ctx, &listeners)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastCleanup time.Time
	for {
		if _, err := a.ProcessOutbox(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("authos: outbox", "error", err)
		}
		if err := a.revoked.sync(ctx, a); err != nil && ctx.Err() == nil {
			a.log.Error("authos: revocation sync", "error", err)
		}
		if now := a.now(); now.Sub(lastCleanup) > time.Hour {
			lastCleanup = now
			if err := a.Cleanup(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("authos: cleanup", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Cleanup does the housekeeping Run performs hourly, once: it deletes
// expired one-time tokens, stale login-failure counters, authorization
// requests and codes an hour past their expiry, and the accounts whose address was never verified
// and whose last verification link has expired (their address is free
// again; accounts holding a membership are kept), then runs the Extension.AddCleanup
// functions. A host that schedules its own jobs may call it instead of
// relying on Run.
func (a *Authos) Cleanup(ctx context.Context) error {
	now := a.now()
	var errs []error
	if _, err := a.st.DeleteExpiredTokens(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("deleting expired tokens: %w", err))
	}
	if _, err := a.st.DeleteStaleLoginFailures(ctx, now.Add(-a.staleFailuresAfter()), now); err != nil {
		errs = append(errs, fmt.Errorf("deleting stale login failures: %w", err))
	}
	n, err := a.st.DeleteUnverifiedUsers(ctx, now.Add(-a.cfg.EmailVerificationTTL), now)
	if err != nil {
		errs = append(errs, fmt.Errorf("deleting unverified accounts: %w", err))
	} else if n > 0 {
		a.log.Info("authos: removed accounts whose email was never verified", "count", n)
	}
	if ss, ok := store.As[store.SignInStore](a.st); ok {
		if _, err := ss.DeleteExpiredSignIn(ctx, now.Add(-usedCodeKeep)); err != nil {
			errs = append(errs, fmt.Errorf("deleting expired authorization requests and codes: %w", err))
		}
	}
	a.mu.RLock()
	cleanups := slices.Clone(a.cleanups)
	a.mu.RUnlock()
	for _, fn := range cleanups {
		if err := fn(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addCleanup is Extension.AddCleanup: registers periodic housekeeping (e.g. deleting expired rows of
// a domain package) that Run performs hourly with the core's own cleanup.
func (a *Authos) addCleanup(fn func(ctx context.Context) error) {
	a.mu.Lock()
	a.cleanups = append(a.cleanups, fn)
	a.mu.Unlock()
}

// startupError keeps err matchable (errors.Is with its code) while putting
// the internal cause in the message: New runs before any client is served,
// and the operator needs the cause.
func startupError(what string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Err != nil {
		return fmt.Errorf("authos: %s: %w (cause: %v)", what, err, e.Err)
	}
	return fmt.Errorf("authos: %s: %w", what, err)
}

// dbError maps a storage failure to DATABASE_ERROR, keeping catalog errors.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return WrapError(CodeDatabaseError, "", err)
}
