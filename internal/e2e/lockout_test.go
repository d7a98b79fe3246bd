package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/store"
)

// viaProxy trusts the loopback peer as a proxy, so that tests choose the
// client address with X-Forwarded-For.
func viaProxy(c *authos.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// from sends a request as if from client address ip.
func (h *harness) from(ip, method, path, bearer string, body any) response {
	h.t.Helper()
	hdr := map[string]string{"X-Forwarded-For": ip}
	if bearer != "" {
		hdr["Authorization"] = "Bearer " + bearer
	}
	return h.doWith(method, path, hdr, body)
}

// loginFrom posts a password login from client address ip.
func (h *harness) loginFrom(ip, email, password string) response {
	h.t.Helper()
	return h.from(ip, "POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
}

// failures reads a stored failure counter.
func failures(t *testing.T, st store.Storage, key string) store.LoginFailures {
	t.Helper()
	lf, err := st.GetLoginFailures(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

// resetTokenLive reports whether the reset link secret is stored and usable.
func resetTokenLive(t *testing.T, h *harness, st store.Storage, secret string) bool {
	t.Helper()
	_, err := st.GetToken(context.Background(), store.PurposeResetPassword, hashx.SHA256Hex(secret), h.clock.Now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestLockoutIsPerAddress reproduces the lockout denial of service: ten
// wrong passwords from one address lock that address out, but a login from
// an address with no recent failures for the account still works.
func TestLockoutIsPerAddress(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw = "vera@example.com", "the owner's password"
			const attacker, owner = "203.0.113.66", "198.51.100.7"
			h.registerVerified(email, pw)
			for i := range 10 {
				h.wantError(h.loginFrom(attacker, email, "guess number "+string(rune('a'+i))), 401, authos.CodeInvalidCredentials)
			}
			// The attacker's address is locked out, even with the right password.
			locked := h.wantError(h.loginFrom(attacker, email, pw), 401, authos.CodeAccountLocked)
			if locked.header.Get("Retry-After") != "900" {
				t.Errorf("address lock Retry-After = %q; want 900", locked.header.Get("Retry-After"))
			}
			// The owner, from an address without failures, is not.
			h.wantOK(h.loginFrom(owner, email, pw), 200)

			addr := failures(t, st, lockoutkey.Address(email, attacker))
			if addr.Count != 10 || !addr.LockedUntil.After(h.clock.Now()) {
				t.Errorf("attacker address counter = %+v; want 10 failures, locked", addr)
			}
			if got := failures(t, st, lockoutkey.Address(email, owner)); got.Count != 0 || !got.LockedUntil.IsZero() {
				t.Errorf("owner address counter = %+v; want empty", got)
			}
			// The owner's success restarts the account-wide count (consecutive
			// failures), without lifting the attacker's lock.
			if got := failures(t, st, lockoutkey.Account(email)); got.Count != 0 {
				t.Errorf("account counter after the owner's login = %+v; want cleared", got)
			}
			h.wantError(h.loginFrom(attacker, email, pw), 401, authos.CodeAccountLocked)

			// The address lock ends after Lockout.Duration.
			h.clock.Advance(15*time.Minute + time.Second)
			h.wantOK(h.loginFrom(attacker, email, pw), 200)
		})
	}
}

// TestLockoutCountsIPv6By64: addresses of one IPv6 /64 share a counter,
// so rotating through a subscriber's block does not reset it.
func TestLockoutCountsIPv6By64(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends(t, true)[0].Open(t), func(c *authos.Config) {
		viaProxy(c)
		noLimits(c)
		c.Lockout.MaxFailures = 3
	})
	const email, pw = "six@example.com", "the right password"
	h.registerVerified(email, pw)
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		h.wantError(h.loginFrom(ip, email, "a wrong password"), 401, authos.CodeInvalidCredentials)
	}
	h.wantError(h.loginFrom("2001:db8:1:2::99", email, pw), 401, authos.CodeAccountLocked)
	h.wantOK(h.loginFrom("2001:db8:1:3::1", email, pw), 200) // another /64
	if lockoutkey.Address(email, "2001:db8:1:2::1") != lockoutkey.Address(email, "2001:db8:1:2:aaaa::") ||
		lockoutkey.Address(email, "192.0.2.1") == lockoutkey.Address(email, "192.0.2.2") ||
		lockoutkey.Address(email, "::ffff:192.0.2.1") != lockoutkey.Address(email, "192.0.2.1") {
		t.Error("lockoutkey.Address does not count IPv4 per address and IPv6 per /64")
	}
}

// TestAccountCeilingLocksUntilReset: failures from many addresses reach the
// account-wide ceiling, which locks every address, also after days, until
// a password reset clears every lock of the account.
func TestAccountCeilingLocksUntilReset(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) {
				viaProxy(c)
				noLimits(c)
				c.Lockout = authos.Lockout{MaxFailures: 3, AccountMaxFailures: 6}
			})
			const email, pw = "ceiling@example.com", "the right password"
			h.registerVerified(email, pw)
			ips := []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}
			for _, ip := range ips {
				for range 2 {
					h.wantError(h.loginFrom(ip, email, "a wrong password"), 401, authos.CodeInvalidCredentials)
				}
			}
			// No address reached its own limit, but the account did.
			r := h.wantError(h.loginFrom("198.51.100.50", email, pw), 401, authos.CodeAccountLocked)
			if r.header.Get("Retry-After") != "" {
				t.Errorf("ceiling lock has Retry-After %q; want none (until a reset)", r.header.Get("Retry-After"))
			}
			h.clock.Advance(72 * time.Hour)
			h.wantError(h.loginFrom("198.51.100.51", email, pw), 401, authos.CodeAccountLocked)
			if lf := failures(t, st, lockoutkey.Account(email)); lf.Count != 6 || !lf.LockedUntil.After(h.clock.Now().Add(365*24*time.Hour)) {
				t.Errorf("account counter = %+v; want 6 failures, locked until a reset", lf)
			}
			lockEvents := 0
			msgs, err := st.ListOutbox(context.Background(), store.OutboxFilter{Topic: store.TopicEvent})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				var ev authos.Event
				if err := json.Unmarshal(m.Payload, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Type == event.UserLocked && ev.Data["scope"] == "account" {
					lockEvents++
				}
			}
			if lockEvents != 1 {
				t.Errorf("user.locked events of scope account = %d; want 1", lockEvents)
			}

			// A reset unlocks, and clears the per-address counters too.
			h.from("198.51.100.50", "POST", "/api/auth/forgot-password", "", map[string]string{"email": email})
			_, tok := h.mail(email, "Reset")
			const pw2 = "a new password after the lock"
			h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": tok, "password": pw2}), 200)
			for _, key := range []string{lockoutkey.Account(email), lockoutkey.Address(email, ips[0]), lockoutkey.Address(email, ips[2])} {
				if lf := failures(t, st, key); lf.Count != 0 || !lf.LockedUntil.IsZero() {
					t.Errorf("counter %s after reset = %+v; want cleared", key, lf)
				}
			}
			h.wantOK(h.loginFrom(ips[0], email, pw2), 200)
		})
	}
}

