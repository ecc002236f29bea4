package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// structureDefinition is the part of a StructureDefinition the tables need.
type structureDefinition struct {
	ResourceType string
	ID           string
	Kind         string // primitive-type, complex-type, resource, logical
	Abstract     bool
	Snapshot     struct {
		Element []elementDefinition
	}
}

type elementDefinition struct {
	Path             string
	Min              int
	Max              string
	ContentReference string
	// IsModifier is present on every element of the published R4
	// snapshots; the npm package adds a few elements of its own (extra Meta
	// fields) that lack it, and those are not R4.
	IsModifier *bool
	// IsSummary marks the elements _summary=true keeps.
	IsSummary bool
	// Representation "xmlAttr" marks element ids and Extension.url: XML
	// attributes, which cannot carry extensions, so JSON has no "_id".
	Representation []string
	Type           []typeRef
}

type typeRef struct {
	Code      string
	Profile   []string
	Extension []struct {
		URL         string
		ValueURL    string `json:"valueUrl"`
		ValueString string
	}
}

const (
	extFHIRType = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
	extRegex    = "http://hl7.org/fhir/StructureDefinition/regex"
)

// Kinds of generated types; the names are the Go constants of package
// validate.
const (
	kindPrimitive   = "kindPrimitive"
	kindComplex     = "kindComplex"
	kindResource    = "kindResource"
	kindAnyResource = "kindAnyResource" // the abstract Resource: the JSON's resourceType decides
)

type model struct {
	defs       map[string]*structureDefinition
	jsonKinds  map[string]string // primitive → JSON kind, from fhir.schema.json
	types      map[string]*typ
	order      []string // type names in table order
	index      map[string]int
	nResources int
	nElems     int
	dropped    []string
}

type typ struct {
	name    string
	kind    string
	json    string // primitives: jsonString, jsonNumber, jsonBoolean
	pattern string // primitives: the spec's regex for the value
	elems   []elem // sorted by nameHash of the JSON name
	groups  []elem // one per presence bit, in bit order: its base name and min
}

type elem struct {
	name   string // JSON property name: "valueQuantity"
	base   string // name in the definition: "value[x]"
	typ    string
	many   bool
	min    int
	choice bool
	attr   bool // an XML attribute: no "_name" extensions
	sum    bool // in the summary view (_summary=true)
	bit    int  // 1-based bit of the element's group in the presence mask; 0 for none
}

func newModel() *model {
	return &model{defs: map[string]*structureDefinition{}, types: map[string]*typ{}, index: map[string]int{}}
}

func (m *model) load(file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage
		}
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		log.Fatalf("%s: %v", file, err)
	}
	for _, e := range b.Entry {
		sd := &structureDefinition{}
		if err := json.Unmarshal(e.Resource, sd); err != nil {
			log.Fatalf("%s: %v", file, err)
		}
		if sd.ResourceType != "StructureDefinition" || sd.Kind == "logical" {
			continue
		}
		m.defs[sd.ID] = sd
	}
	if m.jsonKinds == nil {
		m.loadSchema(filepath.Join(filepath.Dir(file), "fhir.schema.json"))
	}
}

// loadSchema reads the JSON representation of each primitive from the FHIR
// JSON schema: "number" and "boolean" primitives are JSON numbers and
// booleans, all others JSON strings.
func (m *model) loadSchema(file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	var s struct {
		Definitions map[string]struct{ Type string }
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		log.Fatalf("%s: %v", file, err)
	}
	m.jsonKinds = map[string]string{}
	for name, d := range s.Definitions {
		switch d.Type {
		case "number":
			m.jsonKinds[name] = "jsonNumber"
		case "boolean":
			m.jsonKinds[name] = "jsonBoolean"
		default:
			m.jsonKinds[name] = "jsonString"
		}
	}
}

