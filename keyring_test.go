package authos

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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

// fixedCiphertexts were made once by Encrypt with testKey(3) and
// testKey(4) and are kept as bytes, so every run and every fuzz worker
// checks the same valid ciphertexts (a fresh Encrypt draws a new nonce).
var fixedCiphertexts = []struct {
	ct, aad, pt string
}{
	{"01083634386161356335cd3a1050a62983257479b3b022f541b196b96834543f3049bb1f077212ca653bdc", "aad", "hello"},
	{"010836343861613563359eedfb9f2b209c188c5117156a59bacc4897ffb43ed3a6e292fe2316", "table.col:row", ""},
	{"01083966346662363866f58ec957d591fe7bd1a9b268a245e600c2264afa34a2e07c2a45f0bdb409d6cda7b460c0a7", "", "totp seed"},
}

// FuzzKeyringDecrypt: a ring holding testKey(3) and testKey(4) opens
// exactly the fixed valid ciphertexts with their own additional data, and
// then returns their plaintext; any other input (a flipped bit, a moved
// ciphertext, garbage) is an ENCRYPTION_ERROR, never a panic.
func FuzzKeyringDecrypt(f *testing.F) {
	k, err := NewKeyring(testKey(3), testKey(4))
	if err != nil {
		f.Fatal(err)
	}
	valid := map[[2]string]string{}
	for _, c := range fixedCiphertexts {
		ct, err := hex.DecodeString(c.ct)
		if err != nil {
			f.Fatal(err)
		}
		valid[[2]string{string(ct), c.aad}] = c.pt
		f.Add(ct, []byte(c.aad))
		f.Add(ct, []byte(c.aad+"x"))
	}
	f.Add([]byte{1, 8, 'a'}, []byte(""))
	f.Add([]byte{}, []byte("aad"))
	f.Fuzz(func(t *testing.T, c, aad []byte) {
		pt, err := k.Decrypt(c, aad)
		want, isValid := valid[[2]string{string(c), string(aad)}]
		switch {
		case isValid && (err != nil || string(pt) != want):
			t.Fatalf("valid ciphertext %x: %q, %v; want %q", c, pt, err, want)
		case !isValid && err == nil:
			t.Fatalf("forged ciphertext accepted: %x (aad %q) -> %q", c, aad, pt)
		case !isValid && !errors.Is(err, CodeEncryptionError):
			t.Fatalf("error %v; want ENCRYPTION_ERROR", err)
		}
	})
}
