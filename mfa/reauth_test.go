package mfa_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// status reads the user's MFA state over HTTP.
func (h *harness) status(access string) (enabled bool, remaining int) {
	h.t.Helper()
	r := h.wantOK(h.do("GET", "/api/user/mfa", access, nil), http.StatusOK)
	n, _ := r.body["backup_codes_remaining"].(float64)
	return r.body["enabled"] == true, int(n)
}

// failureCount is the stored failed-password count of email from the
// harness's client address (loopback).
func (h *harness) failureCount(email string) int {
	h.t.Helper()
	lf, err := h.st.GetLoginFailures(context.Background(), lockoutkey.Address(email, "127.0.0.1"))
	if err != nil {
		h.t.Fatal(err)
	}
	return lf.Count
}

// TestChangesNeedReauthentication reproduces the stolen-token enrollment:
// with the access token alone, no second factor can be set up, enabled,
// disabled or have its backup codes replaced; wrong passwords count into
// the login lockout.
func TestChangesNeedReauthentication(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "victim@example.com"
		h.user(email)
		access := h.accessToken(email)
		wrong := map[string]string{"current_password": "not the password"}

		// A thief with the token cannot enroll a factor.
		h.wantError(h.do("POST", "/api/user/mfa/setup", access, nil), 401, authos.CodeInvalidCredentials)
		h.wantError(h.do("POST", "/api/user/mfa/setup", access, wrong), 401, authos.CodeInvalidCredentials)
		if n := h.failureCount(email); n != 1 {
			t.Errorf("failures after a wrong current_password = %d; want 1", n)
		}
		setup := h.wantOK(h.do("POST", "/api/user/mfa/setup", access, reauth), http.StatusOK)
		secret := setup.str("secret")
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"code": h.code(secret, 0)}), 401, authos.CodeInvalidCredentials)
		if on, _ := h.status(access); on {
			t.Fatal("enable without re-authentication turned MFA on")
		}
		en := h.wantOK(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), http.StatusOK)
		backup := en.strings("backup_codes")
		h.clock.Advance(30 * time.Second)

		// Nor turn it off or replace the backup codes, even with a valid code.
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"code": h.code(secret, 0)}), 401, authos.CodeInvalidCredentials)
		h.wantError(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"code": backup[0]}), 401, authos.CodeInvalidCredentials)
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": "still wrong", "code": backup[1]}), 401, authos.CodeInvalidCredentials)
		if on, n := h.status(access); !on || n != len(backup) {
			t.Fatalf("after refused changes: enabled=%v backup codes=%d; want on, %d", on, n, len(backup))
		}
		// (The right passwords in between restarted the count.)
		if n := h.failureCount(email); n != 1 {
			t.Errorf("failures = %d; want 1", n)
		}
		// The shared lockout: nine more wrong passwords lock this address
		// out of the MFA routes and of login alike.
		for range 9 {
			h.wantError(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"current_password": "another guess", "code": backup[0]}), 401, authos.CodeInvalidCredentials)
		}
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": backup[0]}), 401, authos.CodeAccountLocked)
		h.wantError(h.login(email), 401, authos.CodeAccountLocked)
		if on, n := h.status(access); !on || n != len(backup) {
			t.Fatalf("after the lock: enabled=%v backup codes=%d; want on, %d", on, n, len(backup))
		}
	})
}

// TestChangesWithoutPasswordNeedRecentSignIn: an account without a
// password confirms with a sign-in of the last five minutes.
func TestChangesWithoutPasswordNeedRecentSignIn(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := context.Background()
		now := h.clock.Now()
		u := authos.User{ID: randx.ID(), Email: "sso@example.com", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		tr, err := h.a.CompleteLogin(ctx, u, authos.LoginContext{Method: "fed"})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(4 * time.Minute)
		secret := h.wantOK(h.do("POST", "/api/user/mfa/setup", tr.AccessToken, nil), http.StatusOK).str("secret")
		h.clock.Advance(time.Minute + time.Second) // the sign-in is now 5m01s old
		h.wantError(h.do("POST", "/api/user/mfa/enable", tr.AccessToken, map[string]string{"code": h.code(secret, 0)}), 401, authos.CodeInvalidCredentials)
		if on, _ := h.status(tr.AccessToken); on {
			t.Fatal("a stale session enabled MFA")
		}
	})
}

// TestEnableRevokesOtherSessions reproduces the password-only sessions
// that stayed refreshable after MFA was enabled: every other session ends,
// the enrolling one stays.
func TestEnableRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "sessions@example.com"
		h.user(email)
		current := h.wantOK(h.login(email), http.StatusOK)
		other := h.wantOK(h.login(email), http.StatusOK)
		h.enroll(current.str("access_token"))

		h.wantError(h.do("GET", "/api/user/mfa", other.str("access_token"), nil), 401, authos.CodeSessionRevoked)
		h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": other.str("refresh_token")}), 401, authos.CodeSessionRevoked)
		h.wantOK(h.do("GET", "/api/user/mfa", current.str("access_token"), nil), http.StatusOK)
		h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": current.str("refresh_token")}), http.StatusOK)

		u, err := st.GetUserByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		live, err := st.ListUserSessions(context.Background(), u.ID, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 1 {
			t.Errorf("live sessions after enabling MFA = %d; want 1 (the enrolling one)", len(live))
		}
	})
}

// TestPasswordChangeVoidsPendingSignIn: a sign-in waiting for its second
// factor when the password changes cannot be finished, even with a valid
// code.
func TestPasswordChangeVoidsPendingSignIn(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "pending@example.com"
		h.user(email)
		access := h.accessToken(email)
		secret, _ := h.enroll(access)
		preauth := h.preauth(email)
		h.wantOK(h.do("POST", "/api/user/password", access, map[string]string{"current_password": password, "new_password": "a changed password"}), http.StatusNoContent)
		h.wantError(h.verify(preauth, h.code(secret, 0)), 401, authos.CodeUnauthorized)
	})
}
