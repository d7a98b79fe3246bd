package authos

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// RegisterInput is a sign-up request.
type RegisterInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
}

// Register creates an unverified account with a password and queues the
// verification email in the same transaction. An address held by an
// account that was never verified is not taken: whoever registers it again
// replaces the pending password and name, the older verification links
// stop working, and a new one is sent, so only the owner of the mailbox
// ever activates the account (pre-account hijacking); the answer is the
// same as for a new account. INVALID_EMAIL, WEAK_PASSWORD,
// USER_ALREADY_EXISTS (a verified, disabled or platform-owner account).
func (a *Authos) Register(ctx context.Context, in RegisterInput) (User, error) {
	email := normalizeEmail(in.Email)
	if err := validateEmail(email); err != nil {
		return User{}, err
	}
	name, err := optionalName(in.Name)
	if err != nil {
		return User{}, err
	}
	now := a.now()
	u := User{ID: randx.ID(), Email: email, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := a.cfg.Password.Validate(ctx, in.Password, u); err != nil {
		return User{}, err
	}
	exists := NewError(CodeUserAlreadyExists, "An account with this email already exists")
	if cur, err := a.st.GetUserByEmail(ctx, email); err == nil && !pendingAccount(cur) {
		return User{}, exists
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return User{}, dbError(err)
	}
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	var revoked []string
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		replaced := false
		cur, err := tx.GetUserByEmail(ctx, email)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		case err != nil:
			return err
		case !pendingAccount(cur):
			return exists
		default:
			replaced = true
			cur.Email, cur.Name, cur.UpdatedAt = email, name, now
			if err := tx.UpdateUser(ctx, cur); err != nil {
				return err
			}
			// Nothing the earlier registrant was sent may still act on
			// the account (queueVerification voids the verification links).
			for _, purpose := range []string{store.PurposeResetPassword, store.PurposePreAuth} {
				if err := tx.DeleteUserTokens(ctx, cur.ID, purpose); err != nil {
					return err
				}
			}
			if revoked, err = tx.RevokeUserSessions(ctx, cur.ID, "", now); err != nil {
				return err
			}
			u = cur
		}
		if err := tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now}); err != nil {
			return err
		}
		if err := a.queueVerification(ctx, tx, u); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserSignup, ActorID: u.ID, TargetID: u.ID,
			Data: map[string]any{"email": u.Email, "replaced_pending": replaced}})
	})
	if errors.Is(err, store.ErrConflict) {
		return User{}, exists
	}
	if err != nil {
		return User{}, dbError(err)
	}
	a.sessionsRevoked(ctx, revoked, now, false)
	return u, nil
}

// pendingAccount reports whether u is an account nobody has proven to own
// yet: never verified, and neither disabled nor a platform owner.
func pendingAccount(u User) bool { return !u.EmailVerified && !u.Disabled && !u.IsPlatformOwner }

// queueVerification replaces the user's verification tokens by a new one and
// queues its email.
func (a *Authos) queueVerification(ctx context.Context, tx store.Tx, u User) error {
	link, err := a.newLinkToken(ctx, tx, u.ID, store.PurposeVerifyEmail, a.cfg.EmailVerificationTTL, linkPage(ctx, a.cfg.VerifyEmailURL))
	if err != nil {
		return err
	}
	return a.enqueueEmail(ctx, tx, templateVerifyEmail, u.Email, EmailData{Name: u.Name, Link: link,
		ExpiresIn: humanDuration(a.language(ctx), a.cfg.EmailVerificationTTL)})
}

// newLinkToken stores a fresh single-use token (hashed), voiding older ones
// of the same purpose, and returns the link carrying the secret.
func (a *Authos) newLinkToken(ctx context.Context, tx store.Tx, userID, purpose string, ttl time.Duration, page string) (string, error) {
	if err := tx.DeleteUserTokens(ctx, userID, purpose); err != nil {
		return "", err
	}
	return a.createLinkToken(ctx, tx, userID, purpose, a.now(), ttl, page)
}

