package authos_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/i18n"
)

// Every error code's description and every error message written in the
// packages that people sign in through (the root, mfa, device, oauth) has a
// translation in every shipped language. (scim and billing answer
// directories and payment providers, not people.) A message built from
// parts is listed in internal/i18n/errors.go as a pattern with %s.
func TestErrorMessagesTranslated(t *testing.T) {
	for _, lang := range i18n.Languages() {
		if lang == i18n.English {
			continue
		}
		for _, c := range authos.Codes() {
			if !i18n.HasCode(lang, string(c)) {
				t.Errorf("%s: no translation of the description of %s (%q)", lang, c, c.Description())
			}
		}
		n := 0
		for _, dir := range []string{".", "mfa", "device", "oauth", "saml"} {
			for _, m := range errorMessages(t, dir) {
				n++
				if !i18n.HasError(lang, m.text) {
					t.Errorf("%s: %s: no translation of %q (add it to internal/i18n/errors.go)", lang, m.at, m.text)
				}
			}
		}
		if n < 100 {
			t.Fatalf("found only %d error messages; the scan is broken", n)
		}
	}
}

type sourceMessage struct{ at, text string }

// errorMessages lists the messages given as string literals to NewError and
// WrapError in the non-test files of dir.
func errorMessages(t *testing.T, dir string) []sourceMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []sourceMessage
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) < 2 {
				return true
			}
			var fn string
			switch x := c.Fun.(type) {
			case *ast.Ident:
				fn = x.Name
			case *ast.SelectorExpr:
				fn = x.Sel.Name
			}
			if fn != "NewError" && fn != "WrapError" {
				return true
			}
			if lit, ok := c.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && s != "" {
					out = append(out, sourceMessage{fset.Position(lit.Pos()).String(), s})
				}
			}
			return true
		})
	}
	return out
}
