package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

var mailTokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-%]+)`)

// mailToken is the token of the newest email to addr whose subject holds
// subject.
func (h *harness) mailToken(addr, subject string) string {
	h.t.Helper()
	_, m := h.newestMail(addr, subject, mailTokenRE)
	tok, _ := url.QueryUnescape(m[1])
	return tok
}

// Pre-account hijacking through an organization's own OpenID Connect
// provider, end to end. The attacker administers organization acme and
// points its provider (mockoidc) at an issuer they run, so it asserts a
// verified victim address nobody registered yet. That sign-in makes an
// unverified account with an unconfirmed identity and signs nobody in; the
// confirmation goes to the victim's mailbox. Whichever way the victim then
// proves the address (registration and verification, a password reset,
// a verification link), the attacker's identity is unlinked at its next
// use and never signs in as the victim; the attacker's confirmation link,
// opened afterwards, no longer applies.
func TestPreAccountHijack(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()
		ost := st.(store.OAuthStore)
		attack := func(victim string) result {
			t.Helper()
			return h.signInVia("attacker-"+victim, victim, true)
		}
		// noCode: the answer gave nobody a code or a session.
		noCode := func(r result, status int, code string) {
			t.Helper()
			wantPage(t, r, status, code)
			if loc := r.header.Get("Location"); loc != "" {
				t.Fatalf("the attacker's sign-in was sent to %s", loc)
			}
		}
		attackerIdentity := func(victim string) (store.OAuthIdentity, error) {
			return ost.FindOAuthIdentity(ctx, "acme-sso", h.org.ID, "attacker-"+victim)
		}
		checkPending := func(victim string) {
			t.Helper()
			u, err := st.GetUserByEmail(ctx, victim)
			if err != nil || u.EmailVerified {
				t.Fatalf("%s after the attack: %+v, %v; want an unverified account", victim, u, err)
			}
			if id, err := attackerIdentity(victim); err != nil || !id.Unconfirmed {
				t.Fatalf("the attacker's identity: %+v, %v; want it unconfirmed", id, err)
			}
		}
		evicted := func(victim string) {
			t.Helper()
			noCode(attack(victim), 409, "CONFLICT")
			if _, err := attackerIdentity(victim); err == nil {
				t.Fatalf("the attacker's identity is still linked to %s", victim)
			}
			// And stays out: the address belongs to a verified account
			// outside the organization.
			noCode(attack(victim), 409, "CONFLICT")
			if ids, err := ost.ListOAuthIdentities(ctx, mustUser(t, st, victim).ID); err != nil || len(ids) != 0 {
				t.Fatalf("%s's identities: %v, %v", victim, ids, err)
			}
		}

		// The victim registers (and verifies) the address.
		noCode(attack("vic1@example.com"), 401, "EMAIL_NOT_VERIFIED")
		checkPending("vic1@example.com")
		noCode(attack("vic1@example.com"), 401, "EMAIL_NOT_VERIFIED") // still nobody's
		confirmation := h.confirmLink("vic1@example.com")
		if _, err := h.inst.Register(ctx, authos.RegisterInput{Email: "vic1@example.com", Password: password}); err != nil {
			t.Fatalf("the victim's registration: %v", err)
		}
		// The confirmation the attacker caused applies no more: the
		// account has the victim's password now.
		wantPage(t, h.confirm(confirmation), 400, "INVALID_TOKEN")
		if _, err := h.inst.VerifyEmail(ctx, h.mailToken("vic1@example.com", "Verify")); err != nil {
			t.Fatalf("the victim's verification: %v", err)
		}
		evicted("vic1@example.com")
		if _, err := h.inst.Login(ctx, authos.LoginInput{Email: "vic1@example.com", Password: password}); err != nil {
			t.Fatalf("the victim's password login: %v", err)
		}

		// The victim resets the password of the account they find.
		noCode(attack("vic2@example.com"), 401, "EMAIL_NOT_VERIFIED")
		checkPending("vic2@example.com")
		if err := h.inst.ForgotPassword(ctx, "vic2@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := h.inst.ResetPassword(ctx, h.mailToken("vic2@example.com", "Reset"), password); err != nil {
			t.Fatalf("the victim's reset: %v", err)
		}
		evicted("vic2@example.com")
		if _, err := h.inst.Login(ctx, authos.LoginInput{Email: "vic2@example.com", Password: password}); err != nil {
			t.Fatalf("the victim's login with the reset password: %v", err)
		}

		// The victim follows a verification link (the attacker may have
		// asked for it to be sent), and later the attacker's confirmation.
		noCode(attack("vic3@example.com"), 401, "EMAIL_NOT_VERIFIED")
		if err := h.inst.ResendVerification(ctx, "vic3@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.inst.VerifyEmail(ctx, h.mailToken("vic3@example.com", "Verify")); err != nil {
			t.Fatalf("the victim's verification: %v", err)
		}
		wantPage(t, h.confirm(h.confirmLink("vic3@example.com")), 400, "INVALID_TOKEN")
		evicted("vic3@example.com")

		// The provider's own identity is no way into the account either
		// from the vault's side: a service gets no token of an unconfirmed
		// identity.
		noCode(attack("vic4@example.com"), 401, "EMAIL_NOT_VERIFIED")
		wantCode(t, h.vault(h.web.ClientID, h.web.ClientSecret, mustUser(t, st, "vic4@example.com").ID), 404, authos.CodeNotFound)

		// The confirmation email names the provider and organization, in
		// the language of the person who signed in.
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-gerd", Email: "gerd@example.com", EmailVerified: true})
		b := browser(t)
		cb := location(t, get(t, b, h.toIdP(b).String()))
		req, _ := http.NewRequest("GET", cb.String(), nil)
		req.Header.Set("Accept-Language", "de")
		if r := send(t, b, req); r.status != 401 || !strings.Contains(r.body, "Bestätigen Sie Ihre E-Mail-Adresse") {
			t.Fatalf("German page: %d %s", r.status, r.body)
		}
		mail, _ := h.newestMail("gerd@example.com", "", nil)
		if !strings.Contains(mail.Subject, "Bestätigen") || !strings.Contains(mail.Text, "acme-sso von Acme") {
			t.Fatalf("confirmation email %+v", mail)
		}
	})
}

func mustUser(t *testing.T, st store.Storage, email string) authos.User {
	t.Helper()
	u, err := st.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return u
}