// createLinkToken stores a fresh single-use token (hashed), requested at
// requested and valid for ttl from now, and returns the link carrying the
// secret.
func (a *Authos) createLinkToken(ctx context.Context, tx store.Tx, userID, purpose string, requested time.Time, ttl time.Duration, page string) (string, error) {
	secret := randx.Token(32)
	now := a.now()
	if err := tx.CreateToken(ctx, store.OneTimeToken{Hash: hashx.SHA256Hex(secret), Purpose: purpose, UserID: userID,
		CreatedAt: requested, ExpiresAt: now.Add(ttl)}); err != nil {
		return "", err
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + "token=" + url.QueryEscape(secret), nil
}

// consumeLinkToken consumes an emailed token: INVALID_TOKEN when it is
// unknown, used or expired.
func (a *Authos) consumeLinkToken(ctx context.Context, tx store.Tx, purpose, secret string) (store.OneTimeToken, error) {
	if secret == "" || len(secret) > 256 {
		return store.OneTimeToken{}, NewError(CodeInvalidToken, "Token is invalid, expired or already used")
	}
	t, err := tx.ConsumeToken(ctx, purpose, hashx.SHA256Hex(secret), a.now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
		return t, WrapError(CodeInvalidToken, "Token is invalid, expired or already used", err)
	}
	return t, err
}

// VerifyEmail consumes a verification token and marks the email verified.
func (a *Authos) VerifyEmail(ctx context.Context, token string) (User, error) {
	var u User
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		t, err := a.consumeLinkToken(ctx, tx, store.PurposeVerifyEmail, token)
		if err != nil {
			return err
		}
		if u, err = tx.GetUser(ctx, t.UserID); err != nil {
			return err
		}
		if u.EmailVerified {
			return nil
		}
		u.EmailVerified, u.UpdatedAt = true, a.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserEmailVerified, ActorID: u.ID, TargetID: u.ID})
	})
	return u, dbError(err)
}

// ResendVerification sends a new verification email when email belongs to
// an unverified account (the new link voids the older ones). It answers the
// same, after the same work, whether or not it does: the request is queued
// and the outbox worker looks the account up. Limited per email and client
// address (ctx, see WithClientIP) and per email (RateLimits).
func (a *Authos) ResendVerification(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	if err := validateEmail(email); err != nil {
		return err
	}
	if err := a.limitAccount(ctx, "resend", email); err != nil {
		return err
	}
	return a.queueAccountMail(ctx, mailKindVerify, email)
}

// LoginInput is a password login.
type LoginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// Org optionally scopes the management token to one organization
	// (slug): the user must be a member, and the token carries its org claim.
	Org string `json:"org,omitempty"`
	// ClientIP and UserAgent are recorded on the session.
	ClientIP  string `json:"-"`
	UserAgent string `json:"-"`
}

// Login checks email and password and finishes through CompleteLogin. The
// account is protected by the lockout (see Lockout: per email and client
// address, and per email); the per-IP limit applies over HTTP. A login
// scoped to an organization (Org) needs the user's membership and an active
// organization.
// INVALID_CREDENTIALS (the same answer, after the same hashing work, for an
// unknown email), ACCOUNT_LOCKED (with retry_after while it is temporary),
// EMAIL_NOT_VERIFIED, MFA_REQUIRED, RATE_LIMIT_EXCEEDED,
// ORGANIZATION_NOT_ACTIVE; SERVICE_UNAVAILABLE with Retry-After when the
// Argon2id pool is full (see HashPool), answered before the store is read.
func (a *Authos) Login(ctx context.Context, in LoginInput) (*TokenResponse, error) {
	if in.ClientIP == "" {
		in.ClientIP = clientIPFrom(ctx)
	}
	user, err := a.checkPassword(ctx, in.Email, in.Password, in.ClientIP)
	if err != nil {
		return nil, err
	}
	lc := LoginContext{Method: AMRPassword, ClientIP: in.ClientIP, UserAgent: in.UserAgent}
	if in.Org != "" {
		o, _, err := a.OrgAccess(ctx, &Principal{Kind: PrincipalAccessToken, UserID: user.ID}, in.Org, store.RoleMember)
		if err != nil {
			return nil, err
		}
		if err := requireActive(o); err != nil {
			return nil, err
		}
		lc.OrgID, lc.Org = o.ID, o.Slug
	}
	return a.CompleteLogin(ctx, user, lc)
}