// TestResetClearsAddressLocks: a locked address may sign in with the new
// password right after a reset.
func TestResetClearsAddressLocks(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email, pw, ip = "relock@example.com", "the right password", "203.0.113.80"
			h.registerVerified(email, pw)
			for range 10 {
				h.wantError(h.loginFrom(ip, email, "a wrong password"), 401, authos.CodeInvalidCredentials)
			}
			h.wantError(h.loginFrom(ip, email, pw), 401, authos.CodeAccountLocked)
			h.from(ip, "POST", "/api/auth/forgot-password", "", map[string]string{"email": email})
			_, tok := h.mail(email, "Reset")
			h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": tok, "password": "the reset password"}), 200)
			if lf := failures(t, st, lockoutkey.Address(email, ip)); lf.Count != 0 || !lf.LockedUntil.IsZero() {
				t.Errorf("address counter after reset = %+v; want cleared", lf)
			}
			h.wantOK(h.loginFrom(ip, email, "the reset password"), 200)
		})
	}
}

// TestLockoutDefaultsAndValidation: the documented defaults, and the NIST
// ceiling enforced on configuration.
func TestLockoutDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends(t, true)[0].Open(t), viaProxy)
	cfg := h.a.Config()
	want := authos.Lockout{MaxFailures: 10, Window: 15 * time.Minute, Duration: 15 * time.Minute,
		AccountMaxFailures: 100, AccountWindow: 24 * time.Hour}
	if cfg.Lockout != want {
		t.Errorf("Lockout defaults = %+v; want %+v", cfg.Lockout, want)
	}
	if cfg.RateLimits.PerAccount != (authos.Limit{Rate: 10, Period: time.Hour, Burst: 5}) ||
		cfg.RateLimits.PerAccountDaily != (authos.Limit{Rate: 20, Period: 24 * time.Hour, Burst: 20}) {
		t.Errorf("RateLimits defaults = %+v", cfg.RateLimits)
	}
	if cfg.ReauthMaxAge != 5*time.Minute {
		t.Errorf("ReauthMaxAge default = %v; want 5m", cfg.ReauthMaxAge)
	}
	for name, l := range map[string]authos.Lockout{
		"ceiling above 100":         {AccountMaxFailures: 101},
		"address above the ceiling": {MaxFailures: 20, AccountMaxFailures: 10},
		"negative account duration": {AccountDuration: -time.Second},
	} {
		c := authos.Config{Store: backends(t, true)[0].Open(t), Keyring: h.a.Keyring(), Lockout: l}
		if _, err := authos.New(context.Background(), c); err == nil {
			t.Errorf("New accepted Lockout %s: %+v", name, l)
		}
	}
	low, err := authos.New(context.Background(), authos.Config{Store: backends(t, true)[0].Open(t), Keyring: h.a.Keyring(),
		Hasher: authostest.FastHasher{}, Lockout: authos.Lockout{AccountMaxFailures: 5}})
	if err != nil {
		t.Errorf("a ceiling of 5 without MaxFailures: %v", err)
	} else if got := low.Config().Lockout.MaxFailures; got != 5 {
		t.Errorf("a ceiling of 5 without MaxFailures: MaxFailures %d; want 5", got)
	}
	if _, err := authos.New(context.Background(), authos.Config{Store: backends(t, true)[0].Open(t), Keyring: h.a.Keyring(),
		ReauthMaxAge: 2 * time.Hour}); err == nil {
		t.Error("New accepted ReauthMaxAge of 2h")
	}
}

