package authos

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authos/authos/internal/validate"
)

// validateEmail checks an email address (validate.Email): INVALID_EMAIL
// otherwise.
func validateEmail(email string) error {
	if !validate.Email(email) {
		return NewError(CodeInvalidEmail, "Invalid email format")
	}
	return nil
}

// normalizeEmail trims spaces; comparison elsewhere is case-insensitive.
func normalizeEmail(email string) string { return strings.TrimSpace(email) }

// ReservedSlugs may not be used as organization or service slugs.
var reservedSlugs = []string{"api", "www", "mail", "ftp", "admin", "root", "support", "help", "docs", "blog",
	"news", "status", "health", "ping", "cdn", "assets", "static", "platform", "auth", "scim", "saml",
	"oauth", "webhooks", "well-known"}

// validateSlug checks an organization slug and returns the slug lower-cased:
// SLUG_TOO_SHORT (< 3), SLUG_TOO_LONG (> 50), INVALID_SLUG (not ASCII
// letters, digits, '-' or '_'), RESERVED_SLUG.
func validateSlug(slug string) (string, error) {
	n := utf8.RuneCountInString(slug)
	switch {
	case n < 3:
		return "", NewError(CodeSlugTooShort, "Slug must be at least 3 characters")
	case n > 50:
		return "", NewError(CodeSlugTooLong, "Slug must be at most 50 characters")
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if allowed := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'; !allowed {
			return "", NewError(CodeInvalidSlug, "Slug may contain only letters, digits, '-' and '_'")
		}
	}
	lower := strings.ToLower(slug)
	if slices.Contains(reservedSlugs, lower) {
		return "", NewError(CodeReservedSlug, "Slug is reserved")
	}
	return lower, nil
}

// validateName checks a display name and returns the trimmed name:
// NAME_TOO_SHORT (< 2 characters after trimming), NAME_TOO_LONG (> 100),
// BAD_REQUEST when it holds control characters or invalid UTF-8.
func validateName(name string) (string, error) {
	if !cleanText(name, false) {
		return "", NewError(CodeBadRequest, "Name must not contain control characters")
	}
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n < 2:
		return "", NewError(CodeNameTooShort, "Name must be at least 2 characters")
	case n > 100:
		return "", NewError(CodeNameTooLong, "Name must be at most 100 characters")
	}
	return name, nil
}

// CheckIdentifier refuses, with BAD_REQUEST, an identifier (email, slug,
// client_id, id) that is not valid UTF-8 or holds control characters,
// before it reaches a store: PostgreSQL cannot hold NUL in text while SQLite
// and memory would store it, so every backend must never see one. what
// names the identifier in the message.
func CheckIdentifier(what, s string) error {
	if !cleanText(s, false) {
		return NewError(CodeBadRequest, what+" must not contain control characters")
	}
	return nil
}

// validateURL checks a URL (validate.URL): absolute http or https with a
// host, no fragment, no userinfo. It returns code (INVALID_URL) otherwise.
func validateURL(raw string, code ErrorCode) error {
	if !validate.URL(raw) {
		return NewError(code, "URL must be an absolute http(s) URL with a host, without fragment or credentials")
	}
	return nil
}
