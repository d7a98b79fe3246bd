package authos_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// outsideRefs are names of documents that live outside the repository. The
// repository stands alone: no file in it (code, comments, README,
// openapi.yaml, test data) may point a reader at them. Each pattern is built
// by concatenation so that this file holds no hit itself.
var outsideRefs = []string{
	"api" + ".md",
	"architecture" + ".md",
	".." + "/shared",
}

// repoFiles lists the files of the repository: the tracked ones (and new,
// not ignored ones) when git and the .git directory are at hand, else every
// regular file under the module root except .git.
func repoFiles(t *testing.T) []string {
	t.Helper()
	if out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output(); err == nil && len(out) > 0 {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			files = append(files, filepath.FromSlash(f))
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRepositoryCitesNothingOutsideIt(t *testing.T) {
	files := repoFiles(t)
	if len(files) < 50 {
		t.Fatalf("found only %d files; is the test running at the module root?", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue // tracked but deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(b, []byte("\n")) {
			for _, p := range outsideRefs {
				if bytes.Contains(line, []byte(p)) {
					t.Errorf("%s:%d refers to %q, which is not in the repository: %s",
						f, i+1, p, strings.TrimSpace(string(line)))
				}
			}
		}
	}
}