// TestForgotPasswordBudgetPerAddress reproduces the budget exhaustion:
// requests from another address no longer use up the owner's budget, and
// the per-email daily cap still bounds the mail an account receives.
func TestForgotPasswordBudgetPerAddress(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) {
				viaProxy(c)
				c.RateLimits.PerIP = authos.Limit{Rate: 1000, Period: time.Minute, Burst: 1000}
				c.RateLimits.PerAccountDaily = authos.Limit{Rate: 8, Period: 24 * time.Hour, Burst: 8}
			})
			const email = "budget@example.com"
			h.registerVerified(email, "the right password")
			forgot := func(ip string) response {
				r := h.from(ip, "POST", "/api/auth/forgot-password", "", map[string]string{"email": email})
				// Deliver now, so that the mailbox keeps the order of the requests.
				if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
					t.Fatal(err)
				}
				h.clock.Advance(time.Second)
				return r
			}
			before := h.mailCount()
			for range 5 {
				h.wantOK(forgot("203.0.113.9"), 202)
			}
			h.wantError(forgot("203.0.113.9"), 429, authos.CodeRateLimitExceeded)
			// The owner's own address still has its budget.
			h.wantOK(forgot("198.51.100.20"), 202)
			_, tok := h.mail(email, "Reset")
			if got := h.mailCount() - before; got != 6 {
				t.Errorf("reset emails sent = %d; want 6 (one per accepted request)", got)
			}
			if !resetTokenLive(t, h, st, tok) {
				t.Error("the owner's reset link is not usable")
			}
			// The daily cap per email holds across addresses.
			h.wantOK(forgot("192.0.2.1"), 202)
			h.wantOK(forgot("192.0.2.2"), 202)
			h.wantError(forgot("192.0.2.3"), 429, authos.CodeRateLimitExceeded)
			h.wantError(forgot("198.51.100.20"), 429, authos.CodeRateLimitExceeded)
			// Another email is unaffected.
			h.wantOK(h.from("192.0.2.3", "POST", "/api/auth/forgot-password", "", map[string]string{"email": "other@example.com"}), 202)
		})
	}
}

