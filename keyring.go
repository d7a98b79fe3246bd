package authos

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// keyringVersion is the first byte of every ciphertext.
const keyringVersion = 1

// Keyring encrypts secrets at rest with AES-256-GCM. It holds one or more
// 32-byte keys, newest first: the newest encrypts, every key decrypts, so a
// key can be rotated by putting a new one in front. Each ciphertext carries
// the id of its key and a random 96-bit nonce, and is bound to its place
// (table, column, row) by additional data, so it cannot be moved elsewhere.
// A Keyring is safe for concurrent use.
type Keyring struct {
	keys []keyringKey
	// successorKey is deriveKey("refresh-successor"), derived once: every
	// refresh uses it.
	successorKey []byte
}

type keyringKey struct {
	id   string
	raw  []byte
	aead cipher.AEAD
}

// NewKeyring builds a keyring from raw 32-byte keys, newest first. Key ids
// are derived from the keys.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("authos: keyring needs at least one key")
	}
	k := &Keyring{}
	for i, raw := range keys {
		if len(raw) != 32 {
			return nil, fmt.Errorf("authos: keyring key %d is %d bytes, want 32", i+1, len(raw))
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		for _, e := range k.keys {
			if e.id == id {
				return nil, fmt.Errorf("authos: keyring key %d is listed twice", i+1)
			}
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("authos: keyring key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("authos: keyring key %d: %w", i+1, err)
		}
		k.keys = append(k.keys, keyringKey{id: id, raw: append([]byte(nil), raw...), aead: aead})
	}
	k.successorKey = k.deriveKey("refresh-successor")
	return k, nil
}

// ParseKeyring parses the AUTHOS_ENCRYPTION_KEY format: one or more
// base64-encoded (standard or URL alphabet, padded or not) 32-byte keys
// separated by commas, newest first.
func ParseKeyring(s string) (*Keyring, error) {
	var keys [][]byte
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		raw, err := decodeBase64Any(part)
		if err != nil {
			return nil, fmt.Errorf("authos: encryption key %d is not base64", i+1)
		}
		keys = append(keys, raw)
	}
	return NewKeyring(keys...)
}

func decodeBase64Any(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("invalid base64")
}

// keyID is the id of the key that encrypts.
func (k *Keyring) keyID() string { return k.keys[0].id }

// Encrypt seals plaintext with the newest key, bound to aad.
func (k *Keyring) Encrypt(plaintext, aad []byte) ([]byte, error) {
	key := k.keys[0]
	out := make([]byte, 0, 2+len(key.id)+key.aead.Overhead()+len(plaintext))
	out = append(out, keyringVersion, byte(len(key.id)))
	out = append(out, key.id...)
	return key.aead.Seal(out, nil, plaintext, aad), nil
}

// Decrypt opens a ciphertext made by Encrypt with any key of the ring. Any
// failure (unknown key, tampering, wrong aad) is an ENCRYPTION_ERROR.
func (k *Keyring) Decrypt(ciphertext, aad []byte) ([]byte, error) {
	id, sealed, err := splitCiphertext(ciphertext)
	if err != nil {
		return nil, WrapError(CodeEncryptionError, "", err)
	}
	for _, key := range k.keys {
		if key.id != id {
			continue
		}
		pt, err := key.aead.Open(nil, nil, sealed, aad)
		if err != nil {
			return nil, WrapError(CodeEncryptionError, "", fmt.Errorf("keyring: open with key %s: %w", id, err))
		}
		return pt, nil
	}
	return nil, WrapError(CodeEncryptionError, "", fmt.Errorf("keyring: no key with id %q (was the key removed from AUTHOS_ENCRYPTION_KEY?)", id))
}

// NeedsRotation reports whether ciphertext was made with a key other than
// the newest, so the caller can re-encrypt it.
func (k *Keyring) NeedsRotation(ciphertext []byte) bool {
	id, _, err := splitCiphertext(ciphertext)
	return err != nil || id != k.keyID()
}

func splitCiphertext(c []byte) (id string, sealed []byte, err error) {
	if len(c) < 2 || c[0] != keyringVersion {
		return "", nil, errors.New("keyring: not a keyring ciphertext")
	}
	n := int(c[1])
	if len(c) < 2+n {
		return "", nil, errors.New("keyring: truncated ciphertext")
	}
	return string(c[2 : 2+n]), c[2+n:], nil
}

// deriveKey derives a purpose-bound 32-byte key from the newest key.
func (k *Keyring) deriveKey(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.keys[0].raw, nil, "authos "+purpose, 32)
	if err != nil { // only for impossible lengths
		panic(err)
	}
	return key
}
