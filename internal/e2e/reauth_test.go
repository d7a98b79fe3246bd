package e2e_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// TestChangePasswordCountsIntoLockout reproduces the password oracle: wrong
// current_password guesses at the password change count into the login
// lockout, lock it, and the lock refuses login from that address too.
func TestChangePasswordCountsIntoLockout(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw, thief = "oracle@example.com", "the real password", "203.0.113.44"
			h.registerVerified(email, pw)
			access := h.wantOK(h.loginFrom(thief, email, pw), 200).str("access_token")
			change := func(current string) response {
				return h.from(thief, "POST", "/api/user/password", access, map[string]string{"current_password": current, "new_password": "the thief's password"})
			}
			for i := range 10 {
				h.wantError(change("guess "+string(rune('a'+i))+" of the password"), 401, authos.CodeInvalidCredentials)
			}
			// Locked: the right password no longer gets through, here or at login.
			h.wantError(change(pw), 401, authos.CodeAccountLocked)
			h.wantError(h.loginFrom(thief, email, pw), 401, authos.CodeAccountLocked)
			if lf := failures(t, st, lockoutkey.Address(email, thief)); lf.Count != 10 || !lf.LockedUntil.After(h.clock.Now()) {
				t.Errorf("address counter = %+v; want 10 failures, locked", lf)
			}
			if lf := failures(t, st, lockoutkey.Account(email)); lf.Count != 10 {
				t.Errorf("account counter = %+v; want 10 failures", lf)
			}
			// The password is unchanged and the owner, elsewhere, signs in.
			h.wantOK(h.loginFrom("198.51.100.1", email, pw), 200)
		})
	}
}

// TestChangePasswordIsRateLimitedPerIP: the route is behind the per-IP
// limit of the auth endpoints.
func TestChangePasswordIsRateLimitedPerIP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends(t, true)[0].Open(t), func(c *authos.Config) {
		viaProxy(c)
		c.RateLimits.PerIP = authos.Limit{Rate: 4, Period: time.Minute, Burst: 4}
	})
	const email, pw, ip = "limited@example.com", "the real password", "203.0.113.45"
	h.registerVerified(email, pw)
	access := h.wantOK(h.loginFrom(ip, email, pw), 200).str("access_token") // one of four
	for range 3 {
		h.wantError(h.from(ip, "POST", "/api/user/password", access, map[string]string{"current_password": "wrong password", "new_password": "new password here"}), 401, authos.CodeInvalidCredentials)
	}
	r := h.wantError(h.from(ip, "POST", "/api/user/password", access, map[string]string{"current_password": pw, "new_password": "new password here"}), 429, authos.CodeRateLimitExceeded)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	h.wantOK(h.loginFrom("198.51.100.2", email, pw), 200) // unchanged
}

// passwordless creates a verified account without a password (as social
// login or SSO will) and signs it in; it returns the user and access token.
func passwordless(t *testing.T, h *harness, st store.Storage, email string) (authos.User, string) {
	t.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	u := authos.User{ID: randx.ID(), Email: email, EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	tr, err := h.a.CompleteLogin(ctx, u, authos.LoginContext{Method: "fed"})
	if err != nil {
		t.Fatal(err)
	}
	return u, tr.AccessToken
}

// TestPasswordChangeNeedsReauthentication: without current_password the
// change is refused; an account without a password may set one only with
// a sign-in of the last five minutes.
func TestPasswordChangeNeedsReauthentication(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw = "reauth@example.com", "the real password"
			h.registerVerified(email, pw)
			access := h.wantOK(h.login(email, pw), 200).str("access_token")
			h.wantError(h.do("POST", "/api/user/password", access, map[string]string{"new_password": "a stolen token's password"}), 401, authos.CodeInvalidCredentials)
			h.wantOK(h.login(email, pw), 200)

			// Fresh sign-in, no password yet: the password can be set.
			fresh, freshToken := passwordless(t, h, st, "fresh@example.com")
			h.clock.Advance(4 * time.Minute)
			h.wantOK(h.do("POST", "/api/user/password", freshToken, map[string]string{"new_password": "a first password"}), 204)
			if _, err := st.GetPassword(context.Background(), fresh.ID); err != nil {
				t.Fatalf("password not stored: %v", err)
			}
			h.wantOK(h.login("fresh@example.com", "a first password"), 200)

			// A sign-in older than five minutes is not enough.
			stale, staleToken := passwordless(t, h, st, "stale@example.com")
			h.clock.Advance(5*time.Minute + time.Second)
			h.wantError(h.do("POST", "/api/user/password", staleToken, map[string]string{"new_password": "a thief's password"}), 401, authos.CodeInvalidCredentials)
			if _, err := st.GetPassword(context.Background(), stale.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("stale session set a password: %v", err)
			}
		})
	}
}

