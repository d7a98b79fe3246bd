package outbound

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseLegacyIPv4: never panics; agrees with netip.ParseAddr on
// canonical dotted quads; a parsed address formats and parses back to
// itself; and the guard judges a legacy notation exactly as the canonical
// address it stands for.
func FuzzParseLegacyIPv4(f *testing.F) {
	for _, s := range []string{"127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "10.0.0.1", "169.254.43518", "0", "1.2.3.4.5",
		"256.1", "0x", "cafe.be", "example.com", "::1", "", "4294967295", "0xffffffff", "00000000000000000001"} {
		f.Add(s)
	}
	strict := &Guard{}
	f.Fuzz(func(t *testing.T, s string) {
		ip, ok := ParseLegacyIPv4(s)
		if canonical, err := netip.ParseAddr(s); err == nil && canonical.Is4() {
			if !ok || ip != canonical {
				t.Fatalf("ParseLegacyIPv4(%q) = %v, %v; netip says %v", s, ip, ok, canonical)
			}
		}
		if !ok {
			if ip.IsValid() {
				t.Fatalf("refused %q but returned %v", s, ip)
			}
			return
		}
		if !ip.Is4() {
			t.Fatalf("ParseLegacyIPv4(%q) = %v, not IPv4", s, ip)
		}
		back, ok2 := ParseLegacyIPv4(ip.String())
		if !ok2 || back != ip {
			t.Fatalf("%q -> %v -> %v, %v", s, ip, back, ok2)
		}
		if strings.ContainsAny(s, ":[]") {
			t.Fatalf("accepted %q", s)
		}
		e1, e2 := strict.CheckHost(s), strict.CheckHost(ip.String())
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("CheckHost(%q) = %v but CheckHost(%v) = %v", s, e1, ip, e2)
		}
	})
}
