package authos

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Signing algorithms.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// typAccessToken is the typ header of access tokens (RFC 9068).
const typAccessToken = "at+jwt"

// maxTokenBytes caps a bearer token before it is parsed (CVE-2025-30204).
const maxTokenBytes = 8 << 10

// accessClaims are the claims of an access token (RFC 9068 profile of
// RFC 7519).
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID       string   `json:"sid,omitempty"`
	Email           string   `json:"email,omitempty"`
	AMR             []string `json:"amr,omitempty"`
	Org             string   `json:"org,omitempty"`
	Service         string   `json:"service,omitempty"`
	IsPlatformOwner bool     `json:"is_platform_owner,omitempty"`
	// Scope is what the user granted a service (RFC 9068 §2.2.3), space
	// separated; empty for the management API's tokens.
	Scope string `json:"scope,omitempty"`
}

// verifyKey is a public key that may verify tokens.
type verifyKey struct {
	id        string
	alg       string
	public    crypto.PublicKey
	createdAt time.Time
	retiredAt time.Time
}

// keySet holds the signing key and every key that still verifies.
type keySet struct {
	mu        sync.RWMutex
	signer    crypto.Signer
	signerKID string
	signerAlg string
	verify    map[string]verifyKey
	// edHeaders maps the encoded header signEdDSA writes for each Ed25519
	// key of verify (edDSAHeader) to the key, for verifyOwnEdDSA.
	edHeaders  map[string]ed25519.PublicKey
	lastReload time.Time
}

func (ks *keySet) lookup(kid string) (verifyKey, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.verify[kid]
	return k, ok
}

func (ks *keySet) algorithms() []string {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	var algs []string
	for _, k := range ks.verify {
		if !slices.Contains(algs, k.alg) {
			algs = append(algs, k.alg)
		}
	}
	slices.Sort(algs)
	return algs
}

func signingKeyAAD(kid string) []byte { return []byte("authos_signing_keys.private_key:" + kid) }

// loadKeys reads the signing keys from the store, creating the first one if
// none signs yet.
func (a *Authos) loadKeys(ctx context.Context) error {
	keys, err := a.st.ListSigningKeys(ctx)
	if err != nil {
		return WrapError(CodeDatabaseError, "", err)
	}
	if !slices.ContainsFunc(keys, func(k store.SigningKey) bool { return k.RetiredAt.IsZero() && k.Algorithm == a.cfg.SigningAlgorithm }) {
		if _, err := a.RotateSigningKey(ctx); err != nil {
			return err
		}
		return nil
	}
	return a.installKeys(keys)
}

// installKeys decrypts the newest active key as signer and keeps every key
// still able to verify a live token.
func (a *Authos) installKeys(keys []store.SigningKey) error {
	now := a.now()
	verify := make(map[string]verifyKey, len(keys))
	edHeaders := make(map[string]ed25519.PublicKey)
	var signer crypto.Signer
	var signerKID, signerAlg string
	for _, k := range keys { // newest first
		if !k.RetiredAt.IsZero() && now.After(k.RetiredAt.Add(a.cfg.AccessTokenTTL+a.cfg.Leeway)) {
			continue // no live token can carry it any more
		}
		pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
		if err != nil {
			return WrapError(CodeEncryptionError, "", fmt.Errorf("signing key %s: %w", k.ID, err))
		}
		verify[k.ID] = verifyKey{id: k.ID, alg: k.Algorithm, public: pub, createdAt: k.CreatedAt, retiredAt: k.RetiredAt}
		if edPub, ok := pub.(ed25519.PublicKey); ok && k.Algorithm == AlgEdDSA && plainKID(k.ID) {
			edHeaders[edDSAHeader(k.ID)] = edPub
		}
		if signer == nil && k.RetiredAt.IsZero() && k.Algorithm == a.cfg.SigningAlgorithm {
			der, err := a.keyring.Decrypt(k.PrivateKey, signingKeyAAD(k.ID))
			if err != nil {
				return err
			}
			priv, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				return WrapError(CodeEncryptionError, "", fmt.Errorf("signing key %s: %w", k.ID, err))
			}
			s, ok := priv.(crypto.Signer)
			if !ok {
				return WrapError(CodeEncryptionError, "", fmt.Errorf("signing key %s is not a signer", k.ID))
			}
			signer, signerKID, signerAlg = s, k.ID, k.Algorithm
		}
	}
	if signer == nil {
		return NewError(CodeInternalServerError, "no active signing key")
	}
	a.keys.mu.Lock()
	a.keys.signer, a.keys.signerKID, a.keys.signerAlg = signer, signerKID, signerAlg
	a.keys.verify = verify
	a.keys.edHeaders = edHeaders
	a.keys.lastReload = now
	a.keys.mu.Unlock()
	if a.tokens != nil {
		// A token verified with a key that is no longer trusted must not be
		// answered from the cache: start again with the new key set.
		a.tokens.clear()
	}
	return nil
}

