// Command rulegen writes internal/fhir/validate/zz_rules.go from the FHIR R4
// definitions (tools/fhirdefs.sh fetches them): every invariant of severity
// error that the core StructureDefinitions declare (FHIRPath, evaluated on
// every write), and every required binding of a code, Coding or
// CodeableConcept element with its value set expanded here, at generate
// time, from the value sets and code systems the definitions carry. A value
// set that cannot be expanded from them (SNOMED CT, UCUM, BCP-47 languages,
// MIME types…) is left out and listed on stderr.
//
//	go run ./tools/rulegen -defs "$(tools/fhirdefs.sh)" -out internal/fhir/validate
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type bundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

type structureDef struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Kind         string `json:"kind"`
	Derivation   string `json:"derivation"`
	Abstract     bool   `json:"abstract"`
	Snapshot     struct {
		Element []struct {
			Path string `json:"path"`
			Type []struct {
				Code string `json:"code"`
			} `json:"type"`
			Constraint []struct {
				Key        string `json:"key"`
				Severity   string `json:"severity"`
				Human      string `json:"human"`
				Expression string `json:"expression"`
				Source     string `json:"source"`
			} `json:"constraint"`
			Binding *struct {
				Strength string `json:"strength"`
				ValueSet string `json:"valueSet"`
			} `json:"binding"`
		} `json:"element"`
	} `json:"snapshot"`
}

type concept struct {
	Code    string    `json:"code"`
	Concept []concept `json:"concept"`
}

type codeSystem struct {
	ResourceType string    `json:"resourceType"`
	URL          string    `json:"url"`
	Content      string    `json:"content"`
	Concept      []concept `json:"concept"`
}

type valueSet struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Compose      *struct {
		Include []include `json:"include"`
		Exclude []include `json:"exclude"`
	} `json:"compose"`
}

type include struct {
	System  string `json:"system"`
	Concept []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
	ValueSet []string `json:"valueSet"`
}

type gen struct {
	sds        []structureDef
	codeSys    map[string]codeSystem
	valueSets  map[string]valueSet
	expanded   map[string][]string // url → sorted "system|code"
	unexpanded map[string]string   // url → why
}

func main() {
	defs := flag.String("defs", "", "folder holding the r4 definition files")
	out := flag.String("out", "internal/fhir/validate", "folder of package validate")
	flag.Parse()
	if *defs == "" {
		log.Fatal("rulegen: -defs is required (see tools/fhirdefs.sh)")
	}
	g := &gen{codeSys: map[string]codeSystem{}, valueSets: map[string]valueSet{},
		expanded: map[string][]string{}, unexpanded: map[string]string{}}
	for _, f := range []string{"profiles-types.json", "profiles-resources.json"} {
		for _, raw := range entries(filepath.Join(*defs, f)) {
			var sd structureDef
			must(json.Unmarshal(raw, &sd))
			if sd.ResourceType == "StructureDefinition" && sd.Kind != "logical" && sd.Derivation != "constraint" {
				g.sds = append(g.sds, sd)
			}
		}
	}
	for _, f := range []string{"valuesets.json", "v3-codesystems.json", "v2-tables.json"} {
		for _, raw := range entries(filepath.Join(*defs, f)) {
			var head struct {
				ResourceType string `json:"resourceType"`
				URL          string `json:"url"`
			}
			must(json.Unmarshal(raw, &head))
			switch head.ResourceType {
			case "CodeSystem":
				var cs codeSystem
				must(json.Unmarshal(raw, &cs))
				if _, dup := g.codeSys[cs.URL]; !dup {
					g.codeSys[cs.URL] = cs
				}
			case "ValueSet":
				var vs valueSet
				must(json.Unmarshal(raw, &vs))
				if _, dup := g.valueSets[vs.URL]; !dup {
					g.valueSets[vs.URL] = vs
				}
			}
		}
	}
	src := g.render()
	formatted, err := format.Source(src)
	if err != nil {
		log.Fatalf("rulegen: gofmt: %v", err)
	}
	must(os.WriteFile(filepath.Join(*out, "zz_rules.go"), formatted, 0o644))
	var skipped []string
	for u, why := range g.unexpanded {
		skipped = append(skipped, u+": "+why)
	}
	sort.Strings(skipped)
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "  not enforced:", s)
	}
}

