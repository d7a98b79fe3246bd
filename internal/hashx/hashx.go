package hashx

import (
	"crypto/sha256"
	"encoding/hex"
)

// SHA256Hex returns the hex SHA-256 of s. Tokens with at least 128 bits of
// entropy are stored this way; a plain hash suffices for them.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
