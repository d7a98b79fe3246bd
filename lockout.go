package authos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/store"
)

// passwordGate is the lockout state of one password check: the account-wide
// counter and the counter of the requesting address.
type passwordGate struct {
	email, clientIP     string
	accountKey, addrKey string
	account, addr       store.LoginFailures
}

// openGate reads both counters of email for clientIP and refuses with
// ACCOUNT_LOCKED while either is locked.
func (a *Authos) openGate(ctx context.Context, email, clientIP string) (*passwordGate, error) {
	g := &passwordGate{email: email, clientIP: clientIP, accountKey: lockoutkey.Account(email), addrKey: lockoutkey.Address(email, clientIP)}
	now := a.now()
	var err error
	if g.account, err = a.st.GetLoginFailures(ctx, g.accountKey); err != nil {
		return nil, dbError(err)
	}
	if g.account.LockedUntil.After(now) {
		return nil, a.accountLockedError(g.account.LockedUntil.Sub(now))
	}
	if g.addr, err = a.st.GetLoginFailures(ctx, g.addrKey); err != nil {
		return nil, dbError(err)
	}
	if g.addr.LockedUntil.After(now) {
		return nil, lockedError(g.addr.LockedUntil.Sub(now))
	}
	return g, nil
}

// fail counts one wrong password on both counters, atomically each, and
// records a user.locked event for the failure that locks (userID may be
// empty for unknown emails: then no event).
func (a *Authos) fail(ctx context.Context, g *passwordGate, userID string) error {
	now := a.now()
	l := a.cfg.Lockout
	addr, err := a.st.RecordLoginFailure(ctx, g.addrKey, now, l.Window, l.MaxFailures, l.Duration)
	if err != nil {
		return dbError(err)
	}
	account, err := a.st.RecordLoginFailure(ctx, g.accountKey, now, l.AccountWindow, l.AccountMaxFailures, l.accountLockFor())
	if err != nil {
		return dbError(err)
	}
	if userID == "" {
		return nil
	}
	if err := a.emit(ctx, a.st, Event{Type: event.UserLoginFailed, TargetID: userID, Data: map[string]any{"ip": g.clientIP}}); err != nil {
		a.log.Error("authos: recording failed login event", "error", err)
	}
	locked := func(scope string, lf store.LoginFailures, max int) {
		if lf.Count != max || !lf.LockedUntil.After(now) {
			return
		}
		data := map[string]any{"scope": scope, "ip": g.clientIP}
		if scope == "address" || l.AccountDuration > 0 {
			data["locked_until"] = lf.LockedUntil
		}
		if err := a.emit(ctx, a.st, Event{Type: event.UserLocked, TargetID: userID, Data: data}); err != nil {
			a.log.Error("authos: recording lock event", "error", err)
		}
	}
	locked("address", addr, l.MaxFailures)
	locked("account", account, l.AccountMaxFailures)
	return nil
}

// pass forgets the failures of a correct password: the address's counter
// and the account-wide one (NIST counts consecutive failures). Counters
// read as empty are not written.
func (a *Authos) pass(ctx context.Context, g *passwordGate) error {
	if g.addr.Count > 0 {
		if err := a.st.ClearLoginFailures(ctx, g.addrKey); err != nil {
			return dbError(err)
		}
	}
	if g.account.Count > 0 {
		if err := a.st.ClearLoginFailures(ctx, g.accountKey); err != nil {
			return dbError(err)
		}
	}
	return nil
}

// lockedError is ACCOUNT_LOCKED for a lock that ends after left.
func lockedError(left time.Duration) error {
	e := NewError(CodeAccountLocked, fmt.Sprintf("Too many failed sign-ins from this address; try again in %s", left.Round(time.Second)))
	e.RetryAfter = left
	return e
}

// accountLockedError is ACCOUNT_LOCKED for the account-wide ceiling.
func (a *Authos) accountLockedError(left time.Duration) error {
	if a.cfg.Lockout.AccountDuration <= 0 {
		return NewError(CodeAccountLocked, "Too many failed sign-ins; reset the password to unlock the account")
	}
	e := NewError(CodeAccountLocked, fmt.Sprintf("Too many failed sign-ins; try again in %s", left.Round(time.Second)))
	e.RetryAfter = left
	return e
}

