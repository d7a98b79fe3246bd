package e2e_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/store"
)

// eventLog captures the events the outbox delivers (Config.OnEvent).
type eventLog struct {
	mu     sync.Mutex
	events []authos.Event
}

func (l *eventLog) record(c *authos.Config) {
	c.OnEvent = func(_ context.Context, ev authos.Event) error {
		l.mu.Lock()
		l.events = append(l.events, ev)
		l.mu.Unlock()
		return nil
	}
}

// ofType delivers the outbox and returns the events of type typ so far.
func (l *eventLog) ofType(t *testing.T, a *authos.Authos, typ string) []authos.Event {
	t.Helper()
	if _, err := a.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []authos.Event
	for _, ev := range l.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// secondInstance is another authos instance on the same store and keyring
// (another replica of the host).
func secondInstance(t *testing.T, h *harness) *authos.Authos {
	t.Helper()
	cfg := h.a.Config()
	a2, err := authos.New(context.Background(), authos.Config{Store: cfg.Store, Keyring: cfg.Keyring,
		Hasher: cfg.Hasher, BaseURL: cfg.BaseURL, Now: cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a2
}

// liveSessions counts the user's active sessions in the store.
func liveSessions(t *testing.T, h *harness, userID string) int {
	t.Helper()
	ss, err := h.a.Store().ListUserSessions(context.Background(), userID, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return len(ss)
}

// TestPlatformOwnerEndsAUsersSessions (ASVS 7.4.5): a platform owner ends
// every session of one user over HTTP. Others get PLATFORM_OWNER_REQUIRED,
// an unknown user NOT_FOUND; the user's refresh tokens stop, the access
// tokens are refused on this instance and on another one, the audit entry
// and the events are written, and other users keep their sessions.
func TestPlatformOwnerEndsAUsersSessions(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			var log eventLog
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c); log.record(c) })
			ctx := context.Background()
			po := h.owner()
			poID := userID(t, h, po)
			const email, other = "victim@example.com", "bystander@example.com"
			h.registerVerified(email, passwordFor(email))
			l1 := h.wantOK(h.login(email, passwordFor(email)), 200)
			l2 := h.wantOK(h.login(email, passwordFor(email)), 200)
			alice := userID(t, h, l1.str("access_token"))
			bob := h.loginAs(other)
			path := "/api/platform/users/" + alice + "/sessions"

			// Another instance has accepted the token before the revocation.
			a2 := secondInstance(t, h)
			if _, err := a2.VerifyAccessToken(ctx, l2.str("access_token"), ""); err != nil {
				t.Fatalf("second instance refused a live token: %v", err)
			}

			h.wantError(h.do("DELETE", path, l1.str("access_token"), nil), 403, authos.CodePlatformOwnerRequired)
			h.wantError(h.do("DELETE", path, bob, nil), 403, authos.CodePlatformOwnerRequired)
			h.wantError(h.do("DELETE", "/api/platform/users/no-such-user/sessions", po, nil), 404, authos.CodeNotFound)
			h.wantError(h.do("DELETE", path+"?reason="+strings.Repeat("x", 1001), po, nil), 400, authos.CodeBadRequest)
			if n := liveSessions(t, h, alice); n != 2 {
				t.Fatalf("live sessions after refused requests = %d; want 2", n)
			}
			h.wantOK(h.do("GET", "/api/user", l1.str("access_token"), nil), 200)

			r := h.wantOK(h.do("DELETE", path+"?reason=stolen+laptop", po, nil), 200)
			if n, _ := r.body["revoked"].(float64); n != 2 {
				t.Fatalf("answer %s; want revoked 2", r.raw)
			}
			if n := liveSessions(t, h, alice); n != 0 {
				t.Errorf("live sessions after the revocation = %d; want 0", n)
			}
			for _, l := range []response{l1, l2} {
				h.wantError(h.do("GET", "/api/user", l.str("access_token"), nil), 401, authos.CodeSessionRevoked)
				h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l.str("refresh_token")}), 401, authos.CodeSessionRevoked)
			}
			h.clock.Advance(600 * time.Millisecond) // past the other instance's sync interval
			if _, err := a2.VerifyAccessToken(ctx, l2.str("access_token"), ""); !errors.Is(err, authos.CodeSessionRevoked) {
				t.Errorf("second instance after the revocation: %v; want SESSION_REVOKED", err)
			}
			h.wantOK(h.do("GET", "/api/user", bob, nil), 200)
			h.wantOK(h.do("GET", "/api/user", po, nil), 200)

			audit := h.wantOK(h.do("GET", "/api/platform/audit-log?action=revoke_user_sessions", po, nil), 200)
			entries, _ := audit.body["entries"].([]any)
			if len(entries) != 1 {
				t.Fatalf("audit entries = %s; want one", audit.raw)
			}
			e := entries[0].(map[string]any)
			after, _ := e["after"].(map[string]any)
			if e["actor_id"] != poID || e["target_type"] != "user" || e["target_id"] != alice || e["reason"] != "stolen laptop" ||
				after["sessions_revoked"] != float64(2) || after["email"] != email {
				t.Errorf("audit entry = %v", e)
			}
			evs := log.ofType(t, h.a, event.UserSessionsRevoked)
			if len(evs) != 1 || evs[0].ActorID != poID || evs[0].TargetID != alice || evs[0].Data["sessions_revoked"] != float64(2) {
				t.Errorf("user.sessions_revoked events = %+v", evs)
			}
			revoked := map[string]bool{}
			for _, ev := range log.ofType(t, h.a, event.SessionRevoked) {
				if ev.ActorID == poID {
					revoked[ev.TargetID] = true
				}
			}
			if !revoked[sessionID(t, l1.str("access_token"))] || !revoked[sessionID(t, l2.str("access_token"))] || len(revoked) != 2 {
				t.Errorf("session.revoked events by the owner = %v; want both sessions", revoked)
			}

			// The account itself is untouched: its holder signs in again.
			again := h.wantOK(h.login(email, passwordFor(email)), 200)
			h.wantOK(h.do("GET", "/api/user", again.str("access_token"), nil), 200)
			// A user without sessions: nothing to end, still audited.
			bobPath := "/api/platform/users/" + userID(t, h, bob) + "/sessions"
			h.wantOK(h.do("DELETE", bobPath, po, nil), 200)
			h.wantError(h.do("GET", "/api/user", bob, nil), 401, authos.CodeSessionRevoked)
			if r := h.wantOK(h.do("DELETE", bobPath, po, nil), 200); r.body["revoked"] != float64(0) {
				t.Errorf("second revocation answered %s; want revoked 0", r.raw)
			}
			if all := h.wantOK(h.do("GET", "/api/platform/audit-log?action=revoke_user_sessions", po, nil), 200); all.body["total"] != float64(3) {
				t.Errorf("audit entries = %s; want 3", all.raw)
			}
		})
	}
}

