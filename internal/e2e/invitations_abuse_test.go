package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/mailer"
	"github.com/authos/authos/store"
)

// invitationMails counts the delivered invitation emails.
func (h *harness) invitationMails() []mailer.MailboxEntry {
	h.t.Helper()
	if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	msgs, err := mailer.ReadMailbox(h.mailbox)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []mailer.MailboxEntry
	for _, m := range msgs {
		if strings.Contains(m.Subject, "invited") {
			out = append(out, m)
		}
	}
	return out
}

func orgInvitations(t *testing.T, st store.Storage, slug string) []store.Invitation {
	t.Helper()
	o, err := st.GetOrgBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	invs, err := st.ListOrgInvitations(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

// TestInvitationsNeedAnActiveOrganization: an unapproved organization sent
// invitation emails. A pending or suspended organization now invites no
// one: ORGANIZATION_NOT_ACTIVE, nothing stored, no email.
func TestInvitationsNeedAnActiveOrganization(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st, nil)
		po := h.owner()
		alice := h.loginAs("alice@example.com")
		created := h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
		orgID := created.body["organization"].(map[string]any)["id"].(string)

		h.wantError(h.do("POST", "/api/organizations/acme/invitations", alice,
			map[string]string{"email": "victim@example.com", "role": "member"}), 403, authos.CodeOrganizationNotActive)
		if invs := orgInvitations(t, st, "acme"); len(invs) != 0 {
			t.Fatalf("a pending organization stored %d invitations", len(invs))
		}
		if n := len(h.invitationMails()); n != 0 {
			t.Fatalf("a pending organization sent %d invitation emails", n)
		}

		h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/approve", po, map[string]string{"tier": "free"}), 200)
		h.invite(alice, "acme", "friend@example.com")
		h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/suspend", po, map[string]string{"reason": "abuse"}), 200)
		h.wantError(h.do("POST", "/api/organizations/acme/invitations", alice,
			map[string]string{"email": "victim@example.com", "role": "member"}), 403, authos.CodeOrganizationNotActive)
		if invs := orgInvitations(t, st, "acme"); len(invs) != 1 {
			t.Fatalf("invitations after the suspended organization's attempt: %d; want 1", len(invs))
		}
		if n := len(h.invitationMails()); n != 1 {
			t.Fatalf("invitation emails: %d; want 1", n)
		}
	})
}

// TestInvitationsAreRateLimited: 40 invitations went out in 0.1 s. With the
// default limits one inviter sends 10 at once, then RATE_LIMIT_EXCEEDED
// with Retry-After, and nothing more is stored or mailed.
func TestInvitationsAreRateLimited(t *testing.T) {
	testbackends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st, func(c *authos.Config) { c.AutoApproveOrgs = true })
		alice := h.loginAs("alice@example.com")
		h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
		sent := 0
		var refused response
		for i := range 40 {
			r := h.do("POST", "/api/organizations/acme/invitations", alice,
				map[string]string{"email": fmt.Sprintf("v%02d@example.com", i), "role": "member"})
			if r.status != 201 {
				refused = r
				break
			}
			sent++
		}
		if sent != 10 {
			t.Fatalf("%d invitations before the first refusal; want 10", sent)
		}
		h.wantError(refused, 429, authos.CodeRateLimitExceeded)
		if refused.header.Get("Retry-After") == "" {
			t.Fatalf("no Retry-After on %s", refused.raw)
		}
		if invs := orgInvitations(t, st, "acme"); len(invs) != 10 {
			t.Fatalf("stored invitations: %d; want 10", len(invs))
		}
		if n := len(h.invitationMails()); n != 10 {
			t.Fatalf("invitation emails: %d; want 10", n)
		}
	})
}

// TestInvitationLimitsPerOrganizationAndInviter: the per-organization
// budget is shared by its admins; the per-inviter budget follows the user
// into other organizations; both refill with time.
func TestInvitationLimitsPerOrganizationAndInviter(t *testing.T) {
	h := newHarness(t, memoryBackend(t), func(c *authos.Config) {
		c.AutoApproveOrgs = true
		c.InvitationLimits = authos.InvitationLimits{
			PerOrg:     authos.Limit{Rate: 1, Period: time.Hour, Burst: 3},
			PerInviter: authos.Limit{Rate: 1, Period: time.Hour, Burst: 2},
		}
	})
	alice := h.loginAs("alice@example.com")
	h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
	h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "other", "name": "Other"}), 201)
	invite := func(token, org, email, role string) response {
		return h.do("POST", "/api/organizations/"+org+"/invitations", token, map[string]string{"email": email, "role": role})
	}
	bobInv := h.wantOK(invite(alice, "acme", "bob@example.com", "admin"), 201).str("token")
	bob := h.loginAs("bob@example.com")
	h.wantOK(h.do("POST", "/api/invitations/accept", bob, map[string]string{"token": bobInv}), 200)
	h.wantOK(invite(alice, "acme", "a2@example.com", "member"), 201)
	h.wantError(invite(alice, "acme", "a3@example.com", "member"), 429, authos.CodeRateLimitExceeded)  // alice: 2 of 2
	h.wantError(invite(alice, "other", "a3@example.com", "member"), 429, authos.CodeRateLimitExceeded) // follows her
	h.wantOK(invite(bob, "acme", "b1@example.com", "member"), 201)                                     // acme: 3 of 3
	h.wantError(invite(bob, "acme", "b2@example.com", "member"), 429, authos.CodeRateLimitExceeded)    // acme is out
	h.clock.Advance(time.Hour)
	alice = h.wantOK(h.login("alice@example.com", passwordFor("alice@example.com")), 200).str("access_token")
	h.wantOK(invite(alice, "other", "a3@example.com", "member"), 201)
}

// TestInvitationSubjectHoldsOnlyAValidatedName: the organization's name is
// the only caller-chosen text of the invitation subject, and it is at most
// 100 characters without control characters.
func TestInvitationSubjectHoldsOnlyAValidatedName(t *testing.T) {
	h := newHarness(t, memoryBackend(t), func(c *authos.Config) { c.AutoApproveOrgs = true })
	alice := h.loginAs("alice@example.com")
	long := strings.Repeat("W", 100)
	h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": long}), 201)
	h.wantError(h.do("PATCH", "/api/organizations/acme", alice, map[string]string{"name": long + "W"}), 400, authos.CodeNameTooLong)
	h.wantError(h.do("PATCH", "/api/organizations/acme", alice, map[string]string{"name": "Acme\r\nBcc: all@example.com"}), 400, authos.CodeBadRequest)
	h.invite(alice, "acme", "bob@example.com")
	mails := h.invitationMails()
	if len(mails) != 1 {
		t.Fatalf("invitation emails: %d", len(mails))
	}
	if want := "You are invited to " + long + " on authos"; mails[0].Subject != want {
		t.Fatalf("subject = %q; want %q", mails[0].Subject, want)
	}
}
