// Package pwlist is the list of common passwords that new passwords are
// checked against: the 100,000 most frequent passwords of Mark Burnett's
// "ten million passwords" corpus (2015, released into the public domain),
// as ordered by frequency in the SecLists collection (MIT licence), after
// NFKC normalisation and lower-casing (see gen.go, which builds
// common.txt.gz). Callers fold a password the same way before a lookup.
//
// The list is embedded compressed (about 260 KB) and decompressed on first
// use into one sorted string and an index of entry offsets (about 1.2 MB of
// heap, see TestListSizeAndMemory); a lookup is a binary search without
// allocation.
package pwlist

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the compressed list
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed common.txt.gz
var compressed []byte

var (
	once   sync.Once
	blob   string   // the sorted entries, each followed by '\n'
	starts []uint32 // offset of each entry in blob, plus len(blob) at the end
)

// load decompresses the embedded list once.
func load() {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		panic("pwlist: embedded list is corrupt: " + err.Error())
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		panic("pwlist: embedded list is corrupt: " + err.Error())
	}
	blob = string(raw)
	starts = make([]uint32, 0, bytes.Count(raw, []byte{'\n'})+1)
	for i := 0; i < len(blob); {
		starts = append(starts, uint32(i))
		j := strings.IndexByte(blob[i:], '\n')
		if j < 0 {
			panic("pwlist: embedded list does not end with a newline")
		}
		i += j + 1
	}
	starts = append(starts, uint32(len(blob)))
}

// entry returns entry i (without its newline).
func entry(i int) string { return blob[starts[i] : starts[i+1]-1] }

// Contains reports whether folded (a password in NFKC, then lower case) is
// on the list.
func Contains(folded string) bool {
	f := folded
	n := Len()
	i := sort.Search(n, func(i int) bool { return entry(i) >= f })
	return i < n && entry(i) == f
}

// Len is the number of entries.
func Len() int {
	once.Do(load)
	return len(starts) - 1
}

// All calls fn with every entry, in sorted order (for tests and tools).
func All(fn func(string)) {
	for i := range Len() {
		fn(entry(i))
	}
}
