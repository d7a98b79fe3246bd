package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/lockoutkey"
	"github.com/authos/authos/store"
)

// TestAccountLifecycle drives the real handlers through the whole account
// story on every backend.
func TestAccountLifecycle(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, nil)
			accountLifecycle(t, h, st)
		})
	}
}

func accountLifecycle(t *testing.T, h *harness, st store.Storage) {
	const email, pw = "Alice@Example.com", "correct horse battery"

	// Register; validation errors first.
	h.wantError(h.do("POST", "/api/auth/register", "", map[string]string{"email": "nope", "password": pw}), 400, authos.CodeInvalidEmail)
	h.wantError(h.do("POST", "/api/auth/register", "", map[string]string{"email": email, "password": "short"}), 400, authos.CodeWeakPassword)
	reg := h.wantOK(h.do("POST", "/api/auth/register", "", map[string]string{"email": email, "password": pw, "name": "Alice"}), 201)
	user := reg.body["user"].(map[string]any)
	if user["email"] != email || user["email_verified"] != false || user["id"] == "" {
		t.Fatalf("registered user = %v", user)
	}

	// The verification email sits in the outbox until the worker runs.
	pending, err := st.ListOutbox(context.Background(), store.OutboxFilter{Topic: store.TopicEmail, Pending: true})
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending emails = %d, %v; want 1", len(pending), err)
	}
	if strings.Contains(string(pending[0].Payload), "token=") {
		t.Fatal("queued email payload is stored in clear")
	}
	h.wantError(h.login(email, pw), 401, authos.CodeEmailNotVerified)
	msg, tok := h.mail(email, "Verify")
	if !strings.HasPrefix(msg.Text[strings.Index(msg.Text, "http"):], h.a.Config().BaseURL+"/verify-email?token=") {
		t.Errorf("verification link does not use BaseURL: %q", msg.Text)
	}
	v := h.wantOK(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": tok}), 200)
	if v.body["user"].(map[string]any)["email_verified"] != true {
		t.Fatalf("after verify: %s", v.raw)
	}
	h.wantError(h.do("POST", "/api/auth/verify-email", "", map[string]string{"token": tok}), 400, authos.CodeInvalidToken)
	// A verified address is taken (an unverified one is not: see TestPreAccountHijackingPrevented).
	h.wantError(h.do("POST", "/api/auth/register", "", map[string]string{"email": "alice@EXAMPLE.com", "password": pw}), 409, authos.CodeUserAlreadyExists)

	// Login, then the profile with the access token.
	lr := h.wantOK(h.login(strings.ToLower(email), pw), 200)
	at, rt := lr.str("access_token"), lr.str("refresh_token")
	if lr.str("token_type") != "Bearer" || lr.body["expires_in"].(float64) != 900 || at == "" || len(rt) < 43 {
		t.Fatalf("token response = %s", lr.raw)
	}
	checkAccessToken(t, at, h.a.Config())
	prof := h.wantOK(h.do("GET", "/api/user", at, nil), 200)
	if prof.str("email") != email || prof.str("name") != "Alice" || prof.body["email_verified"] != true {
		t.Fatalf("profile = %s", prof.raw)
	}
	h.wantError(h.do("GET", "/api/user", "", nil), 401, authos.CodeUnauthorized)
	h.wantError(h.do("GET", "/api/user", at+"x", nil), 401, authos.CodeJWTError)

	// Refresh rotates; a retry inside the grace window gets the same pair.
	r1 := h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": rt}), 200)
	if r1.str("refresh_token") == rt {
		t.Fatal("refresh token not rotated")
	}
	h.clock.Advance(3 * time.Second)
	retry := h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": rt}), 200)
	if retry.str("refresh_token") != r1.str("refresh_token") || retry.str("access_token") != r1.str("access_token") {
		t.Fatal("retry inside the grace window returned another pair")
	}
	h.wantOK(h.do("GET", "/api/user", r1.str("access_token"), nil), 200)

	// Reuse of the rotated token after the window revokes the family.
	h.clock.Advance(10 * time.Second)
	h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": rt}), 401, authos.CodeSessionRevoked)
	h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": r1.str("refresh_token")}), 401, authos.CodeSessionRevoked)
	h.wantError(h.do("GET", "/api/user", r1.str("access_token"), nil), 401, authos.CodeSessionRevoked)

	// Login again; list sessions shows only the live one.
	l2 := h.wantOK(h.login(email, pw), 200)
	at2, rt2 := l2.str("access_token"), l2.str("refresh_token")
	ss := h.wantOK(h.do("GET", "/api/user/sessions", at2, nil), 200)
	if list := ss.body["sessions"].([]any); len(list) != 1 || list[0].(map[string]any)["current"] != true {
		t.Fatalf("sessions = %s", ss.raw)
	}

	// Ten wrong passwords from this address lock the password factor for
	// it, even for the right one; the account-wide counter counts them
	// without locking.
	for i := 0; i < 10; i++ {
		h.wantError(h.login(email, "wrong password "+string(rune('a'+i))), 401, authos.CodeInvalidCredentials)
	}
	locked := h.wantError(h.login(email, pw), 401, authos.CodeAccountLocked)
	if locked.header.Get("Retry-After") == "" {
		t.Error("ACCOUNT_LOCKED without Retry-After")
	}
	lf, err := st.GetLoginFailures(context.Background(), lockoutkey.Address(email, "127.0.0.1"))
	if err != nil || lf.Count != 10 || !lf.LockedUntil.After(h.clock.Now()) {
		t.Fatalf("stored failures of the address = %+v, %v", lf, err)
	}
	lf, err = st.GetLoginFailures(context.Background(), lockoutKeyFor(email))
	if err != nil || lf.Count != 10 || !lf.LockedUntil.IsZero() {
		t.Fatalf("stored failures of the account = %+v, %v", lf, err)
	}

	// Forgot (same answer for an unknown email, no mail sent) and reset.
	before := h.mailCount()
	h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": "nobody@example.com"}), 202)
	if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.mailCount() != before {
		t.Fatal("forgot-password for an unknown email sent mail")
	}
	h.wantOK(h.do("POST", "/api/auth/forgot-password", "", map[string]string{"email": email}), 202)
	_, resetTok := h.mail(email, "Reset")
	h.wantError(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": resetTok, "password": "short"}), 400, authos.CodeWeakPassword)
	const pw2 = "a brand new passphrase"
	h.wantOK(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": resetTok, "password": pw2}), 200)
	h.wantError(h.do("POST", "/api/auth/reset-password", "", map[string]string{"token": resetTok, "password": pw2}), 400, authos.CodeInvalidToken)

	// Old sessions are refused; the old password no longer works; the lock is gone.
	h.wantError(h.do("GET", "/api/user", at2, nil), 401, authos.CodeSessionRevoked)
	h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": rt2}), 401, authos.CodeSessionRevoked)
	h.wantError(h.login(email, pw), 401, authos.CodeInvalidCredentials)
	l3 := h.wantOK(h.login(email, pw2), 200)

	// Change password revokes the other sessions but keeps this one.
	other := h.wantOK(h.login(email, pw2), 200)
	h.wantError(h.do("POST", "/api/user/password", l3.str("access_token"), map[string]string{"current_password": "nope nope", "new_password": "another passphrase"}), 401, authos.CodeInvalidCredentials)
	h.wantOK(h.do("POST", "/api/user/password", l3.str("access_token"), map[string]string{"current_password": pw2, "new_password": "another passphrase"}), 204)
	h.wantOK(h.do("GET", "/api/user", l3.str("access_token"), nil), 200)
	h.wantError(h.do("GET", "/api/user", other.str("access_token"), nil), 401, authos.CodeSessionRevoked)

	// Profile patch, session revoke by id, logout.
	p := h.wantOK(h.do("PATCH", "/api/user", l3.str("access_token"), map[string]string{"name": "Alice B."}), 200)
	if p.str("name") != "Alice B." {
		t.Fatalf("patched profile = %s", p.raw)
	}
	h.wantError(h.do("PATCH", "/api/user", l3.str("access_token"), map[string]string{"email": "x@y.zz"}), 400, authos.CodeBadRequest)
	extra := h.wantOK(h.login(email, "another passphrase"), 200)
	h.wantError(h.do("DELETE", "/api/user/sessions/not-a-session", l3.str("access_token"), nil), 404, authos.CodeNotFound)
	extraSession := "/api/user/sessions/" + sessionID(t, extra.str("access_token"))
	// Another session of an account with a password: the DELETE form has no
	// body to confirm it with; the POST form carries current_password.
	h.wantError(h.do("DELETE", extraSession, l3.str("access_token"), nil), 401, authos.CodeInvalidCredentials)
	h.wantOK(h.do("GET", "/api/user", extra.str("access_token"), nil), 200)
	h.wantOK(h.do("POST", extraSession+"/revoke", l3.str("access_token"), map[string]string{"current_password": "another passphrase"}), 204)
	h.wantError(h.do("GET", "/api/user", extra.str("access_token"), nil), 401, authos.CodeSessionRevoked)
	h.wantOK(h.do("POST", "/api/auth/logout", l3.str("access_token"), nil), 204)
	h.wantError(h.do("GET", "/api/user", l3.str("access_token"), nil), 401, authos.CodeSessionRevoked)
	h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l3.str("refresh_token")}), 401, authos.CodeSessionRevoked)
}

// lockoutKeyFor mirrors the key the core uses for an email's failures.
func lockoutKeyFor(email string) string {
	return lockoutkey.Account(email)
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sessionID(t *testing.T, token string) string {
	t.Helper()
	return decodeSegment(t, strings.Split(token, ".")[1])["sid"].(string)
}

// checkAccessToken asserts the header and claims of an access token
// (RFC 9068: typ at+jwt, EdDSA, iss, sub, aud, exp, iat, jti, sid, email, amr).
func checkAccessToken(t *testing.T, token string, cfg authos.Config) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	hdr := decodeSegment(t, parts[0])
	if hdr["typ"] != "at+jwt" || hdr["alg"] != "EdDSA" || hdr["kid"] == "" {
		t.Errorf("header = %v", hdr)
	}
	c := decodeSegment(t, parts[1])
	for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "sid", "email", "amr"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing in %v", k, c)
		}
	}
	if c["iss"] != cfg.Issuer {
		t.Errorf("iss = %v; want %s", c["iss"], cfg.Issuer)
	}
	if amr, _ := c["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
		t.Errorf("amr = %v; want [pwd]", c["amr"])
	}
}
