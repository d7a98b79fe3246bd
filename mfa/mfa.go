package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/store"
)

// Event types emitted (through the authos outbox, in the transaction of the
// change).
const (
	EventEnabled                = "mfa.enabled"
	EventDisabled               = "mfa.disabled"
	EventBackupCodesRegenerated = "mfa.backup_codes_regenerated"
	EventReset                  = "mfa.reset"
)

// AuditActionReset is the platform audit-log action of Reset.
const AuditActionReset = "reset_mfa"

// Throttling of code checks (see the package doc).
const (
	maxAttempts   = 5
	attemptWindow = 15 * time.Minute
	lockFor       = 15 * time.Minute
	qrSize        = 256 // pixels
	maxReasonLen  = 1000
)

// Config configures a Service. Every field is optional.
type Config struct {
	// Issuer names the service in authenticator apps: the prefix of the
	// otpauth label and its issuer parameter. Default: the authos
	// Config.ProductName. It may not contain a colon or control
	// characters, nor start or end with a space, and is at most 64 bytes.
	Issuer string
}

// maxIssuerLen caps Config.Issuer: authenticator apps show it on one line.
const maxIssuerLen = 64

// check fills the default issuer (product) and refuses one an authenticator
// app cannot show or the otpauth label cannot carry, naming every problem.
func (c *Config) check(product string) error {
	if c.Issuer == "" {
		c.Issuer = product
	}
	var errs []error
	if strings.Contains(c.Issuer, ":") {
		errs = append(errs, fmt.Errorf("mfa: Config.Issuer %q contains a colon, which the otpauth label cannot carry", c.Issuer))
	}
	if !utf8.ValidString(c.Issuer) || strings.ContainsFunc(c.Issuer, unicode.IsControl) {
		errs = append(errs, fmt.Errorf("mfa: Config.Issuer %q is not UTF-8 text without control characters", c.Issuer))
	}
	if strings.TrimSpace(c.Issuer) != c.Issuer {
		errs = append(errs, fmt.Errorf("mfa: Config.Issuer %q starts or ends with a space", c.Issuer))
	}
	if len(c.Issuer) > maxIssuerLen {
		errs = append(errs, fmt.Errorf("mfa: Config.Issuer is %d bytes long; at most %d", len(c.Issuer), maxIssuerLen))
	}
	return errors.Join(errs...)
}

// Service is the TOTP second factor. It is safe for concurrent use. Build it
// with New.
type Service struct {
	a   *authos.Authos
	st  storage
	cfg Config
}

var (
	_ authos.SecondFactor = (*Service)(nil)
	_ authos.MFAStatus    = (*Service)(nil)
)

// New builds the service, registers its routes with a (so a.Handler()
// serves them: the status and changes under /api/user/mfa need an access
// token, POST /api/auth/mfa/verify a preauth token, the reset a platform
// owner) and registers it as a's second factor, so logins of users with MFA enabled need a code from
// then on. It fails on an invalid cfg, and when a's store does not offer the
// MFA capability, store.MFAStore (the error matches errors.ErrUnsupported).
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("mfa: nil *authos.Authos")
	}
	if err := cfg.check(a.Config().ProductName); err != nil {
		return nil, err
	}
	st, err := newStorage(a.Store())
	if err != nil {
		return nil, err
	}
	s := &Service{a: a, st: st, cfg: cfg}
	if err := authos.Extend(a).Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	authos.Extend(a).SetSecondFactor(s)
	authos.Extend(a).RegisterEventTypes(eventTypes...)
	return s, nil
}