// TestReauthenticateNeedsAUserSession: API keys and missing principals
// cannot confirm account changes.
func TestReauthenticateNeedsAUserSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends(t, true)[0].Open(t), viaProxy)
	ctx := context.Background()
	h.registerVerified("keys@example.com", "the real password")
	u, err := h.a.Store().GetUserByEmail(ctx, "keys@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*authos.Principal{
		"nil":        nil,
		"api key":    {Kind: authos.PrincipalAPIKey, UserID: u.ID, TokenID: "k1"},
		"no session": {Kind: authos.PrincipalAccessToken, UserID: u.ID},
		"no user":    {Kind: authos.PrincipalAccessToken, UserID: "nobody", SessionID: "s"},
	} {
		if err := h.a.Reauthenticate(ctx, p, "the real password"); !errors.Is(err, authos.CodeInvalidCredentials) {
			t.Errorf("Reauthenticate(%s) = %v; want INVALID_CREDENTIALS", name, err)
		}
	}
	tr := h.wantOK(h.login("keys@example.com", "the real password"), 200)
	p, err := h.a.VerifyAccessToken(ctx, tr.str("access_token"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.a.Reauthenticate(ctx, p, "the real password"); err != nil {
		t.Errorf("Reauthenticate(right password) = %v", err)
	}
	if err := h.a.Reauthenticate(ctx, p, ""); !errors.Is(err, authos.CodeInvalidCredentials) {
		t.Errorf("Reauthenticate(no password) = %v; want INVALID_CREDENTIALS", err)
	}
	// Wrong passwords count per client address from the context.
	ipCtx := authos.WithClientIP(ctx, "192.0.2.77")
	if err := h.a.Reauthenticate(ipCtx, p, "a wrong password"); !errors.Is(err, authos.CodeInvalidCredentials) {
		t.Errorf("Reauthenticate(wrong password) = %v", err)
	}
	if lf := failures(t, h.a.Store(), lockoutkey.Address("keys@example.com", "192.0.2.77")); lf.Count != 1 {
		t.Errorf("address counter = %+v; want 1 failure", lf)
	}
}

// secondFactorWhen requires a second step while on is set.
type secondFactorWhen struct{ on *atomic.Bool }

func (secondFactorWhen) VerifyCode(context.Context, string, string) (string, error) {
	return "", authos.NewError(authos.CodeInvalidMFACode, "Invalid code")
}

func (s secondFactorWhen) Required(context.Context, authos.User, authos.LoginContext) (bool, error) {
	return s.on.Load(), nil
}

// pendingTokens gives the user a pending sign-in (preauth token), a reset
// link and a verification token, and returns their secrets.
func pendingTokens(t *testing.T, h *harness, st store.Storage, email, pw string) (preauth, reset, verify string) {
	t.Helper()
	ctx := context.Background()
	var on atomic.Bool
	authos.Extend(h.a).SetSecondFactor(secondFactorWhen{&on})
	on.Store(true)
	preauth = h.wantError(h.login(email, pw), 401, authos.CodeMFARequired).str("preauth_token")
	on.Store(false)
	authos.Extend(h.a).SetSecondFactor(nil)
	h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
	_, reset = h.mail(email, "Reset")
	u, err := st.GetUserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	verify = randx.Token(32)
	now := h.clock.Now()
	if err := st.CreateToken(ctx, store.OneTimeToken{Hash: hashx.SHA256Hex(verify), Purpose: store.PurposeVerifyEmail,
		UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return preauth, reset, verify
}

// checkVoided asserts that the three pending tokens no longer work and are
// gone from the store.
func checkVoided(t *testing.T, h *harness, st store.Storage, preauth, reset, verify string) {
	t.Helper()
	ctx := context.Background()
	if _, err := authos.Extend(h.a).FinishPreAuth(ctx, preauth, "otp"); !errors.Is(err, authos.CodeUnauthorized) {
		t.Errorf("finishing the old pending sign-in: %v; want UNAUTHORIZED", err)
	}
	h.wantError(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": reset, "password": "a password via an old link"}), 400, authos.CodeInvalidToken)
	h.wantError(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": verify}), 400, authos.CodeInvalidToken)
	for purpose, secret := range map[string]string{store.PurposePreAuth: preauth, store.PurposeResetPassword: reset, store.PurposeVerifyEmail: verify} {
		if _, err := st.GetToken(ctx, purpose, hashx.SHA256Hex(secret), h.clock.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s token after the credential change: %v; want deleted", purpose, err)
		}
	}
}

// TestPasswordChangeVoidsPendingTokens reproduces the reset link that
// outlived a password change (and the pending sign-in and verification
// tokens with it).
func TestPasswordChangeVoidsPendingTokens(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw = "carla@example.com", "the real password"
			h.registerVerified(email, pw)
			access := h.wantOK(h.login(email, pw), 200).str("access_token")
			preauth, reset, verify := pendingTokens(t, h, st, email, pw)
			h.wantOK(h.do("POST", "/api/user/password", access, map[string]string{"current_password": pw, "new_password": "the changed password"}), 204)
			checkVoided(t, h, st, preauth, reset, verify)
			h.wantOK(h.login(email, "the changed password"), 200)
		})
	}
}

// TestPasswordResetVoidsPendingTokens reproduces the pending sign-in that
// finished after a password reset.
func TestPasswordResetVoidsPendingTokens(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw = "rita@example.com", "the real password"
			h.registerVerified(email, pw)
			preauth, _, verify := pendingTokens(t, h, st, email, pw)
			h.clock.Advance(time.Second)
			h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
			_, reset := h.mail(email, "Reset")
			h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": reset, "password": "the reset password"}), 200)
			checkVoided(t, h, st, preauth, reset, verify)
			h.wantOK(h.login(email, "the reset password"), 200)
		})
	}
}

