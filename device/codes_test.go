package device_test

import (
	"strings"
	"testing"

	"github.com/authos/authos/device"
)

// FuzzNormalizeUserCode: whatever is accepted is 8 characters of the RFC
// 8628 §6.1 alphabet, formats as XXXX-XXXX, and normalises to itself again.
func FuzzNormalizeUserCode(f *testing.F) {
	for _, s := range []string{"wdjb mjht", "WDJB-MJHT", " bcdf-ghjk ", "WDJAMJHT", "", "----", "wdjb\tmjht", "ẞCDF-GHJK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		code, ok := device.NormalizeUserCode(in)
		if !ok {
			return
		}
		if len(code) != device.UserCodeLength {
			t.Fatalf("NormalizeUserCode(%q) = %q: wrong length", in, code)
		}
		for _, r := range code {
			if !strings.ContainsRune(device.UserCodeAlphabet, r) {
				t.Fatalf("NormalizeUserCode(%q) = %q: %q outside the alphabet", in, code, r)
			}
		}
		shown := device.FormatUserCode(code)
		if again, ok := device.NormalizeUserCode(shown); !ok || again != code {
			t.Fatalf("round trip %q -> %q -> %q", code, shown, again)
		}
	})
}