// RotateSigningKey creates a new signing key of the configured algorithm
// and retires the previous ones; retired keys keep verifying (and stay in
// the JWKS) until every token they signed has expired. It returns the new kid.
func (a *Authos) RotateSigningKey(ctx context.Context) (string, error) {
	priv, err := generateKey(a.cfg.SigningAlgorithm)
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	kid := randx.Token(12)
	sealed, err := a.keyring.Encrypt(der, signingKeyAAD(kid))
	if err != nil {
		return "", err
	}
	now := a.now()
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		old, err := tx.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range old {
			if k.RetiredAt.IsZero() {
				if err := tx.RetireSigningKey(ctx, k.ID, now); err != nil {
					return err
				}
			}
		}
		return tx.CreateSigningKey(ctx, store.SigningKey{ID: kid, Algorithm: a.cfg.SigningAlgorithm,
			PrivateKey: sealed, PublicKey: pub, CreatedAt: now})
	})
	if err != nil {
		return "", WrapError(CodeDatabaseError, "", err)
	}
	keys, err := a.st.ListSigningKeys(ctx)
	if err != nil {
		return "", WrapError(CodeDatabaseError, "", err)
	}
	return kid, a.installKeys(keys)
}

func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case AlgEdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case AlgES256:
		return jwt.SigningMethodES256
	case AlgRS256:
		return jwt.SigningMethodRS256
	}
	return jwt.SigningMethodEdDSA
}

// mintAccessToken signs claims with the current key. iat and jti are taken
// from the arguments so that a refresh retry can reproduce the same token.
func (a *Authos) mintAccessToken(claims accessClaims) (string, error) {
	a.keys.mu.RLock()
	signer, kid, alg := a.keys.signer, a.keys.signerKID, a.keys.signerAlg
	a.keys.mu.RUnlock()
	if priv, ok := signer.(ed25519.PrivateKey); ok && alg == AlgEdDSA && plainKID(kid) {
		s, err := signEdDSA(priv, kid, claims)
		if err != nil {
			return "", WrapError(CodeInternalServerError, "", err)
		}
		return s, nil
	}
	t := jwt.NewWithClaims(signingMethod(alg), claims)
	t.Header["typ"] = typAccessToken
	t.Header["kid"] = kid
	s, err := t.SignedString(signer)
	if err != nil {
		return "", WrapError(CodeInternalServerError, "", err)
	}
	return s, nil
}