func entries(path string) []json.RawMessage {
	raw, err := os.ReadFile(path)
	must(err)
	var b bundle
	must(json.Unmarshal(raw, &b))
	out := make([]json.RawMessage, len(b.Entry))
	for i, e := range b.Entry {
		out[i] = e.Resource
	}
	return out
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// jsonNames gives the JSON member names of an element path's last part:
// value[x] of types Quantity and string gives valueQuantity, valueString.
// native are the invariants package validate checks in Go as it walks a
// resource (contained.go, xhtml.go, rules.go), with the same meaning.
var native = map[string]bool{
	"ele-1": true, "dom-2": true, "dom-3": true, "dom-4": true, "dom-5": true, "txt-1": true, "txt-2": true,
}

func jsonNames(path string, types []string) (parent string, names []string) {
	i := strings.LastIndexByte(path, '.')
	parent, last := path[:i], path[i+1:]
	base, choice := strings.CutSuffix(last, "[x]")
	if !choice {
		return parent, []string{last}
	}
	for _, t := range types {
		names = append(names, base+strings.ToUpper(t[:1])+t[1:])
	}
	return parent, names
}

func (g *gen) render() []byte {
	type inv struct{ context, member, key, human, expr string }
	type bind struct{ typ, member, vs string }
	var invs []inv
	var binds []bind
	seenInv := map[string]bool{}
	rootKeys := map[string]bool{}
	for _, sd := range g.sds {
		for _, el := range sd.Snapshot.Element {
			if !strings.Contains(el.Path, ".") {
				for _, c := range el.Constraint {
					if c.Source == "" || c.Source == sd.URL {
						rootKeys[c.Key] = true
					}
				}
			}
		}
	}
	for _, sd := range g.sds {
		for _, el := range sd.Snapshot.Element {
			var types []string
			for _, t := range el.Type {
				types = append(types, t.Code)
			}
			for _, c := range el.Constraint {
				// Inherited constraints are evaluated where they are
				// declared (DomainResource's at every resource); ele-1 is
				// checked natively by the walker.
				if c.Severity != "error" || (c.Source != "" && c.Source != sd.URL) || native[c.Key] || c.Expression == "" {
					continue
				}
				if !strings.Contains(el.Path, ".") {
					k := el.Path + "\x00" + c.Key
					if !seenInv[k] {
						seenInv[k] = true
						invs = append(invs, inv{context: el.Path, key: c.Key, human: c.Human, expr: c.Expression})
					}
					continue
				}
				if rootKeys[c.Key] {
					continue // the member's own type checks it (ext-1 on every Extension)
				}
				parent, names := jsonNames(el.Path, types)
				backbone := len(types) == 1 && (types[0] == "BackboneElement" || types[0] == "Element")
				for _, n := range names {
					ctx, member := parent, n
					if backbone {
						ctx, member = el.Path, ""
					}
					k := ctx + "\x00" + member + "\x00" + c.Key
					if !seenInv[k] {
						seenInv[k] = true
						invs = append(invs, inv{context: ctx, member: member, key: c.Key, human: c.Human, expr: c.Expression})
					}
				}
			}
			if el.Binding == nil || el.Binding.Strength != "required" || !strings.Contains(el.Path, ".") {
				continue
			}
			var coded []string
			for _, t := range types {
				if t == "code" || t == "Coding" || t == "CodeableConcept" {
					coded = append(coded, t)
				}
			}
			if len(coded) == 0 {
				continue
			}
			url, _, _ := strings.Cut(el.Binding.ValueSet, "|")
			if _, ok := g.expand(url, 0); !ok {
				continue
			}
			parent, names := jsonNames(el.Path, coded)
			if len(types) > 1 && !strings.HasSuffix(el.Path, "[x]") {
				continue
			}
			for _, n := range names {
				binds = append(binds, bind{typ: parent, member: n, vs: url})
			}
		}
	}
	sort.Slice(invs, func(i, j int) bool {
		a, b := invs[i], invs[j]
		if a.context != b.context {
			return a.context < b.context
		}
		if a.member != b.member {
			return a.member < b.member
		}
		return a.key < b.key
	})
	sort.Slice(binds, func(i, j int) bool {
		a, b := binds[i], binds[j]
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		return a.member < b.member
	})
	var used []string
	vsIndex := map[string]int{}
	for _, b := range binds {
		if _, ok := vsIndex[b.vs]; !ok {
			vsIndex[b.vs] = len(used)
			used = append(used, b.vs)
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "// Code generated by tools/rulegen; DO NOT EDIT.\n\npackage validate\n\n")
	fmt.Fprintf(&buf, "// invariants are the constraints of severity error of the core definitions:\n")
	fmt.Fprintf(&buf, "// context type (a resource, datatype or BackboneElement), member (empty: the\n// object itself), key, human text, FHIRPath expression.\n")
	fmt.Fprintf(&buf, "var invariants = [...]invariantDef{\n")
	for _, v := range invs {
		fmt.Fprintf(&buf, "\t{%q, %q, %q, %q, %q},\n", v.context, v.member, v.key, v.human, v.expr)
	}
	fmt.Fprintf(&buf, "}\n\n// valueSets are the value sets of the required bindings, expanded: URL and\n// the codes as \"system|code\", sorted.\n")
	fmt.Fprintf(&buf, "var valueSets = [...]valueSetDef{\n")
	for _, u := range used {
		codes, _ := g.expand(u, 0)
		fmt.Fprintf(&buf, "\t{%q, []string{", u)
		for i, c := range codes {
			if i > 0 {
				buf.WriteString(", ")
			}
			fmt.Fprintf(&buf, "%q", c)
		}
		buf.WriteString("}},\n")
	}
	fmt.Fprintf(&buf, "}\n\n// bindings are the required bindings: type, JSON member, value set index.\n")
	fmt.Fprintf(&buf, "var bindings = [...]bindingDef{\n")
	for _, b := range binds {
		fmt.Fprintf(&buf, "\t{%q, %q, %d},\n", b.typ, b.member, vsIndex[b.vs])
	}
	buf.WriteString("}\n")
	return buf.Bytes()
}

// expand lists the codes of a value set, or false when the definitions do
// not hold all of them.
func (g *gen) expand(url string, depth int) ([]string, bool) {
	if codes, ok := g.expanded[url]; ok {
		return codes, true
	}
	if _, bad := g.unexpanded[url]; bad || depth > 10 {
		return nil, false
	}
	fail := func(why string) ([]string, bool) {
		g.unexpanded[url] = why
		return nil, false
	}
	vs, ok := g.valueSets[url]
	if !ok || vs.Compose == nil {
		return fail("value set not in the definitions")
	}
	set := map[string]bool{}
	for _, inc := range vs.Compose.Include {
		codes, why := g.include(inc, depth)
		if why != "" {
			return fail(why)
		}
		for _, c := range codes {
			set[c] = true
		}
	}
	for _, exc := range vs.Compose.Exclude {
		codes, why := g.include(exc, depth)
		if why != "" {
			return fail("exclude: " + why)
		}
		for _, c := range codes {
			delete(set, c)
		}
	}
	if len(set) == 0 {
		return fail("no codes")
	}
	codes := make([]string, 0, len(set))
	for c := range set {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	g.expanded[url] = codes
	return codes, true
}

func (g *gen) include(inc include, depth int) ([]string, string) {
	var codes []string
	for _, ref := range inc.ValueSet {
		u, _, _ := strings.Cut(ref, "|")
		c, ok := g.expand(u, depth+1)
		if !ok {
			return nil, "includes " + u
		}
		codes = append(codes, c...)
	}
	if inc.System == "" {
		return codes, ""
	}
	if len(inc.Concept) > 0 {
		for _, c := range inc.Concept {
			codes = append(codes, inc.System+"|"+c.Code)
		}
		return codes, ""
	}
	cs, ok := g.codeSys[inc.System]
	if !ok {
		return nil, "code system " + inc.System + " not in the definitions"
	}
	if cs.Content != "complete" {
		return nil, "code system " + inc.System + " is " + cs.Content
	}
	roots := cs.Concept
	for _, f := range inc.Filter {
		if f.Property != "concept" || (f.Op != "is-a" && f.Op != "descendent-of") {
			return nil, fmt.Sprintf("filter %s %s", f.Property, f.Op)
		}
		c := find(roots, f.Value)
		if c == nil {
			return nil, "filter value " + f.Value + " not found"
		}
		if f.Op == "is-a" {
			roots = []concept{*c}
		} else {
			roots = c.Concept
		}
	}
	var walk func([]concept)
	walk = func(cs []concept) {
		for _, c := range cs {
			codes = append(codes, inc.System+"|"+c.Code)
			walk(c.Concept)
		}
	}
	walk(roots)
	return codes, ""
}

func find(cs []concept, code string) *concept {
	for i := range cs {
		if cs[i].Code == code {
			return &cs[i]
		}
		if c := find(cs[i].Concept, code); c != nil {
			return c
		}
	}
	return nil
}
