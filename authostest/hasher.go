package authostest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/randx"
)

// fastPrefix starts every FastHasher hash. authos.Argon2id, the production
// hasher, accepts only "$argon2id$" strings, so it refuses these.
const fastPrefix = "$authostest-sha256$"

// FastHasher is an authos.PasswordHasher for tests: a salted SHA-256 of the
// password, about a microsecond a hash where the default Argon2id spends
// tens of milliseconds and 19 MiB. It really hashes (a random salt per
// password, a constant-time comparison), but it is deliberately weak: never
// use it outside tests.
//
// Its hashes carry their own identifier ("$authostest-sha256$salt$sum"),
// which the production hasher, authos.Argon2id, refuses to verify: a
// database written by tests signs nobody in on an instance that did not
// choose FastHasher explicitly in its Config.
type FastHasher struct{}

var _ authos.PasswordHasher = FastHasher{}

// Hash implements authos.PasswordHasher.
func (FastHasher) Hash(_ context.Context, password string) (string, error) {
	salt := randx.Bytes(16)
	b64 := base64.RawStdEncoding
	return fastPrefix + b64.EncodeToString(salt) + "$" + b64.EncodeToString(fastSum(salt, password)), nil
}

// Verify implements authos.PasswordHasher. It never asks for a rehash, and
// refuses a hash that FastHasher did not make.
func (FastHasher) Verify(_ context.Context, password, encoded string) (ok, rehash bool, err error) {
	rest, found := strings.CutPrefix(encoded, fastPrefix)
	saltB64, sumB64, two := strings.Cut(rest, "$")
	if !found || !two {
		return false, false, errors.New("authostest: not a FastHasher hash")
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(saltB64)
	sum, err2 := b64.DecodeString(sumB64)
	if err1 != nil || err2 != nil || len(salt) == 0 || len(sum) != sha256.Size {
		return false, false, errors.New("authostest: malformed FastHasher hash")
	}
	return subtle.ConstantTimeCompare(fastSum(salt, password), sum) == 1, false, nil
}

// fastSum is SHA-256(salt || password).
func fastSum(salt []byte, password string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return h.Sum(nil)
}