// auditFailingStore fails every audit append inside its transactions.
type auditFailingStore struct{ store.Storage }

type auditFailingTx struct{ store.Tx }

func (auditFailingTx) AppendAudit(context.Context, store.AuditEntry) error {
	return errors.New("audit log unavailable")
}

func (s auditFailingStore) Tx(ctx context.Context, fn func(store.Tx) error) error {
	return s.Storage.Tx(ctx, func(tx store.Tx) error { return fn(auditFailingTx{tx}) })
}

// TestPlatformSessionRevocationIsAtomicWithItsAudit: when the audit entry
// cannot be written, no session is revoked (they share one transaction).
func TestPlatformSessionRevocationIsAtomicWithItsAudit(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			access := h.loginAs("atomic@example.com")
			alice := userID(t, h, access)
			cfg := h.a.Config()
			a2, err := authos.New(context.Background(), authos.Config{Store: auditFailingStore{st}, Keyring: cfg.Keyring,
				Hasher: cfg.Hasher, Now: cfg.Now})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a2.PlatformRevokeUserSessions(context.Background(), "owner", alice, ""); !errors.Is(err, authos.CodeDatabaseError) {
				t.Fatalf("PlatformRevokeUserSessions with a failing audit log = %v; want DATABASE_ERROR", err)
			}
			if n := liveSessions(t, h, alice); n != 1 {
				t.Errorf("live sessions = %d; want 1 (revocation rolled back)", n)
			}
			h.wantOK(h.do("GET", "/api/user", access, nil), 200)
		})
	}
}