// TestLoginScopedToInactiveOrgRefused reproduces the token minted for a
// suspended organization: a login scoped to a pending or suspended
// organization is refused and creates no session.
func TestLoginScopedToInactiveOrgRefused(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			po := h.owner()
			const email = "orgowner@example.com"
			alice := h.loginAs(email)
			created := h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme Inc"}), 201)
			orgID := created.body["organization"].(map[string]any)["id"].(string)
			u, err := st.GetUserByEmail(context.Background(), email)
			if err != nil {
				t.Fatal(err)
			}
			sessions := func() int {
				ss, err := st.ListUserSessions(context.Background(), u.ID, h.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				return len(ss)
			}
			orgLogin := func() response {
				return h.do("POST", "/api/auth/login", "", map[string]string{"email": email, "password": passwordFor(email), "org": "acme"})
			}
			n := sessions()
			h.wantError(orgLogin(), 403, authos.CodeOrganizationNotActive) // pending
			h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/approve", po, map[string]string{"tier": "free"}), 200)
			h.wantOK(orgLogin(), 200)
			h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/suspend", po, map[string]string{"reason": "abuse"}), 200)
			n2 := sessions()
			if n2 != n+1 {
				t.Fatalf("sessions after the active-org login = %d; want %d", n2, n+1)
			}
			h.wantError(orgLogin(), 403, authos.CodeOrganizationNotActive) // suspended
			if got := sessions(); got != n2 {
				t.Errorf("sessions after refused logins = %d; want %d", got, n2)
			}
			h.wantOK(h.login(email, passwordFor(email)), 200) // unscoped login still works
		})
	}
}