type clientIPKey struct{}

// WithClientIP returns a context carrying the client address of the request
// being served. HandleJSON sets it (from Authos.ClientIP); hosts calling
// Reauthenticate, ChangePassword, ForgotPassword or ResendVerification
// directly set it so that throttling counts per address.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// clientIPFrom returns the client address set with WithClientIP, else the
// one of the request Handler is serving, or "".
func clientIPFrom(ctx context.Context) string {
	switch v := ctx.Value(clientIPKey{}).(type) {
	case string:
		return v
	case *requestCtx:
		return clientIP(v.remoteAddr, v.forwardedFor, v.a.cfg.TrustedProxies)
	}
	return ""
}

// Reauthenticate confirms, before a sensitive change (password, second
// factors, linked identities), that the caller is the account holder and
// not merely the bearer of a stolen access token. p must be a user's
// access-token principal. When the account has a password, currentPassword
// must be it: wrong guesses count into the same lockout as login, from the
// client address of ctx (WithClientIP). An account without a password
// needs a session that signed in within Config.ReauthMaxAge.
// INVALID_CREDENTIALS (missing or wrong password, stale session, no user
// session), ACCOUNT_LOCKED, FORBIDDEN (disabled account).
func (a *Authos) Reauthenticate(ctx context.Context, p *Principal, currentPassword string) error {
	if p == nil || p.Kind != PrincipalAccessToken || p.UserID == "" || p.SessionID == "" {
		return NewError(CodeInvalidCredentials, "This change needs a signed-in user to confirm it")
	}
	u, err := a.st.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return WrapError(CodeInvalidCredentials, "This change needs a signed-in user to confirm it", err)
	}
	if err != nil {
		return dbError(err)
	}
	if u.Disabled {
		return NewError(CodeForbidden, "Account is disabled")
	}
	cred, err := a.st.GetPassword(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a.reauthBySession(ctx, p)
	case err != nil:
		return dbError(err)
	}
	if currentPassword == "" {
		return NewError(CodeInvalidCredentials, "current_password is required to confirm this change")
	}
	if len(currentPassword) > 4*a.cfg.Password.MaxLength {
		return NewError(CodeInvalidCredentials, "Current password is wrong")
	}
	g, err := a.openGate(ctx, u.Email, clientIPFrom(ctx))
	if err != nil {
		return err
	}
	ok, _, err := a.hasher.Verify(ctx, currentPassword, cred.Hash)
	if err != nil {
		return err
	}
	if !ok {
		if err := a.fail(ctx, g, u.ID); err != nil {
			return err
		}
		return NewError(CodeInvalidCredentials, "Current password is wrong")
	}
	return a.pass(ctx, g)
}

// reauthBySession accepts an account without a password when the
// principal's session signed in within Config.ReauthMaxAge.
func (a *Authos) reauthBySession(ctx context.Context, p *Principal) error {
	s, err := a.st.GetSession(ctx, p.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return WrapError(CodeInvalidCredentials, "This change needs a signed-in user to confirm it", err)
	}
	if err != nil {
		return dbError(err)
	}
	now := a.now()
	if s.UserID != p.UserID || !s.RevokedAt.IsZero() || now.Sub(s.CreatedAt) > a.cfg.ReauthMaxAge {
		return NewError(CodeInvalidCredentials,
			fmt.Sprintf("Sign in again to confirm this change (a sign-in of the last %s is needed)", humanDuration(i18n.English, a.cfg.ReauthMaxAge)))
	}
	return nil
}

// staleFailuresAfter is the age of a failure-counter window after which an
// unlocked counter is deleted: the longest lockout window, at least a day
// (longer than the throttling windows of the domain packages).
func (a *Authos) staleFailuresAfter() time.Duration {
	return max(a.cfg.Lockout.Window, a.cfg.Lockout.AccountWindow, 24*time.Hour)
}