// eventTypes is the catalog entry of each event mfa emits.
var eventTypes = []authos.EventType{
	{Type: EventEnabled, Scope: event.ScopeUser,
		Description: "A user turned on TOTP two-factor authentication; their other sessions were revoked."},
	{Type: EventDisabled, Scope: event.ScopeUser,
		Description: "A user turned off two-factor authentication with a TOTP or backup code.",
		Example:     map[string]any{"method": "totp"}},
	{Type: EventBackupCodesRegenerated, Scope: event.ScopeUser,
		Description: "A user replaced their backup codes; the old ones no longer work.",
		Example:     map[string]any{"method": "totp"}},
	{Type: EventReset, Scope: event.ScopeUser,
		Description: "A platform owner turned off a user's two-factor authentication (a lost device); audited.",
		Example:     map[string]any{"reason": "Lost phone, identity checked by support"}},
}

// Required implements authos.SecondFactor: a login needs a code when the
// user has MFA enabled and has passed neither a one-time password nor a
// multi-factor sign-in at an identity provider (authos.AMRMFA).
func (s *Service) Required(ctx context.Context, user authos.User, lc authos.LoginContext) (bool, error) {
	if slices.Contains(lc.AMR, authos.AMROTP) || slices.Contains(lc.AMR, authos.AMRMFA) {
		return false, nil
	}
	return s.MFAEnabled(ctx, user.ID)
}

// MFAEnabled implements authos.MFAStatus: whether the user has an enabled
// factor (a pending setup does not count).
func (s *Service) MFAEnabled(ctx context.Context, userID string) (bool, error) {
	f, err := s.st.GetMFAFactor(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storeError(err)
	}
	return f.Enabled, nil
}

// UserMFAStatus returns the user with userID and whether they have an
// enabled factor, read together in one store query: GetProfile (GET
// /api/user) uses it in place of a user read and MFAEnabled. Store errors
// are returned as they are (store.ErrNotFound for an unknown user).
func (s *Service) UserMFAStatus(ctx context.Context, userID string) (authos.User, bool, error) {
	return s.st.GetUserMFA(ctx, userID)
}

// Status is a user's MFA state.
type Status struct {
	Enabled              bool `json:"enabled"`
	BackupCodesRemaining int  `json:"backup_codes_remaining"`
}

// Status returns the user's MFA state.
func (s *Service) Status(ctx context.Context, userID string) (Status, error) {
	on, err := s.MFAEnabled(ctx, userID)
	if err != nil || !on {
		return Status{}, err
	}
	n, err := s.st.CountBackupCodes(ctx, userID)
	if err != nil {
		return Status{}, storeError(err)
	}
	return Status{Enabled: true, BackupCodesRemaining: n}, nil
}

// Enrollment is what Setup returns: the new secret in the three forms an
// authenticator app accepts. It is shown once; the caller must not log or
// cache it (the handler serves it with Cache-Control: no-store).
type Enrollment struct {
	Secret     string `json:"secret"`      // base32 (RFC 4648), for typing in
	OTPAuthURL string `json:"otpauth_url"` // otpauth://totp/... Key URI
	QRPNG      []byte `json:"qr_png"`      // OTPAuthURL as a QR code PNG (base64 in JSON)
}