func (m *model) build() error {
	var names []string
	for id := range m.defs {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		sd := m.defs[id]
		switch {
		case sd.Kind == "primitive-type":
			if err := m.primitive(sd); err != nil {
				return err
			}
		case sd.Kind == "resource" && sd.Abstract:
			m.types[id] = &typ{name: id, kind: kindAnyResource}
		default:
			if err := m.structure(sd); err != nil {
				return err
			}
		}
	}
	for _, t := range m.types {
		if err := t.assignBits(); err != nil {
			return err
		}
	}
	// Primitives first (the validator's code names them by constant), then
	// everything else by name so a type's BackboneElements follow it.
	var prims, rest []string
	for name, t := range m.types {
		if t.kind == kindPrimitive {
			prims = append(prims, name)
		} else {
			rest = append(rest, name)
		}
	}
	sort.Strings(prims)
	sort.Strings(rest)
	m.order = append(prims, rest...)
	for i, name := range m.order {
		m.index[name] = i
		if m.types[name].kind == kindResource {
			m.nResources++
		}
	}
	if len(m.order) > 1<<16 {
		return fmt.Errorf("%d types do not fit a uint16 index", len(m.order))
	}
	for _, name := range m.order {
		t := m.types[name]
		for _, e := range t.elems {
			if _, ok := m.index[e.typ]; !ok {
				return fmt.Errorf("%s.%s: unknown type %q", name, e.name, e.typ)
			}
		}
		m.nElems += len(t.elems)
	}
	if m.nElems > 1<<16 {
		return fmt.Errorf("%d elements do not fit a uint16 index", m.nElems)
	}
	return nil
}

func (m *model) primitive(sd *structureDefinition) error {
	t := &typ{name: sd.ID, kind: kindPrimitive, json: m.jsonKinds[sd.ID]}
	if t.json == "" {
		return fmt.Errorf("primitive %s is not in fhir.schema.json", sd.ID)
	}
	for _, el := range sd.Snapshot.Element {
		if el.Path != sd.ID+".value" {
			continue
		}
		for _, tr := range el.Type {
			for _, x := range tr.Extension {
				if x.URL == extRegex {
					t.pattern = x.ValueString
				}
			}
		}
	}
	if t.pattern == "" && sd.ID != "xhtml" {
		return fmt.Errorf("primitive %s has no regex", sd.ID)
	}
	m.types[sd.ID] = t
	return nil
}

// structure turns one complex type or resource into its own type plus one
// type per BackboneElement (or Element with children), named by path:
// "Questionnaire.item", "Timing.repeat".
func (m *model) structure(sd *structureDefinition) error {
	els := sd.Snapshot.Element
	if len(els) == 0 {
		return fmt.Errorf("%s has no snapshot", sd.ID)
	}
	root := els[0].Path // "Quantity" for the SimpleQuantity profile
	local := func(path string) string { return sd.ID + strings.TrimPrefix(path, root) }
	parents := map[string]bool{}
	for _, el := range els[1:] {
		parents[el.Path[:strings.LastIndexByte(el.Path, '.')]] = true
	}
	kind := kindComplex
	if sd.Kind == "resource" {
		kind = kindResource
	}
	m.types[sd.ID] = &typ{name: sd.ID, kind: kind}
	var dropped []string
	for _, el := range els[1:] {
		if under(el.Path, dropped) {
			continue
		}
		if el.IsModifier == nil || el.Max == "0" {
			dropped = append(dropped, el.Path)
			why := "not in R4"
			if el.Max == "0" {
				why = "max 0"
			}
			m.dropped = append(m.dropped, fmt.Sprintf("%s %s (%s)", sd.ID, el.Path, why))
			continue
		}
		dot := strings.LastIndexByte(el.Path, '.')
		owner := local(el.Path[:dot])
		ot := m.types[owner]
		if ot == nil {
			ot = &typ{name: owner, kind: kindComplex}
			m.types[owner] = ot
		}
		base := el.Path[dot+1:]
		many := el.Max != "1"
		// codes are the JSON suffixes of a choice, types the definitions
		// used: a SimpleQuantity is written valueQuantity.
		var codes, types []string
		switch {
		case el.ContentReference != "":
			ref := strings.TrimPrefix(el.ContentReference, "#")
			if !strings.HasPrefix(ref, root+".") {
				return fmt.Errorf("%s: contentReference %s outside %s", el.Path, el.ContentReference, root)
			}
			types = []string{local(ref)}
		case parents[el.Path]:
			types = []string{local(el.Path)}
		case kind == kindResource && el.Path == root+".id":
			// The R4 snapshots type Resource.id as a System.String, but
			// the specification defines it as an id.
			types = []string{"id"}
		default:
			for _, tr := range el.Type {
				name, err := m.typeName(tr)
				if err != nil {
					return fmt.Errorf("%s: %v", el.Path, err)
				}
				codes = append(codes, tr.Code)
				types = append(types, name)
			}
		}
		if len(types) == 0 {
			return fmt.Errorf("%s has no type", el.Path)
		}
		if stem, ok := strings.CutSuffix(base, "[x]"); ok {
			if len(codes) != len(types) {
				return fmt.Errorf("%s: a choice without type codes", el.Path)
			}
			for i, t := range types {
				ot.elems = append(ot.elems, elem{name: stem + upperFirst(codes[i]), base: base, typ: t, many: many, min: el.Min, choice: true, sum: el.IsSummary})
			}
			continue
		}
		if len(types) != 1 {
			return fmt.Errorf("%s has %d types but is not a choice", el.Path, len(types))
		}
		attr := slices.Contains(el.Representation, "xmlAttr")
		ot.elems = append(ot.elems, elem{name: base, base: base, typ: types[0], many: many, min: el.Min, attr: attr, sum: el.IsSummary})
	}
	return nil
}

