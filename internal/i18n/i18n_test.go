package i18n

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		header, fallback, want string
	}{
		{"", "", "en"},
		{"", "de", "de"},
		{"de", "", "de"},
		{"DE-at", "", "de"},
		{"de-CH, en;q=0.9", "", "de"},
		{"en-US,en;q=0.9,de;q=0.8", "", "en"},
		{"en;q=0.5, de;q=0.9", "", "de"},
		{"en;q=0.5, de;q=0.500", "", "en"},    // a tie goes to the earlier
		{"fr, de;q=0.1", "", "de"},            // the only one authos has
		{"fr, it", "de", "de"},                // none: the fallback
		{"fr, it", "xx", "en"},                // an unsupported fallback: English
		{"de;q=0, en;q=0.1", "", "en"},        // refused
		{"de;q=0", "de", "en"},                // the fallback refused too
		{"*", "de", "de"},                     // anything: the fallback
		{"fr, *;q=0.5, de;q=0.4", "en", "en"}, // * weighs more than de
		{"de;q=1.001", "", "en"},              // invalid q: the element is dropped
		{"de;level=1", "", "en"},              // only q is allowed
		{"de;q=0.8;", "", "de"},               // empty parameter tolerated
		{"  de ;  q = 0.7 ", "", "de"},
		{"d3", "", "en"},
		{"de-1996, en;q=0.2", "", "de"},
		{",,,de,,,", "", "de"},
		{"de;q=1., en;q=0.9", "", "de"},
		{"de;q=0., en;q=0.1", "", "en"},
		{"\x00de", "", "en"},
	} {
		if got := Negotiate(tc.header, tc.fallback); got != tc.want {
			t.Errorf("Negotiate(%q, %q) = %q; want %q", tc.header, tc.fallback, got, tc.want)
		}
	}
}

func TestParseAcceptLanguage(t *testing.T) {
	got := ParseAcceptLanguage("de-CH, de;q=0.9, en;q=0.8, *;q=0.1, bad tag, x;q=2")
	want := []Range{{"de-ch", 1000}, {"de", 900}, {"en", 800}, {"*", 100}}
	if !slices.Equal(got, want) {
		t.Errorf("ParseAcceptLanguage = %v; want %v", got, want)
	}
	if n := len(ParseAcceptLanguage(strings.Repeat("de,", 1000))); n != maxRanges {
		t.Errorf("a header of 1000 ranges gave %d; want at most %d", n, maxRanges)
	}
}

