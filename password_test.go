package authos

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/internal/pwlist"
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
	varied := strings.Repeat("abcdefghij", 26)
	cases := []struct {
		pw string
		ok bool
	}{
		{"1234567", false},
		{"zq8ypl4m", true},
		{"🔑🔑🔑🔑", false},                         // 4 code points, 16 bytes
		{strings.Repeat("éà", 4), true},         // 8 code points
		{varied[:256], true},                    //
		{varied[:256] + "k", false},             // 257
		{"alllowercaseletters", true},           // no composition rules
		{"bad\xffutf8xxxxx", false},             //
		{"e\u0301e\u0301e\u0301e\u0301", false}, // NFD of "éééé": 4 characters once normalised
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
		if pw == "zebra quantum 1234" {
			return errors.New("breached")
		}
		return nil
	}
	if err := p.Validate(ctx, "zebra quantum 1234", User{}); !errors.Is(err, CodeWeakPassword) {
		t.Errorf("breached password: %v", err)
	}
	// The hook sees the NFKC form.
	var seen string
	p.Check = func(_ context.Context, pw string, _ User) error { seen = pw; return nil }
	if err := p.Validate(ctx, "ｆｕｌｌｗｉｄｔｈ ｋｅｙ", User{}); err != nil || seen != "fullwidth key" {
		t.Errorf("hook saw %q (%v); want the NFKC form", seen, err)
	}
}

// TestPasswordPolicyRefusesWeakPasswords: common passwords, only spaces,
// one repeated character, the email, its name part and the product name
// are refused with WEAK_PASSWORD and a message that says why.
func TestPasswordPolicyRefusesWeakPasswords(t *testing.T) {
	p := PasswordPolicy{MinLength: 8, MaxLength: 256, ContextWords: []string{"authos", " Acme "}}
	u := User{Email: "Jane.Doe+news@Example.com"}
	cases := []struct{ pw, why string }{
		{"password", "too common"},
		{"12345678", "too common"},
		{"qwertyuiop", "too common"},
		{"password123", "too common"},
		{"PassWord123", "too common"}, // compared case-insensitively
		{"ｐａｓｓｗｏｒｄ１２３", "too common"}, // full-width: NFKC folds it to password123
		{"        ", "only spaces"},
		{"\t \u3000       ", "only spaces"},
		{"zzzzzzzzzzzz", "one character repeated"},
		{"Jane.Doe+news@Example.com", "your email address"},
		{"my jane.doe+news@example.com!", "your email address"},
		{"xx-JANE.DOE-xx", "name part"},
		{"janedoe rocks", "name part"},
		{"i love authos 42", `"authos"`},
		{"ACME widgets 2030", `"acme"`},
	}
	for _, c := range cases {
		err := p.Validate(context.Background(), c.pw, u)
		if !errors.Is(err, CodeWeakPassword) || !strings.Contains(AsError(err).PublicMessage(), c.why) {
			t.Errorf("Validate(%q) = %v; want WEAK_PASSWORD saying %q", c.pw, err, c.why)
		}
	}
	// Short name parts and words are not matched as substrings.
	short := User{Email: "bob@example.com"}
	for _, pw := range []string{"bobsleigh in winter", "unusual tapir meadow", "doe-eyed fawn 77"} {
		if err := p.Validate(context.Background(), pw, short); err != nil {
			t.Errorf("Validate(%q) = %v; want ok", pw, err)
		}
	}
}