// Setup starts (or restarts) the enrollment of p's user: a new secret is
// stored encrypted and pending, replacing any earlier pending one, until
// Enable receives a valid code. The change needs re-authentication
// (authos.Reauthenticate with currentPassword). INVALID_CREDENTIALS,
// ACCOUNT_LOCKED, MFA_ALREADY_ENABLED when MFA is on; NOT_FOUND for an
// unknown user.
func (s *Service) Setup(ctx context.Context, p *authos.Principal, currentPassword string) (*Enrollment, error) {
	if err := s.a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return nil, err
	}
	userID := p.UserID
	u, err := s.st.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, authos.NewError(authos.CodeNotFound, "User not found")
	}
	if err != nil {
		return nil, storeError(err)
	}
	if on, err := s.MFAEnabled(ctx, userID); err != nil {
		return nil, err
	} else if on {
		return nil, alreadyEnabled()
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.Issuer, AccountName: u.Email,
		Period: period, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return nil, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	sealed, err := s.a.Keyring().Encrypt([]byte(key.Secret()), secretAAD(userID))
	if err != nil {
		return nil, err
	}
	now := s.a.Now()
	err = s.tx(ctx, func(tx mfaTx) error {
		f, err := tx.GetMFAFactor(ctx, userID)
		switch {
		case err == nil && f.Enabled:
			return alreadyEnabled()
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		return tx.PutMFAFactor(ctx, store.MFAFactor{UserID: userID, Secret: sealed, CreatedAt: now})
	})
	if err != nil {
		return nil, storeError(err)
	}
	return &Enrollment{Secret: key.Secret(), OTPAuthURL: key.URL(), QRPNG: qr.Bytes()}, nil
}

// Enable turns the pending factor of p's user on with a valid TOTP code
// from the app and returns BackupCodeCount new backup codes, shown once.
// Every other session of the user is revoked (they signed in without the
// new factor); p's own session stays. The change needs re-authentication
// (authos.Reauthenticate with currentPassword). INVALID_CREDENTIALS,
// ACCOUNT_LOCKED, INVALID_MFA_CODE (the factor stays pending),
// MFA_NOT_ENABLED (no setup), MFA_ALREADY_ENABLED, RATE_LIMIT_EXCEEDED,
// BAD_REQUEST (no code).
func (s *Service) Enable(ctx context.Context, p *authos.Principal, rawCode, currentPassword string) ([]string, error) {
	c, err := parseInput(rawCode)
	if err != nil {
		return nil, err
	}
	if err := s.a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return nil, err
	}
	if c.kind != kindTOTP {
		return nil, invalidCode()
	}
	userID := p.UserID
	shown, hashes := newBackupCodes(userID)
	var revoked []string
	err = s.withCode(ctx, userID, c, false, func(tx mfaTx, f store.MFAFactor, v verified) error {
		now := s.a.Now()
		f.Enabled, f.EnabledAt, f.LastStep = true, now, v.step
		if err := tx.PutMFAFactor(ctx, f); err != nil {
			return err
		}
		if err := tx.ReplaceBackupCodes(ctx, userID, hashes, now); err != nil {
			return err
		}
		if err := authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventEnabled, ActorID: userID, TargetID: userID}); err != nil {
			return err
		}
		revoked, err = s.a.RevokeOtherSessions(ctx, tx, userID, p.SessionID, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.a.SessionsRevoked(revoked)
	return shown, nil
}

// Disable turns MFA of p's user off with a valid TOTP or backup code: the
// factor and every backup code are deleted. No session is revoked. The
// change needs re-authentication (authos.Reauthenticate with
// currentPassword). INVALID_CREDENTIALS, ACCOUNT_LOCKED, INVALID_MFA_CODE,
// NO_BACKUP_CODES, MFA_NOT_ENABLED, RATE_LIMIT_EXCEEDED, BAD_REQUEST.
func (s *Service) Disable(ctx context.Context, p *authos.Principal, rawCode, currentPassword string) error {
	c, err := parseInput(rawCode)
	if err != nil {
		return err
	}
	if err := s.a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return err
	}
	userID := p.UserID
	return s.withCode(ctx, userID, c, true, func(tx mfaTx, _ store.MFAFactor, v verified) error {
		if err := tx.DeleteMFAFactor(ctx, userID); err != nil {
			return err
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventDisabled, ActorID: userID, TargetID: userID,
			Data: map[string]any{"method": v.method}})
	})
}

// RegenerateBackupCodes replaces every backup code of p's user by
// BackupCodeCount new ones (returned, shown once), given a valid TOTP or
// backup code and re-authentication (authos.Reauthenticate with
// currentPassword). Errors as Disable.
func (s *Service) RegenerateBackupCodes(ctx context.Context, p *authos.Principal, rawCode, currentPassword string) ([]string, error) {
	c, err := parseInput(rawCode)
	if err != nil {
		return nil, err
	}
	if err := s.a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return nil, err
	}
	userID := p.UserID
	shown, hashes := newBackupCodes(userID)
	err = s.withCode(ctx, userID, c, true, func(tx mfaTx, _ store.MFAFactor, v verified) error {
		if err := tx.ReplaceBackupCodes(ctx, userID, hashes, s.a.Now()); err != nil {
			return err
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventBackupCodesRegenerated, ActorID: userID, TargetID: userID,
			Data: map[string]any{"method": v.method}})
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}