// plainKID reports whether kid is a non-empty run of URL-safe characters,
// which JSON quotes as they are.
func plainKID(kid string) bool {
	for i := range len(kid) {
		switch c := kid[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return kid != ""
}

// signEdDSA is the compact JWS the jwt package's SignedString makes of
// claims with an Ed25519 key, header {"alg":"EdDSA","kid":kid,"typ":"at+jwt"}
// (the same bytes: its header keys sorted), built in one buffer instead of
// through the package's header map and segment strings. kid must be
// plainKID.
func signEdDSA(priv ed25519.PrivateKey, kid string, claims accessClaims) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	header := edDSAHeaderJSON(kid)
	enc := base64.RawURLEncoding
	h, p := enc.EncodedLen(len(header)), enc.EncodedLen(len(payload))
	n := h + 1 + p
	buf := make([]byte, n+1+enc.EncodedLen(ed25519.SignatureSize))
	enc.Encode(buf, []byte(header))
	buf[h] = '.'
	enc.Encode(buf[h+1:], payload)
	sig := ed25519.Sign(priv, buf[:n])
	buf[n] = '.'
	enc.Encode(buf[n+1:], sig)
	return string(buf), nil
}

// VerifyAccessToken verifies raw (signature with a known key, algorithm,
// typ "at+jwt" or "application/at+jwt" (RFC 9068 §4), no "crit" header
// (RFC 7515 §4.1.11: no extension is understood), iss, aud = audience, exp
// required, a session id) and that its session is not revoked, and returns
// the principal. Every access token the library mints belongs to a session
// (sid), so a token without one is refused rather than let past the
// revocation check. Failures: TOKEN_EXPIRED, JWT_ERROR, SESSION_REVOKED. An
// empty audience means the management audience.
//
// A token verified before for the same audience is answered from the
// verified-token cache (Config.TokenCache) until its exp, the revocation
// set still consulted; the principal returned is then shared with the other
// requests presenting that token and must not be changed.
func (a *Authos) VerifyAccessToken(ctx context.Context, raw, audience string) (*Principal, error) {
	if audience == "" {
		audience = a.cfg.ManagementAudience
	}
	tc := a.tokens
	var (
		key tokenKey
		gen uint64
	)
	if tc != nil && raw != "" && len(raw) <= maxTokenBytes {
		key = tokenKey{sum: tokenDigest(raw), audience: audience}
		if p, ok := tc.get(key, a.now().UnixNano()); ok {
			revoked, err := a.revoked.isRevoked(ctx, a, p.SessionID)
			if err != nil {
				return nil, err
			}
			if revoked {
				tc.remove(key)
				return nil, NewError(CodeSessionRevoked, "Session has been revoked")
			}
			return p, nil
		}
		gen = tc.gen.Load()
	}
	claims, err := a.parseAccessToken(ctx, raw, audience)
	if err != nil {
		return nil, err
	}
	p, err := a.accessPrincipal(ctx, claims, audience)
	if err != nil {
		return nil, err
	}
	if tc != nil && raw != "" && !p.ExpiresAt.IsZero() {
		tc.put(key, p, p.ExpiresAt.UnixNano(), a.now().UnixNano(), gen)
	}
	return p, nil
}

// accessPrincipal is the principal of the verified access token claims
// for audience, after the checks that follow the signature's: the token
// names a session (sid) and that session is not revoked.
func (a *Authos) accessPrincipal(ctx context.Context, claims *accessClaims, audience string) (*Principal, error) {
	if claims.SessionID == "" {
		return nil, NewError(CodeJWTError, "Invalid token")
	}
	revoked, err := a.revoked.isRevoked(ctx, a, claims.SessionID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, NewError(CodeSessionRevoked, "Session has been revoked")
	}
	p := &Principal{
		Kind: PrincipalAccessToken, UserID: claims.Subject, Email: claims.Email, SessionID: claims.SessionID,
		AMR: claims.AMR, Audience: audience, Org: claims.Org, Service: claims.Service,
		IsPlatformOwner: claims.IsPlatformOwner, TokenID: claims.ID,
	}
	if claims.Scope != "" {
		p.Scopes = strings.Fields(claims.Scope)
	}
	if claims.ExpiresAt != nil {
		p.ExpiresAt = claims.ExpiresAt.Time
	}
	return p, nil
}

// parseAccessToken verifies raw as an access token of audience (see
// parser: an empty audience checks no aud claim) and returns its claims.
// A token whose header is exactly the one this library writes for an
// Ed25519 key it holds (see verifyOwnEdDSA) is checked without the jwt
// package's general parse; every other token goes through it. Both check
// the claims with the same validator.
func (a *Authos) parseAccessToken(ctx context.Context, raw, audience string) (*accessClaims, error) {
	if raw == "" || len(raw) > maxTokenBytes || strings.Count(raw, ".") != 2 {
		return nil, NewError(CodeJWTError, "Malformed token")
	}
	p := a.parser(audience)
	claims := &accessClaims{}
	own, err := a.keys.verifyOwnEdDSA(raw, claims)
	switch {
	case !own:
		_, err = p.jwt.ParseWithClaims(raw, claims, a.tokenKeyfunc(ctx, accessTokenType))
	case err == nil:
		err = p.claims.Validate(claims)
	}
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, WrapError(CodeTokenExpired, "Access token has expired", err)
		}
		if errors.Is(err, jwt.ErrTokenInvalidAudience) {
			// Only a token signed by this issuer gets this far (the
			// signature is checked before the claims): say why, since a
			// token of another audience (a service's token on a management
			// route) is an easy mistake to make and a hard one to see.
			return nil, WrapError(CodeJWTError, audienceMismatch, err)
		}
		return nil, WrapError(CodeJWTError, "Invalid token", err)
	}
	return claims, nil
}