// TestCommonPasswordList: the embedded list holds at least 100,000
// distinct entries, sorted, each in the folded form lookups use, and the
// passwords the review found accepted are on it.
func TestCommonPasswordList(t *testing.T) {
	n := pwlist.Len()
	if n < 100000 {
		t.Fatalf("list has %d entries; want at least 100000", n)
	}
	prev, count := "", 0
	pwlist.All(func(e string) {
		if count > 0 && e <= prev {
			t.Fatalf("entry %d %q is not after %q", count, e, prev)
		}
		if foldPassword(e) != e || e == "" {
			t.Fatalf("entry %q is not folded", e)
		}
		prev = e
		count++
	})
	for _, pw := range []string{"password", "12345678", "qwertyuiop", "password123", "iloveyou", "trustno1"} {
		if !pwlist.Contains(foldPassword(pw)) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	for _, pw := range []string{"unusual tapir meadow", "", "passwordz9q", "password1234567890x"} {
		if pwlist.Contains(pw) {
			t.Errorf("%q is on the list", pw)
		}
	}
}

// TestPasswordsNormalisedToNFKC: the hasher Authos uses normalises to NFKC,
// so a password typed in NFD verifies against one stored from NFC (and the
// reverse), while a hash made from raw, non-normalised input before
// normalisation existed still verifies and asks for a rehash.
func TestPasswordsNormalisedToNFKC(t *testing.T) {
	ctx := context.Background()
	inner, err := NewArgon2id(Argon2Params{Memory: 12288, Time: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := nfkcHasher{inner}
	nfc, nfd := "Åsa lösenord", "A\u030asa lo\u0308senord"
	if nfc == nfd {
		t.Fatal("test strings are equal")
	}
	enc, err := h.Hash(ctx, nfd)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{nfc, nfd} {
		if ok, rehash, err := h.Verify(ctx, pw, enc); !ok || rehash || err != nil {
			t.Errorf("Verify(%q) = %v %v %v; want ok without rehash", pw, ok, rehash, err)
		}
	}
	legacy, _ := inner.Hash(ctx, nfd) // stored before normalisation
	if ok, rehash, _ := h.Verify(ctx, nfd, legacy); !ok || !rehash {
		t.Errorf("legacy hash: ok %v rehash %v; want true true", ok, rehash)
	}
	if ok, _, _ := h.Verify(ctx, "A\u030asa lo\u0308senorD", legacy); ok {
		t.Error("a wrong password verified against the legacy hash")
	}
	if ok, _, _ := h.Verify(ctx, "Asa losenord", enc); ok {
		t.Error("a password without the accents verified")
	}
}

// BenchmarkCommonPasswordCheck: the list lookup (fold, then a binary search
// over the sorted entries) against the raw primitive, a Go map holding the
// same entries, in the same run; and the whole policy against one Argon2id
// hash, the work every registration does anyway.
func BenchmarkCommonPasswordCheck(b *testing.B) {
	pws := []string{"password123", "unusual tapir meadow", "Trustno1", "zq8ypl4m-x"}
	m := make(map[string]struct{}, pwlist.Len())
	pwlist.All(func(e string) { m[e] = struct{}{} })
	b.Run("list", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			pwlist.Contains(foldPassword(pws[i%len(pws)]))
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_ = m[foldPassword(pws[i%len(pws)])]
		}
	})
	p := PasswordPolicy{MinLength: 8, MaxLength: 256, ContextWords: []string{"authos"}}
	u := User{Email: "kim.lee@example.com"}
	b.Run("validate", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_ = p.Validate(context.Background(), pws[i%len(pws)], u)
		}
	})
	h, _ := NewArgon2id(Argon2Params{}, 1)
	b.Run("argon2id", func(b *testing.B) {
		for b.Loop() {
			_, _ = h.Hash(context.Background(), pws[0])
		}
	})
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

// TestPasswordDoesNotExpire: a password stays valid until the user changes
// it; there is no periodic rotation (ASVS 6.2.10).
func TestPasswordDoesNotExpire(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	verifiedUser(t, a, "old-timer@example.test", "a password kept for years")
	clk.Advance(5 * 365 * 24 * time.Hour)
	if _, err := a.Login(context.Background(), LoginInput{Email: "old-timer@example.test", Password: "a password kept for years"}); err != nil {
		t.Fatalf("login five years later: %v", err)
	}
}