// ResetRequest is a platform owner's reset of the MFA of user UserID
// (Reset; its Reason is also the body of POST
// /api/platform/users/{user_id}/mfa/reset).
type ResetRequest struct {
	UserID string `json:"-"`
	Reason string `json:"reason,omitempty"` // recorded in the audit log
}

// Reset turns off the MFA of in.UserID on a platform owner's behalf (a user
// who lost both app and backup codes), recording the action in the platform
// audit log with in.Reason, in the same transaction. No session is revoked;
// the user enrolls again. PLATFORM_OWNER_REQUIRED when actorID is not a
// platform owner, NOT_FOUND for an unknown user, MFA_NOT_ENABLED.
func (s *Service) Reset(ctx context.Context, actorID string, in ResetRequest) error {
	userID, reason := in.UserID, in.Reason
	if len(reason) > maxReasonLen {
		return authos.NewError(authos.CodeBadRequest, fmt.Sprintf("reason is longer than %d bytes", maxReasonLen))
	}
	owner, err := s.a.IsPlatformOwner(ctx, actorID)
	if err != nil {
		return err
	}
	if !owner {
		return authos.NewError(authos.CodePlatformOwnerRequired, "Platform owner access needed")
	}
	err = s.tx(ctx, func(tx mfaTx) error {
		if _, err := tx.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return authos.NewError(authos.CodeNotFound, "User not found")
		} else if err != nil {
			return err
		}
		f, err := tx.GetMFAFactor(ctx, userID)
		if errors.Is(err, store.ErrNotFound) || err == nil && !f.Enabled {
			return notEnabled()
		}
		if err != nil {
			return err
		}
		n, err := tx.CountBackupCodes(ctx, userID)
		if err != nil {
			return err
		}
		if err := tx.DeleteMFAFactor(ctx, userID); err != nil {
			return err
		}
		if err := tx.ClearLoginFailures(ctx, attemptKey(userID)); err != nil {
			return err
		}
		before := Status{Enabled: true, BackupCodesRemaining: n}
		if err := authos.Extend(s.a).Audit(ctx, tx, authos.AuditInput{ActorID: actorID, Action: AuditActionReset, TargetType: "user", TargetID: userID, Reason: reason, Before: before, After: Status{}}); err != nil {
			return err
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: EventReset, ActorID: actorID, TargetID: userID,
			Data: map[string]any{"reason": reason}})
	})
	return storeError(err)
}

// Verify finishes a login waiting for its second factor: preauthToken is
// the token of the MFA_REQUIRED answer, rawCode a TOTP or backup code. The
// token pair's session has amr [first factor, "otp"]. UNAUTHORIZED (unknown,
// used or expired token, or the pending login of the hosted sign-in page,
// which only that page finishes: refused before the code is checked, so a
// backup code sent with it stays usable), INVALID_MFA_CODE, NO_BACKUP_CODES,
// RATE_LIMIT_EXCEEDED (after 5 wrong codes for the token or 5 attempts of
// the user in 15 minutes), BAD_REQUEST.
func (s *Service) Verify(ctx context.Context, preauthToken, rawCode string) (*authos.TokenResponse, error) {
	if _, err := s.verifyCode(ctx, preauthToken, rawCode, true); err != nil {
		return nil, err
	}
	return authos.Extend(s.a).FinishPreAuth(ctx, preauthToken, authos.AMROTP)
}

// VerifyCode implements authos.SecondFactor: it checks rawCode (a TOTP or
// backup code, used up when accepted) for the login waiting under
// preauthToken with the throttles of Verify, and returns "otp"; the
// caller finishes the login.
func (s *Service) VerifyCode(ctx context.Context, preauthToken, rawCode string) (string, error) {
	return s.verifyCode(ctx, preauthToken, rawCode, false)
}

