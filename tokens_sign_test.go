package authos

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestSignEdDSAMatchesJWT: the access tokens built by signEdDSA are the
// bytes the jwt package makes of the same header and claims (Ed25519
// signatures are deterministic), so verifiers see no change of format.
func TestSignEdDSAMatchesJWT(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	for _, claims := range []accessClaims{
		{RegisteredClaims: jwt.RegisteredClaims{Issuer: "https://id.example.com", Subject: "u1", Audience: jwt.ClaimStrings{"authos"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now), ID: "rt-0123"},
			SessionID: "s1", Email: `a"<b>&c@example.com`, AMR: []string{"pwd", "otp"}, IsPlatformOwner: true,
			Org: "org1", Service: "svc", Scope: "openid profile"},
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "u2", ExpiresAt: jwt.NewNumericDate(now)}},
	} {
		tk := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
		tk.Header["typ"] = typAccessToken
		tk.Header["kid"] = "k-1_2.3"
		want, err := tk.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		got, err := signEdDSA(priv, "k-1_2.3", claims)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("signEdDSA:\n got %s\nwant %s", got, want)
		}
	}
	for kid, want := range map[string]bool{"k-1_2.3": true, "": false, `a"b`: false, "a b": false, "é": false} {
		if plainKID(kid) != want {
			t.Errorf("plainKID(%q) = %v; want %v", kid, !want, want)
		}
	}
}

// TestVerifyOwnEdDSA: a token minted here is checked without the jwt
// package's parse (its header is the one signEdDSA writes for a held key)
// and gives the claims that parse gives; a change of any segment, a
// signature spelled other than canonically, or a header the library does
// not write, is refused by the same checks or left to the full parse.
func TestVerifyOwnEdDSA(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	raw, sid := testToken(t, a, "")
	var fast accessClaims
	own, err := a.keys.verifyOwnEdDSA(raw, &fast)
	if !own || err != nil {
		t.Fatalf("minted token: own %v, %v; want own, no error", own, err)
	}
	var full accessClaims
	if _, err := a.parser("").jwt.ParseWithClaims(raw, &full, a.tokenKeyfunc(context.Background(), accessTokenType)); err != nil {
		t.Fatal(err)
	}
	if fast.SessionID != sid || !reflect.DeepEqual(fast, full) {
		t.Fatalf("claims differ:\nfast %+v\nfull %+v", fast, full)
	}

	dot1 := strings.IndexByte(raw, '.')
	dot2 := strings.LastIndexByte(raw, '.')
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	// The last signature character carries 4 unused bits: setting one
	// spells the same signature otherwise.
	last := strings.IndexByte(base64URL, raw[len(raw)-1])
	uncanonical := raw[:len(raw)-1] + string(base64URL[last|1])
	if last&1 == 1 {
		uncanonical = raw[:len(raw)-1] + string(base64URL[last&^1])
	}
	for name, tok := range map[string]string{
		"payload changed":         flip(raw, dot1+5),
		"signature changed":       flip(raw, dot2+5),
		"signature not canonical": uncanonical,
		"signature short":         raw[:len(raw)-2],
		"signature long":          raw + "AA",
	} {
		var c accessClaims
		if own, err := a.keys.verifyOwnEdDSA(tok, &c); !own || err == nil {
			t.Errorf("%s: own %v, %v; want own and an error", name, own, err)
		}
		if _, err := a.VerifyAccessToken(context.Background(), tok, ""); !isCode(err, CodeJWTError) {
			t.Errorf("%s: VerifyAccessToken %v; want JWT_ERROR", name, err)
		}
	}
	// A header with another key, or another typ, is not this library's:
	// the full parse decides.
	if own, _ := a.keys.verifyOwnEdDSA(flip(raw, 2)+"", &accessClaims{}); own {
		t.Error("changed header taken as the library's own")
	}
	for _, tok := range []string{"", "no-dots", edDSAHeader(a.keys.signerKID) + ".one-dot"} {
		if own, _ := a.keys.verifyOwnEdDSA(tok, &accessClaims{}); own {
			t.Errorf("%q taken as the library's own", tok)
		}
	}
	if own, _ := a.keys.verifyOwnEdDSA(edDSAHeader("unknown-kid")+raw[dot1:], &accessClaims{}); own {
		t.Error("header of an unknown key taken as the library's own")
	}

	// Payloads the plain decoding does not take (aud as one string, a
	// date as a numeric string, a fractional date) decode as on the full
	// parse.
	a.keys.mu.RLock()
	kid, priv := a.keys.signerKID, a.keys.signer.(ed25519.PrivateKey)
	a.keys.mu.RUnlock()
	now := clk.Now().Unix()
	for _, payload := range []string{
		fmt.Sprintf(`{"iss":%q,"sub":"u1","aud":%q,"exp":%d,"iat":%d,"sid":"s1"}`, a.cfg.Issuer, a.cfg.ManagementAudience, now+60, now),
		fmt.Sprintf(`{"iss":%q,"sub":"u1","aud":[%q],"exp":"%d","iat":%d.75,"sid":"s1"}`, a.cfg.Issuer, a.cfg.ManagementAudience, now+60, now-1),
		fmt.Sprintf(`{"iss":%q,"sub":"u1","aud":null,"exp":%d.5,"nbf":%d,"sid":"s1","amr":[],"scope":"openid"}`, a.cfg.Issuer, now+60, now),
	} {
		input := edDSAHeader(kid) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		tok := input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(input)))
		var fast, full accessClaims
		if own, err := a.keys.verifyOwnEdDSA(tok, &fast); !own || err != nil {
			t.Fatalf("%s: own %v, %v", payload, own, err)
		}
		if _, err := a.parser("").jwt.ParseWithClaims(tok, &full, a.tokenKeyfunc(context.Background(), accessTokenType)); err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		if !reflect.DeepEqual(fast, full) {
			t.Errorf("%s: claims differ:\nfast %+v\nfull %+v", payload, fast, full)
		}
	}

	// The claims are validated as on the full parse: the audience, and exp.
	if _, err := a.VerifyAccessToken(context.Background(), raw, "client-other"); !isCode(err, CodeJWTError) || AsError(err).Message != audienceMismatch {
		t.Errorf("other audience: %v; want JWT_ERROR %q", err, audienceMismatch)
	}
	clk.Advance(a.cfg.AccessTokenTTL + a.cfg.Leeway + time.Second)
	a.tokens.clear()
	if _, err := a.VerifyAccessToken(context.Background(), raw, ""); !isCode(err, CodeTokenExpired) {
		t.Errorf("expired: %v; want TOKEN_EXPIRED", err)
	}
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
