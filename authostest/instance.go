package authostest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/internal/validate"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// Instance is an authos instance built for one test by New. It embeds the
// *authos.Authos, so every method of the instance (Handler, RequireAuth,
// Register, ...) is called on it directly.
type Instance struct {
	*authos.Authos
	// Clock is the instance's clock (Config.Now). It starts at the time New
	// ran and moves only with Advance.
	Clock *Clock

	t      testing.TB
	mu     sync.Mutex
	emails []authos.Message
	events []authos.Event
}

// New returns an instance for a test: the memory store, a random keyring,
// FastHasher, a settable Clock, warnings logged to the test's output, and
// the outbox captured: Emails and Events deliver what waits in it and
// return it, without Run. configure may change any field of the
// authos.Config before the instance is built (a Mailer or OnEvent set there
// still receives every message, after the capture). The rate limits apply
// as configured: with the stopped clock the per-IP burst never refills, so
// a test sending many auth requests sets RateLimits.Disabled. New fails the
// test when authos.New refuses the configuration.
func New(t testing.TB, configure ...func(*authos.Config)) *Instance {
	t.Helper()
	i := &Instance{t: t, Clock: NewClock(time.Now().UTC().Truncate(time.Millisecond))}
	cfg := authos.Config{
		Store:   memory.New(),
		Keyring: Keyring(t),
		Hasher:  FastHasher{},
		Now:     i.Clock.Now,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	mailer, onEvent := cfg.Mailer, cfg.OnEvent
	cfg.Mailer = authos.MailerFunc(func(ctx context.Context, m authos.Message) error {
		if mailer != nil {
			if err := mailer.Send(ctx, m); err != nil {
				return err
			}
		}
		i.mu.Lock()
		i.emails = append(i.emails, m)
		i.mu.Unlock()
		return nil
	})
	cfg.OnEvent = func(ctx context.Context, ev authos.Event) error {
		if onEvent != nil {
			if err := onEvent(ctx, ev); err != nil {
				return err
			}
		}
		i.mu.Lock()
		i.events = append(i.events, ev)
		i.mu.Unlock()
		return nil
	}
	a, err := authos.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("authostest.New: %v", err)
	}
	i.Authos = a
	// The instance delivers its outbox itself (Emails, Events); saying so
	// keeps authos from warning that Run was never started.
	i.deliver()
	return i
}

// Emails delivers the messages waiting in the outbox and returns every email
// sent so far, oldest first.
func (i *Instance) Emails() []authos.Message {
	i.deliver()
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.emails)
}

// Events delivers the messages waiting in the outbox and returns every event
// delivered so far, oldest first.
func (i *Instance) Events() []authos.Event {
	i.deliver()
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.events)
}

// deliver runs the outbox until nothing due is left.
func (i *Instance) deliver() {
	for {
		n, err := i.ProcessOutbox(context.Background())
		if err != nil {
			i.t.Errorf("authostest: delivering the outbox: %v", err)
			return
		}
		if n == 0 {
			return
		}
	}
}

// Authos is the part of an *authos.Authos that Token signs in with. An
// *authos.Authos, an *Instance and a *Provider all satisfy it.
type Authos interface {
	Store() store.Storage
	Config() authos.Config
	Now() time.Time
	CompleteLogin(ctx context.Context, user authos.User, lc authos.LoginContext) (*authos.TokenResponse, error)
}

// TokenOption changes how Token signs the user in.
type TokenOption func(*tokenOptions)

type tokenOptions struct {
	lc       authos.LoginContext
	password string
	name     string
}

// Audience mints the token for aud (a service's audience) instead of the
// management audience.
func Audience(aud string) TokenOption {
	return func(o *tokenOptions) { o.lc.Audience = aud }
}

// AMR records the authentication methods (RFC 8176) the sign-in passed, in
// place of the password alone: AMR(authos.AMRPassword, authos.AMROTP) signs
// in a user whose second factor would otherwise be asked for.
func AMR(methods ...string) TokenOption {
	return func(o *tokenOptions) { o.lc.Method, o.lc.AMR = "", slices.Clone(methods) }
}

// Password is the password of the user when Token creates it (default: a
// random one), for tests that also sign in with it.
func Password(p string) TokenOption {
	return func(o *tokenOptions) { o.password = p }
}

// Name is the name of the user when Token creates it.
func Name(n string) TokenOption {
	return func(o *tokenOptions) { o.name = n }
}

// Token returns an access token of a session of the user with email, signed
// in through a's one login path (CompleteLogin, with amr ["pwd"] unless AMR
// says otherwise), as a login would: the token passes a.RequireAuth. It
// creates the user, with a verified email, when no account has that email;
// an existing account is signed in as it is. Token fails the test when the
// sign-in is refused (a disabled or unverified account, a second factor
// still needed).
func Token(t testing.TB, a Authos, email string, opts ...TokenOption) string {
	t.Helper()
	o := tokenOptions{lc: authos.LoginContext{Method: authos.AMRPassword}}
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	u, err := ensureUser(ctx, a, strings.TrimSpace(email), o)
	if err != nil {
		t.Fatalf("authostest.Token(%q): %v", email, err)
	}
	tr, err := a.CompleteLogin(ctx, u, o.lc)
	if err != nil {
		t.Fatalf("authostest.Token(%q): signing in: %v", email, err)
	}
	return tr.AccessToken
}

// ensureUser returns the account with email, creating it verified when
// there is none.
func ensureUser(ctx context.Context, a Authos, email string, o tokenOptions) (authos.User, error) {
	st := a.Store()
	u, err := st.GetUserByEmail(ctx, email)
	if !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	if !validate.Email(email) {
		return u, authos.NewError(authos.CodeInvalidEmail, "Invalid email format")
	}
	if o.password == "" {
		o.password = randx.Token(16)
	}
	hash, err := a.Config().Hasher.Hash(ctx, o.password)
	if err != nil {
		return u, err
	}
	now := a.Now()
	u = authos.User{ID: randx.ID(), Email: email, Name: o.name, EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	err = st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now})
	})
	if errors.Is(err, store.ErrConflict) { // created meanwhile by another caller
		return st.GetUserByEmail(ctx, email)
	}
	return u, err
}
