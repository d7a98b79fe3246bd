package authos

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestArgon2idPHCAndRehash(t *testing.T) {
	ctx := context.Background()
	h, err := NewArgon2id(Argon2Params{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q; want ASVS parameters in PHC form", enc)
	}
	if ok, rehash, err := h.Verify(ctx, "correct horse", enc); !ok || rehash || err != nil {
		t.Errorf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, "correct horsE", enc); ok {
		t.Error("Verify(wrong) = true")
	}
	// A password differing only after byte 72 must fail (no truncation).
	long := strings.Repeat("a", 80)
	encLong, _ := h.Hash(ctx, long)
	if ok, _, _ := h.Verify(ctx, long[:79]+"b", encLong); ok {
		t.Error("password differing at byte 80 accepted")
	}
	stronger, err := NewArgon2id(Argon2Params{Memory: 19456, Time: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, _ := stronger.Verify(ctx, "correct horse", enc); !ok || !rehash {
		t.Errorf("stronger.Verify(old hash) = ok %v rehash %v; want true true", ok, rehash)
	}
}

func TestArgon2idRefusesWeakParams(t *testing.T) {
	for _, p := range []Argon2Params{{Memory: 4096, Time: 2}, {Memory: 19456, Time: 1}, {Memory: 8192, Time: 3}} {
		if _, err := NewArgon2id(p, 1); err == nil {
			t.Errorf("NewArgon2id(%+v) accepted weak parameters", p)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	p := PasswordPolicy{MinLength: 8, MaxLength: 256}
	ctx := context.Background()
	cases := []struct {
		pw string
		ok bool
	}{
		{"1234567", false},
		{"12345678", true},
		{"🔑🔑🔑🔑", false},                   // 4 code points, 16 bytes
		{strings.Repeat("é", 8), true},    // 8 code points
		{strings.Repeat("x", 256), true},  //
		{strings.Repeat("x", 257), false}, //
		{"alllowercaseletters", true},     // no composition rules
		{"bad\xffutf8xxxxx", false},       //
	}
	for _, c := range cases {
		err := p.Validate(ctx, c.pw, User{})
		if c.ok != (err == nil) {
			t.Errorf("validate(%q) = %v; want ok=%v", c.pw, err, c.ok)
		}
		if err != nil && !errors.Is(err, CodeWeakPassword) {
			t.Errorf("validate(%q) code = %v; want WEAK_PASSWORD", c.pw, err)
		}
	}
	p.Check = func(_ context.Context, pw string, _ User) error {
		if pw == "password1234" {
			return errors.New("breached")
		}
		return nil
	}
	if err := p.Validate(ctx, "password1234", User{}); !errors.Is(err, CodeWeakPassword) {
		t.Errorf("breached password: %v", err)
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Add("$bcrypt$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses to the same.
		q, err := parsePHC(encodePHC(p))
		if err != nil || q.memory != p.memory || q.time != p.time || q.threads != p.threads ||
			string(q.salt) != string(p.salt) || string(q.key) != string(p.key) {
			t.Fatalf("round trip of %q: %+v, %v", s, q, err)
		}
	})
}