// verifyCode is VerifyCode; forAPI (Verify, the JSON endpoint) refuses,
// before the code is checked or used up, a login that only the hosted
// sign-in page may finish, as FinishPreAuth would after it.
func (s *Service) verifyCode(ctx context.Context, preauthToken, rawCode string, forAPI bool) (string, error) {
	if preauthToken == "" {
		return "", authos.NewError(authos.CodeBadRequest, "preauth_token is required")
	}
	c, err := parseInput(rawCode)
	if err != nil {
		return "", err
	}
	pa, err := authos.Extend(s.a).LookupPreAuth(ctx, preauthToken)
	if err != nil {
		return "", err
	}
	if forAPI && pa.HostedPage {
		return "", authos.NewError(authos.CodeUnauthorized, "Pre-authentication token is invalid or expired")
	}
	if c.kind == kindInvalid {
		return "", invalidCode()
	}
	userID := pa.User.ID
	if err := s.checkLocked(ctx, userID); err != nil {
		return "", err
	}
	if pa.Attempts >= maxAttempts {
		return "", rateLimited("Too many wrong codes for this sign-in; sign in again", max(pa.ExpiresAt.Sub(s.a.Now()), time.Second))
	}
	if err := s.countAttempt(ctx, userID); err != nil {
		return "", err
	}
	f, err := s.st.GetMFAFactor(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !f.Enabled {
		return "", notEnabled()
	}
	if err != nil {
		return "", storeError(err)
	}
	if _, err := s.check(ctx, s.st, f, c); err != nil {
		if isCodeError(err) {
			if _, ferr := authos.Extend(s.a).FailPreAuth(ctx, preauthToken); ferr != nil {
				return "", ferr
			}
		}
		return "", storeError(err)
	}
	if err := s.clearAttempts(ctx, userID); err != nil {
		return "", err
	}
	return authos.AMROTP, nil
}

// verified says how a code was accepted.
type verified struct {
	method string // "totp" or "backup_code"
	step   int64  // the TOTP step used
}

// withCode checks c against the user's factor, which must be enabled (or
// pending when wantEnabled is false), and runs then in the same transaction.
// The attempt counts against the user's throttle; a success clears it.
func (s *Service) withCode(ctx context.Context, userID string, c code, wantEnabled bool,
	then func(tx mfaTx, f store.MFAFactor, v verified) error) error {
	factor := func(ctx context.Context, st mfaTx) (store.MFAFactor, error) {
		f, err := st.GetMFAFactor(ctx, userID)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && !f.Enabled && wantEnabled:
			return f, notEnabled()
		case err == nil && f.Enabled && !wantEnabled:
			return f, alreadyEnabled()
		}
		return f, err
	}
	// State errors need no code and do not count as attempts.
	if _, err := factor(ctx, s.st); err != nil {
		return storeError(err)
	}
	if c.kind == kindInvalid {
		return invalidCode()
	}
	if err := s.checkLocked(ctx, userID); err != nil {
		return err
	}
	if err := s.countAttempt(ctx, userID); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx mfaTx) error {
		f, err := factor(ctx, tx)
		if err != nil {
			return err
		}
		v, err := s.check(ctx, tx, f, c)
		if err != nil {
			return err
		}
		return then(tx, f, v)
	})
	if err != nil {
		return storeError(err)
	}
	return s.clearAttempts(ctx, userID)
}