// edDSAHeaderJSON is the JOSE header signEdDSA writes on the access tokens
// an Ed25519 key with a plainKID id signs: its keys sorted, as the jwt
// package writes them.
func edDSAHeaderJSON(kid string) string {
	return `{"alg":"EdDSA","kid":"` + kid + `","typ":"` + typAccessToken + `"}`
}

// edDSAHeader is edDSAHeaderJSON(kid) encoded, the first segment of those
// tokens.
func edDSAHeader(kid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(edDSAHeaderJSON(kid)))
}

// verifyOwnEdDSA checks raw, a compact JWS, when its header
// segment is byte for byte the one signEdDSA writes for an Ed25519 key of
// the set: such a header names the algorithm (EdDSA, the key's), the typ
// (at+jwt) and the kid, and nothing else (no crit), so the checks
// tokenKeyfunc makes of a parsed header all hold. It then verifies the
// signature over the first two segments with that key and decodes the
// payload into claims; the claims are not validated. own is false, and
// nothing checked, for any other header: the caller parses those in full.
func (ks *keySet) verifyOwnEdDSA(raw string, claims *accessClaims) (own bool, err error) {
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return false, nil
	}
	dot2 := strings.IndexByte(raw[dot1+1:], '.')
	if dot2 < 0 {
		return false, nil
	}
	dot2 += dot1 + 1
	ks.mu.RLock()
	pub, ok := ks.edHeaders[raw[:dot1]]
	ks.mu.RUnlock()
	if !ok {
		return false, nil
	}
	// Strict: signEdDSA writes the canonical encoding, and no other
	// spelling of the same bytes is taken for it.
	enc := base64.RawURLEncoding.Strict()
	var sig [ed25519.SignatureSize]byte
	if enc.DecodedLen(len(raw)-dot2-1) != len(sig) {
		return true, jwt.ErrTokenMalformed
	}
	if _, err := enc.Decode(sig[:], []byte(raw[dot2+1:])); err != nil {
		return true, jwt.ErrTokenMalformed
	}
	// The signing input, then the payload, in a scratch buffer
	// (digestBufs: raw is at most maxTokenBytes).
	bp := digestBufs.Get().(*[]byte)
	defer digestBufs.Put(bp)
	input := append((*bp)[:0], raw[:dot2]...)
	if !ed25519.Verify(pub, input, sig[:]) {
		return true, jwt.ErrTokenSignatureInvalid
	}
	var payload []byte // the buffer's tail when the payload fits there
	if free := input[len(input):cap(input)]; enc.DecodedLen(dot2-dot1-1) <= len(free) {
		payload = free
	} else {
		payload = make([]byte, enc.DecodedLen(dot2-dot1-1))
	}
	n, err := enc.Decode(payload, input[dot1+1:])
	if err != nil {
		return true, jwt.ErrTokenMalformed
	}
	payload = payload[:n]
	if decodeOwnClaims(payload, claims) {
		return true, nil
	}
	// Anything else signEdDSA would not write (whitespace, escapes, aud as
	// one string, a date as a numeric string) is decoded as the jwt
	// package decodes it.
	*claims = accessClaims{}
	if err := json.Unmarshal(payload, claims); err != nil {
		return true, jwt.ErrTokenMalformed
	}
	return true, nil
}

