package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP parameters (RFC 6238): the ones every authenticator app supports.
const (
	period = 30 // seconds per time step
	skew   = 1  // steps of drift accepted either way
)

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Backup codes.
const (
	// BackupCodeCount is how many backup codes Enable and
	// RegenerateBackupCodes return.
	BackupCodeCount = 10
	backupCodeBytes = 15                      // 120 bits
	backupCodeLen   = backupCodeBytes * 8 / 5 // base32 characters
	maxCodeInput    = 64                      // longer input is not a code
)

// backupEncoding is the lower-case RFC 4648 base32 alphabet without padding.
var backupEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// codeKind is what a code looks like.
type codeKind int

const (
	kindInvalid codeKind = iota
	kindTOTP             // six ASCII digits
	kindBackup           // 24 base32 characters
)

// code is a normalised code as typed by a user.
type code struct {
	value string
	kind  codeKind
}

// parseCode normalises s (spaces and dashes removed, lower-cased) and
// classifies it: six ASCII digits are a TOTP code, 24 characters of the
// lower-case base32 alphabet a backup code, anything else kindInvalid.
func parseCode(s string) code {
	if len(s) > maxCodeInput {
		return code{}
	}
	var b strings.Builder
	b.Grow(len(s))
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'z':
		default:
			return code{}
		}
		digits = digits && c >= '0' && c <= '9'
		b.WriteByte(c)
	}
	v := b.String()
	switch {
	case len(v) == otp.DigitsSix.Length() && digits:
		return code{v, kindTOTP}
	case len(v) == backupCodeLen && isBase32(v):
		return code{v, kindBackup}
	}
	return code{}
}

// isBase32 reports whether v uses only the lower-case base32 alphabet.
func isBase32(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if inAlphabet := c >= 'a' && c <= 'z' || c >= '2' && c <= '7'; !inAlphabet {
			return false
		}
	}
	return true
}

// newBackupCodes returns BackupCodeCount fresh codes as shown to the user
// and the hashes to store for userID.
func newBackupCodes(userID string) (shown, hashes []string) {
	for range BackupCodeCount {
		raw := make([]byte, backupCodeBytes)
		rand.Read(raw) // never fails (crypto/rand, Go 1.24+)
		v := backupEncoding.EncodeToString(raw)
		shown = append(shown, formatBackupCode(v))
		hashes = append(hashes, backupHash(userID, v))
	}
	return shown, hashes
}

// formatBackupCode splits a normalised backup code into dash-joined groups
// of four characters.
func formatBackupCode(v string) string {
	var groups []string
	for len(v) > 4 {
		groups = append(groups, v[:4])
		v = v[4:]
	}
	return strings.Join(append(groups, v), "-")
}

// backupHash is the stored form of a normalised backup code: SHA-256 bound
// to the user, so equal codes of two users differ and no table of hashes
// serves for every user.
func backupHash(userID, v string) string {
	sum := sha256.Sum256([]byte("authos_mfa.backup:" + userID + ":" + v))
	return hex.EncodeToString(sum[:])
}

// stepAt is the TOTP time step of t.
func stepAt(t time.Time) int64 { return t.Unix() / period }

// matchStep finds the time step within ±skew of now whose code is v for
// secret (base32). It prefers the earliest step after lastStep, so a code
// that is valid twice is not wasted on an already used step; ok is false
// when no step in the window matches.
func matchStep(secret, v string, now time.Time, lastStep int64) (step int64, ok bool) {
	cur := stepAt(now)
	for d := int64(-skew); d <= skew; d++ {
		s := cur + d
		if s < 0 {
			continue
		}
		valid, err := hotp.ValidateCustom(v, uint64(s), secret, hotpOpts)
		if err != nil || !valid {
			continue
		}
		if !ok || step <= lastStep {
			step, ok = s, true
		}
	}
	return step, ok
}

// secretAAD binds a stored TOTP secret to its user.
func secretAAD(userID string) []byte { return []byte("authos_mfa.secret:" + userID) }