func under(path string, dropped []string) bool {
	for _, d := range dropped {
		if strings.HasPrefix(path, d+".") {
			return true
		}
	}
	return false
}

// typeName resolves a type reference to a generated type: FHIRPath system
// types carry their FHIR type in an extension, and Quantity profiled as
// SimpleQuantity (or MoneyQuantity) uses that constraint's own definition.
func (m *model) typeName(tr typeRef) (string, error) {
	if strings.HasPrefix(tr.Code, "http://hl7.org/fhirpath/System.") {
		for _, x := range tr.Extension {
			if x.URL == extFHIRType {
				return x.ValueURL, nil
			}
		}
		return "", fmt.Errorf("system type %s without a FHIR type", tr.Code)
	}
	for _, p := range tr.Profile {
		name := p[strings.LastIndexByte(p, '/')+1:]
		if _, ok := m.defs[name]; ok && name != tr.Code {
			return name, nil
		}
	}
	if _, ok := m.defs[tr.Code]; !ok {
		return "", fmt.Errorf("unknown type %s", tr.Code)
	}
	return tr.Code, nil
}

// assignBits sorts the elements by the hash of their JSON name (the
// validator binary-searches the hashes: integer comparisons are much cheaper
// than string ones) and gives every required or choice element a bit, so
// the validator can tell with one mask whether required elements are there
// and whether a choice has more than one value.
func (t *typ) assignBits() error {
	bits := map[string]int{}
	for i := range t.elems {
		e := &t.elems[i]
		if e.min == 0 && !e.choice {
			continue
		}
		b, ok := bits[e.base]
		if !ok {
			b = len(t.groups) + 1
			bits[e.base] = b
			e.bit = b
			t.groups = append(t.groups, *e)
		}
		e.bit = b
	}
	if len(t.groups) > 64 {
		return fmt.Errorf("%s needs %d presence bits, more than 64", t.name, len(t.groups))
	}
	sort.Slice(t.elems, func(i, j int) bool { return nameHash(t.elems[i].name) < nameHash(t.elems[j].name) })
	for i := 1; i < len(t.elems); i++ {
		if nameHash(t.elems[i].name) == nameHash(t.elems[i-1].name) {
			// Also catches an element defined twice.
			return fmt.Errorf("%s: elements %s and %s have the same hash", t.name, t.elems[i-1].name, t.elems[i].name)
		}
	}
	return nil
}

// nameHash is 32-bit FNV-1a, as nameHash in package validate.
func nameHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