// TestResendVerificationBudgetPerAddress: the same per-address budget
// protects resend-verification.
func TestResendVerificationBudgetPerAddress(t *testing.T) {
	t.Parallel()
	h := newHarness(t, backends(t, true)[0].Open(t), viaProxy)
	const email = "unverified@example.com"
	h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": email, "password": "the right password"}), 201)
	resend := func(ip string) response {
		r := h.from(ip, "POST", "/api/auth/resend-verification", "", map[string]string{"email": email})
		// Deliver now, so that the mailbox keeps the order of the requests.
		if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for range 5 {
		h.wantOK(resend("203.0.113.9"), 202)
	}
	h.wantError(resend("203.0.113.9"), 429, authos.CodeRateLimitExceeded)
	h.wantOK(resend("198.51.100.20"), 202)
	_, tok := h.mail(email, "Verify")
	h.wantOK(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": tok}), 200)
}

// TestNewResetRequestKeepsEarlierLinks reproduces the voided link: a second
// request keeps the first link working; the three newest links stay live
// and the fourth request voids the oldest.
func TestNewResetRequestKeepsEarlierLinks(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email = "links@example.com"
			h.registerVerified(email, "the right password")
			var links []string
			for range 4 {
				h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
				_, tok := h.mail(email, "Reset")
				links = append(links, tok)
				h.clock.Advance(time.Second)
			}
			for i, want := range []bool{false, true, true, true} {
				if got := resetTokenLive(t, h, st, links[i]); got != want {
					t.Errorf("link %d live = %v; want %v", i+1, got, want)
				}
			}
			h.wantError(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": links[0], "password": "first link password"}), 400, authos.CodeInvalidToken)
			h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": links[1], "password": "second link password"}), 200)
			// A successful reset voids the other live links.
			h.wantError(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": links[3], "password": "fourth link password"}), 400, authos.CodeInvalidToken)
			h.wantOK(h.login(email, "second link password"), 200)
		})
	}
}

// TestSecondResetRequestKeepsFirstLink is the reproduction: two
// requests, and the first link still resets.
func TestSecondResetRequestKeepsFirstLink(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), func(c *authos.Config) { viaProxy(c); noLimits(c) })
			const email = "fiona@example.com"
			h.registerVerified(email, "the right password")
			h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
			_, first := h.mail(email, "Reset")
			h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
			if _, second := h.mail(email, "Reset"); second == first {
				t.Fatal("the second request sent the same link")
			}
			h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": first, "password": "reset by the first link"}), 200)
			h.wantOK(h.login(email, "reset by the first link"), 200)
		})
	}
}

// TestLockoutKeyScope: the per-address keys belong to the account's scope,
// which is what a reset clears.
func TestLockoutKeyScope(t *testing.T) {
	t.Parallel()
	k := lockoutkey.Account("A@example.com")
	if got := store.FailureScope(lockoutkey.Address("a@example.com", "192.0.2.1")); got != k {
		t.Errorf("scope of the address key = %q; want the account key %q", got, k)
	}
	if store.FailureScope(k) != k {
		t.Errorf("scope of the account key is not itself")
	}
}
