package authostest_test

import (
	"os"
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
	dir, run := hostModule(t, map[string]string{"host.go": "// Package host is a host of authos.\npackage host\n", "host_test.go": hostTest})
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
