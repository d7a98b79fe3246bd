// Package i18n is the message catalog of authos: the text of emails, pages
// and error messages shown to people, keyed by language (BCP 47 tags, RFC
// 5646), and the choice of a language from an Accept-Language header (RFC
// 9110 §12.5.4, basic filtering of RFC 4647 §3.3.1). English is complete;
// every other language holds an entry for every English key (a test checks
// it). Error codes are not translated: only the messages are.
package i18n

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// English is the language of last resort.
const English = "en"

// catalogs maps a language to its messages.
var catalogs = map[string]map[string]string{
	English: en,
	"de":    de,
}

// Languages lists the shipped languages, sorted.
func Languages() []string { return slices.Sorted(maps.Keys(catalogs)) }

// Supported reports whether lang has a catalog.
func Supported(lang string) bool { _, ok := catalogs[lang]; return ok }

// Keys lists the keys of lang's catalog, sorted.
func Keys(lang string) []string { return slices.Sorted(maps.Keys(catalogs[lang])) }

// Lookup returns the message of key in lang, and whether lang has it.
func Lookup(lang, key string) (string, bool) {
	s, ok := catalogs[lang][key]
	return s, ok
}

// T returns the message of key in lang (English when lang lacks it, the key
// itself when English does too), formatted with args when there are any.
func T(lang, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		if s, ok = en[key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Normalize returns the catalog language of tag: its primary subtag in
// lower case when that has a catalog ("de-AT" gives "de"), else "".
func Normalize(tag string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	if Supported(primary) {
		return primary
	}
	return ""
}

// Negotiate picks the catalog language for an Accept-Language header: the
// supported language with the highest q-value (earlier in the header on a
// tie; "*" stands for fallback), excluding any the header refuses with
// q=0, else fallback when supported and not refused, else English.
func Negotiate(header, fallback string) string {
	if fallback = Normalize(fallback); fallback == "" {
		fallback = English
	}
	best, bestQ := "", 0
	refused := map[string]bool{}
	ranges := ParseAcceptLanguage(header)
	for _, r := range ranges {
		if r.Q == 0 {
			if r.Tag != "*" && !strings.Contains(r.Tag, "-") {
				refused[r.Tag] = true
			}
		}
	}
	for _, r := range ranges {
		lang := fallback
		if r.Tag != "*" {
			lang = Normalize(r.Tag)
		}
		if lang == "" || r.Q <= bestQ || refused[lang] {
			continue
		}
		best, bestQ = lang, r.Q
	}
	if best != "" {
		return best
	}
	if refused[fallback] && !refused[English] {
		return English
	}
	return fallback
}

// Range is one language range of an Accept-Language header and its weight
// in thousandths (q=0.8 is 800).
type Range struct {
	Tag string // lower case; "*" or subtags of 1-8 letters and digits joined by "-"
	Q   int    // 0..1000
}

// maxRanges bounds the ranges read from one header.
const maxRanges = 32

// ParseAcceptLanguage parses an Accept-Language header value. Malformed
// elements are skipped, not fatal; at most 32 ranges are kept, in header
// order. A range without a q parameter weighs 1000.
func ParseAcceptLanguage(header string) []Range {
	var out []Range
	for elem := range strings.SplitSeq(header, ",") {
		if len(out) == maxRanges {
			break
		}
		tag, params, _ := strings.Cut(elem, ";")
		tag = strings.ToLower(strings.Trim(tag, " \t"))
		if !validRange(tag) {
			continue
		}
		q, ok := 1000, true
		for p := range strings.SplitSeq(params, ";") {
			p = strings.Trim(p, " \t")
			if p == "" {
				continue
			}
			name, value, found := strings.Cut(p, "=")
			if !found || !strings.EqualFold(strings.Trim(name, " \t"), "q") {
				ok = false // RFC 9110 allows only the weight here
				break
			}
			if q, ok = parseQ(strings.Trim(value, " \t")); !ok {
				break
			}
		}
		if ok {
			out = append(out, Range{Tag: tag, Q: q})
		}
	}
	return out
}

// validRange reports whether s is "*" or 1*8ALPHA *("-" 1*8alphanum).
func validRange(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) == 0 || len(sub) > 8 {
			return false
		}
		for _, c := range []byte(sub) {
			alpha := c >= 'a' && c <= 'z'
			if !alpha && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

// parseQ parses a qvalue (RFC 9110 §12.4.2): "0" ["." 0*3DIGIT] or "1"
// ["." 0*3("0")], in thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for _, c := range []byte(s[2:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}
