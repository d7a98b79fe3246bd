package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/store"
)

// confirmLinks are the confirmation links mailed to email, oldest first.
func (h *harness) confirmLinks(email string) []string {
	var links []string
	for _, m := range h.inst.Emails() {
		if l := confirmLinkRE.FindString(m.Text); m.To == email && l != "" {
			links = append(links, l)
		}
	}
	return links
}

// A person who lost the confirmation link signs in through the pending
// identity again: the answer is EMAIL_NOT_VERIFIED each time, and a new
// link goes out that replaces the first (which then answers
// INVALID_TOKEN), but no more than one every ConfirmResendAfter; the new
// link confirms the identity, which then signs the person in.
func TestConfirmationResend(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()
		const sub, addr = "idp-lost", "lost@example.com"
		signIn := func(wantLinks int) {
			t.Helper()
			wantPage(t, h.signInVia(sub, addr, true), 401, "EMAIL_NOT_VERIFIED")
			if got := h.confirmLinks(addr); len(got) != wantLinks {
				t.Fatalf("%d confirmation emails to %s; want %d", len(got), addr, wantLinks)
			}
		}

		signIn(1)
		// At once, and just before the window ends: no second email.
		signIn(1)
		h.advance(oauth.ConfirmResendAfter - time.Second)
		signIn(1)
		h.advance(time.Second)
		signIn(2)
		links := h.confirmLinks(addr)
		if links[0] == links[1] {
			t.Fatalf("the second email carries the first link %s", links[0])
		}
		// Within the window of the second link: no third.
		h.advance(oauth.ConfirmResendAfter / 2)
		signIn(2)

		// The first link was replaced: refused, and the identity stays
		// unconfirmed.
		wantPage(t, h.confirm(links[0]), 400, "INVALID_TOKEN")
		id, err := st.(store.OAuthStore).FindOAuthIdentity(ctx, "acme-sso", h.org.ID, sub)
		if err != nil || !id.Unconfirmed || mustUser(t, st, addr).EmailVerified {
			t.Fatalf("after the replaced link: %+v, %v; want the identity unconfirmed, the address unverified", id, err)
		}
		// The second confirms, once.
		if r := h.confirm(links[1]); r.status != 200 || !strings.Contains(r.body, "is confirmed") {
			t.Fatalf("confirming with the second link: %d %s", r.status, r.body)
		}
		wantPage(t, h.confirm(links[1]), 400, "INVALID_TOKEN")
		if id, err = st.(store.OAuthStore).FindOAuthIdentity(ctx, "acme-sso", h.org.ID, sub); err != nil || id.Unconfirmed || !mustUser(t, st, addr).EmailVerified {
			t.Fatalf("after the confirmation: %+v, %v; want the identity confirmed, the address verified", id, err)
		}
		r := h.signInVia(sub, addr, true)
		if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), webCallback+"?") || !strings.Contains(r.header.Get("Location"), "code=") {
			t.Fatalf("the sign-in after the confirmation: %d %s %s", r.status, r.header.Get("Location"), r.body)
		}
		if got := len(h.confirmLinks(addr)); got != 2 {
			t.Fatalf("%d confirmation emails after the confirmed sign-in; want 2", got)
		}

		// A link sent before links were replaced (no record of the
		// current link) works until it expires, like the first of an
		// identity that was never signed in again.
		const sub2, addr2 = "idp-early", "early@example.com"
		wantPage(t, h.signInVia(sub2, addr2, true), 401, "EMAIL_NOT_VERIFIED")
		u2 := mustUser(t, st, addr2)
		ids, err := st.(store.OAuthStore).ListOAuthIdentities(ctx, u2.ID)
		if err != nil || len(ids) != 1 {
			t.Fatalf("identities of %s: %v %v", addr2, ids, err)
		}
		if err := st.DeleteUserTokens(ctx, u2.ID, oauth.ConfirmPurpose(ids[0].ID)); err != nil {
			t.Fatal(err)
		}
		if r := h.confirm(h.confirmLink(addr2)); r.status != 200 || !strings.Contains(r.body, "is confirmed") {
			t.Fatalf("confirming with a link without a record: %d %s", r.status, r.body)
		}
	})
}