// TestRevokingOtherSessionsNeedsReauthentication (ASVS 7.5.2): users list
// their sessions and end any or all of the others only after
// re-authenticating (current_password; wrong ones count into the lockout);
// ending their own session is a logout and needs nothing.
func TestRevokingOtherSessionsNeedsReauthentication(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw, thief = "sessions@example.com", "the real password", "203.0.113.50"
			h.registerVerified(email, pw)
			cur := h.wantOK(h.loginFrom(thief, email, pw), 200)
			other1 := h.wantOK(h.login(email, pw), 200)
			other2 := h.wantOK(h.login(email, pw), 200)
			bob := h.loginAs("bob@example.com")
			at := cur.str("access_token")
			s1 := "/api/user/sessions/" + sessionID(t, other1.str("access_token"))

			list := h.wantOK(h.do("GET", "/api/user/sessions", at, nil), 200)
			if ss, _ := list.body["sessions"].([]any); len(ss) != 3 {
				t.Fatalf("sessions = %s; want 3", list.raw)
			}

			// Another session: no confirmation, or a wrong one, is refused.
			h.wantError(h.from(thief, "DELETE", s1, at, nil), 401, authos.CodeInvalidCredentials)
			h.wantError(h.from(thief, "POST", s1+"/revoke", at, nil), 401, authos.CodeInvalidCredentials)
			h.wantError(h.from(thief, "POST", s1+"/revoke", at, map[string]string{"current_password": "a guess"}), 401, authos.CodeInvalidCredentials)
			h.wantError(h.from(thief, "POST", "/api/user/sessions/revoke-others", at, map[string]string{}), 401, authos.CodeInvalidCredentials)
			h.wantError(h.from(thief, "POST", "/api/user/sessions/revoke-others", at, map[string]string{"current_password": "another guess"}), 401, authos.CodeInvalidCredentials)
			if lf := failures(t, st, lockoutkey.Address(email, thief)); lf.Count != 2 {
				t.Errorf("address counter = %+v; want the 2 wrong passwords", lf)
			}
			for _, l := range []response{other1, other2} {
				h.wantOK(h.do("GET", "/api/user", l.str("access_token"), nil), 200)
			}

			// Confirmed: one session ends, then all the others.
			h.wantError(h.do("POST", "/api/user/sessions/not-a-session/revoke", at, map[string]string{"current_password": pw}), 404, authos.CodeNotFound)
			h.wantError(h.do("POST", "/api/user/sessions/"+sessionID(t, bob)+"/revoke", at, map[string]string{"current_password": pw}), 404, authos.CodeNotFound)
			h.wantOK(h.do("GET", "/api/user", bob, nil), 200)
			h.wantOK(h.from(thief, "POST", s1+"/revoke", at, map[string]string{"current_password": pw}), 204)
			h.wantError(h.do("GET", "/api/user", other1.str("access_token"), nil), 401, authos.CodeSessionRevoked)
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": other1.str("refresh_token")}), 401, authos.CodeSessionRevoked)
			h.wantOK(h.do("GET", "/api/user", other2.str("access_token"), nil), 200)
			other3 := h.wantOK(h.login(email, pw), 200)
			r := h.wantOK(h.do("POST", "/api/user/sessions/revoke-others", at, map[string]string{"current_password": pw}), 200)
			if n, _ := r.body["revoked"].(float64); n != 2 {
				t.Fatalf("revoke-others answered %s; want revoked 2", r.raw)
			}
			for _, l := range []response{other2, other3} {
				h.wantError(h.do("GET", "/api/user", l.str("access_token"), nil), 401, authos.CodeSessionRevoked)
				h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l.str("refresh_token")}), 401, authos.CodeSessionRevoked)
			}
			h.wantOK(h.do("GET", "/api/user", at, nil), 200)
			h.wantOK(h.do("GET", "/api/user", bob, nil), 200)
			if lf := failures(t, st, lockoutkey.Address(email, thief)); lf.Count != 0 {
				t.Errorf("address counter after the right password = %+v; want cleared", lf)
			}

			// The caller's own session: a logout, no confirmation.
			h.wantOK(h.do("DELETE", "/api/user/sessions/"+sessionID(t, at), at, nil), 204)
			h.wantError(h.do("GET", "/api/user", at, nil), 401, authos.CodeSessionRevoked)
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": cur.str("refresh_token")}), 401, authos.CodeSessionRevoked)
			own := h.wantOK(h.login(email, pw), 200)
			h.wantOK(h.do("POST", "/api/user/sessions/"+sessionID(t, own.str("access_token"))+"/revoke", own.str("access_token"), nil), 204)
			h.wantError(h.do("GET", "/api/user", own.str("access_token"), nil), 401, authos.CodeSessionRevoked)
		})
	}
}

