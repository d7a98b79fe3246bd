package randx

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// Bytes returns n random bytes.
func Bytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error (Go 1.24+); it crashes the
	// program instead of returning predictable bytes.
	_, _ = rand.Read(b)
	return b
}

// Token returns a URL-safe secret of n random bytes (base64url, no padding).
func Token(n int) string {
	return base64.RawURLEncoding.EncodeToString(Bytes(n))
}

// ID returns a random 128-bit identifier formatted as a UUID (version 4).
func ID() string {
	b := Bytes(16)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