// checkPassword checks email and password behind the lockout (see Login)
// and returns the account; the hosted sign-in page and Login share it.
func (a *Authos) checkPassword(ctx context.Context, email, password, clientIP string) (User, error) {
	email = normalizeEmail(email)
	if email == "" || password == "" {
		return User{}, NewError(CodeBadRequest, "email and password are required")
	}
	if err := CheckIdentifier("email", email); err != nil {
		return User{}, err
	}
	if len(email) > 254 || len(password) > 4*a.cfg.Password.MaxLength {
		return User{}, NewError(CodeInvalidCredentials, "Invalid email or password")
	}
	// A login the hash pool would refuse is refused before the store is
	// read: under a flood, the refused requests cost no queries and hold
	// nothing while others hash (the refusal does not depend on the account).
	if h, ok := a.hasher.(nfkcHasher); ok {
		if err := h.refusesNow(); err != nil {
			return User{}, err
		}
	}
	now := a.now()
	gate, err := a.openGate(ctx, email, clientIP)
	if err != nil {
		return User{}, err
	}
	user, uerr := a.st.GetUserByEmail(ctx, email)
	if uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
		return User{}, dbError(uerr)
	}
	encoded := a.dummyHash
	if uerr == nil {
		cred, err := a.st.GetPassword(ctx, user.ID)
		switch {
		case err == nil:
			encoded = cred.Hash
		case !errors.Is(err, store.ErrNotFound):
			return User{}, dbError(err)
		}
	}
	ok, rehash, err := a.hasher.Verify(ctx, password, encoded)
	if err != nil {
		return User{}, err
	}
	if uerr != nil || encoded == a.dummyHash || !ok {
		if err := a.fail(ctx, gate, user.ID); err != nil {
			return User{}, err
		}
		return User{}, NewError(CodeInvalidCredentials, "Invalid email or password")
	}
	if err := a.pass(ctx, gate); err != nil {
		return User{}, err
	}
	if rehash {
		if h, err := a.hasher.Hash(ctx, password); err == nil {
			if err := a.st.SetPassword(ctx, store.PasswordCredential{UserID: user.ID, Hash: h, UpdatedAt: now}); err != nil {
				a.log.Error("authos: storing upgraded password hash", "error", err)
			}
		}
	}
	return user, nil
}

// ForgotPassword sends a reset email when email belongs to an enabled
// account. It answers the same, after the same work, whether or not it does:
// the request is queued and the outbox worker looks the account up. A new
// link does not void the earlier ones: the account keeps its three newest
// live links. Limited per email and client address (ctx, see WithClientIP)
// and per email (RateLimits), so requests from other addresses cannot use
// up the owner's budget.
func (a *Authos) ForgotPassword(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	if err := validateEmail(email); err != nil {
		return err
	}
	if err := a.limitAccount(ctx, "forgot", email); err != nil {
		return err
	}
	return a.queueAccountMail(ctx, mailKindReset, email)
}

// ResetPassword consumes a reset token and sets the new password; every
// session of the user is revoked, every pending sign-in (preauth), reset
// and verification token voided, and every lock of the account cleared.
// Reset does not log in, so an enabled second factor is never bypassed.
// INVALID_TOKEN, WEAK_PASSWORD.
func (a *Authos) ResetPassword(ctx context.Context, token, password string) error {
	if token == "" {
		return NewError(CodeInvalidToken, "Token is invalid, expired or already used")
	}
	// Validate and hash before the transaction (hashing is slow); the token
	// is only consumed if everything else succeeds.
	t, err := a.st.GetToken(ctx, store.PurposeResetPassword, hashx.SHA256Hex(token), a.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
			return WrapError(CodeInvalidToken, "Token is invalid, expired or already used", err)
		}
		return dbError(err)
	}
	u, err := a.st.GetUser(ctx, t.UserID)
	if err != nil {
		return dbError(err)
	}
	if err := a.cfg.Password.Validate(ctx, password, u); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	var revoked []string
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		t, err := a.consumeLinkToken(ctx, tx, store.PurposeResetPassword, token)
		if err != nil {
			return err
		}
		now := a.now()
		u, err := tx.GetUser(ctx, t.UserID)
		if err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now}); err != nil {
			return err
		}
		if !u.EmailVerified { // the reset proved control of the address
			u.EmailVerified, u.UpdatedAt = true, now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		if revoked, err = tx.RevokeUserSessions(ctx, u.ID, "", now); err != nil {
			return err
		}
		// Every lock of the account goes: the account-wide ceiling and the
		// per-address locks.
		if err := tx.ClearLoginFailureScope(ctx, lockoutkey.Account(u.Email)); err != nil {
			return err
		}
		if err := voidCredentialTokens(ctx, tx, u.ID); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserPasswordReset, ActorID: u.ID, TargetID: u.ID,
			Data: map[string]any{"sessions_revoked": len(revoked)}})
	})
	if err != nil {
		return dbError(err)
	}
	a.sessionsRevoked(ctx, revoked, a.now(), false)
	return nil
}

