package authos

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// typIDToken is the typ header of ID tokens.
const typIDToken = "JWT"

// idClaims are the claims of an ID token (OpenID Connect Core §2, §3.1.3.6).
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime      int64    `json:"auth_time,omitempty"`
	Nonce         string   `json:"nonce,omitempty"`
	AMR           []string `json:"amr,omitempty"`
	SessionID     string   `json:"sid,omitempty"` // the sign-in session
	AccessHash    string   `json:"at_hash,omitempty"`
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Org           string   `json:"org,omitempty"`
}

// idTokenInput is what an ID token says beside the user.
type idTokenInput struct {
	user        User
	clientID    string
	scope       []string
	nonce       string
	amr         []string
	authTime    time.Time
	signInID    string
	org         string
	accessToken string
	iat         time.Time
}

// mintIDToken signs the ID token of in with the current signing key; its
// lifetime is the access token's.
func (a *Authos) mintIDToken(in idTokenInput) (string, error) {
	a.keys.mu.RLock()
	signer, kid, alg := a.keys.signer, a.keys.signerKID, a.keys.signerAlg
	a.keys.mu.RUnlock()
	c := idClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.cfg.Issuer, Subject: in.user.ID, Audience: jwt.ClaimStrings{in.clientID},
			IssuedAt: jwt.NewNumericDate(in.iat), ExpiresAt: jwt.NewNumericDate(in.iat.Add(a.cfg.AccessTokenTTL)),
		},
		Nonce: in.nonce, AMR: in.amr, SessionID: in.signInID, AccessHash: accessTokenHash(alg, in.accessToken),
		Org: in.org,
	}
	if !in.authTime.IsZero() {
		c.AuthTime = in.authTime.Unix()
	}
	if hasScope(in.scope, scopeEmail) {
		verified := in.user.EmailVerified
		c.Email, c.EmailVerified = in.user.Email, &verified
	}
	if hasScope(in.scope, scopeProfile) {
		c.Name = in.user.Name
	}
	t := jwt.NewWithClaims(signingMethod(alg), c)
	t.Header["typ"] = typIDToken
	t.Header["kid"] = kid
	s, err := t.SignedString(signer)
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	return s, nil
}

// accessTokenHash is the at_hash of an access token (OpenID Connect Core
// §3.1.3.6): the left half of its hash, base64url-encoded; the hash is the
// one of the signing algorithm (SHA-256 for ES256 and RS256, SHA-512 for
// EdDSA with Ed25519).
func accessTokenHash(alg, accessToken string) string {
	if accessToken == "" {
		return ""
	}
	newHash := sha256.New
	if alg == AlgEdDSA {
		newHash = sha512.New
	}
	h := newHash()
	h.Write([]byte(accessToken))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
