// Package floors checks the layering of emp's packages: each package may
// import only packages on floors below its own, so no import runs upward
// or sideways. The table is here and, word for word, in
// docs/architecture.md; the test fails when either drifts from the imports.
package floors

import (
	"bufio"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/emedpractice/emp/"

// floors lists the packages (paths under the module, without "internal/")
// floor by floor, from the ground up.
var floors = [][]string{
	{"errs", "authrec", "httpx", "fhir/spec", "fhir/fhirpath", "fhir/terminology", "auth/pages", "browsertest", "httpbrowser"},
	{"ctrlchar", "fhir/fhirjson", "fhir/outcome", "fhir/parameters", "scope", "seed"},
	{"fhir/search", "fhir/validate", "authz"},
	{"fhir/patch", "fhir/profile", "fhir/redact", "store"},
	{"fhirload", "gate", "loginthrottle", "store/storetest"},
	{"fhirapi", "api", "auth", "bulk", "authz/authztest"},
	{"portalapi", "web", "auth/authtest"},
	{"openapi"},
	{"server"},
	{"cmd/emp", "testenv"},
}

// root is the module's directory.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod two levels up: %v", err)
	}
	return dir
}

// short names a package as the table does.
func short(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "internal/")
}

// imports maps every package under internal/ and cmd/ to the module's
// packages it imports (test files left out: tests may reach upward to build
// a server).
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(dir, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			pkg, err := build.ImportDir(path, 0)
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			name := short(filepath.ToSlash(rel))
			out[name] = nil
			for _, imp := range pkg.Imports {
				if strings.HasPrefix(imp, module) {
					out[name] = append(out[name], short(imp))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestImportsStayBelow(t *testing.T) {
	floorOf := map[string]int{}
	for i, f := range floors {
		for _, p := range f {
			floorOf[p] = i
		}
	}
	got := imports(t, root(t))
	for p := range floorOf {
		if _, ok := got[p]; !ok {
			t.Errorf("the table lists %s, which is not a package", p)
		}
	}
	for p, imps := range got {
		f, ok := floorOf[p]
		if !ok {
			t.Errorf("package %s is on no floor: add it to the table here and in docs/architecture.md", p)
			continue
		}
		for _, imp := range imps {
			if g, ok := floorOf[imp]; ok && g >= f {
				t.Errorf("%s (floor %d) imports %s (floor %d): imports must go to a lower floor", p, f, imp, g)
			}
		}
	}
}

// The architecture document shows the same table: a fenced block after
// the line starting "Floors", one floor a line, "N  a, b, c".
func TestArchitectureDocumentSaysTheSame(t *testing.T) {
	f, err := os.Open(filepath.Join(root(t), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var doc [][]string
	sc := bufio.NewScanner(f)
	state := 0 // 0: before "Floors", 1: before the block, 2: in it
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && strings.HasPrefix(line, "Floors"):
			state = 1
		case state == 1 && strings.HasPrefix(line, "```"):
			state = 2
		case state == 2 && strings.HasPrefix(line, "```"):
			state = 3
		case state == 2:
			n, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
			i, err := strconv.Atoi(n)
			if err != nil || i != len(doc) {
				t.Fatalf("docs/architecture.md: floor line %q does not start with its number %d", line, len(doc))
			}
			var pkgs []string
			for p := range strings.SplitSeq(rest, ",") {
				pkgs = append(pkgs, strings.TrimSpace(p))
			}
			doc = append(doc, pkgs)
		}
	}
	if state != 3 {
		t.Fatal("docs/architecture.md has no fenced floors table after a line starting \"Floors\"")
	}
	if !slices.EqualFunc(doc, floors, slices.Equal) {
		t.Errorf("docs/architecture.md floors:\n%v\nthe table here:\n%v", doc, floors)
	}
}