// Every English message has a German one, with the same verbs.
func TestGermanCatalogComplete(t *testing.T) {
	for _, lang := range Languages() {
		for _, k := range Keys(English) {
			tr, ok := Lookup(lang, k)
			if !ok {
				t.Errorf("%s has no message %q", lang, k)
				continue
			}
			if en, _ := Lookup(English, k); strings.Count(tr, "%") != strings.Count(en, "%") {
				t.Errorf("%s %q has other verbs than English: %q vs %q", lang, k, tr, en)
			}
		}
		for _, k := range Keys(lang) {
			if _, ok := Lookup(English, k); !ok {
				t.Errorf("%s has %q, which English lacks", lang, k)
			}
		}
	}
	if !slices.Contains(Languages(), "de") || !slices.Contains(Languages(), "en") {
		t.Fatalf("Languages() = %v", Languages())
	}
	for en, de := range errorMessages["de"] {
		if strings.Count(en, "%s") != strings.Count(de, "%s") || strings.Count(de, "%") != strings.Count(de, "%s") {
			t.Errorf("German error message %q -> %q: the %%s do not correspond", en, de)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct{ lang, code, msg, want string }{
		{"de", "INVALID_CREDENTIALS", "Invalid email or password", "E-Mail-Adresse oder Passwort ist falsch"},
		{"de", "WEAK_PASSWORD", "Password must be at least 12 characters", "Das Passwort muss mindestens 12 Zeichen lang sein"},
		{"de", "BAD_REQUEST", `Field "email" has the wrong type`, `Das Feld "email" hat den falschen Typ`},
		{"de", "BAD_REQUEST", `Field "e" must be spelled "email"`, `Das Feld "e" muss "email" geschrieben werden`},
		{"de", "FORBIDDEN", "This action needs the admin role; this API key acts with its creator's role",
			"Diese Aktion erfordert die Rolle admin; dieser API-Schlüssel handelt mit der Rolle seines Erstellers"},
		{"de", "INVALID_EMAIL", "", "Ungültiges E-Mail-Format"},
		{"de", "BAD_REQUEST", "A message nobody translated", "A message nobody translated"},
		{"en", "INVALID_CREDENTIALS", "Invalid email or password", "Invalid email or password"},
		{"en", "INVALID_EMAIL", "", ""}, // English: the caller's description
		{"xx", "INVALID_EMAIL", "Invalid email format", "Invalid email format"},
	} {
		if got := Error(tc.lang, tc.code, tc.msg); got != tc.want {
			t.Errorf("Error(%q, %q, %q) = %q; want %q", tc.lang, tc.code, tc.msg, got, tc.want)
		}
	}
}

// FuzzAcceptLanguage: parsing never panics, keeps at most maxRanges
// well-formed ranges with weights in 0..1000, and Negotiate always answers
// a shipped language, never one the header refuses while another remains.
func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"", "de", "de-CH, en;q=0.9", "en;q=0.5, de;q=0.9", "*;q=0", "de;q=0, en",
		"x;q=1.000", "de;q=0.", "de;;q=1", "de;q=1;q=0", " , ;", "zh-Hant-TW;q=0.3", "\xff;q=0.1", "de;q=00.5"} {
		f.Add(s, "de")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, header, fallback string) {
		ranges := ParseAcceptLanguage(header)
		if len(ranges) > maxRanges {
			t.Fatalf("%d ranges", len(ranges))
		}
		for _, r := range ranges {
			if r.Q < 0 || r.Q > 1000 || !validRange(r.Tag) || r.Tag != strings.ToLower(r.Tag) || !utf8.ValidString(r.Tag) {
				t.Fatalf("bad range %+v from %q", r, header)
			}
			if !strings.Contains(strings.ToLower(header), r.Tag) {
				t.Fatalf("range %q is not in the header %q", r.Tag, header)
			}
		}
		got := Negotiate(header, fallback)
		if !Supported(got) {
			t.Fatalf("Negotiate(%q, %q) = %q, not a shipped language", header, fallback, got)
		}
		fb := Normalize(fallback)
		if fb == "" {
			fb = English
		}
		refused, weight := map[string]bool{}, map[string]int{}
		star := 0
		for _, r := range ranges {
			switch {
			case r.Q == 0 && Supported(r.Tag):
				refused[r.Tag] = true
			case r.Tag == "*":
				star = max(star, r.Q)
			case Normalize(r.Tag) != "":
				weight[Normalize(r.Tag)] = max(weight[Normalize(r.Tag)], r.Q)
			}
		}
		// The answer comes from the header, the fallback or English.
		if got != fb && got != English && weight[got] == 0 {
			t.Fatalf("Negotiate(%q, %q) = %q, which the header does not ask for", header, fallback, got)
		}
		// A refused language only when there is nothing else.
		if refused[got] && (!refused[English] || got != fb && got != English) {
			t.Fatalf("Negotiate(%q, %q) = %q, which the header refuses", header, fallback, got)
		}
		// No language the header weighs more than the answer is passed over.
		gotWeight := weight[got]
		if got == fb && !refused[fb] {
			gotWeight = max(gotWeight, star)
		}
		for lang, w := range weight {
			if !refused[lang] && w > gotWeight && w > 0 {
				t.Fatalf("Negotiate(%q, %q) = %q (weight %d), but %q weighs %d", header, fallback, got, gotWeight, lang, w)
			}
		}
	})
}
