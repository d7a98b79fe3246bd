package authos

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestKeyringRoundTripAndRotation(t *testing.T) {
	old, err := NewKeyring(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("table.col:row1")
	ct, err := old.Encrypt([]byte("totp-seed"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("totp-seed")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	// Rotation: a new key in front still decrypts the old ciphertext.
	rotated, err := ParseKeyring(base64.StdEncoding.EncodeToString(testKey(2)) + "," + base64.RawURLEncoding.EncodeToString(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := rotated.Decrypt(ct, aad)
	if err != nil || string(pt) != "totp-seed" {
		t.Fatalf("Decrypt after rotation = %q, %v", pt, err)
	}
	if !rotated.NeedsRotation(ct) {
		t.Error("NeedsRotation(old ciphertext) = false")
	}
	ct2, _ := rotated.Encrypt([]byte("x"), aad)
	if rotated.NeedsRotation(ct2) {
		t.Error("NeedsRotation(new ciphertext) = true")
	}
	if _, err := old.Decrypt(ct2, aad); !errors.Is(err, CodeEncryptionError) {
		t.Errorf("old ring decrypting new ciphertext: err = %v; want ENCRYPTION_ERROR", err)
	}
}

func TestKeyringRejectsTamperingAndMovedCiphertext(t *testing.T) {
	k, _ := NewKeyring(testKey(7))
	ct, _ := k.Encrypt([]byte("secret"), []byte("row:A"))
	if _, err := k.Decrypt(ct, []byte("row:B")); !errors.Is(err, CodeEncryptionError) {
		t.Errorf("moved ciphertext: err = %v; want ENCRYPTION_ERROR", err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := k.Decrypt(bad, []byte("row:A")); !errors.Is(err, CodeEncryptionError) {
			t.Fatalf("flipped byte %d: err = %v; want ENCRYPTION_ERROR", i, err)
		}
	}
	for _, c := range [][]byte{nil, {1}, {1, 200}, {9, 0, 1, 2}} {
		if _, err := k.Decrypt(c, nil); !errors.Is(err, CodeEncryptionError) {
			t.Errorf("Decrypt(%v): err = %v", c, err)
		}
	}
}

func TestParseKeyringErrors(t *testing.T) {
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short")),
		base64.StdEncoding.EncodeToString(testKey(1)) + "," + base64.StdEncoding.EncodeToString(testKey(1))} {
		if _, err := ParseKeyring(s); err == nil {
			t.Errorf("ParseKeyring(%q) succeeded", s)
		}
	}
}

func FuzzKeyringDecrypt(f *testing.F) {
	k, _ := NewKeyring(testKey(3))
	ct, _ := k.Encrypt([]byte("hello"), []byte("aad"))
	f.Add(ct, []byte("aad"))
	f.Add([]byte{1, 8, 'a'}, []byte(""))
	f.Fuzz(func(t *testing.T, c, aad []byte) {
		pt, err := k.Decrypt(c, aad)
		if err == nil && (!bytes.Equal(c, ct) || string(aad) != "aad" || string(pt) != "hello") {
			t.Fatalf("forged ciphertext accepted: %x", c)
		}
	})
}
