package authos_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityMapNamesExistingTests: SECURITY.md maps at least 60 ASVS 5.0
// requirements of chapters V6-V10, each with a status, and every test it
// names exists as func TestX or func FuzzX in a test file of the
// repository, so the map cannot cite a test that was renamed or removed.
func TestSecurityMapNamesExistingTests(t *testing.T) {
	doc, err := os.ReadFile("SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (6|7|8|9|10)\.\d+\.\d+ \| (Met|Met for [^|]+|Open|N/A|Host's duty) \|`)
	reqs := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		id := strings.Fields(m[0])[1]
		if reqs[id] {
			t.Errorf("requirement %s is mapped twice", id)
		}
		reqs[id] = true
	}
	if len(reqs) < 60 {
		t.Errorf("SECURITY.md maps %d requirements; want at least 60", len(reqs))
	}
	defined := map[string]bool{}
	def := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Z]\w*)\(`)
	for _, f := range repoFiles(t) {
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
	}
	named := map[string]bool{}
	for _, name := range regexp.MustCompile(`\b(?:Test|Fuzz)[A-Z]\w*`).FindAllString(string(doc), -1) {
		named[name] = true
		if !defined[name] {
			t.Errorf("SECURITY.md names %s, which no test file defines", name)
		}
	}
	if len(named) < 40 {
		t.Errorf("SECURITY.md names %d tests; want at least 40", len(named))
	}
	t.Logf("%d requirements mapped, %d tests named", len(reqs), len(named))
}
