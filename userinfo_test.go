package authos

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/internal/storecount"
)

// TestUserInfoVerifiesBeforeReading: UserInfo checks an access token's
// signature before it reads the store: a forged token (a real key id, a
// service audience, a made-up signature) is refused with JWT_ERROR and no
// read at all; a correctly signed token for an audience that is no
// registered service is refused after the one read that tells so.
func TestUserInfoVerifiesBeforeReading(t *testing.T) {
	var cs *storecount.Store
	a, clk := newTestAuthos(t, func(c *Config) { cs = storecount.New(c.Store); c.Store = cs })
	reads := func() int64 {
		return cs.Count(storecount.GetUser, storecount.GetSession, storecount.GetServiceByClientID)
	}
	now := clk.Now()
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: a.cfg.Issuer, Subject: "usr_1", Audience: jwt.ClaimStrings{"cl_forged"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: "j1"},
		SessionID: "ses_1", Scope: "openid email",
	}
	b64 := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": AlgEdDSA, "typ": typAccessToken, "kid": a.keys.signerKID})
	payload, _ := json.Marshal(claims)
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	forged := b64.EncodeToString(header) + "." + b64.EncodeToString(payload) + "." + b64.EncodeToString(sig)

	cs.Reset()
	_, err := a.GetUserInfo(context.Background(), forged)
	if AsError(err).Code != CodeJWTError {
		t.Fatalf("GetUserInfo(forged token) = %v; want JWT_ERROR", err)
	}
	if n := reads(); n != 0 {
		t.Errorf("a forged token caused %d store reads before it was refused; want none", n)
	}

	signed, err := a.mintAccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	cs.Reset()
	_, err = a.GetUserInfo(context.Background(), signed)
	if AsError(err).Code != CodeJWTError {
		t.Fatalf("GetUserInfo(token of an unregistered audience) = %v; want JWT_ERROR", err)
	}
	if n := reads(); n != 1 {
		t.Errorf("a signed token of an unknown audience caused %d store reads; want 1 (the service lookup)", n)
	}
}
