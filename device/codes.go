package device

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
)

// UserCodeAlphabet is the alphabet of user codes (RFC 8628 §6.1): 20
// consonants, so no code spells a word and none of 0/O or 1/I can be
// confused.
const UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// UserCodeLength is the number of characters of a user code: 20^8 ≈ 2^34.6
// codes. With 5 wrong guesses per user per minute and codes living 15
// minutes, the chance of a guess hitting a given code stays far below 2^-32
// per pending code (RFC 8628 §5.1).
const UserCodeLength = 8

// deviceCodeBytes is the entropy of a device code: 256 bits (≥128 needed).
const deviceCodeBytes = 32

var alphabetSize = big.NewInt(int64(len(UserCodeAlphabet)))

// newUserCode returns a random normalised user code (no separator).
func newUserCode() string {
	b := make([]byte, UserCodeLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, alphabetSize)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = UserCodeAlphabet[n.Int64()]
	}
	return string(b)
}

// newDeviceCode returns a random device code (base64url, 43 characters).
func newDeviceCode() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(deviceCodeBytes))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// hashDeviceCode is what the store keeps of a device code.
func hashDeviceCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// NormalizeUserCode turns what a user typed into the stored form: upper
// case, dashes and white space removed. It reports false when the result is
// not UserCodeLength characters of UserCodeAlphabet.
func NormalizeUserCode(in string) (string, bool) {
	if len(in) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range in {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\u00a0':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > 0x7f || !strings.ContainsRune(UserCodeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != UserCodeLength {
		return "", false
	}
	return b.String(), true
}

// FormatUserCode shows a normalised user code as XXXX-XXXX.
func FormatUserCode(code string) string {
	if len(code) != UserCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}