// tokenKeyfunc is the jwt.Keyfunc of the tokens this issuer signs, for
// every parser of them (access tokens, the ID tokens of logout hints):
// the typ header must pass typOK, there may be no "crit" header (RFC 7515
// §4.1.11: no extension is understood), kid must name a key that still
// verifies (after a reload from the store when it is unknown: another
// instance may just have rotated it in, see reloadKeysFor), and the
// token's algorithm must be that key's.
func (a *Authos) tokenKeyfunc(ctx context.Context, typOK func(typ any) bool) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if !typOK(t.Header["typ"]) {
			return nil, errors.New("unexpected token type")
		}
		if _, ok := t.Header["crit"]; ok {
			return nil, errors.New("critical header extensions are not supported")
		}
		kid, _ := t.Header["kid"].(string)
		k, ok := a.keys.lookup(kid)
		if !ok {
			if !a.reloadKeysFor(ctx, kid) {
				return nil, errors.New("unknown key")
			}
			if k, ok = a.keys.lookup(kid); !ok {
				return nil, errors.New("unknown key")
			}
		}
		if t.Method.Alg() != k.alg {
			return nil, errors.New("algorithm does not match the key")
		}
		return k.public, nil
	}
}

// audienceMismatch is the JWT_ERROR message of a valid token minted for
// another audience than the one the route accepts.
const audienceMismatch = "Invalid token: its audience (aud) is not accepted here; " +
	"a token minted for a service is not valid on the management API, and the other way round"

// accessTokenType reports whether a typ header names an RFC 9068 access
// token: "at+jwt", or the full media type "application/at+jwt" (RFC 7515
// §4.1.9 lets the "application/" prefix be omitted), in any case.
func accessTokenType(typ any) bool {
	s, _ := typ.(string)
	s = strings.ToLower(s)
	return s == typAccessToken || s == "application/"+typAccessToken
}

// tokenParser is the jwt package's parser of the access tokens of one
// audience and the validator of their claims it applies, for the tokens
// checked without it (verifyOwnEdDSA).
type tokenParser struct {
	jwt    *jwt.Parser
	claims *jwt.Validator
}

// parser returns the token parser for audience, built once per audience
// (parsers are immutable and safe for concurrent use), so the middleware's
// hot path does not rebuild it per request. The empty audience gives the
// parser that checks no aud claim, for the one caller that checks aud
// itself (verifyUserInfoToken); VerifyAccessToken never passes it (empty
// means the management audience there).
func (a *Authos) parser(audience string) *tokenParser {
	if p, ok := a.parsers.Load(audience); ok {
		return p.(*tokenParser)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{AlgEdDSA, AlgES256, AlgRS256}),
		jwt.WithIssuer(a.cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(a.cfg.Leeway),
		jwt.WithTimeFunc(a.cfg.Now),
	}
	if audience != "" {
		opts = append(opts, jwt.WithAudience(audience))
	}
	p := &tokenParser{jwt: jwt.NewParser(opts...), claims: jwt.NewValidator(opts...)}
	if len(audience) <= 256 { // audiences come from configuration and registered services
		a.parsers.Store(audience, p)
	}
	return p
}

