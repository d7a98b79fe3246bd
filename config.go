package authos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos/store"
)

// Config configures an Authos. Store and Keyring are required; every other
// field has a safe default.
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

	AccessTokenTTL       time.Duration // default 15m
	RefreshTokenTTL      time.Duration // idle lifetime of a refresh token; default 14 days
	SessionLifetime      time.Duration // absolute lifetime of a session; default 30 days
	RefreshGrace         time.Duration // retry window of a rotated refresh token; default 10s
	EmailVerificationTTL time.Duration // default 24h
	PasswordResetTTL     time.Duration // default 1h
	PreAuthTTL           time.Duration // MFA step; default 5m
	// Leeway tolerated on exp/iat when verifying tokens. Default 30s, max 60s.
	Leeway time.Duration

	// Password rules for new passwords.
	Password PasswordPolicy
	// Hasher of passwords. Default Argon2id with DefaultArgon2Params.
	Hasher PasswordHasher
	// Lockout of the password factor after repeated failures.
	Lockout Lockout

	// RateLimiter counts auth attempts. Default an in-process limiter.
	RateLimiter RateLimiter
	// RateLimits applied to the auth endpoints.
	RateLimits RateLimits
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
	// "reset_password", "invitation").
	Templates map[string]EmailTemplate
	// OnEvent receives every event from the outbox worker (after commit,
	// at least once). Optional.
	OnEvent func(Event) error

	// Logger for server-side diagnostics. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Lockout locks the password factor of an account (or of an unknown email)
// after MaxFailures failures within Window, for Duration.
type Lockout struct {
	MaxFailures int           // default 10
	Window      time.Duration // default 15m
	Duration    time.Duration // default 15m
}

// RateLimits are the limits applied to the auth endpoints (register, login,
// refresh, verify, resend, forgot, reset). Zero Limits take the defaults;
// Disabled turns both off.
type RateLimits struct {
	PerIP      Limit // per client IP, every auth endpoint; default 60/min, burst 30
	PerAccount Limit // per email, resend-verification and forgot-password; default 5 at once, then 10/hour
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
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:8080"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("authos: Config.BaseURL %q is not an absolute http(s) URL", c.BaseURL)
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
	def(&c.Leeway, 30*time.Second)
	def(&c.InvitationTTL, 7*24*time.Hour)
	def(&c.APIKeyTouchInterval, time.Minute)
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
		h, err := NewArgon2id(DefaultArgon2Params, 0)
		if err != nil {
			return c, err
		}
		c.Hasher = h
	}
	if c.Lockout.MaxFailures == 0 {
		c.Lockout.MaxFailures = 10
	}
	if c.Lockout.MaxFailures < 1 || c.Lockout.MaxFailures > 100 {
		return c, errors.New("authos: Config.Lockout.MaxFailures must be 1..100 (NIST 800-63B)")
	}
	def(&c.Lockout.Window, 15*time.Minute)
	def(&c.Lockout.Duration, 15*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RateLimiter == nil {
		c.RateLimiter = NewMemoryRateLimiter(c.Now)
	}
	if c.RateLimits.PerIP == (Limit{}) {
		c.RateLimits.PerIP = Limit{Rate: 60, Period: time.Minute, Burst: 30}
	}
	if c.RateLimits.PerAccount == (Limit{}) {
		c.RateLimits.PerAccount = Limit{Rate: 10, Period: time.Hour, Burst: 5}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
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
