package authos_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The module's layering (root core, domain packages, store, internal),
// checked on the real import graph.
const modulePath = "github.com/authos/authos"

var (
	// domainPackages build on the root and never import one another.
	domainPackages = []string{"mfa", "device", "oauth", "saml", "scim", "webhook"}
	// storeBackends implement store.Storage; sqlstore is the SQL code that
	// sqlite and postgres share.
	storeBackends = []string{"store/memory", "store/sqlite", "store/postgres", "store/sqlstore"}
	// testOnlyPackages are imported by _test.go files only.
	testOnlyPackages = []string{"internal/oapitest", "internal/storecount"}
)

// listedPackage is the part of `go list -json` output the rules need.
type listedPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Error      *struct{ Err string }
}

// goListPackages runs `go list -e -deps -json ./...` in the module root and
// returns the module's packages and the set of standard-library packages.
func goListPackages(t *testing.T) (mine []listedPackage, std map[string]bool) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found in PATH")
	}
	cmd := exec.Command(goBin, "list", "-e", "-deps", "-json", "./...")
	cmd.Dir = "." // the root package's directory is the module root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	std = map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		switch {
		case p.Standard:
			std[p.ImportPath] = true
		case p.ImportPath == modulePath || strings.HasPrefix(p.ImportPath, modulePath+"/"):
			mine = append(mine, p)
		}
	}
	return mine, std
}

// rel is the package path relative to the module ("" for the root).
func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, modulePath), "/")
}

// under reports whether relative path p is dir or below it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// inAny returns the first of dirs that p is under, or "".
func inAny(p string, dirs []string) string {
	for _, d := range dirs {
		if under(p, d) {
			return d
		}
	}
	return ""
}

// importViolations applies the layering rules to the module's packages.
// The result maps a package to what is wrong with its imports.
func importViolations(pkgs []listedPackage, std map[string]bool) map[string][]string {
	out := map[string][]string{}
	bad := func(pkg, format string, args ...any) {
		out[pkg] = append(out[pkg], fmt.Sprintf(format, args...))
	}
	for _, p := range pkgs {
		me := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if std[imp] {
				continue
			}
			own := imp == modulePath || strings.HasPrefix(imp, modulePath+"/")
			them := rel(imp)
			if own && slices.Contains(testOnlyPackages, them) {
				bad(p.ImportPath, "imports %s outside its _test.go files: it is for tests only", imp)
			}
			switch {
			case me == "":
				if !own {
					continue
				}
				if d := inAny(them, domainPackages); d != "" {
					bad(p.ImportPath, "imports domain package %s: domain packages build on the root, not the reverse", imp)
				}
				if d := inAny(them, storeBackends); d != "" {
					bad(p.ImportPath, "imports store backend %s: the root sees only the store interfaces", imp)
				}
				if under(them, "mailer") {
					bad(p.ImportPath, "imports %s: the root sees only the Mailer interface", imp)
				}
			case me == "store":
				bad(p.ImportPath, "imports %s: package store may import only the standard library", imp)
			case me == "event":
				bad(p.ImportPath, "imports %s: package event (names the root imports) may import only the standard library", imp)
			case inAny(me, storeBackends) != "":
				mine := inAny(me, storeBackends)
				switch {
				case !own:
				case them == "":
					bad(p.ImportPath, "imports the root package: a backend implements store and knows nothing of authos")
				case inAny(them, storeBackends) == "" || inAny(them, storeBackends) == mine:
				case them == "store/sqlstore" && (mine == "store/sqlite" || mine == "store/postgres"):
				default:
					bad(p.ImportPath, "imports backend %s: backends are independent (only sqlite and postgres share sqlstore)", imp)
				}
			case me == "internal/oapitest":
				// The OpenAPI validator of the end-to-end tests, which
				// builds on kin-openapi; no production code imports it.
			case me == "internal/storecount":
				// The tests' counting store wraps store.Storage.
				if own && them != "store" {
					bad(p.ImportPath, "imports %s: internal/storecount may import only package store and the standard library", imp)
				}
			case under(me, "internal"):
				bad(p.ImportPath, "imports %s: internal packages may import only the standard library", imp)
			case inAny(me, domainPackages) != "":
				mine := inAny(me, domainPackages)
				if d := inAny(them, domainPackages); own && d != "" && d != mine {
					bad(p.ImportPath, "imports domain package %s: domain packages talk through the root (events, hooks), never directly", imp)
				}
			}
		}
	}
	return out
}