// reloadKeysFor reloads keys from the store when an unknown kid arrives (a
// key rotated by another instance), at most once per 10 seconds so forged
// kids cannot cause a reload storm.
func (a *Authos) reloadKeysFor(ctx context.Context, kid string) bool {
	if kid == "" || len(kid) > 64 {
		return false
	}
	a.keys.mu.RLock()
	recent := a.now().Sub(a.keys.lastReload) < 10*time.Second
	a.keys.mu.RUnlock()
	if recent {
		return false
	}
	keys, err := a.st.ListSigningKeys(ctx)
	if err != nil {
		return false
	}
	if err := a.installKeys(keys); err != nil {
		a.log.Error("authos: reloading signing keys", "error", err)
		return false
	}
	return true
}

// jwkSet is a JSON Web Key Set (RFC 7517).
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// jwk is one public key.
type jwk struct {
	KeyType string `json:"kty"`
	KeyID   string `json:"kid"`
	Use     string `json:"use"`
	Alg     string `json:"alg"`
	Curve   string `json:"crv,omitempty"`
	X       string `json:"x,omitempty"`
	Y       string `json:"y,omitempty"`
	N       string `json:"n,omitempty"`
	E       string `json:"e,omitempty"`
}

// jwks returns every public key that may still verify a live token.
func (a *Authos) jwks() jwkSet {
	a.keys.mu.RLock()
	keys := make([]verifyKey, 0, len(a.keys.verify))
	for _, k := range a.keys.verify {
		keys = append(keys, k)
	}
	a.keys.mu.RUnlock()
	slices.SortFunc(keys, func(x, y verifyKey) int { return y.createdAt.Compare(x.createdAt) })
	set := jwkSet{Keys: []jwk{}}
	b64 := base64.RawURLEncoding
	for _, k := range keys {
		j := jwk{KeyID: k.id, Use: "sig", Alg: k.alg}
		switch pub := k.public.(type) {
		case ed25519.PublicKey:
			j.KeyType, j.Curve, j.X = "OKP", "Ed25519", b64.EncodeToString(pub)
		case *ecdsa.PublicKey:
			ecdh, err := pub.ECDH()
			if err != nil {
				continue
			}
			raw := ecdh.Bytes() // 0x04 || X || Y
			j.KeyType, j.Curve = "EC", "P-256"
			j.X, j.Y = b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
		case *rsa.PublicKey:
			j.KeyType = "RSA"
			j.N = b64.EncodeToString(pub.N.Bytes())
			j.E = b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
		default:
			continue
		}
		set.Keys = append(set.Keys, j)
	}
	return set
}

// Discovery returns the OpenID Provider metadata of this instance (also
// the RFC 8414 authorization server metadata), with the entries domain
// packages added through Extension.SetDiscovery (e.g. the device
// authorization endpoint).
func (a *Authos) Discovery() map[string]any {
	m := a.serverMetadata()
	a.discoveryMu.RLock()
	maps.Copy(m, a.discovery)
	a.discoveryMu.RUnlock()
	return m
}

// setDiscovery is Extension.SetDiscovery: adds or replaces one entry of the discovery document; domain
// packages call it for the endpoints they serve.
func (a *Authos) setDiscovery(key string, value any) {
	a.discoveryMu.Lock()
	defer a.discoveryMu.Unlock()
	if a.discovery == nil {
		a.discovery = map[string]any{}
	}
	a.discovery[key] = value
}

func (a *Authos) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSONCached(w, a.jwks())
}

func (a *Authos) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSONCached(w, a.Discovery())
}

func writeJSONCached(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "public, max-age=300")
	}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v) // a write error means the client is gone; the status is already sent
}
