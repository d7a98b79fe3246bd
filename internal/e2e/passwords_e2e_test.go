package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// TestWeakPasswordsRefusedOverHTTP: the passwords the review registered
// (common ones, eight spaces, the email itself) and ones holding the
// email's name part or the product name are refused at registration and at
// password change with WEAK_PASSWORD and a message that says why.
func TestWeakPasswordsRefusedOverHTTP(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), noLimits)
			email := "kim.lee@example.com"
			cases := []struct{ pw, why string }{
				{"password", "too common"},
				{"12345678", "too common"},
				{"qwertyuiop", "too common"},
				{"password123", "too common"},
				{"        ", "only spaces"},
				{email, "your email address"},
				{"KIM.LEE is me", "name part"},
				{"my authos password", `"authos"`},
			}
			for _, c := range cases {
				r := h.wantError(h.do("POST", "/api/auth/register", "", map[string]string{"email": email, "password": c.pw}),
					400, authos.CodeWeakPassword)
				if !strings.Contains(r.str("error"), c.why) {
					t.Errorf("register with %q: message %q does not say %q", c.pw, r.str("error"), c.why)
				}
			}
			if _, err := h.a.Store().GetUserByEmail(context.Background(), email); err == nil {
				t.Fatal("an account was created with a weak password")
			}
			tok := h.loginAs(email)
			for _, c := range []struct{ pw, why string }{cases[0], cases[5], cases[7]} {
				r := h.wantError(h.do("POST", "/api/user/password", tok, map[string]string{
					"current_password": passwordFor(email), "new_password": c.pw}), 400, authos.CodeWeakPassword)
				if !strings.Contains(r.str("error"), c.why) {
					t.Errorf("change to %q: message %q does not say %q", c.pw, r.str("error"), c.why)
				}
			}
		})
	}
}

// TestPasswordsNormalisedOverHTTP: passwords are normalised to NFKC before
// hashing, so a password registered in NFD logs in when typed in NFC (and
// the reverse); a hash stored from raw NFD input before normalisation
// still logs in with that input, and is then replaced by the hash of the
// normalised form, after which the NFC spelling works too.
func TestPasswordsNormalisedOverHTTP(t *testing.T) {
	const nfc, nfd = "Ångström lösenord", "A\u030angstro\u0308m lo\u0308senord"
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, noLimits)
			h.registerVerified("nfd@example.com", nfd)
			h.wantOK(h.login("nfd@example.com", nfc), 200)
			h.wantOK(h.login("nfd@example.com", nfd), 200)
			h.registerVerified("nfc@example.com", nfc)
			h.wantOK(h.login("nfc@example.com", nfd), 200)

			// An account whose hash was made from the raw NFD bytes.
			ctx := context.Background()
			h.registerVerified("legacy@example.com", "placeholder passphrase")
			u, err := st.GetUserByEmail(ctx, "legacy@example.com")
			if err != nil {
				t.Fatal(err)
			}
			legacy, err := h.a.Config().Hasher.Hash(ctx, nfd) // the configured hasher itself does not normalise
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: legacy, UpdatedAt: h.clock.Now()}); err != nil {
				t.Fatal(err)
			}
			h.wantOK(h.login("legacy@example.com", nfd), 200)
			cred, err := st.GetPassword(ctx, u.ID)
			if err != nil || cred.Hash == legacy {
				t.Fatalf("the legacy hash was not replaced (%v)", err)
			}
			h.wantOK(h.login("legacy@example.com", nfc), 200)
			h.wantError(h.login("legacy@example.com", "Angstrom losenord"), 401, authos.CodeInvalidCredentials)
		})
	}
}
