package authos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/store"
)

// Config configures an Authos. Store and Keyring are required; every other
// field has a safe default. A zero duration means its default; a negative
// one is an error at New.
type Config struct {
	// Store holds all state (store/sqlite, store/postgres, store/memory).
	Store store.Storage
	// Keyring encrypts secrets at rest (signing keys, queued emails).
	Keyring *Keyring
	// Mailer delivers queued email. Default: log recipient and subject only.
	Mailer Mailer
	// BaseURL is the public URL of the service, used in emailed links and as
	// the default issuer. Links are never built from request headers.
	// Default http://localhost:8080.
	BaseURL string
	// BasePath is the path under which Handler serves every route, e.g.
	// "/id" for "/id/api/auth/login". Default: the path of BaseURL, so that
	// emailed links, discovery URLs and routes agree. Set "/" to serve at
	// the root when a proxy in front takes BaseURL's path off.
	BasePath string
	// LeaveOut names route groups Handler does not serve (organizations,
	// platform, billing); their Go methods stay.
	LeaveOut RouteGroups
	// Issuer is the iss of every token. Default BaseURL.
	Issuer string
	// ManagementAudience is the aud of tokens for the management API
	// (/api/...). Default Issuer.
	ManagementAudience string
	// SigningAlgorithm of new signing keys: EdDSA (default), ES256 or RS256 (3072-bit).
	SigningAlgorithm string
	// ProductName appears in emails. Default "authos".
	ProductName string

	// VerifyEmailURL and ResetPasswordURL are the pages the emailed links
	// open; "?token=..." is appended. Defaults BaseURL+"/verify-email" and
	// BaseURL+"/reset-password".
	VerifyEmailURL   string
	ResetPasswordURL string
	// Pages configures the account pages Handler serves at /verify-email
	// and /reset-password (sign-in link, templates, stylesheet) and the
	// look of every page, device's /activate too.
	Pages Pages
	// DefaultLanguage is the language of emails, pages and error messages
	// when a request's Accept-Language names none that authos has ("en",
	// "de"). Default "en".
	DefaultLanguage string

	AccessTokenTTL       time.Duration // default 15m
	RefreshTokenTTL      time.Duration // idle lifetime of a refresh token; default 14 days
	SessionLifetime      time.Duration // absolute lifetime of a session; default 30 days
	RefreshGrace         time.Duration // retry window of a rotated refresh token; default 10s
	EmailVerificationTTL time.Duration // default 24h
	PasswordResetTTL     time.Duration // default 1h
	PreAuthTTL           time.Duration // MFA step; default 5m
	// ReauthMaxAge is how recent the sign-in of a session must be for a
	// sensitive change (password, second factor) by an account that has no
	// password to confirm it with (see Authos.Reauthenticate). Default 5m,
	// at most 1h.
	ReauthMaxAge time.Duration
	// Leeway tolerated on exp/iat when verifying tokens. Default 30s, max 60s.
	Leeway time.Duration

	// Password rules for new passwords.
	Password PasswordPolicy
	// Hasher of passwords. Default Argon2id with defaultArgon2Params.
	Hasher PasswordHasher
	// Lockout of the password factor after repeated failures.
	Lockout Lockout

	// RateLimiter counts auth attempts. Default an in-process limiter.
	RateLimiter RateLimiter
	// RateLimits applied to the auth endpoints.
	RateLimits RateLimits
	// SignIn is the host's own front end as a built-in public client of
	// the authorization server; its tokens carry the management audience.
	// Off unless SignIn.RedirectURIs is set.
	SignIn HostClient
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes caps JSON request bodies. Default 64 KiB.
	MaxBodyBytes int64

	// AutoApproveOrgs makes new organizations active at once instead of
	// pending a platform owner's approval.
	AutoApproveOrgs bool
	// Tiers are the plans organizations can be on. Default DefaultTiers();
	// a "free" tier must exist (limits resolve override → tier → free).
	Tiers map[string]Tier
	// Billing is the payment integration (package billing/stripe). Optional:
	// without it the checkout and webhook routes answer NOT_FOUND.
	Billing Billing
	// InvitationTTL is how long an invitation stays valid. Default 7 days.
	InvitationTTL time.Duration
	// AcceptInvitationURL is the page the invitation email opens
	// ("?token=..." appended). Default BaseURL+"/accept-invitation".
	AcceptInvitationURL string
	// InvitationLimits throttle invitations per organization and per
	// inviter. Default 30 at once then 100/day, and 10 at once then 30/hour.
	InvitationLimits InvitationLimits
	// APIKeyTouchInterval bounds how often an API key's last_used_at is
	// written. Default 1 minute.
	APIKeyTouchInterval time.Duration

	// Templates override email templates by name ("verify_email",
	// "reset_password", "invitation") in every language, or by name and
	// language ("verify_email.de") in one. Default the catalog's, in the
	// language of the request that caused the email.
	Templates map[string]EmailTemplate
	// OnEvent receives every event from the outbox worker (after commit,
	// at least once). Optional.
	OnEvent func(ctx context.Context, ev Event) error

	// TokenCache keeps verified access tokens until their exp, so that a
	// token seen before costs a digest and two map lookups instead of a
	// signature check (see TokenCache). On by default; TokenCache.Disabled
	// turns it off.
	TokenCache TokenCache
	// Revocations carries session revocations to the other instances of a
	// deployment at once (package redisbus: Redis pub/sub). Optional: a
	// PostgreSQL store carries them itself (LISTEN/NOTIFY), and without
	// either the other instances learn of them from the store every
	// RevocationPoll. Pushed revocations are received while Run runs.
	Revocations RevocationBus
	// RevocationPoll is how often the revocation set is re-read from the
	// store while no push channel (Revocations, or the store's own) is up.
	// Default 500ms.
	RevocationPoll time.Duration
	// RevocationPollPushed is that period while a push channel is up; a
	// channel that breaks falls back to RevocationPoll until it is up
	// again. Default 30s.
	RevocationPollPushed time.Duration

	// Logger for server-side diagnostics. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Lockout throttles password guessing (NIST SP 800-63B §5.2.2, ASVS 6.3.1)
// without handing attackers a way to lock users out. Wrong passwords are
// counted twice: per account and client address, for a short lock that only
// that address sees (a sign-in from an address with no recent failures for
// the account is not locked out), and per account from every address, for
// a hard ceiling. Login, the password change and every re-authentication
// share these counters; unknown emails are counted like accounts, so a lock
// reveals nothing. A password reset clears every lock of the account.
// Client addresses are IPv4 addresses or IPv6 /64 prefixes.
type Lockout struct {
	// MaxFailures wrong passwords for an account from one client address
	// within Window lock the account for that address, for Duration.
	// Default 10 (or AccountMaxFailures if lower); 1..AccountMaxFailures.
	// A correct password restarts the count of its address and the
	// account-wide count (NIST counts consecutive failures).
	MaxFailures int
	Window      time.Duration // default 15m
	Duration    time.Duration // default 15m
	// AccountMaxFailures wrong passwords for an account from all addresses
	// together within AccountWindow lock it for every address until its
	// password is reset (or, when AccountDuration is set, for that long).
	// Default 100 (the NIST ceiling); at most 100.
	AccountMaxFailures int
	AccountWindow      time.Duration // default 24h
	AccountDuration    time.Duration // default 0: until a password reset
}

// untilReset is the lock duration standing for "until a password reset".
const untilReset = 100 * 365 * 24 * time.Hour

// accountLockFor is how long the account ceiling locks.
func (l Lockout) accountLockFor() time.Duration {
	if l.AccountDuration > 0 {
		return l.AccountDuration
	}
	return untilReset
}

// RateLimits are the limits applied to the auth endpoints (register, login,
// refresh, verify, resend, forgot, reset, password change). Zero Limits take
// the defaults; Disabled turns them all off.
type RateLimits struct {
	PerIP Limit // per client IP, every auth endpoint; default 60/min, burst 30
	// PerAccount limits resend-verification and forgot-password per email
	// and client address, so that requests from other addresses never use
	// up the budget of the owner's own address. Default 5 at once, then
	// 10/hour.
	PerAccount Limit
	// PerAccountDaily caps those requests per email from all addresses
	// together (against mail flooding). Default 20 a day.
	PerAccountDaily Limit
	// PerClient limits the token, revocation and introspection endpoints
	// per client_id. Default 300/min, burst 100.
	PerClient Limit
	// Disabled turns all auth rate limiting off.
	Disabled bool
}

// withDefaults fills zero values and validates; errors are configuration errors.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("authos: Config.Store is required")
	}
	if c.Keyring == nil {
		return c, errors.New("authos: Config.Keyring is required (see ParseKeyring)")
	}
	if err := c.checkDurations(); err != nil {
		return c, err
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:8080"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("authos: Config.BaseURL %q is not an absolute http(s) URL without query", c.BaseURL)
	} else if c.BasePath == "" {
		c.BasePath = u.Path
	}
	if c.BasePath = strings.TrimRight(c.BasePath, "/"); c.BasePath != "" &&
		(c.BasePath[0] != '/' || path.Clean(c.BasePath) != c.BasePath || strings.ContainsAny(c.BasePath, "{}?#% ")) {
		return c, fmt.Errorf("authos: Config.BasePath %q must be a clean absolute path such as /id", c.BasePath)
	}
	if c.Issuer == "" {
		c.Issuer = c.BaseURL
	}
	if c.ManagementAudience == "" {
		c.ManagementAudience = c.Issuer
	}
	switch c.SigningAlgorithm {
	case "":
		c.SigningAlgorithm = AlgEdDSA
	case AlgEdDSA, AlgES256, AlgRS256:
	default:
		return c, fmt.Errorf("authos: unsupported Config.SigningAlgorithm %q", c.SigningAlgorithm)
	}
	if c.ProductName == "" {
		c.ProductName = "authos"
	}
	if c.VerifyEmailURL == "" {
		c.VerifyEmailURL = c.BaseURL + "/verify-email"
	}
	if c.ResetPasswordURL == "" {
		c.ResetPasswordURL = c.BaseURL + "/reset-password"
	}
	if c.Pages.SignInURL == "" {
		c.Pages.SignInURL = c.BaseURL + "/"
	}
	if c.Pages.Stylesheet == "" {
		c.Pages.Stylesheet = page.DefaultStylesheet
	}
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = i18n.English
	}
	if i18n.Normalize(c.DefaultLanguage) != c.DefaultLanguage {
		return c, fmt.Errorf("authos: Config.DefaultLanguage %q is not one of %v", c.DefaultLanguage, i18n.Languages())
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, 15*time.Minute)
	def(&c.RefreshTokenTTL, 14*24*time.Hour)
	def(&c.SessionLifetime, 30*24*time.Hour)
	def(&c.RefreshGrace, 10*time.Second)
	def(&c.EmailVerificationTTL, 24*time.Hour)
	def(&c.PasswordResetTTL, time.Hour)
	def(&c.PreAuthTTL, 5*time.Minute)
	def(&c.ReauthMaxAge, 5*time.Minute)
	if c.ReauthMaxAge > time.Hour {
		return c, errors.New("authos: Config.ReauthMaxAge must be at most 1h")
	}
	def(&c.Leeway, 30*time.Second)
	def(&c.InvitationTTL, 7*24*time.Hour)
	def(&c.APIKeyTouchInterval, time.Minute)
	def(&c.RevocationPoll, 500*time.Millisecond)
	def(&c.RevocationPollPushed, 30*time.Second)
	if c.TokenCache.MaxEntries < 0 || c.TokenCache.MaxBytes < 0 {
		return c, errors.New("authos: Config.TokenCache.MaxEntries and MaxBytes must not be negative; use 0 for the default")
	}
	if c.TokenCache.MaxEntries == 0 {
		c.TokenCache.MaxEntries = defaultTokenCacheEntries
	}
	if c.TokenCache.MaxBytes == 0 {
		c.TokenCache.MaxBytes = defaultTokenCacheBytes
	}
	if c.AcceptInvitationURL == "" {
		c.AcceptInvitationURL = c.BaseURL + "/accept-invitation"
	}
	c.InvitationLimits = c.InvitationLimits.withDefaults()
	if c.Tiers == nil {
		c.Tiers = DefaultTiers()
	}
	if _, ok := c.Tiers[TierFree]; !ok {
		return c, errors.New("authos: Config.Tiers needs a \"free\" tier")
	}
	for name, t := range c.Tiers {
		if t.Name != name || t.MaxServices < -1 || t.MaxMembers < -1 {
			return c, fmt.Errorf("authos: Config.Tiers[%q] is inconsistent (Name must equal the key; limits -1 for unlimited or >= 0)", name)
		}
	}
	if c.Leeway > time.Minute {
		return c, errors.New("authos: Config.Leeway must be at most 60s")
	}
	if c.Password.MinLength == 0 {
		c.Password.MinLength = 8
	}
	if c.Password.MaxLength == 0 {
		c.Password.MaxLength = 256
	}
	c.Password.ContextWords = append(slices.Clone(c.Password.ContextWords), c.ProductName)
	if c.Password.MinLength < 8 || c.Password.MaxLength < 64 || c.Password.MaxLength > 1024 || c.Password.MinLength > c.Password.MaxLength {
		return c, errors.New("authos: Config.Password needs 8 <= MinLength <= MaxLength, 64 <= MaxLength <= 1024")
	}
	if c.Hasher == nil {
		h, err := NewArgon2id(defaultArgon2Params, 0)
		if err != nil {
			return c, err
		}
		c.Hasher = h
	}
	if c.Lockout.AccountMaxFailures == 0 {
		c.Lockout.AccountMaxFailures = 100
	}
	if c.Lockout.AccountMaxFailures < 1 || c.Lockout.AccountMaxFailures > 100 {
		return c, errors.New("authos: Config.Lockout.AccountMaxFailures must be 1..100 (NIST 800-63B)")
	}
	if c.Lockout.MaxFailures == 0 {
		c.Lockout.MaxFailures = min(10, c.Lockout.AccountMaxFailures)
	}
	if c.Lockout.MaxFailures < 1 || c.Lockout.MaxFailures > c.Lockout.AccountMaxFailures {
		return c, errors.New("authos: Config.Lockout.MaxFailures must be 1..AccountMaxFailures")
	}
	def(&c.Lockout.Window, 15*time.Minute)
	def(&c.Lockout.Duration, 15*time.Minute)
	def(&c.Lockout.AccountWindow, 24*time.Hour)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RateLimiter == nil {
		c.RateLimiter = newMemoryRateLimiter(c.Now)
	}
	if err := c.SignIn.check(); err != nil {
		return c, err
	}
	c.SignIn.RedirectURIs = slices.Clone(c.SignIn.RedirectURIs)
	c.SignIn.PostLogoutRedirectURIs = slices.Clone(c.SignIn.PostLogoutRedirectURIs)
	if c.RateLimits.PerClient == (Limit{}) {
		c.RateLimits.PerClient = Limit{Rate: 300, Period: time.Minute, Burst: 100}
	}
	if c.RateLimits.PerIP == (Limit{}) {
		c.RateLimits.PerIP = Limit{Rate: 60, Period: time.Minute, Burst: 30}
	}
	if c.RateLimits.PerAccount == (Limit{}) {
		c.RateLimits.PerAccount = Limit{Rate: 10, Period: time.Hour, Burst: 5}
	}
	if c.RateLimits.PerAccountDaily == (Limit{}) {
		c.RateLimits.PerAccountDaily = Limit{Rate: 20, Period: 24 * time.Hour, Burst: 20}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = defaultMaxBodyBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Mailer == nil {
		logger := c.Logger
		c.Mailer = MailerFunc(func(_ context.Context, m Message) error {
			logger.Warn("authos: no Mailer configured; email dropped", "to", m.To, "subject", m.Subject)
			return nil
		})
	}
	return c, nil
}
