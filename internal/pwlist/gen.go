//go:build ignore

// gen builds common.txt from a frequency-ordered password list, one
// password a line, most frequent first:
//
//	go run gen.go -in 10-million-password-list-top-1000000.txt
//
// The input is SecLists' Passwords/Common-Credentials/
// 10-million-password-list-top-1000000.txt (github.com/danielmiessler/
// SecLists, MIT licence): Mark Burnett's ten million passwords (2015,
// released into the public domain) ranked by frequency. Lines are read in
// order, carriage returns and blank lines dropped, lines that are not
// valid UTF-8 skipped, and each line folded (NFKC, then lower case, as
// the root package folds passwords before a lookup); the first -n distinct folded entries are kept, sorted bytewise,
// one a line.
package main

import (
	"bufio"
	"flag"
	"log"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func main() {
	in := flag.String("in", "", "frequency-ordered password list")
	out := flag.String("out", "common.txt", "output")
	n := flag.Int("n", 100000, "number of distinct entries to keep")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var keep []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(keep) < *n {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || !utf8.ValidString(line) {
			continue
		}
		if e := strings.ToLower(norm.NFKC.String(line)); !seen[e] && !strings.Contains(e, "\n") {
			seen[e] = true
			keep = append(keep, e)
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	if len(keep) < *n {
		log.Fatalf("only %d distinct entries in %s", len(keep), *in)
	}
	slices.Sort(keep)
	data := strings.Join(keep, "\n") + "\n"
	if err := os.WriteFile(*out, []byte(data), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d entries, %d bytes", len(keep), len(data))
}
