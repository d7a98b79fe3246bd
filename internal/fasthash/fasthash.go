package fasthash

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Prefix starts every hash. Argon2id accepts only "$argon2id$" strings, so
// it refuses these.
const Prefix = "$authostest-sha256$"

// Hash returns Prefix, a random 16-byte salt and SHA-256(salt || password),
// both in unpadded standard base64, separated by "$".
func Hash(password string) string {
	salt := make([]byte, 16)
	// crypto/rand.Read never returns an error (Go 1.24+).
	_, _ = rand.Read(salt)
	b64 := base64.RawStdEncoding
	return Prefix + b64.EncodeToString(salt) + "$" + b64.EncodeToString(sum(salt, password))
}

// Verify reports whether encoded, made by Hash, is the hash of password
// (compared in constant time); it fails on a string Hash did not make.
func Verify(password, encoded string) (bool, error) {
	rest, found := strings.CutPrefix(encoded, Prefix)
	saltB64, sumB64, two := strings.Cut(rest, "$")
	if !found || !two {
		return false, errors.New("authostest: not a FastHasher hash")
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(saltB64)
	want, err2 := b64.DecodeString(sumB64)
	if err1 != nil || err2 != nil || len(salt) == 0 || len(want) != sha256.Size {
		return false, errors.New("authostest: malformed FastHasher hash")
	}
	return subtle.ConstantTimeCompare(sum(salt, password), want) == 1, nil
}

// sum is SHA-256(salt || password).
func sum(salt []byte, password string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return h.Sum(nil)
}