// TestRevokingSessionsCountsIntoLockout: wrong current_password answers
// at session revocation lock the address like wrong logins do.
func TestRevokingSessionsCountsIntoLockout(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw, thief = "guessed@example.com", "the real password", "203.0.113.51"
			h.registerVerified(email, pw)
			stolen := h.wantOK(h.loginFrom(thief, email, pw), 200).str("access_token")
			owner := h.wantOK(h.loginFrom("198.51.100.9", email, pw), 200).str("access_token")
			for i := range 10 {
				h.wantError(h.from(thief, "POST", "/api/user/sessions/revoke-others", stolen,
					map[string]string{"current_password": "guess " + string(rune('a'+i))}), 401, authos.CodeInvalidCredentials)
			}
			h.wantError(h.from(thief, "POST", "/api/user/sessions/revoke-others", stolen, map[string]string{"current_password": pw}), 401, authos.CodeAccountLocked)
			h.wantError(h.loginFrom(thief, email, pw), 401, authos.CodeAccountLocked)
			if lf := failures(t, st, lockoutkey.Account(email)); lf.Count != 10 {
				t.Errorf("account counter = %+v; want 10 failures", lf)
			}
			h.wantOK(h.do("GET", "/api/user", owner, nil), 200) // the owner's device stays signed in
		})
	}
}

// TestRevokingSessionsWithoutPasswordNeedsRecentSignIn: an account without
// a password ends another session through the bodiless DELETE only with a
// sign-in of the last Config.ReauthMaxAge.
func TestRevokingSessionsWithoutPasswordNeedsRecentSignIn(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			ctx := context.Background()
			u, access := passwordless(t, h, st, "federated@example.com")
			more := func() *authos.TokenResponse {
				tr, err := h.a.CompleteLogin(ctx, u, authos.LoginContext{Method: "fed"})
				if err != nil {
					t.Fatal(err)
				}
				return tr
			}
			o1, o2 := more(), more()
			h.clock.Advance(4 * time.Minute)
			h.wantOK(h.do("DELETE", "/api/user/sessions/"+o1.Session.ID, access, nil), 204)
			h.wantError(h.do("GET", "/api/user", o1.AccessToken, nil), 401, authos.CodeSessionRevoked)
			h.clock.Advance(time.Minute + time.Second) // the sign-in is now older than 5 minutes
			h.wantError(h.do("DELETE", "/api/user/sessions/"+o2.Session.ID, access, nil), 401, authos.CodeInvalidCredentials)
			h.wantError(h.do("POST", "/api/user/sessions/revoke-others", access, nil), 401, authos.CodeInvalidCredentials)
			h.wantOK(h.do("GET", "/api/user", o2.AccessToken, nil), 200)
			// Signing in again gives a session recent enough to confirm.
			fresh := more()
			if n, err := h.a.SignOutOtherSessions(ctx, principal(t, h, fresh.AccessToken), ""); err != nil || n != 2 {
				t.Fatalf("SignOutOtherSessions after a fresh sign-in = %d, %v; want 2", n, err)
			}
			h.wantError(h.do("GET", "/api/user", o2.AccessToken, nil), 401, authos.CodeSessionRevoked)
			h.wantError(h.do("GET", "/api/user", access, nil), 401, authos.CodeSessionRevoked)
			h.wantOK(h.do("GET", "/api/user", fresh.AccessToken, nil), 200)
		})
	}
}

