// Package validate holds the syntax checks of email addresses and URLs
// shared by the root package and the feature packages; the callers turn a
// refusal into their catalog error.
package validate

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email reports whether email is an address: one @, non-empty local and
// domain parts, a dot inside the domain, at most 254 bytes, valid UTF-8
// without spaces or control characters.
func Email(email string) bool {
	if email == "" || len(email) > 254 || !utf8.ValidString(email) {
		return false
	}
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// URL reports whether raw is an absolute http or https URL with a host, no
// fragment, no userinfo, at most 2048 bytes and without whitespace.
func URL(raw string) bool {
	if len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n") {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != "" &&
		u.User == nil && u.Fragment == "" && !strings.Contains(raw, "#") && u.Opaque == ""
}
