package api

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// After a change to an exported name, regenerate the listings with
//
//	go test ./api -update
//
// and commit them with the change.
var update = flag.Bool("update", false, "rewrite the api/*.txt listings")

const module = "github.com/authos/authos"

// TestListings compares each public package's surface with its listing.
func TestListings(t *testing.T) {
	pkgs, err := publicPackages("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages; want the module's public packages", len(pkgs))
	}
	want := map[string]bool{}
	for _, dir := range pkgs {
		name := listingName(dir)
		want[name] = true
		got, err := listing(filepath.Join("..", dir), dir)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: no listing (%v); run go test ./api -update", dir, err)
			continue
		}
		if !bytes.Equal(old, got) {
			t.Errorf("api/%s is stale: the public surface of %s changed; run go test ./api -update and review the diff", name, dir)
		}
	}
	files, err := filepath.Glob("*.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !want[f] {
			if *update {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("api/%s lists a package that is gone; run go test ./api -update", f)
		}
	}
}

// The root package's count is what the listing says; the root must stay
// small (extension hooks on Extension, the HTTP toolkit internal).
func TestRootCount(t *testing.T) {
	got, err := listing("..", ".")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(got, []byte("\n"))
	var total, top, methods int
	if _, err := fmt.Sscanf(string(first), "// package authos: %d exported names (%d top-level, %d methods)", &total, &top, &methods); err != nil {
		t.Fatalf("header %q: %v", first, err)
	}
	if total != top+methods || top == 0 {
		t.Errorf("inconsistent header %q", first)
	}
}

// publicPackages lists the directories (relative to root, "." for the
// root) of the module's importable packages: not internal, examples,
// testdata, or this one.
func publicPackages(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		base := d.Name()
		if rel != "." && (base == "internal" || base == "examples" || base == "testdata" || base == "api" ||
			strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(path, 0); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// listingName is the listing file of package dir: "authos.txt" for the
// root, "store_memory.txt" for store/memory.
func listingName(dir string) string {
	if dir == "." {
		return "authos.txt"
	}
	return strings.ReplaceAll(dir, "/", "_") + ".txt"
}

// listing renders the exported declarations of the package in dir
// (rel names it in the header), without doc comments, in go/doc's order,
// headed by the count of exported names: top-level constants, variables,
// functions and types, plus the exported methods of exported types.
func listing(dir, rel string) ([]byte, error) {
	bp, err := build.ImportDir(dir, 0)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	files := make([]*ast.File, 0, len(bp.GoFiles))
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	path := module
	if rel != "." {
		path += "/" + rel
	}
	p, err := doc.NewFromFiles(fset, files, path)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	top, methods := 0, 0
	decl := func(n ast.Node) {
		switch d := n.(type) {
		case *ast.FuncDecl:
			d.Doc, d.Body = nil, nil
		case *ast.GenDecl:
			d.Doc = nil
		}
		var b bytes.Buffer
		if err := (&printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}).Fprint(&b, fset, n); err != nil {
			panic(err)
		}
		body.Write(stripComments(b.Bytes()))
		body.WriteString("\n\n")
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				if ast.IsExported(n) {
					top++
				}
			}
			decl(v.Decl)
		}
	}
	values(p.Consts)
	values(p.Vars)
	for _, f := range p.Funcs {
		top++
		decl(f.Decl)
	}
	for _, ty := range p.Types {
		top++
		decl(ty.Decl)
		values(ty.Consts)
		values(ty.Vars)
		for _, f := range ty.Funcs {
			top++
			decl(f.Decl)
		}
		for _, m := range ty.Methods {
			methods++
			decl(m.Decl)
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "// package %s: %d exported names (%d top-level, %d methods)\n", p.Name, top+methods, top, methods)
	fmt.Fprintf(&out, "// %s\n\n", path)
	out.Write(bytes.TrimRight(body.Bytes(), "\n"))
	out.WriteString("\n")
	return out.Bytes(), nil
}

// stripComments drops the comment lines and trailing comments the printer
// kept inside declarations (struct fields, grouped constants).
func stripComments(src []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(src, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if bytes.HasPrefix(trimmed, []byte("//")) {
			continue
		}
		if i := bytes.Index(line, []byte("\t// ")); i >= 0 && !bytes.Contains(line[:i], []byte("\"")) && !bytes.Contains(line[:i], []byte("`")) {
			line = bytes.TrimRight(line[:i], " \t")
		} else if i := bytes.Index(line, []byte(" // ")); i >= 0 && !bytes.Contains(line[:i], []byte("\"")) && !bytes.Contains(line[:i], []byte("`")) {
			line = bytes.TrimRight(line[:i], " \t")
		}
		out = append(out, line)
	}
	return bytes.Join(out, []byte("\n"))
}

// Every package of the module, commands and internal ones included, has
// one package comment, in one file, that opens with its own first
// sentence ("Package name ..." or, for a command, "Command name ..."), so
// that `go doc` shows it first: a file comment glued to another file's
// package clause would become part of the package's documentation.
func TestPackageDocs(t *testing.T) {
	checked := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if base := d.Name(); path != ".." && (base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no buildable Go files here
		}
		checked++
		var docs []string
		for _, name := range bp.GoFiles {
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(path, name), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				return err
			}
			if f.Doc != nil {
				docs = append(docs, name)
				want := "Package " + bp.Name + " "
				if bp.Name == "main" {
					want = "Command " + filepath.Base(bp.Dir) + " "
				}
				if text := f.Doc.Text(); !strings.HasPrefix(text, want) {
					t.Errorf("%s: the package comment opens with %.60q; want %q...", filepath.Join(path, name), text, want)
				}
			}
		}
		if len(docs) != 1 {
			t.Errorf("%s: package comments in %v; want exactly one file with one", path, docs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d packages; want every package of the module", checked)
	}
}
