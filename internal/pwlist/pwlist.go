// Package pwlist is the list of common passwords that new passwords are
// checked against: the 100,000 most frequent passwords of Mark Burnett's
// "ten million passwords" corpus (2015, released into the public domain),
// as ordered by frequency in the SecLists collection (MIT licence), after
// NFKC normalisation and lower-casing (see gen.go, which builds
// common.txt). Callers fold a password the same way before a lookup.
//
// The list is embedded as is (about 780 KB of the executable's read-only
// data, one entry a line, sorted bytewise) and searched in place: it takes
// no heap, and only the pages a lookup reads become resident, which the
// operating system can drop again (decompressing it, as this package once
// did, kept 1.2 MB of heap for the life of the process). A lookup is a
// binary search over the lines, without allocation.
package pwlist

import (
	_ "embed" // the list
	"strings"
	"sync"
)

// list is the sorted entries, each followed by '\n'.
//
//go:embed common.txt
var list string

var count = sync.OnceValue(func() int { return strings.Count(list, "\n") })

// Contains reports whether folded (a password in NFKC, then lower case) is
// on the list.
func Contains(folded string) bool {
	// list[lo:hi] is a run of whole lines that holds folded if list does.
	lo, hi := 0, len(list)
	for lo < hi {
		mid := lo + (hi-lo)/2
		s := lo + strings.LastIndexByte(list[lo:mid], '\n') + 1 // the line holding mid
		e := s + strings.IndexByte(list[s:hi], '\n')
		switch c := strings.Compare(list[s:e], folded); {
		case c == 0:
			return true
		case c < 0:
			lo = e + 1
		default:
			hi = s
		}
	}
	return false
}

// Len is the number of entries.
func Len() int { return count() }

// All calls fn with every entry, in sorted order (for tests and tools).
func All(fn func(string)) {
	for rest := list; rest != ""; {
		e, r, _ := strings.Cut(rest, "\n")
		fn(e)
		rest = r
	}
}