// PasswordChange is the body of a password change (ChangePassword).
type PasswordChange struct {
	// CurrentPassword re-authenticates the change (see Reauthenticate).
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword sets the password of p's user to in.NewPassword after
// re-authentication (Reauthenticate with in.CurrentPassword: the current
// password, or for an account without one a recent sign-in), revokes every other session of the user
// and voids every pending sign-in (preauth), reset and verification token.
// INVALID_CREDENTIALS, ACCOUNT_LOCKED, WEAK_PASSWORD.
func (a *Authos) ChangePassword(ctx context.Context, p *Principal, in PasswordChange) error {
	current, next := in.CurrentPassword, in.NewPassword
	if err := a.Reauthenticate(ctx, p, current); err != nil {
		return err
	}
	u, err := a.st.GetUser(ctx, p.UserID)
	if err != nil {
		return dbError(err)
	}
	if err := a.cfg.Password.Validate(ctx, next, u); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		if err := tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now}); err != nil {
			return nil, err
		}
		if err := voidCredentialTokens(ctx, tx, u.ID); err != nil {
			return nil, err
		}
		if err := a.emit(ctx, tx, Event{Type: event.UserPasswordChanged, ActorID: u.ID, TargetID: u.ID}); err != nil {
			return nil, err
		}
		return tx.RevokeUserSessions(ctx, u.ID, p.SessionID, now)
	}, u.ID)
}

// voidCredentialTokens deletes the user's pending sign-ins (preauth), reset
// and verification tokens: what was issued under the old password stops.
func voidCredentialTokens(ctx context.Context, tx store.Tx, userID string) error {
	for _, purpose := range []string{store.PurposePreAuth, store.PurposeResetPassword, store.PurposeVerifyEmail} {
		if err := tx.DeleteUserTokens(ctx, userID, purpose); err != nil {
			return err
		}
	}
	return nil
}

// Profile is the public view of a user (the User schema of openapi.yaml).
type Profile struct {
	ID              string    `json:"id"`
	Email           string    `json:"email"`
	Name            string    `json:"name"`
	EmailVerified   bool      `json:"email_verified"`
	MFAEnabled      bool      `json:"mfa_enabled"`
	IsPlatformOwner bool      `json:"is_platform_owner"`
	CreatedAt       time.Time `json:"created_at"`
}

// MFAStatus reports whether a user has a second factor; the mfa package
// provides it through Extension.SetSecondFactor when its hook implements it.
type MFAStatus interface {
	MFAEnabled(ctx context.Context, userID string) (bool, error)
}

// userMFAStatus is an MFAStatus that reads the user together with the
// status, in one store query (the mfa package's hook); GetProfile prefers
// it. Store errors come back as they are.
type userMFAStatus interface {
	UserMFAStatus(ctx context.Context, userID string) (User, bool, error)
}

// GetProfile returns the user's profile.
func (a *Authos) GetProfile(ctx context.Context, userID string) (Profile, error) {
	a.mu.RLock()
	sf := a.secondFactor
	a.mu.RUnlock()
	var (
		u   User
		mfa bool
		err error
	)
	um, joined := sf.(userMFAStatus)
	if joined {
		u, mfa, err = um.UserMFAStatus(ctx, userID)
	} else {
		u, err = a.st.GetUser(ctx, userID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Profile{}, NewError(CodeNotFound, "User not found")
	}
	if err != nil {
		return Profile{}, dbError(err)
	}
	if st, ok := sf.(MFAStatus); ok && !joined {
		if mfa, err = st.MFAEnabled(ctx, userID); err != nil {
			return Profile{}, err
		}
	}
	return Profile{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, MFAEnabled: mfa,
		IsPlatformOwner: u.IsPlatformOwner, CreatedAt: u.CreatedAt}, nil
}

// ProfileUpdate holds the fields a user may change themselves. Email
// changes need their own verified flow and are not accepted here.
type ProfileUpdate struct {
	Name *string `json:"name,omitempty"`
}

// UpdateProfile applies upd. NAME_TOO_LONG.
func (a *Authos) UpdateProfile(ctx context.Context, userID string, upd ProfileUpdate) (Profile, error) {
	err := a.st.Tx(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if upd.Name != nil {
			if u.Name, err = optionalName(*upd.Name); err != nil {
				return err
			}
		}
		u.UpdatedAt = a.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.UserUpdated, ActorID: userID, TargetID: userID})
	})
	if errors.Is(err, store.ErrNotFound) {
		return Profile{}, NewError(CodeNotFound, "User not found")
	}
	if err != nil {
		return Profile{}, dbError(err)
	}
	return a.GetProfile(ctx, userID)
}

// optionalName validates a person's display name: empty, or 2–100
// characters after trimming (NAME_TOO_SHORT / NAME_TOO_LONG).
func optionalName(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil
	}
	return validateName(name)
}

