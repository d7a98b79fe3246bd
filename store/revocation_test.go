package store

import (
	"slices"
	"strings"
	"testing"
)

func TestEncodeRevocations(t *testing.T) {
	ids := []string{"a1", "", "has space", strings.Repeat("x", 129), "b2", "c\n3", "d4"}
	msgs := EncodeRevocations(ids, 5)
	if want := []string{"a1 b2", "d4"}; !slices.Equal(msgs, want) {
		t.Fatalf("messages %q; want %q", msgs, want)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, DecodeRevocations(m)...)
	}
	if want := []string{"a1", "b2", "d4"}; !slices.Equal(got, want) {
		t.Fatalf("decoded %q; want %q", got, want)
	}
	if msgs := EncodeRevocations(nil, 100); msgs != nil {
		t.Fatalf("no ids gave %q", msgs)
	}
}

// FuzzDecodeRevocations: whatever arrives on a channel, only valid ids come
// out, and they survive encoding again.
func FuzzDecodeRevocations(f *testing.F) {
	f.Add("a1 b2 d4")
	f.Add("")
	f.Add("  \x00 \xff" + strings.Repeat("y", 200))
	f.Fuzz(func(t *testing.T, msg string) {
		ids := DecodeRevocations(msg)
		for _, id := range ids {
			if !validRevocationID(id) {
				t.Fatalf("invalid id %q decoded from %q", id, msg)
			}
		}
		var again []string
		for _, m := range EncodeRevocations(ids, 7900) {
			if len(m) > 7900 {
				t.Fatalf("message of %d bytes", len(m))
			}
			again = append(again, DecodeRevocations(m)...)
		}
		if !slices.Equal(ids, again) {
			t.Fatalf("round trip %q -> %q", ids, again)
		}
	})
}