func TestImportLayering(t *testing.T) {
	pkgs, std := goListPackages(t)
	var names []string
	for _, p := range pkgs {
		names = append(names, rel(p.ImportPath))
	}
	// Make sure the rules looked at the packages they are about.
	for _, want := range []string{"", "store", "store/memory", "store/sqlite", "store/postgres", "mailer"} {
		if !slices.Contains(names, want) {
			t.Errorf("go list did not report %s/%s", modulePath, want)
		}
	}
	if !std["net/http"] {
		t.Fatal("go list -deps reported no standard-library packages")
	}
	v := importViolations(pkgs, std)
	for _, pkg := range slices.Sorted(maps.Keys(v)) {
		t.Errorf("%s:\n\t%s", pkg, strings.Join(v[pkg], "\n\t"))
	}
}

// The rules themselves, on a made-up graph.
func TestImportLayeringRules(t *testing.T) {
	m := func(p string) string {
		if p == "" {
			return modulePath
		}
		return modulePath + "/" + p
	}
	std := map[string]bool{"context": true, "net/http": true}
	pkgs := []listedPackage{
		{ImportPath: m(""), Imports: []string{"context", m("store"), m("internal/randx"), m("mfa"), m("store/sqlite"), m("mailer")}},
		{ImportPath: m("store"), Imports: []string{"context", "github.com/x/y"}},
		{ImportPath: m("event"), Imports: []string{"context", m("")}},
		{ImportPath: m("store/memory"), Imports: []string{m("store"), m("store/sqlstore")}},
		{ImportPath: m("store/sqlite"), Imports: []string{m("store"), m("store/sqlstore"), "github.com/ncruces/go-sqlite3"}},
		{ImportPath: m("store/postgres"), Imports: []string{m("store/sqlstore"), m("store/sqlite"), m("")}},
		{ImportPath: m("internal/hashx"), Imports: []string{"context", m("internal/randx")}},
		{ImportPath: m("mfa"), Imports: []string{m(""), m("store"), m("device")}},
		{ImportPath: m("device"), Imports: []string{m(""), "net/http"}},
		{ImportPath: m("examples/server"), Imports: []string{m(""), m("store/sqlite"), m("mfa")}},
		{ImportPath: m("internal/oapitest"), Imports: []string{"net/http", "github.com/getkin/kin-openapi/openapi3"}},
		{ImportPath: m("webhook"), Imports: []string{m(""), m("internal/oapitest")}},
		{ImportPath: m("internal/storecount"), Imports: []string{"context", m("store"), m("")}},
		{ImportPath: m("scim"), Imports: []string{m(""), m("internal/storecount")}},
	}
	got := importViolations(pkgs, std)
	want := map[string]int{
		m(""):                    3, // mfa, store/sqlite, mailer
		m("store"):               1, // github.com/x/y
		m("event"):               1, // the root
		m("store/memory"):        1, // sqlstore
		m("store/postgres"):      2, // sqlite, root
		m("internal/hashx"):      1, // internal/randx
		m("mfa"):                 1, // device
		m("webhook"):             1, // internal/oapitest outside a test
		m("internal/storecount"): 1, // the root
		m("scim"):                1, // internal/storecount outside a test
	}
	for pkg, n := range want {
		if len(got[pkg]) != n {
			t.Errorf("%s: %d violations %q, want %d", pkg, len(got[pkg]), got[pkg], n)
		}
	}
	for pkg := range got {
		if _, ok := want[pkg]; !ok {
			t.Errorf("%s: unexpected violations %q", pkg, got[pkg])
		}
	}
}
