package mfa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

var backupCodeRE = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){5}$`)

// decodeQR reads the text of the QR code in a PNG.
func decodeQR(t *testing.T, pngBytes []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("qr_png is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return res.GetText()
}

// TestLifecycle walks the whole MFA story over HTTP on every backend.
func TestLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "alice@example.com"
		alice := h.user(email)
		access := h.accessToken(email)

		st0 := h.wantOK(h.do("GET", "/api/user/mfa", access, nil), http.StatusOK)
		if st0.body["enabled"] != false || st0.body["backup_codes_remaining"] != float64(0) {
			t.Fatalf("status before setup = %s", st0.raw)
		}
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": "123456"}), 400, authos.CodeMFANotEnabled)
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": "123456"}), 400, authos.CodeMFANotEnabled)

		// Setup: secret, otpauth URL and the same URL as a QR code.
		setup := h.wantOK(h.do("POST", "/api/user/mfa/setup", access, reauth), http.StatusOK)
		if cc := setup.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("setup Cache-Control = %q; want no-store", cc)
		}
		secret, otpURL := setup.str("secret"), setup.str("otpauth_url")
		pngBytes, err := base64.StdEncoding.DecodeString(setup.str("qr_png"))
		if err != nil {
			t.Fatalf("qr_png is not base64: %v", err)
		}
		if got := decodeQR(t, pngBytes); got != otpURL {
			t.Errorf("QR code text = %q; want the otpauth_url %q", got, otpURL)
		}
		u, err := url.Parse(otpURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/authos:"+email || q.Get("issuer") != "authos" ||
			q.Get("secret") != secret || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Errorf("otpauth_url = %q", otpURL)
		}
		if len(secret) != 32 { // 160 bits in base32
			t.Errorf("secret has %d base32 characters; want 32", len(secret))
		}

		// The stored secret is ciphertext, bound to the user.
		sealed := storedSecret(t, st, alice.ID)
		if len(sealed) == 0 || bytes.Contains(sealed, []byte(secret)) || bytes.Contains(bytes.ToLower(sealed), []byte(strings.ToLower(secret))) {
			t.Fatalf("stored secret %q holds the plaintext secret", sealed)
		}
		if plain, err := h.a.Keyring().Decrypt(sealed, []byte("authos_mfa.secret:"+alice.ID)); err != nil || string(plain) != secret {
			t.Errorf("stored secret does not decrypt to the secret: %v", err)
		}
		if _, err := h.a.Keyring().Decrypt(sealed, []byte("authos_mfa.secret:someone-else")); err == nil {
			t.Error("stored secret decrypts for another user")
		}

		// A wrong code leaves the factor pending; a right one enables it.
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.wrongCode(secret)}), 400, authos.CodeInvalidMFACode)
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": "abc"}), 400, authos.CodeInvalidMFACode)
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password}), 400, authos.CodeBadRequest)
		if on := h.wantOK(h.do("GET", "/api/user", access, nil), 200).body["mfa_enabled"]; on != false {
			t.Fatalf("mfa_enabled after a wrong enable code = %v", on)
		}
		enable := h.wantOK(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), http.StatusOK)
		backup := enable.strings("backup_codes")
		if len(backup) != 10 || len(slices.Compact(slices.Sorted(slices.Values(backup)))) != 10 {
			t.Fatalf("backup codes = %q; want 10 distinct", backup)
		}
		for _, c := range backup {
			if !backupCodeRE.MatchString(c) {
				t.Errorf("backup code %q is not 6 dash-joined groups of 4 base32 characters", c)
			}
		}
		if on := h.wantOK(h.do("GET", "/api/user", access, nil), 200).body["mfa_enabled"]; on != true {
			t.Fatalf("profile mfa_enabled = %v; want true", on)
		}
		st1 := h.wantOK(h.do("GET", "/api/user/mfa", access, nil), http.StatusOK)
		if st1.body["enabled"] != true || st1.body["backup_codes_remaining"] != float64(10) {
			t.Fatalf("status after enable = %s", st1.raw)
		}
		h.wantError(h.do("POST", "/api/user/mfa/setup", access, reauth), 400, authos.CodeMFAAlreadyEnabled)
		h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), 400, authos.CodeMFAAlreadyEnabled)

		// Log out; the password alone no longer logs in.
		h.wantOK(h.do("POST", "/api/auth/logout", access, nil), http.StatusNoContent)
		pre := h.preauth(email)
		h.wantError(h.verify(pre, h.wrongCode(secret)), 400, authos.CodeInvalidMFACode)
		h.wantError(h.verify(pre, h.code(secret, 0)), 400, authos.CodeInvalidMFACode) // the enabling code's step
		h.wantError(h.verify("not-a-token", "123456"), 401, authos.CodeUnauthorized)
		h.wantError(h.verify(pre, ""), 400, authos.CodeBadRequest)

		h.clock.Advance(30 * time.Second)
		code := h.code(secret, 0)
		tokens := h.wantOK(h.verify(pre, code), http.StatusOK)
		p, err := h.a.VerifyAccessToken(context.Background(), tokens.str("access_token"), "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.AMR, []string{"pwd", "otp"}) || tokens.str("refresh_token") == "" || tokens.str("token_type") != "Bearer" {
			t.Fatalf("verify: amr %v, body %s", p.AMR, tokens.raw)
		}
		access = tokens.str("access_token")
		h.wantError(h.verify(pre, code), 401, authos.CodeUnauthorized) // the preauth token is spent

		// The same TOTP code does not work twice, even inside its window.
		h.wantError(h.verify(h.preauth(email), code), 400, authos.CodeInvalidMFACode)

		// A backup code works once, however it is typed.
		typed := strings.ToUpper(strings.ReplaceAll(backup[0], "-", " "))
		h.wantOK(h.verify(h.preauth(email), typed), http.StatusOK)
		h.wantError(h.verify(h.preauth(email), backup[0]), 400, authos.CodeInvalidMFACode)
		if n := h.wantOK(h.do("GET", "/api/user/mfa", access, nil), 200).body["backup_codes_remaining"]; n != float64(9) {
			t.Errorf("backup_codes_remaining = %v; want 9", n)
		}

		// Regenerating voids every old code.
		h.wantError(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"current_password": password, "code": h.wrongCode(secret)}), 400, authos.CodeInvalidMFACode)
		h.clock.Advance(30 * time.Second)
		regen := h.wantOK(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), http.StatusOK)
		fresh := regen.strings("backup_codes")
		if len(fresh) != 10 || slices.Contains(fresh, backup[1]) {
			t.Fatalf("regenerated codes = %q", fresh)
		}
		h.wantError(h.verify(h.preauth(email), backup[1]), 400, authos.CodeInvalidMFACode)
		h.wantOK(h.verify(h.preauth(email), fresh[0]), http.StatusOK)

		// Disable with a backup code; MFA is off and login needs one step.
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": fresh[0]}), 400, authos.CodeInvalidMFACode)
		h.wantOK(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": fresh[1]}), http.StatusNoContent)
		// The session survived disabling (no session is revoked).
		if on := h.wantOK(h.do("GET", "/api/user", access, nil), 200).body["mfa_enabled"]; on != false {
			t.Fatalf("profile mfa_enabled after disable = %v", on)
		}
		h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": fresh[2]}), 400, authos.CodeMFANotEnabled)
		h.wantOK(h.do("POST", "/api/auth/logout", access, nil), http.StatusNoContent)
		h.accessToken(email)

		want := []string{mfa.EventBackupCodesRegenerated, mfa.EventDisabled, mfa.EventEnabled}
		if got := h.events(alice.ID); !slices.Equal(got, want) {
			t.Errorf("events = %v; want %v", got, want)
		}
	})
}

// A setup while a pending secret exists replaces it.
func TestSetupReplacesPendingSecret(t *testing.T) {
	h := newHarness(t, memory.New())
	h.user("bob@example.com")
	access := h.accessToken("bob@example.com")
	first := h.wantOK(h.do("POST", "/api/user/mfa/setup", access, reauth), http.StatusOK).str("secret")
	second := h.wantOK(h.do("POST", "/api/user/mfa/setup", access, reauth), http.StatusOK).str("secret")
	if first == second {
		t.Fatal("a second setup returned the same secret")
	}
	h.wantError(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(first, 0)}), 400, authos.CodeInvalidMFACode)
	h.wantOK(h.do("POST", "/api/user/mfa/enable", access, map[string]string{"current_password": password, "code": h.code(second, 0)}), http.StatusOK)
}

// The preauth token is not an access token: every route that requires one
// refuses it.
func TestPreAuthTokenRefusedByAuthenticatedRoutes(t *testing.T) {
	h := newHarness(t, memory.New())
	const email = "carol@example.com"
	h.user(email)
	h.enroll(h.accessToken(email))
	pre := h.preauth(email)

	param := regexp.MustCompile(`\{[^}]+\}`)
	var checked []string
	for _, route := range h.a.Routes() {
		method, path, _ := strings.Cut(route, " ")
		path = param.ReplaceAllString(path, "some-id")
		anon := h.do(method, path, "", map[string]string{})
		if anon.status != http.StatusUnauthorized || anon.header.Get("WWW-Authenticate") == "" {
			continue // a public route
		}
		checked = append(checked, route)
		r := h.do(method, path, pre, map[string]string{})
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s with the preauth token: got %d %s; want 401", route, r.status, r.raw)
		}
	}
	for _, want := range []string{"GET /api/user", "POST /api/auth/logout", "GET /api/user/mfa", "POST /api/user/mfa/setup",
		"POST /api/user/mfa/enable", "POST /api/user/mfa/disable", "POST /api/user/mfa/backup-codes",
		"POST /api/platform/users/{user_id}/mfa/reset"} {
		if !slices.Contains(checked, want) {
			t.Errorf("%s was not recognised as an authenticated route (checked %v)", want, checked)
		}
	}
	// The token still works for its own purpose.
	h.wantOK(h.verify(pre, h.code(h.secretOf(email), 0)), http.StatusOK)
}

// secretOf returns the plaintext secret of the user with email.
func (h *harness) secretOf(email string) string {
	h.t.Helper()
	u, err := h.st.GetUserByEmail(context.Background(), email)
	if err != nil {
		h.t.Fatal(err)
	}
	f, err := h.st.(store.MFAStore).GetMFAFactor(context.Background(), u.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	plain, err := h.a.Keyring().Decrypt(f.Secret, []byte("authos_mfa.secret:"+u.ID))
	if err != nil {
		h.t.Fatal(err)
	}
	return string(plain)
}

// After 5 wrong codes even a correct code is refused until the window has
// passed, per user (whatever the preauth token or route) and per token.
func TestThrottle(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "dave@example.com"
		h.user(email)
		access := h.accessToken(email)
		secret, _ := h.enroll(access)

		// Per user.
		pre := h.preauth(email)
		for range 5 {
			h.wantError(h.verify(pre, h.wrongCode(secret)), 400, authos.CodeInvalidMFACode)
		}
		retry := h.wantRateLimited(h.verify(pre, h.code(secret, 0)), 14*60)
		if retry > 15*time.Minute {
			t.Errorf("Retry-After = %v; want at most 15m", retry)
		}
		h.wantRateLimited(h.verify(h.preauth(email), h.code(secret, 0)), 14*60)
		h.wantRateLimited(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), 14*60)
		h.clock.Advance(14 * time.Minute)
		h.wantRateLimited(h.verify(h.preauth(email), h.code(secret, 0)), 50)
		h.clock.Advance(time.Minute + time.Second)
		h.wantOK(h.verify(h.preauth(email), h.code(secret, 0)), http.StatusOK)

		// Per preauth token: a success elsewhere resets the user's count,
		// but a token that saw 5 wrong codes stays dead.
		h.clock.Advance(30 * time.Second)
		doomed := h.preauth(email)
		for range 4 {
			h.wantError(h.verify(doomed, h.wrongCode(secret)), 400, authos.CodeInvalidMFACode)
		}
		h.wantOK(h.verify(h.preauth(email), h.code(secret, 0)), http.StatusOK)
		h.clock.Advance(30 * time.Second)
		h.wantError(h.verify(doomed, h.wrongCode(secret)), 400, authos.CodeInvalidMFACode)
		h.wantRateLimited(h.verify(doomed, h.code(secret, 0)), 1)
		access = h.wantOK(h.verify(h.preauth(email), h.code(secret, 0)), http.StatusOK).str("access_token")

		// The management routes count against the same budget.
		h.clock.Advance(30 * time.Second)
		for range 5 {
			h.wantError(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"current_password": password, "code": h.wrongCode(secret)}), 400, authos.CodeInvalidMFACode)
		}
		h.wantRateLimited(h.verify(h.preauth(email), h.code(secret, 0)), 14*60)
	})
}

// Using a backup code when none remain answers NO_BACKUP_CODES.
func TestNoBackupCodes(t *testing.T) {
	h := newHarness(t, memory.New())
	const email = "erin@example.com"
	h.user(email)
	access := h.accessToken(email)
	secret, backup := h.enroll(access)
	for _, c := range backup {
		h.wantOK(h.verify(h.preauth(email), c), http.StatusOK)
	}
	if n := h.wantOK(h.do("GET", "/api/user/mfa", access, nil), 200).body["backup_codes_remaining"]; n != float64(0) {
		t.Fatalf("backup_codes_remaining = %v; want 0", n)
	}
	h.wantError(h.verify(h.preauth(email), "aaaa-bbbb-cccc-dddd-eeee-ffff"), 400, authos.CodeNoBackupCodes)
	h.wantError(h.verify(h.preauth(email), backup[0]), 400, authos.CodeNoBackupCodes)
	h.wantError(h.do("POST", "/api/user/mfa/disable", access, map[string]string{"current_password": password, "code": backup[1]}), 400, authos.CodeNoBackupCodes)
	// TOTP still works, and regenerating gives a full set.
	regen := h.wantOK(h.do("POST", "/api/user/mfa/backup-codes", access, map[string]string{"current_password": password, "code": h.code(secret, 0)}), 200)
	if len(regen.strings("backup_codes")) != 10 {
		t.Fatalf("regenerated = %s", regen.raw)
	}
}

// A platform owner resets a user's MFA; the reset is audited.
func TestPlatformReset(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := context.Background()
		const email = "frank@example.com"
		frank := h.user(email)
		access := h.accessToken(email)
		h.enroll(access)
		owner, _, err := h.a.EnsurePlatformOwner(ctx, "owner@example.com", password)
		if err != nil {
			t.Fatal(err)
		}
		ownerAccess := h.accessToken("owner@example.com")
		path := "/api/platform/users/" + frank.ID + "/mfa/reset"

		h.wantError(h.do("POST", path, access, map[string]string{"reason": "me"}), 403, authos.CodePlatformOwnerRequired)
		h.wantError(h.do("POST", path, "", nil), 401, authos.CodeUnauthorized)
		h.wantError(h.do("POST", "/api/platform/users/nobody/mfa/reset", ownerAccess, nil), 404, authos.CodeNotFound)
		h.wantOK(h.do("POST", path, ownerAccess, map[string]string{"reason": "lost phone"}), http.StatusNoContent)
		h.wantError(h.do("POST", path, ownerAccess, nil), 400, authos.CodeMFANotEnabled)

		es, total, err := h.a.ListAudit(ctx, store.AuditFilter{Action: mfa.AuditActionReset})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || es[0].ActorID != owner.ID || es[0].TargetType != "user" || es[0].TargetID != frank.ID ||
			es[0].Reason != "lost phone" || string(es[0].After) != `{"enabled":false,"backup_codes_remaining":0}` ||
			string(es[0].Before) != `{"enabled":true,"backup_codes_remaining":10}` {
			t.Fatalf("audit = %d %+v", total, es)
		}
		// Frank logs in with the password alone; his session survived.
		h.accessToken(email)
		h.wantOK(h.do("GET", "/api/user", access, nil), http.StatusOK)
		want := []string{mfa.EventEnabled, mfa.EventReset}
		if got := h.events(frank.ID); !slices.Equal(got, want) {
			t.Errorf("events = %v; want %v", got, want)
		}
		// The Go method checks the actor too.
		if err := h.mf.Reset(ctx, frank.ID, mfa.ResetRequest{UserID: owner.ID}); !errors.Is(err, authos.CodePlatformOwnerRequired) {
			t.Errorf("Reset by a non-owner: got %v; want PLATFORM_OWNER_REQUIRED", err)
		}
	})
}

// The verifier accepts one step of drift either way and no more (server
// time only).
func TestTOTPWindow(t *testing.T) {
	h := newHarness(t, memory.New())
	const email = "gina@example.com"
	h.user(email)
	secret, _ := h.enroll(h.accessToken(email))
	h.clock.Advance(10 * time.Minute)
	ctx := context.Background()
	verify := func(offset time.Duration) error {
		t.Helper()
		_, err := h.a.Login(ctx, authos.LoginInput{Email: email, Password: password})
		var mr *authos.MFARequiredError
		errors.As(err, &mr)
		tok := mr.PreAuthToken
		if tok == "" {
			t.Fatalf("login: %v; want MFA_REQUIRED", err)
		}
		_, err = h.mf.Verify(ctx, tok, h.code(secret, offset))
		return err
	}
	tests := []struct {
		offset time.Duration
		ok     bool
	}{
		{-61 * time.Second, false},
		{-31 * time.Second, true},
		{61 * time.Second, false},
		{31 * time.Second, true},
		{-31 * time.Second, false}, // older than an accepted code
		{0, false},                 // older than an accepted code
	}
	for _, tt := range tests {
		err := verify(tt.offset)
		if tt.ok != (err == nil) {
			t.Errorf("code of now%+v: got error %v; want ok=%v", tt.offset, err, tt.ok)
		}
		if err != nil && !errors.Is(err, authos.CodeInvalidMFACode) {
			t.Errorf("code of now%+v: got %v; want INVALID_MFA_CODE", tt.offset, err)
		}
	}
}

// Of many logins racing with the same code, exactly one gets in.
func TestConcurrentVerifySameCode(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "hank@example.com"
		h.user(email)
		secret, _ := h.enroll(h.accessToken(email))
		ctx := context.Background()
		const n = 4 // within the 5-attempt budget: every attempt is judged on the code alone
		toks := make([]string, n)
		for i := range toks {
			toks[i] = h.preauth(email)
		}
		code := h.code(secret, 0)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = h.mf.Verify(ctx, toks[i], code) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, authos.CodeInvalidMFACode):
				t.Errorf("concurrent verify: %v (%v)", err, authos.AsError(err).Err)
			}
		}
		if ok != 1 {
			t.Errorf("%d concurrent verifies with one code: %d succeeded; want 1", n, ok)
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	h := newHarness(t, memory.New())
	for issuer, want := range map[string]string{
		"Acme: Inc":             "contains a colon",
		"Acme\nInc":             "control characters",
		"Acme\xffInc":           "not UTF-8",
		" Acme":                 "starts or ends with a space",
		strings.Repeat("A", 65): "65 bytes long; at most 64",
	} {
		if _, err := mfa.New(h.a, mfa.Config{Issuer: issuer}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with Issuer %q: %v; want an error saying %q", issuer, err, want)
		}
	}
	if _, err := mfa.New(nil, mfa.Config{}); err == nil {
		t.Error("New accepted a nil Authos")
	}
	// A package registers its routes once per instance: another instance.
	a := authostest.New(t)
	mf, err := mfa.New(a.Authos, mfa.Config{Issuer: "Acme Co"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.VerifyAccessToken(context.Background(), authostest.Token(t, a, "ivy@example.com", authostest.Password(password)), "")
	if err != nil {
		t.Fatal(err)
	}
	en, err := mf.Setup(context.Background(), p, password)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.OTPAuthURL, "otpauth://totp/Acme%20Co:ivy@example.com?") || !strings.Contains(en.OTPAuthURL, "issuer=Acme%20Co") {
		t.Errorf("otpauth URL = %q", en.OTPAuthURL)
	}
}

// Unknown routes and methods under the MFA prefixes get the envelope.
func TestHandlerEnvelope(t *testing.T) {
	h := newHarness(t, memory.New())
	h.wantError(h.do("GET", "/api/user/mfa/nope", "", nil), 404, authos.CodeNotFound)
	h.wantError(h.do("GET", "/api/auth/mfa/verify", "", nil), 405, authos.CodeMethodNotAllowed)
	h.wantError(h.do("POST", "/api/auth/mfa/verify", "", map[string]string{"code": "123456"}), 400, authos.CodeBadRequest)
	h.wantError(h.do("POST", "/api/auth/mfa/verify", "", map[string]any{"preauth_token": "x", "code": "1", "extra": 1}), 400, authos.CodeBadRequest)
}

// TestRequiredHonoursPassedFactors: a user with MFA enabled needs the step
// after a password or a single-factor provider sign-in, not after a
// one-time password or a sign-in an identity provider reports as
// multi-factor (amr "mfa").
func TestRequiredHonoursPassedFactors(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		const email = "mia@example.com"
		u := h.user(email)
		for _, amr := range [][]string{{authos.AMRPassword}, {"saml", "mfa"}} {
			if need, err := h.mf.Required(t.Context(), u, authos.LoginContext{AMR: amr}); err != nil || need {
				t.Fatalf("before enrolment, amr %v: Required = %v, %v; want false", amr, need, err)
			}
		}
		h.enroll(h.accessToken(email))
		for _, c := range []struct {
			amr  []string
			want bool
		}{
			{[]string{authos.AMRPassword}, true},
			{[]string{"saml"}, true},
			{[]string{"social", "social:github"}, true},
			{[]string{authos.AMRPassword, authos.AMROTP}, false},
			{[]string{"saml", "mfa"}, false},
		} {
			if need, err := h.mf.Required(t.Context(), u, authos.LoginContext{AMR: c.amr}); err != nil || need != c.want {
				t.Errorf("amr %v: Required = %v, %v; want %v", c.amr, need, err, c.want)
			}
		}
	})
}