// principal verifies an access token into its principal.
func principal(t *testing.T, h *harness, token string) *authos.Principal {
	t.Helper()
	p, err := h.a.VerifyAccessToken(context.Background(), token, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEverySignInMintsANewSession (ASVS 7.2.4): every authentication mints
// a new session id and refresh token and never reuses one the client
// holds: a password login, the MFA step (whose preauth token is consumed)
// and a refresh (which ends the presented refresh token). Re-authentication
// for a change mints nothing: the change answers 204 without tokens and the
// session continues; an account without a password re-authenticates by
// signing in again, which is a new session.
func TestEverySignInMintsANewSession(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			ctx := context.Background()
			const email, pw = "rotate@example.com", "the real password"
			h.registerVerified(email, pw)
			seen := map[string]bool{}
			fresh := func(what string, at, rt string) {
				t.Helper()
				sid := sessionID(t, at)
				if sid == "" || seen[sid] || rt != "" && seen[rt] {
					t.Fatalf("%s reused a session or refresh token (sid %q)", what, sid)
				}
				seen[sid] = true
				if rt != "" {
					seen[rt] = true
				}
			}
			l1 := h.wantOK(h.login(email, pw), 200)
			fresh("first login", l1.str("access_token"), l1.str("refresh_token"))
			l2 := h.wantOK(h.login(email, pw), 200)
			fresh("second login", l2.str("access_token"), l2.str("refresh_token"))

			// The MFA step: a new session; the preauth token works once.
			var on atomic.Bool
			on.Store(true)
			authos.Extend(h.a).SetSecondFactor(secondFactorWhen{&on})
			preauth := h.wantError(h.login(email, pw), 401, authos.CodeMFARequired).str("preauth_token")
			tr, err := authos.Extend(h.a).FinishPreAuth(ctx, preauth, authos.AMROTP)
			if err != nil {
				t.Fatal(err)
			}
			fresh("MFA step", tr.AccessToken, tr.RefreshToken)
			if _, err := authos.Extend(h.a).FinishPreAuth(ctx, preauth, authos.AMROTP); !errors.Is(err, authos.CodeUnauthorized) {
				t.Errorf("second use of the preauth token: %v; want UNAUTHORIZED", err)
			}
			authos.Extend(h.a).SetSecondFactor(nil)

			// A refresh rotates: new refresh token, the presented one ends.
			r := h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l1.str("refresh_token")}), 200)
			if r.str("refresh_token") == l1.str("refresh_token") || seen[r.str("refresh_token")] {
				t.Fatal("refresh returned a refresh token already issued")
			}
			h.clock.Advance(time.Minute) // past the retry grace
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l1.str("refresh_token")}), 401, authos.CodeSessionRevoked)

			// Re-authentication confirms a change and mints nothing.
			ch := h.wantOK(h.do("POST", "/api/user/password", l2.str("access_token"), map[string]string{"current_password": pw, "new_password": "the next password"}), 204)
			if len(ch.raw) != 0 {
				t.Errorf("password change answered a body: %s", ch.raw)
			}
			h.wantOK(h.do("GET", "/api/user", l2.str("access_token"), nil), 200)

			// Without a password, re-authenticating is signing in again.
			u, stale := passwordless(t, h, st, "nopassword@example.com")
			fresh("passwordless sign-in", stale, "")
			h.clock.Advance(6 * time.Minute)
			h.wantError(h.do("POST", "/api/user/password", stale, map[string]string{"new_password": "a first password"}), 401, authos.CodeInvalidCredentials)
			again, err := h.a.CompleteLogin(ctx, u, authos.LoginContext{Method: "fed"})
			if err != nil {
				t.Fatal(err)
			}
			fresh("sign-in again", again.AccessToken, again.RefreshToken)
			h.wantOK(h.do("POST", "/api/user/password", again.AccessToken, map[string]string{"new_password": "a first password"}), 204)
		})
	}
}
