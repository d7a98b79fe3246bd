package authos

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authos/authos/internal/oapitest"
)

// TestAccessTokenHeaderAndSessionRules, over HTTP on the management API:
// typ may be "at+jwt" or "application/at+jwt" in any case (RFC 9068 §4,
// RFC 7515 §4.1.9); a "crit" header is refused since no extension is
// understood (RFC 7515 §4.1.11); a token without sid is refused, not let
// past the revocation check.
func TestAccessTokenHeaderAndSessionRules(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	srv := httptest.NewServer(oapitest.Handler(t, a.Handler()))
	defer srv.Close()
	u := verifiedUser(t, a, "tok@example.test", "a token test secret")
	tr, err := a.CompleteLogin(context.Background(), u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	a.keys.mu.RLock()
	kid, signer := a.keys.signerKID, a.keys.signer
	a.keys.mu.RUnlock()
	sign := func(b []byte) []byte { return ed25519.Sign(signer.(ed25519.PrivateKey), b) }
	now := clk.Now()
	claims := func(sid string) map[string]any {
		c := map[string]any{"iss": a.cfg.Issuer, "sub": u.ID, "aud": a.cfg.ManagementAudience,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "j1"}
		if sid != "" {
			c["sid"] = sid
		}
		return c
	}
	header := func(typ string, extra map[string]any) map[string]any {
		h := map[string]any{"alg": "EdDSA", "typ": typ, "kid": kid}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"minted", tr.AccessToken, 200},
		{"typ at+jwt", forge(t, header("at+jwt", nil), claims(tr.Session.ID), sign), 200},
		{"typ application/at+jwt", forge(t, header("application/at+jwt", nil), claims(tr.Session.ID), sign), 200},
		{"typ Application/AT+JWT", forge(t, header("Application/AT+JWT", nil), claims(tr.Session.ID), sign), 200},
		{"typ application/jwt", forge(t, header("application/jwt", nil), claims(tr.Session.ID), sign), 401},
		{"typ at+jwt+x", forge(t, header("at+jwtx", nil), claims(tr.Session.ID), sign), 401},
		{"crit with an unknown extension", forge(t, header("at+jwt", map[string]any{"crit": []string{"x-bind"}, "x-bind": "1"}), claims(tr.Session.ID), sign), 401},
		{"crit naming a registered header", forge(t, header("at+jwt", map[string]any{"crit": []string{"exp"}}), claims(tr.Session.ID), sign), 401},
		{"empty crit", forge(t, header("at+jwt", map[string]any{"crit": []string{}}), claims(tr.Session.ID), sign), 401},
		{"no sid", forge(t, header("at+jwt", nil), claims(""), sign), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/api/user", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close() // only the status matters here
			if resp.StatusCode != c.status {
				t.Fatalf("status %d; want %d", resp.StatusCode, c.status)
			}
		})
	}
	// A token without sid stays refused after its would-be session is
	// revoked: there is nothing it could be checked against.
	if err := a.Logout(context.Background(), tr.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyAccessToken(context.Background(), forge(t, header("at+jwt", nil), claims(""), sign), ""); !isCode(err, CodeJWTError) {
		t.Errorf("token without sid: %v; want JWT_ERROR", err)
	}
}

func isCode(err error, c ErrorCode) bool { return err != nil && AsError(err).Code == c }
