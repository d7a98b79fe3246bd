package authos

import (
	"errors"
	"fmt"
	"time"
)

// checkDurations refuses a negative duration anywhere in c: zero means "the
// default", and a negative TTL or window would silently become the default
// (or, for a rate limit, no limit), hiding a mistake such as a sign error.
func (c Config) checkDurations() error {
	fields := []struct {
		name string
		d    time.Duration
	}{
		{"AccessTokenTTL", c.AccessTokenTTL},
		{"RefreshTokenTTL", c.RefreshTokenTTL},
		{"SessionLifetime", c.SessionLifetime},
		{"RefreshGrace", c.RefreshGrace},
		{"EmailVerificationTTL", c.EmailVerificationTTL},
		{"PasswordResetTTL", c.PasswordResetTTL},
		{"PreAuthTTL", c.PreAuthTTL},
		{"ReauthMaxAge", c.ReauthMaxAge},
		{"Leeway", c.Leeway},
		{"InvitationTTL", c.InvitationTTL},
		{"APIKeyTouchInterval", c.APIKeyTouchInterval},
		{"RevocationPoll", c.RevocationPoll},
		{"RevocationPollPushed", c.RevocationPollPushed},
		{"Lockout.Window", c.Lockout.Window},
		{"Lockout.Duration", c.Lockout.Duration},
		{"Lockout.AccountWindow", c.Lockout.AccountWindow},
		{"Lockout.AccountDuration", c.Lockout.AccountDuration},
		{"RateLimits.PerIP.Period", c.RateLimits.PerIP.Period},
		{"RateLimits.PerAccount.Period", c.RateLimits.PerAccount.Period},
		{"RateLimits.PerAccountDaily.Period", c.RateLimits.PerAccountDaily.Period},
		{"RateLimits.PerClient.Period", c.RateLimits.PerClient.Period},
		{"InvitationLimits.PerOrg.Period", c.InvitationLimits.PerOrg.Period},
		{"InvitationLimits.PerInviter.Period", c.InvitationLimits.PerInviter.Period},
	}
	var errs []error
	for _, f := range fields {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("authos: Config.%s is negative (%v); use 0 for the default", f.name, f.d))
		}
	}
	return errors.Join(errs...)
}
