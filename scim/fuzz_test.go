package scim_test

import (
	"strings"
	"testing"

	"github.com/authos/authos/scim"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/sqlstore"
)

// literals returns the string values of a typed filter.
func literals(f store.SCIMFilter) []string {
	switch x := f.(type) {
	case store.SCIMAnd:
		return append(literals(x.Left), literals(x.Right)...)
	case store.SCIMOr:
		return append(literals(x.Left), literals(x.Right)...)
	case store.SCIMNot:
		return literals(x.X)
	case store.SCIMAny:
		return literals(x.Filter)
	case store.SCIMCompare:
		if s, ok := x.Value.(string); ok {
			return []string{s}
		}
	}
	return nil
}

// FuzzFilter: parsing a filter and translating it to SQL never panics, and
// the SQL never carries the input: its only quoted text is the LIKE escape
// clause, it has one placeholder per argument, and every literal of the
// filter reaches the query as a bound argument.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen@example.com"`, `userName Eq "x" and active eq true`, `emails[type eq "work" and value co "@x.com"]`,
		`emails.value sw "a'b"`, `not (displayName ew "%_\\")`, `meta.created gt "2011-05-13T04:42:34Z"`, `externalId eq "';DROP TABLE x;--"`,
		`members[value eq "u1"]`, `id pr or userName ne "?"`, `title eq "x"`, `userName eq`, `active eq "False"`,
	} {
		f.Add(s)
	}
	dialects := []sqlstore.Dialect{{Name: "sqlite"}, {Name: "postgres", NumberedPlaceholders: true}}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, res := range []store.SCIMResource{store.SCIMUsers, store.SCIMGroups} {
			flt, err := scim.ParseFilter(res, raw)
			if err != nil {
				continue
			}
			for _, d := range dialects {
				where, args, err := sqlstore.TranslateSCIMFilter(&d, res, flt)
				if err != nil {
					t.Fatalf("%q: a parsed filter does not translate: %v", raw, err)
				}
				if rest := strings.ReplaceAll(strings.ReplaceAll(where, `ESCAPE '\'`, ""), `<> ''`, ""); strings.ContainsAny(rest, `'";`) {
					t.Fatalf("%q: quoted or separated text in the SQL: %s", raw, where)
				}
				if n := strings.Count(where, "?"); n != len(args) {
					t.Fatalf("%q: %d placeholders for %d arguments: %s", raw, n, len(args), where)
				}
				for _, lit := range literals(flt) {
					found := false
					for _, a := range args {
						if s, ok := a.(string); ok && (strings.Contains(s, lit) || strings.Contains(s, strings.ToLower(lit)) ||
							strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, `\\`, `\`), `\%`, `%`), `\_`, `_`), strings.ToLower(lit)) ||
							strings.Contains(strings.NewReplacer(`[*]`, `*`, `[?]`, `?`, `[[]`, `[`).Replace(s), lit)) {
							found = true
						}
					}
					if !found {
						t.Fatalf("%q: literal %q is not a bound argument (%v)", raw, lit, args)
					}
				}
			}
		}
	})
}