// SessionInfo is a session as its owner sees it.
type SessionInfo struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	AMR        []string  `json:"amr"`
	Current    bool      `json:"current"`
}

// ListSessions returns the user's active sessions, marking currentID.
func (a *Authos) ListSessions(ctx context.Context, userID, currentID string) ([]SessionInfo, error) {
	ss, err := a.st.ListUserSessions(ctx, userID, a.now())
	if err != nil {
		return nil, dbError(err)
	}
	out := make([]SessionInfo, 0, len(ss))
	for _, s := range ss {
		out = append(out, SessionInfo{ID: s.ID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
			UserAgent: s.UserAgent, IP: s.IP, AMR: s.AMR, Current: s.ID == currentID})
	}
	return out, nil
}

// RevokeUserSession ends one of the sessions of p's user (p must be a
// user's access-token principal). Ending p's own session is a logout and
// needs nothing more. Ending another session needs re-authentication
// (Reauthenticate with currentPassword: the current password, or for an
// account without one a sign-in within Config.ReauthMaxAge), so a stolen
// access token cannot sign the owner out of their other devices.
// NOT_FOUND when the session is not the user's; INVALID_CREDENTIALS,
// ACCOUNT_LOCKED, FORBIDDEN from Reauthenticate.
func (a *Authos) RevokeUserSession(ctx context.Context, p *Principal, sessionID, currentPassword string) error {
	if p == nil || p.UserID == "" {
		return NewError(CodeUnauthorized, "Authentication required")
	}
	if sessionID == "" {
		return NewError(CodeNotFound, "Session not found")
	}
	if sessionID != p.SessionID {
		s, err := a.st.GetSession(ctx, sessionID)
		if errors.Is(err, store.ErrNotFound) || err == nil && s.UserID != p.UserID {
			return NewError(CodeNotFound, "Session not found")
		}
		if err != nil {
			return dbError(err)
		}
		if err := a.Reauthenticate(ctx, p, currentPassword); err != nil {
			return err
		}
	}
	return a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		s, err := tx.GetSession(ctx, sessionID)
		if err != nil {
			return nil, err
		}
		if s.UserID != p.UserID {
			return nil, store.ErrNotFound
		}
		return a.revokeWithFamilies(ctx, tx, s.ID, now)
	}, p.UserID)
}

// SignOutOtherSessions ends every session of p's user except p's own,
// after re-authentication as for RevokeUserSession, and returns how many
// it ended. INVALID_CREDENTIALS, ACCOUNT_LOCKED, FORBIDDEN.
func (a *Authos) SignOutOtherSessions(ctx context.Context, p *Principal, currentPassword string) (int, error) {
	if err := a.Reauthenticate(ctx, p, currentPassword); err != nil {
		return 0, err
	}
	var n int
	err := a.revokeSessions(ctx, func(tx store.Tx, now time.Time) ([]string, error) {
		ids, err := tx.RevokeUserSessions(ctx, p.UserID, p.SessionID, now)
		n = len(ids)
		return ids, err
	}, p.UserID)
	return n, err
}

// limitAccount applies the per-account rate limits to an action on email:
// the budget of the email for the client address of ctx, then the email's
// daily cap from all addresses.
func (a *Authos) limitAccount(ctx context.Context, action, email string) error {
	rl := a.cfg.RateLimits
	if rl.Disabled {
		return nil
	}
	key := "acct:" + action + ":" + hashx.SHA256Hex(strings.ToLower(email))
	if rl.PerAccount != (Limit{}) {
		if err := a.allow(ctx, key+"|ip:"+lockoutkey.BlockHash(clientIPFrom(ctx)), rl.PerAccount); err != nil {
			return err
		}
	}
	if rl.PerAccountDaily != (Limit{}) {
		return a.allow(ctx, key, rl.PerAccountDaily)
	}
	return nil
}

// allow consults the rate limiter: RATE_LIMIT_EXCEEDED with Retry-After.
func (a *Authos) allow(ctx context.Context, key string, l Limit) error {
	d, err := a.limiter.Allow(ctx, key, l)
	if err != nil {
		// A broken shared limiter must not open the gate: refuse briefly.
		a.log.Error("authos: rate limiter", "error", err)
		return WrapError(CodeServiceUnavailable, "Rate limiter unavailable; retry shortly", err)
	}
	if !d.Allowed {
		e := NewError(CodeRateLimitExceeded, "Too many requests; retry later")
		e.RetryAfter = max(d.RetryAfter, time.Second)
		return e
	}
	return nil
}
