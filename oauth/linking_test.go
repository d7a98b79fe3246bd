package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// signInVia runs a whole sign-in through the organization's provider in
// a new browser and returns the last answer (the client's redirect, or a
// page).
func (h *harness) signInVia(sub, email string, verified bool) result {
	h.t.Helper()
	h.idp.QueueUser(&mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: verified})
	b := browser(h.t)
	cb := location(h.t, get(h.t, b, h.toIdP(b).String()))
	return get(h.t, b, cb.String())
}

func (h *harness) identities(token string) []map[string]any {
	h.t.Helper()
	r := h.do("GET", "/api/user/identities", token, nil)
	if r.status != 200 {
		h.t.Fatalf("identities: %d %s", r.status, r.body)
	}
	return listOf(r)
}

// The account rules: a verified provider email joins the account whose
// email is verified (for an organization's own OpenID Connect provider,
// only a member's); an unverified one, or an unverified account, does
// not (the error page says to sign in with the password and link); a
// signed-in user links the provider from a session; the last way to sign
// in cannot be unlinked.
func TestLinkingRules(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		ctx := context.Background()

		// Verified on both sides, but bob is no member of the
		// organization whose own provider this is: it may not vouch for
		// him (an admin could otherwise take over any account).
		bob := authostest.Token(t, h.inst, "bob@example.com", authostest.Password(password))
		wantPage(t, h.signInVia("idp-bob", "bob@example.com", true), 409, "CONFLICT")
		if ids := h.identities(bob); len(ids) != 0 {
			t.Fatalf("a non-member's identities after the organization's provider vouched for him: %v", ids)
		}
		// Verified on both sides and a member: joined.
		bp, err := h.inst.VerifyAccessToken(ctx, bob, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddMember(ctx, store.Membership{OrgID: h.org.ID, UserID: bp.UserID, Role: store.RoleMember, CreatedAt: h.inst.Now()}); err != nil {
			t.Fatal(err)
		}
		if r := h.signInVia("idp-bob", "bob@example.com", true); r.status != http.StatusFound || location(t, r).Query().Get("code") == "" {
			t.Fatalf("verified join: %d %s", r.status, r.body)
		}
		if ids := h.identities(bob); len(ids) != 1 || ids[0]["subject"] != "idp-bob" {
			t.Fatalf("bob's identities %v", ids)
		}

		// The provider does not vouch for the email: no join, no account.
		carol := authostest.Token(t, h.inst, "carol@example.com", authostest.Password(password))
		wantPage(t, h.signInVia("idp-carol", "carol@example.com", false), 401, "EMAIL_NOT_VERIFIED")
		if ids := h.identities(carol); len(ids) != 0 {
			t.Fatalf("carol's identities after an unverified provider email: %v", ids)
		}
		// The account's email is unverified: no join either.
		if _, err := h.inst.Register(ctx, authos.RegisterInput{Email: "dan@example.com", Password: password}); err != nil {
			t.Fatal(err)
		}
		r := h.signInVia("idp-dan", "dan@example.com", true)
		wantPage(t, r, 409, "CONFLICT")
		if dan, err := st.GetUserByEmail(ctx, "dan@example.com"); err != nil || dan.EmailVerified {
			t.Fatalf("dan after the refused join: %+v, %v", dan, err)
		}
		if _, err := st.(store.OAuthStore).FindOAuthIdentity(ctx, "acme-sso", h.org.ID, "idp-dan"); err == nil {
			t.Fatal("an identity was linked to the unverified account")
		}
		// German for people who ask for it.
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-carol", Email: "carol@example.com", EmailVerified: false})
		b := browser(t)
		cb := location(t, get(t, b, h.toIdP(b).String()))
		req, _ := http.NewRequest("GET", cb.String(), nil)
		req.Header.Set("Accept-Language", "de")
		if r := send(t, b, req); r.status != 401 || !strings.Contains(r.body, "hat für dieses Konto keine E-Mail-Adresse bestätigt") || !strings.Contains(r.body, "Fehlercode: EMAIL_NOT_VERIFIED") {
			t.Fatalf("German page: %d %s", r.status, r.body)
		}

		// Carol links the provider from her session: re-authenticated.
		wantCode(t, h.do("POST", "/api/user/identities/acme-sso", carol, map[string]any{"current_password": "wrong", "organization": "acme"}), 401, authos.CodeInvalidCredentials)
		b = browser(t)
		r = h.doIn(b, "POST", "/api/user/identities/acme-sso", carol, map[string]any{"current_password": password, "organization": "acme"})
		link, _ := r.json["url"].(string)
		if r.status != 200 || link == "" {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-carol", Email: "carol-other@example.com", EmailVerified: false})
		cb = location(t, get(t, b, location(t, get(t, b, link)).String()))
		if r := get(t, b, cb.String()); r.status != 200 || !strings.Contains(r.body, "is now linked") {
			t.Fatalf("link callback: %d %s", r.status, r.body)
		}
		ids := h.identities(carol)
		if len(ids) != 1 || ids[0]["subject"] != "idp-carol" {
			t.Fatalf("carol's identities %v", ids)
		}
		// The same provider account cannot be linked to another account.
		b = browser(t)
		r = h.doIn(b, "POST", "/api/user/identities/acme-sso", bob, map[string]any{"current_password": password, "organization": "acme"})
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-carol", Email: "carol@example.com", EmailVerified: true})
		cb = location(t, get(t, b, location(t, get(t, b, r.json["url"].(string))).String()))
		wantPage(t, get(t, b, cb.String()), 409, "CONFLICT")
		// A forged link URL.
		wantPage(t, get(t, browser(t), h.srv.URL+"/auth/social/acme-sso?link=AAAA"), 400, "OAUTH_STATE_MISMATCH")

		// Carol has a password: she may unlink.
		if r := h.do("DELETE", "/api/user/identities/acme-sso", carol, map[string]any{"current_password": password}); r.status != 204 {
			t.Fatalf("unlink: %d %s", r.status, r.body)
		}
		wantCode(t, h.do("DELETE", "/api/user/identities/acme-sso", carol, map[string]any{"current_password": password}), 404, authos.CodeNotFound)

		// An account made by the provider has no password: its only
		// identity stays.
		h.provision("idp-erin", "erin@example.com")
		if r := h.signInVia("idp-erin", "erin@example.com", true); r.status != http.StatusFound {
			t.Fatalf("erin: %d %s", r.status, r.body)
		}
		erin, err := st.GetUserByEmail(ctx, "erin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := h.inst.CompleteLogin(ctx, erin, authos.LoginContext{Method: "social"})
		if err != nil {
			t.Fatal(err)
		}
		id := h.identities(tr.AccessToken)[0]["id"].(string)
		wantCode(t, h.do("DELETE", "/api/user/identities/"+id, tr.AccessToken, nil), 409, authos.CodeConflict)
		if ids := h.identities(tr.AccessToken); len(ids) != 1 || ids[0]["id"] != id {
			t.Fatalf("erin's identities after the refused unlink: %v", ids)
		}
		cp, err := h.inst.VerifyAccessToken(ctx, carol, "")
		if err != nil {
			t.Fatal(err)
		}
		var unlinked int
		for _, ev := range h.inst.Events() {
			if ev.Type == "user.identity.unlinked" {
				unlinked++
				if ev.TargetID != cp.UserID || ev.Data["provider"] != "acme-sso" {
					t.Errorf("user.identity.unlinked of %s at %v; want carol's at acme-sso", ev.TargetID, ev.Data["provider"])
				}
			}
		}
		if unlinked != 1 {
			t.Errorf("%d user.identity.unlinked events; want carol's one", unlinked)
		}
	})
}

// A link URL is single use and opens only in the browser that asked for
// it: whoever else sees it (history, logs, a shared screen) cannot link
// their own provider account to the holder's account with it.
func TestLinkTicket(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		h.useIdP()
		fay := authostest.Token(t, h.inst, "fay@example.com", authostest.Password(password))
		ask := func(b *http.Client) string {
			t.Helper()
			r := h.doIn(b, "POST", "/api/user/identities/acme-sso", fay, map[string]any{"current_password": password, "organization": "acme"})
			link, _ := r.json["url"].(string)
			if r.status != 200 || link == "" || !strings.Contains(r.header.Get("Set-Cookie"), "authos_social=") {
				t.Fatalf("link: %d %s (Set-Cookie %q)", r.status, r.body, r.header.Get("Set-Cookie"))
			}
			return link
		}

		// Reused in the same browser: the second opening is refused.
		b := browser(t)
		link := ask(b)
		if u := location(t, get(t, b, link)); !strings.HasPrefix(u.String(), h.idp.AuthorizationEndpoint()) {
			t.Fatalf("the link URL led to %s, not the provider", u)
		}
		wantPage(t, get(t, b, link), 400, "OAUTH_STATE_MISMATCH")

		// Opened in another browser: refused, and spent.
		b = browser(t)
		link = ask(b)
		mallory := browser(t)
		wantPage(t, get(t, mallory, link), 400, "OAUTH_STATE_MISMATCH")
		wantPage(t, get(t, b, link), 400, "OAUTH_STATE_MISMATCH")
		// Nor does a browser with a binding cookie of its own do.
		link = ask(browser(t))
		mallory = browser(t)
		h.toIdP(mallory) // mallory's own provider login gives her a cookie
		wantPage(t, get(t, mallory, link), 400, "OAUTH_STATE_MISMATCH")

		// Within 10 minutes only.
		b = browser(t)
		link = ask(b)
		h.inst.Clock.Advance(10 * time.Minute)
		wantPage(t, get(t, b, link), 400, "OAUTH_STATE_MISMATCH")
		h.inst.Clock.Advance(-10 * time.Minute)

		// The right browser, once: linked.
		b = browser(t)
		link = ask(b)
		h.idp.QueueUser(&mockoidc.MockUser{Subject: "idp-fay", Email: "fay@example.com", EmailVerified: true})
		cb := location(t, get(t, b, location(t, get(t, b, link)).String()))
		if r := get(t, b, cb.String()); r.status != 200 || !strings.Contains(r.body, "is now linked") {
			t.Fatalf("link callback: %d %s", r.status, r.body)
		}
		if ids := h.identities(fay); len(ids) != 1 || ids[0]["subject"] != "idp-fay" {
			t.Fatalf("fay's identities %v", ids)
		}
	})
}
