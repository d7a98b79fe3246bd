package pwlist

import (
	"slices"
	"strings"
	"testing"
)

// TestListSizeAndOrder: the embedded list holds at least 100,000 entries,
// sorted bytewise without repeats or empty lines, as the binary search
// needs.
func TestListSizeAndOrder(t *testing.T) {
	if n := Len(); n < 100000 {
		t.Fatalf("Len() = %d; want >= 100000", n)
	}
	var all []string
	All(func(e string) { all = append(all, e) })
	if len(all) != Len() {
		t.Fatalf("All gave %d entries, Len %d", len(all), Len())
	}
	for i, e := range all {
		if e == "" || i > 0 && all[i-1] >= e {
			t.Fatalf("entry %d %q after %q: not strictly sorted or empty", i, e, all[max(i-1, 0)])
		}
	}
	if !strings.HasSuffix(list, "\n") {
		t.Error("the list does not end with a newline")
	}
}

// TestContains: every entry is found, the first and last included; what
// lies between or around entries (prefixes, extensions) is not; a lookup
// allocates nothing.
func TestContains(t *testing.T) {
	var all []string
	All(func(e string) { all = append(all, e) })
	for _, e := range all {
		if !Contains(e) {
			t.Fatalf("entry %q not found", e)
		}
	}
	for _, s := range []string{"", "\x00", all[0][:len(all[0])-1], all[0] + "\x00", all[len(all)-1] + "~",
		"\xff\xff", "unusual tapir meadow", all[len(all)/2] + "\n" + all[len(all)/2+1]} {
		if _, found := slices.BinarySearch(all, s); found != Contains(s) {
			t.Errorf("Contains(%q) = %v; want %v", s, Contains(s), found)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Contains("password123") }); n != 0 {
		t.Errorf("a lookup allocates %.0f times; want 0", n)
	}
}
