package authos

import (
	"crypto/ed25519"
	"crypto/rand"
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