// check verifies c against factor f through tx and uses it up: a TOTP code
// records its time step, a backup code is consumed. INVALID_MFA_CODE,
// NO_BACKUP_CODES.
func (s *Service) check(ctx context.Context, tx mfaTx, f store.MFAFactor, c code) (verified, error) {
	now := s.a.Now()
	switch c.kind {
	case kindTOTP:
		secret, err := s.a.Keyring().Decrypt(f.Secret, secretAAD(f.UserID))
		if err != nil {
			return verified{}, err
		}
		step, ok := matchStep(string(secret), c.value, now, f.LastStep)
		if !ok {
			return verified{}, invalidCode()
		}
		if err := tx.UseTOTPStep(ctx, f.UserID, step); errors.Is(err, store.ErrUsed) {
			return verified{}, invalidCode() // replayed, or older than an accepted code
		} else if err != nil {
			return verified{}, err
		}
		return verified{method: "totp", step: step}, nil
	case kindBackup:
		err := tx.ConsumeBackupCode(ctx, f.UserID, backupHash(f.UserID, c.value), now)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) {
			n, cerr := tx.CountBackupCodes(ctx, f.UserID)
			if cerr != nil {
				return verified{}, cerr
			}
			if n == 0 {
				return verified{}, authos.NewError(authos.CodeNoBackupCodes, "No backup codes left; regenerate them")
			}
			return verified{}, invalidCode()
		}
		if err != nil {
			return verified{}, err
		}
		return verified{method: "backup_code"}, nil
	}
	return verified{}, invalidCode()
}

// attemptKey is the user's code-check counter in the store's
// LoginFailureStore.
func attemptKey(userID string) string { return "mfa:" + userID }

// checkLocked refuses while the user's code checks are locked.
func (s *Service) checkLocked(ctx context.Context, userID string) error {
	lf, err := s.st.GetLoginFailures(ctx, attemptKey(userID))
	if err != nil {
		return storeError(err)
	}
	if now := s.a.Now(); lf.LockedUntil.After(now) {
		return rateLimited("Too many wrong codes; try again later", lf.LockedUntil.Sub(now))
	}
	return nil
}

// countAttempt records one code check of the user before it runs, so that
// concurrent checks cannot exceed the limit: the counter is atomic, and an
// attempt past the limit is refused (the attempt that reaches it locks).
func (s *Service) countAttempt(ctx context.Context, userID string) error {
	now := s.a.Now()
	lf, err := s.st.RecordLoginFailure(ctx, attemptKey(userID), now, attemptWindow, maxAttempts, lockFor)
	if err != nil {
		return storeError(err)
	}
	if lf.Count > maxAttempts {
		return rateLimited("Too many wrong codes; try again later", max(lf.LockedUntil.Sub(now), time.Second))
	}
	return nil
}

// clearAttempts resets the user's counter after a success.
func (s *Service) clearAttempts(ctx context.Context, userID string) error {
	return storeError(s.st.ClearLoginFailures(ctx, attemptKey(userID)))
}

// parseInput parses a code field: BAD_REQUEST when it is empty.
func parseInput(raw string) (code, error) {
	if strings.TrimSpace(raw) == "" {
		return code{}, authos.NewError(authos.CodeBadRequest, "code is required")
	}
	return parseCode(raw), nil
}

func invalidCode() error {
	return authos.NewError(authos.CodeInvalidMFACode, "Invalid verification code")
}

func notEnabled() error {
	return authos.NewError(authos.CodeMFANotEnabled, "Two-step verification is not enabled")
}

func alreadyEnabled() error {
	return authos.NewError(authos.CodeMFAAlreadyEnabled, "Two-step verification is already enabled")
}

func rateLimited(msg string, retry time.Duration) error {
	e := authos.NewError(authos.CodeRateLimitExceeded, msg)
	e.RetryAfter = retry
	return e
}

// isCodeError reports whether err is the answer to a wrong code.
func isCodeError(err error) bool {
	return errors.Is(err, authos.CodeInvalidMFACode) || errors.Is(err, authos.CodeNoBackupCodes)
}

// storeError keeps catalog errors and turns any other failure into
// DATABASE_ERROR (the cause is logged, never sent).
func storeError(err error) error {
	if err == nil {
		return nil
	}
	var e *authos.Error
	if errors.As(err, &e) {
		return e
	}
	return authos.WrapError(authos.CodeDatabaseError, "", err)
}
