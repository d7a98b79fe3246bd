package validate

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"ada@example.com": true, "a.b+c@sub.example.org": true, "jörg@example.de": true,
		"": false, "ada": false, "@example.com": false, "ada@": false, "ada@example": false, "ada@.example.com": false,
		"ada@example.com.": false, "a@b@example.com": false, "ada @example.com": false, "ada@exa\x00mple.com": false,
		"\xff@example.com": false, strings.Repeat("a", 250) + "@x.io": false,
	} {
		if got := Email(s); got != want {
			t.Errorf("Email(%q) = %v; want %v", s, got, want)
		}
	}
}

func TestURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://example.com/hook": true, "http://127.0.0.1:8080/x?y=1": true,
		"": false, "example.com": false, "ftp://example.com": false, "https://": false, "https://user:pw@example.com": false,
		"https://example.com/#frag": false, "https://example.com/#": false, "https://exa mple.com": false, "mailto:ada@example.com": false,
		"https://example.com/" + strings.Repeat("a", 2048): false,
	} {
		if got := URL(s); got != want {
			t.Errorf("URL(%q) = %v; want %v", s, got, want)
		}
	}
}
