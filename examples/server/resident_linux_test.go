package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDropStartupPages: the executable's resident pages are unmapped (here
// the test binary's), and the process runs on.
func TestDropStartupPages(t *testing.T) {
	rssFile := func() int64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return kb << 10
			}
		}
		t.Fatal("no RssFile in /proc/self/status")
		return 0
	}
	before := rssFile()
	dropStartupPages()
	after := rssFile()
	t.Logf("file-backed resident memory: %.1f MiB before, %.1f MiB after", mib(before), mib(after))
	// What the test itself touches between the two reads comes back at
	// once; most of the binary's resident pages must have gone.
	if after > before/2 {
		t.Errorf("file-backed resident memory %.1f MiB after dropping, %.1f MiB before; want at most half", mib(after), mib(before))
	}
}
