package authostest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostTest is the test file of the throwaway host module: a route of the
// host protected with RequireAuth, tested with New and Token.
const hostTest = `package host

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authos/authos/authostest"
)

func TestOrders(t *testing.T) {
	a := authostest.New(t)
	h := a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+authostest.Token(t, a, "alice@example.com"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("got %d; want 200", rec.Code)
	}
}
`

// A host module that imports only authostest (and the root) does not
// depend on the SQLite or PostgreSQL drivers: after go mod tidy its go.sum
// lists neither pgx nor go-sqlite3, and its test passes.
func TestHostModuleDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found in PATH")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/host\n\ngo 1.26\n\nrequire github.com/authos/authos v0.0.0\n\nreplace github.com/authos/authos => "+root+"\n")
	write("host.go", "// Package host is a host of authos.\npackage host\n")
	write("host_test.go", hostTest)
	// The module's own sums, so that tidy checks the host's against them
	// instead of asking the checksum database; tidy drops those it does not
	// need. With GOPROXY=off the modules come from the module cache, which
	// building this module filled: nothing leaves the machine.
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sums))
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("mod", "tidy")
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(sum), "\n") {
		for _, heavy := range []string{"github.com/jackc/pgx", "github.com/ncruces/go-sqlite3"} {
			if strings.HasPrefix(line, heavy) {
				t.Errorf("the host's go.sum lists %s", line)
			}
		}
	}
	if !strings.Contains(string(sum), "github.com/golang-jwt/jwt/v5") {
		t.Errorf("the host's go.sum lacks the root's own dependency golang-jwt; tidy did not run as expected:\n%s", sum)
	}
	run("test", "-count=1", ".")
}
