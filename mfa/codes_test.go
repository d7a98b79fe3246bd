package mfa

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

func TestParseCode(t *testing.T) {
	tests := []struct {
		in   string
		want code
	}{
		{"123456", code{"123456", kindTOTP}},
		{" 123 456 ", code{"123456", kindTOTP}},
		{"123-456", code{"123456", kindTOTP}},
		{"abcd-efgh-ijkl-mnop-qrst-uvwx", code{"abcdefghijklmnopqrstuvwx", kindBackup}},
		{"ABCD EFGH IJKL MNOP QRST 2345", code{"abcdefghijklmnopqrst2345", kindBackup}},
		{"abcdefghijklmnopqrst2345", code{"abcdefghijklmnopqrst2345", kindBackup}},
		{"12345", code{}},
		{"1234567", code{}},
		{"12345a", code{}},
		{"١٢٣٤٥٦", code{}},                        // non-ASCII digits
		{"abcd-efgh-ijkl-mnop-qrst-uvw1", code{}}, // 1 is not base32
		{"abcd-efgh-ijkl-mnop-qrst-uv", code{}},
		{"abcd_efgh_ijkl_mnop_qrst_uvwx", code{}},
		{"", code{}},
		{strings.Repeat(" ", 100) + "123456", code{}},
	}
	for _, tt := range tests {
		if got := parseCode(tt.in); got != tt.want {
			t.Errorf("parseCode(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456", "000000", "abcd-efgh-ijkl-mnop-qrst-uvwx", "ABCDEFGHIJKLMNOPQRSTUVWX",
		"1234567", "", "--", "é12345", "abcd efgh ijkl mnop qrst 234567", "\t654321\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := parseCode(s)
		switch c.kind {
		case kindInvalid:
			if c.value != "" {
				t.Fatalf("parseCode(%q): invalid with value %q", s, c.value)
			}
			return
		case kindTOTP:
			if len(c.value) != 6 || strings.Trim(c.value, "0123456789") != "" {
				t.Fatalf("parseCode(%q): TOTP value %q", s, c.value)
			}
		case kindBackup:
			if len(c.value) != backupCodeLen || !isBase32(c.value) {
				t.Fatalf("parseCode(%q): backup value %q", s, c.value)
			}
			// The displayed form parses back to the same code, in any case.
			shown := formatBackupCode(c.value)
			if got := parseCode(strings.ToUpper(shown)); got != c {
				t.Fatalf("parseCode(upper(%q)) = %+v; want %+v", shown, got, c)
			}
		default:
			t.Fatalf("parseCode(%q): kind %d", s, c.kind)
		}
		// Normalising is idempotent.
		if got := parseCode(c.value); got != c {
			t.Fatalf("parseCode(%q) = %+v, then %+v", s, c, got)
		}
	})
}

func TestNewBackupCodes(t *testing.T) {
	shown, hashes := newBackupCodes("u1")
	if len(shown) != BackupCodeCount || len(hashes) != BackupCodeCount {
		t.Fatalf("got %d codes and %d hashes; want %d", len(shown), len(hashes), BackupCodeCount)
	}
	if backupCodeBytes*8 < 112 {
		t.Errorf("backup codes carry %d bits; want at least 112", backupCodeBytes*8)
	}
	seen := map[string]bool{}
	for i, s := range shown {
		c := parseCode(s)
		if c.kind != kindBackup {
			t.Fatalf("code %q does not parse as a backup code", s)
		}
		if got := backupHash("u1", c.value); got != hashes[i] {
			t.Errorf("hash of %q = %s; want %s", s, got, hashes[i])
		}
		if backupHash("u2", c.value) == hashes[i] {
			t.Errorf("hash of %q does not depend on the user", s)
		}
		if strings.Contains(hashes[i], c.value) || seen[s] {
			t.Errorf("code %q: stored in clear or repeated", s)
		}
		seen[s] = true
	}
}

func TestMatchStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_900_000_021, 0) // 21 s into step 63333334
	cur := stepAt(now)
	gen := func(step int64) string {
		c, err := totp.GenerateCodeCustom(secret, time.Unix(step*period, 0),
			totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		step   int64
		ok     bool
		reason string
	}{
		{cur - 2, false, "two steps back"},
		{cur - 1, true, "one step back"},
		{cur, true, "current"},
		{cur + 1, true, "one step ahead"},
		{cur + 2, false, "two steps ahead"},
	}
	for _, tt := range tests {
		step, ok := matchStep(secret, gen(tt.step), now, 0)
		if ok != tt.ok || ok && step != tt.step {
			t.Errorf("%s: got step %d ok %v; want %d ok %v", tt.reason, step, ok, tt.step, tt.ok)
		}
	}
	if _, ok := matchStep(secret, "12345", now, 0); ok {
		t.Error("a five-digit code matched")
	}
}
