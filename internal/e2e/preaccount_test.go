package e2e_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

func autoApprove(c *authos.Config) { c.RateLimits.Disabled = true; c.AutoApproveOrgs = true }

// TestPreAccountHijackingPrevented: whoever registers an address first
// does not keep it until it is verified. The owner of the mailbox
// registering it again gets 201 as for a new account, which replaces the
// pending password and name; the first registrant's verification link is
// void, the new one verifies, and only the owner's password logs in. An
// invitation waiting for the address survives; a verified account still
// answers USER_ALREADY_EXISTS.
func TestPreAccountHijackingPrevented(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), autoApprove)
			owner := h.loginAs("owner@example.com")
			h.wantOK(h.do("POST", "/api/organizations", owner, map[string]string{"slug": "acme", "name": "Acme"}), 201)
			inviteTok := h.invite(owner, "acme", "victim@example.com")

			const attackerPW, victimPW = "attacker chosen secret", "the owner's passphrase"
			first := h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{
				"email": "victim@example.com", "password": attackerPW, "name": "Mallory"}), 201)
			_, attackerLink := h.mail("victim@example.com", "Verify")

			again := h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{
				"email": "Victim@Example.com", "password": victimPW, "name": "Vera"}), 201)
			u := again.body["user"].(map[string]any)
			if u["email_verified"] != false || u["name"] != "Vera" || u["email"] != "Victim@Example.com" {
				t.Fatalf("second registration answered %s", again.raw)
			}
			if first.body["user"].(map[string]any)["id"] != u["id"] {
				t.Errorf("the pending account was not replaced in place: %s vs %s", first.raw, again.raw)
			}
			_, ownerLink := h.mail("victim@example.com", "Verify")
			if ownerLink == attackerLink {
				t.Fatal("no new verification link was sent")
			}
			h.wantError(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": attackerLink}), 400, authos.CodeInvalidToken)
			// The first registrant's password is gone at once.
			h.wantError(h.login("victim@example.com", attackerPW), 401, authos.CodeInvalidCredentials)
			h.wantError(h.login("victim@example.com", victimPW), 401, authos.CodeEmailNotVerified)
			h.wantOK(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": ownerLink}), 200)

			h.wantError(h.login("victim@example.com", attackerPW), 401, authos.CodeInvalidCredentials)
			victim := h.wantOK(h.login("victim@example.com", victimPW), 200).str("access_token")
			if p := h.wantOK(h.do("GET", "/api/user", victim, nil), 200); p.str("name") != "Vera" {
				t.Errorf("profile after verification: %s", p.raw)
			}
			h.wantOK(h.do("POST", "/api/invitations/accept", victim, map[string]string{"token": inviteTok}), 200)

			h.wantError(h.do("POST", "/api/auth/register", "", map[string]string{
				"email": "victim@example.com", "password": attackerPW}), 409, authos.CodeUserAlreadyExists)
			h.wantOK(h.login("victim@example.com", victimPW), 200)
		})
	}
}

// TestUnverifiedAccountsRemovedByRun: the hourly cleanup that Run performs
// deletes an account whose address was never verified once its last
// verification link has expired; the address can be registered again, an
// invitation waiting for it is untouched, and a younger pending account
// stays.
func TestUnverifiedAccountsRemovedByRun(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, autoApprove)
			owner := h.loginAs("owner@example.com")
			h.wantOK(h.do("POST", "/api/organizations", owner, map[string]string{"slug": "acme", "name": "Acme"}), 201)
			h.invite(owner, "acme", "pending@example.com")
			h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": "pending@example.com", "password": "first try secret 1"}), 201)
			h.clock.Advance(h.a.Config().EmailVerificationTTL - time.Hour)
			h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": "young@example.com", "password": "another one 12345"}), 201)
			h.clock.Advance(time.Hour + time.Second)

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- h.a.Run(ctx) }()
			deadline := time.Now().Add(15 * time.Second)
			for {
				_, err := st.GetUserByEmail(context.Background(), "pending@example.com")
				if errors.Is(err, store.ErrNotFound) {
					break
				}
				if time.Now().After(deadline) {
					cancel()
					if err := <-done; err != nil {
						t.Error(err)
					}
					t.Fatalf("the expired pending account is still there (%v)", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if _, err := st.GetUserByEmail(context.Background(), "young@example.com"); err != nil {
				t.Errorf("the younger pending account was removed: %v", err)
			}
			if _, err := st.GetUserByEmail(context.Background(), "owner@example.com"); err != nil {
				t.Errorf("a verified account was removed: %v", err)
			}
			owner = h.wantOK(h.login("owner@example.com", passwordFor("owner@example.com")), 200).str("access_token")
			invs := h.wantOK(h.do("GET", "/api/organizations/acme/invitations", owner, nil), 200)
			if l, _ := invs.body["invitations"].([]any); len(l) != 1 || l[0].(map[string]any)["status"] != "pending" {
				t.Errorf("invitations after the cleanup: %s", invs.raw)
			}
			h.registerVerified("pending@example.com", "second try secret 2")
			h.wantOK(h.login("pending@example.com", "second try secret 2"), 200)
		})
	}
}
